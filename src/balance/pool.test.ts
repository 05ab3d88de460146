import { test } from 'node:test';
import assert from 'node:assert/strict';
import { highestWeight, leastOverheadPerWeight, Pool, tableSlotPick } from './pool.js';

const pool = (weights: number[], conns: number[] = []): Pool => {
  const p = new Pool(weights.map((weight, i) => ({ id: `b${i}`, weight, backup: false, maxConns: 0 })));
  conns.forEach((c, i) => (p.conns[i] = c));
  return p;
};

test('highestWeight: the heaviest eligible member, the first on a tie, filtered by accept', () => {
  const p = pool([2, 5, 5, 0]);
  const all = [0, 1, 2, 3];
  assert.equal(highestWeight(p, all, undefined), 1);
  assert.equal(highestWeight(p, all, new Set(['b1'])), 2);
  assert.equal(highestWeight(p, [0, 3], undefined), 0);
  assert.equal(highestWeight(p, all, undefined, (i) => i === 0), 0);
  assert.equal(highestWeight(p, all, undefined, () => false), undefined);
  p.available[1] = false;
  assert.equal(highestWeight(p, all, undefined), 2);
});

test('leastOverheadPerWeight: smallest overhead / weight by cross-multiplying, the first on a tie', () => {
  const p = pool([1, 2, 4], [1, 2, 5]);
  const oh = (i: number): number => p.conns[i] ?? 0;
  // 1/1, 2/2, 5/4: b0 and b1 tie, b0 comes first.
  assert.equal(leastOverheadPerWeight(p, [0, 1, 2], undefined, oh), 0);
  assert.equal(leastOverheadPerWeight(p, [1, 0, 2], undefined, oh), 1);
  assert.equal(leastOverheadPerWeight(p, [0, 1, 2], new Set(['b0', 'b1']), oh), 2);
  // (conns + 1) / weight: 2/1, 3/2, 6/4 = 1.5 each for b1 and b2; b1 first.
  assert.equal(leastOverheadPerWeight(p, [0, 1, 2], undefined, (i) => oh(i) + 1), 1);
  assert.equal(leastOverheadPerWeight(p, [], undefined, oh), undefined);
});

test('tableSlotPick: the slot, or with fallback the next eligible slot; an empty slot refuses', () => {
  const p = pool([1, 1, 1]);
  const table = Int32Array.from([0, 1, 2, -1]);
  assert.equal(tableSlotPick(p, table, 1, false, undefined), 1);
  assert.equal(tableSlotPick(p, table, 5, false, undefined), 1);
  assert.equal(tableSlotPick(p, table, 1, false, new Set(['b1'])), undefined);
  assert.equal(tableSlotPick(p, table, 1, true, new Set(['b1'])), 2);
  assert.equal(tableSlotPick(p, table, 1, true, new Set(['b1', 'b2'])), undefined);
  assert.equal(tableSlotPick(p, table, 3, true, undefined), undefined);
  assert.equal(tableSlotPick(p, Int32Array.from([0, 1]), 1, true, new Set(['b1'])), 0);
});
