import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fsmTrackerFor, fsmUpFor } from './fsm-adapter.js';
import { evaluateBinding, priorityWithTrackers, summarize } from './weight.js';
import type { TrackerBinding, TrackerSignal } from './types.js';
import { effectivePriority, ownFault } from '../fsm.js';
import { instanceConfig } from '../config.js';
import type { TrackerConfig } from '../config.js';

const seed = process.env.HALO_SEED ? Number(process.env.HALO_SEED) : undefined;
const params = seed === undefined ? {} : { seed };

const bindingArb = fc.record({
  kind: fc.constantFrom<'script' | 'process' | 'interface'>('script', 'process', 'interface'),
  weight: fc.integer({ min: -253, max: 253 }),
  reverse: fc.boolean(),
  up: fc.boolean(),
});

test('property: the engine fed through the adapter gives the board\'s priority and FAULT', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 255 }), fc.array(bindingArb, { maxLength: 6 }), (base, specs) => {
    const bindings: TrackerBinding[] = specs.map((s, i) => ({ trackerName: `t${i}`, kind: s.kind, weight: s.weight, reverse: s.reverse }));
    const signals: TrackerSignal[] = specs.map((s) => ({ kind: s.kind, up: s.up, cause: 'c' }));
    const trackers = bindings.map((b) => fsmTrackerFor(b, undefined) as TrackerConfig);
    const config = instanceConfig({ name: 'VI_1', vrid: 51, ifname: 'eth0', basePriority: base, primaryAddress: '192.0.2.1', trackers });
    const trackersUp: Record<string, boolean> = {};
    bindings.forEach((b, i) => (trackersUp[b.trackerName] = fsmUpFor(b, signals[i] as TrackerSignal) as boolean));
    const summary = summarize(bindings.map((b, i) => evaluateBinding(b, signals[i] as TrackerSignal)));
    assert.equal(effectivePriority(config, trackersUp), priorityWithTrackers(base, summary));
    assert.equal(ownFault(config, { linkUp: true, trackersUp }) !== null, summary.fault);
  }), params);
});

test('track_file has no engine mapping yet', () => {
  const b: TrackerBinding = { trackerName: 'tf', kind: 'file', weight: 1, reverse: false };
  assert.equal(fsmTrackerFor(b, undefined), null);
  assert.equal(fsmUpFor(b, { kind: 'file', value: 3, cause: 'c' }), null);
});
