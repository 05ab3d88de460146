import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Picker } from './picker.js';
import { createLc } from './lvs-lc.js';
import { createWlc } from './lvs-wlc.js';
import { createSed } from './lvs-sed.js';
import { createNq } from './lvs-nq.js';
import { createFo } from './lvs-fo.js';
import { createOvf } from './lvs-ovf.js';
import { createTwos } from './lvs-twos.js';
import { SeededPrng } from '../core/prng.js';
import { weights } from './testkit.js';

const prng = new SeededPrng(1);

function open(p: Picker, counts: Record<string, number>): void {
  for (const [id, n] of Object.entries(counts)) for (let k = 0; k < n; k++) p.connectionOpened(id);
}

test('lc: fewest connections, first in list order on a tie, weights ignored', () => {
  const p = createLc(weights({ a: 10, b: 1, c: 1 }), { prng });
  assert.equal(p.pick({ nowMs: 0 }), 'a');
  open(p, { a: 2, b: 1, c: 1 });
  assert.equal(p.pick({ nowMs: 0 }), 'b');
});

test('wlc: smallest conns/weight; the LVS tie keeps the earlier server', () => {
  const p = createWlc(weights({ a: 1, b: 3 }), { prng });
  assert.equal(p.pick({ nowMs: 0 }), 'a'); // 0/1 vs 0/3: tie, earlier wins
  open(p, { a: 1, b: 2 });
  assert.equal(p.pick({ nowMs: 0 }), 'b'); // 256/1 vs 512/3
  open(p, { b: 1 });
  assert.equal(p.pick({ nowMs: 0 }), 'a'); // 256/1 vs 768/3: tie → a
});

test('wlc reaches the weight proportions when connections pile up', () => {
  const p = createWlc(weights({ a: 1, b: 2, c: 3 }), { prng });
  const got: Record<string, number> = { a: 0, b: 0, c: 0 };
  for (let k = 0; k < 60; k++) {
    const id = p.pick({ nowMs: 0 }) ?? '-';
    got[id] = (got[id] ?? 0) + 1;
    p.connectionOpened(id);
  }
  assert.deepEqual(got, { a: 10, b: 20, c: 30 });
});

test('sed: (active + 1) / weight, so an idle light server loses to an idle heavy one', () => {
  const p = createSed(weights({ light: 1, heavy: 3 }), { prng });
  assert.equal(p.pick({ nowMs: 0 }), 'heavy'); // 1/1 vs 1/3
  open(p, { heavy: 2 });
  assert.equal(p.pick({ nowMs: 0 }), 'light'); // 1/1 vs 3/3 tie → earlier
});

test('nq: an idle server first, whatever the weights; then sed', () => {
  const p = createNq(weights({ light: 1, heavy: 3 }), { prng });
  assert.equal(p.pick({ nowMs: 0 }), 'light');
  open(p, { light: 1 });
  assert.equal(p.pick({ nowMs: 0 }), 'heavy');
  open(p, { heavy: 1 });
  assert.equal(p.pick({ nowMs: 0 }), 'heavy'); // 2/1 vs 2/3
});

test('fo: always the highest weight available; the next takes over on failure', () => {
  const p = createFo(weights({ a: 5, b: 10, c: 10 }), { prng });
  assert.equal(p.pick({ nowMs: 0 }), 'b');
  open(p, { b: 100 });
  assert.equal(p.pick({ nowMs: 0 }), 'b');
  p.setAvailable('b', false);
  assert.equal(p.pick({ nowMs: 0 }), 'c');
});

test('ovf: highest weight until its active connections exceed its weight, then overflow', () => {
  const p = createOvf(weights({ a: 2, b: 5 }), { prng });
  const s: string[] = [];
  for (let k = 0; k < 10; k++) {
    const id = p.pick({ nowMs: 0 }) ?? '-';
    s.push(id);
    if (id !== '-') p.connectionOpened(id);
  }
  // b takes connections while active <= 5 (6 of them), then a while active <= 2 (3), then none.
  assert.deepEqual(s.join(' '), 'b b b b b b a a a -');
});

test('twos: of two weighted draws, the less loaded per weight wins', () => {
  const p = createTwos(weights({ a: 1, b: 1 }), { prng: new SeededPrng(7) });
  open(p, { a: 50 });
  let b = 0;
  for (let k = 0; k < 1000; k++) if (p.pick({ nowMs: 0 }) === 'b') b++;
  // b loses only when both draws are a (1/4 of the time).
  assert.ok(b > 700 && b < 800, `b chosen ${b}/1000`);
});
