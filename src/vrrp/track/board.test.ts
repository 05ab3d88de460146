import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TrackerBoard } from './board.js';
import type { TrackerSignal } from './types.js';

test('one signal, two instances with their own weights: each gets its own status, only on change', () => {
  const board = new TrackerBoard([
    { owner: 'VI_1', bindings: [{ trackerName: 'chk_nginx', kind: 'script', weight: -20, reverse: false }] },
    { owner: 'VI_2', bindings: [{ trackerName: 'chk_nginx', kind: 'script', weight: 0, reverse: false }] },
  ], new Map<string, TrackerSignal>([['chk_nginx', { kind: 'script', up: true, cause: 'start' }]]));
  assert.deepEqual(board.watchedTrackers(), ['chk_nginx']);
  const changes = board.signalChanged('chk_nginx', { kind: 'script', up: false, cause: 'Script chk_nginx failed' });
  assert.deepEqual(changes.map((c) => [c.owner, c.status.weightDelta, c.status.fault]), [['VI_1', -20, false], ['VI_2', 0, true]]);
  assert.equal(changes[0]?.status.cause, 'Script chk_nginx failed');
  assert.deepEqual(board.signalChanged('chk_nginx', { kind: 'script', up: false, cause: 'again' }), []);
  assert.equal(board.summaryOf('VI_1').weightDelta, -20);
  assert.equal(board.summaryOf('VI_2').fault, true);
  assert.deepEqual(board.signalChanged('unknown', { kind: 'script', up: false, cause: 'x' }), []);
});
