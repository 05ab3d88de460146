import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWrr } from './lvs-wrr.js';
import { createRr } from './lvs-rr.js';
import { SeededPrng } from '../core/prng.js';
import { sequence, weights } from './testkit.js';

const prng = new SeededPrng(1);

test('LVS wrr: weights A=4 B=3 C=2 give the documented A A B A B C A B C', () => {
  const p = createWrr(weights({ A: 4, B: 3, C: 2 }), { prng });
  assert.equal(sequence(p, 18).join(''), 'AABABCABC'.repeat(2));
});

test('LVS wrr with a common divisor steps by the gcd (weights 4/2 give A A B)', () => {
  const p = createWrr(weights({ A: 4, B: 2 }), { prng });
  assert.equal(sequence(p, 6).join(''), 'AABAAB');
});

test('LVS wrr recomputes when a server fails and keeps the proportions of the rest', () => {
  const p = createWrr(weights({ A: 4, B: 3, C: 2 }), { prng });
  p.setAvailable('A', false);
  const s = sequence(p, 50);
  assert.ok(!s.includes('A'));
  const b = s.filter((x) => x === 'B').length;
  assert.ok(Math.abs(b / 50 - 3 / 5) < 0.05, `B share ${b}/50`);
});

test('LVS wrr skips a full server without spinning (only a weight-1 server eligible)', () => {
  const p = createWrr([...weights({ big: 1000 }), ...weights({ small: 1 })].map((b) => (b.id === 'big' ? { ...b, maxConns: 1 } : b)), { prng });
  p.connectionOpened('big');
  assert.deepEqual(sequence(p, 3), ['small', 'small', 'small']);
});

test('LVS rr ignores weights other than zero and rotates in list order', () => {
  const p = createRr(weights({ a: 5, b: 1, c: 0, d: 2 }), { prng });
  assert.equal(sequence(p, 6).join(''), 'abdabd');
});
