import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRandom } from './nginx-random.js';
import { createLeastConn } from './nginx-least-conn.js';
import { SeededPrng } from '../core/prng.js';
import { sequence, tally, weights } from './testkit.js';

test('random follows the weights and replays from its seed', () => {
  const p = createRandom(weights({ a: 1, b: 3 }), { prng: new SeededPrng(42) });
  const counts = tally(p, 8000);
  assert.ok(Math.abs((counts.get('b') ?? 0) / 8000 - 0.75) < 0.03, JSON.stringify([...counts]));
  const again = (): string[] => sequence(createRandom(weights({ a: 1, b: 3 }), { prng: new SeededPrng(42) }), 50);
  assert.deepEqual(again(), again());
});

test('random skips servers that cannot be used', () => {
  const p = createRandom(weights({ a: 1, b: 1, c: 1 }), { prng: new SeededPrng(3) });
  p.setAvailable('a', false);
  const s = sequence(p, 300);
  assert.ok(!s.includes('a') && s.includes('b') && s.includes('c'));
});

test('random two takes the less loaded of two different servers', () => {
  const p = createRandom(weights({ a: 1, b: 1 }), { prng: new SeededPrng(9), flags: new Set(['two']) });
  for (let k = 0; k < 10; k++) p.connectionOpened('a');
  // The two draws are always a and b, so the less loaded b always wins.
  assert.deepEqual([...tally(p, 500).keys()], ['b']);
  const three = createRandom(weights({ a: 1, b: 1, c: 1 }), { prng: new SeededPrng(9), flags: new Set(['two']) });
  for (let k = 0; k < 10; k++) three.connectionOpened('a');
  const counts = tally(three, 3000);
  // a wins never: whenever it is drawn, the other draw is a less loaded server.
  assert.equal(counts.get('a'), undefined);
});

test('random two with one usable server still picks it (through round robin)', () => {
  const p = createRandom(weights({ a: 1, b: 1 }), { prng: new SeededPrng(2), flags: new Set(['two']) });
  p.setAvailable('b', false);
  assert.deepEqual(sequence(p, 5), ['a', 'a', 'a', 'a', 'a']);
});

test('least_conn: fewest connections per weight; ties go round robin, not to the first', () => {
  const p = createLeastConn(weights({ a: 1, b: 1, c: 1 }), { prng: new SeededPrng(1) });
  assert.deepEqual(sequence(p, 6), ['a', 'b', 'c', 'a', 'b', 'c']);
  p.connectionOpened('a');
  assert.deepEqual(sequence(p, 4), ['b', 'c', 'b', 'c']);
  p.connectionOpened('b');
  p.connectionOpened('b');
  assert.deepEqual(sequence(p, 2), ['c', 'c']);
});

test('least_conn ties by smooth weighted round robin follow the weights', () => {
  const p = createLeastConn(weights({ a: 5, b: 1, c: 1 }), { prng: new SeededPrng(1) });
  assert.equal(sequence(p, 7).join(' '), 'a a b a c a a');
});
