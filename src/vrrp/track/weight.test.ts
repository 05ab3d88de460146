import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { evaluateBinding, priorityWithTrackers, summarize } from './weight.js';
import type { TrackerBinding, TrackerSignal } from './types.js';

const seed = process.env.HALO_SEED ? Number(process.env.HALO_SEED) : undefined;
const params = seed === undefined ? {} : { seed };

const bind = (weight: number, reverse = false, kind: TrackerBinding['kind'] = 'script'): TrackerBinding => ({ trackerName: 't', kind, weight, reverse });
const up: TrackerSignal = { kind: 'script', up: true, cause: 'up' };
const down: TrackerSignal = { kind: 'script', up: false, cause: 'down' };

test('weight 0: down is FAULT, up is fine; reverse swaps', () => {
  assert.deepEqual([evaluateBinding(bind(0), down).fault, evaluateBinding(bind(0), up).fault], [true, false]);
  assert.deepEqual([evaluateBinding(bind(0, true), down).fault, evaluateBinding(bind(0, true), up).fault], [false, true]);
});

test('positive weight is added while up, negative weight while down (the tutorials\' weight -20)', () => {
  assert.equal(evaluateBinding(bind(10), up).weightDelta, 10);
  assert.equal(evaluateBinding(bind(10), down).weightDelta, 0);
  assert.equal(evaluateBinding(bind(-20), up).weightDelta, 0);
  assert.equal(evaluateBinding(bind(-20), down).weightDelta, -20);
  assert.equal(evaluateBinding(bind(-20), down).fault, false);
});

test('reverse: positive weight decreases while up, negative weight increases while down', () => {
  assert.equal(evaluateBinding(bind(10, true), up).weightDelta, -10);
  assert.equal(evaluateBinding(bind(10, true), down).weightDelta, 0);
  assert.equal(evaluateBinding(bind(-20, true), down).weightDelta, 20);
});

test('track_file: value × weight, weight 0 faults on non-zero, below -253 faults', () => {
  const f = (value: number): TrackerSignal => ({ kind: 'file', value, cause: 'f' });
  assert.equal(evaluateBinding(bind(1, false, 'file'), f(-30)).weightDelta, -30);
  assert.equal(evaluateBinding(bind(5, false, 'file'), f(3)).weightDelta, 15);
  assert.equal(evaluateBinding(bind(5, true, 'file'), f(3)).weightDelta, -15);
  assert.equal(evaluateBinding(bind(0, false, 'file'), f(0)).fault, false);
  assert.equal(evaluateBinding(bind(0, false, 'file'), f(7)).fault, true);
  assert.equal(evaluateBinding(bind(0, true, 'file'), f(0)).fault, true);
  assert.equal(evaluateBinding(bind(1, false, 'file'), f(-253)).fault, false);
  assert.equal(evaluateBinding(bind(1, false, 'file'), f(-254)).fault, true);
  assert.equal(evaluateBinding(bind(254, false, 'file'), f(-1)).fault, true);
  assert.equal(evaluateBinding(bind(1, false, 'file'), f(1000)).weightDelta, 253);
});

test('priority: base + deltas clamped to 1..254, the owner stays 255', () => {
  const s = summarize([evaluateBinding(bind(-20), down), evaluateBinding({ ...bind(5), trackerName: 'u' }, up)]);
  assert.equal(s.weightDelta, -15);
  assert.equal(priorityWithTrackers(100, s), 85);
  assert.equal(priorityWithTrackers(10, summarize([evaluateBinding(bind(-200), down)])), 1);
  assert.equal(priorityWithTrackers(255, s), 255);
  assert.equal(priorityWithTrackers(250, summarize([evaluateBinding(bind(100), up)])), 254);
});

test('property: a boolean tracker never both faults and moves the priority, and reverse negates the delta', () => {
  fc.assert(fc.property(fc.integer({ min: -253, max: 253 }), fc.boolean(), (w, isUp) => {
    const sig = isUp ? up : down;
    const a = evaluateBinding(bind(w), sig);
    const b = evaluateBinding(bind(w, true), sig);
    assert.ok(!(a.fault && a.weightDelta !== 0));
    if (w !== 0) assert.equal(b.weightDelta, a.weightDelta === 0 ? 0 : -a.weightDelta);
    assert.ok(Math.abs(a.weightDelta) <= Math.abs(w));
  }), params);
});
