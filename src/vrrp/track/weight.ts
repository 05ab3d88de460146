/**
 * Turning a tracker signal into one instance's status, with keepalived's weight rules
 * (keepalived.conf(5), `track_interface` / `track_script` / `track_process` / `track_file`):
 * - weight 0: down means FAULT (`reverse`: up means FAULT);
 * - weight > 0: added while up; weight < 0: added (so subtracted) while down;
 * - `reverse` flips the direction of the adjustment: the delta is negated.
 * - `track_file`: value × weight (negated by `reverse`); weight 0 faults on a non-zero value
 *   (`reverse`: on zero); a result below -253 faults.
 */
import type { TrackerBinding, TrackerSignal, TrackerStatus } from './types.js';
import { FILE_FAULT_BELOW } from './types.js';

export function evaluateBinding(binding: TrackerBinding, signal: TrackerSignal): TrackerStatus {
  const base = { trackerName: binding.trackerName, kind: binding.kind };
  if (signal.kind === 'file') {
    const value = signal.value;
    if (binding.weight === 0) {
      const bad = binding.reverse ? value === 0 : value !== 0;
      return { ...base, ok: !bad, weightDelta: 0, fault: bad, cause: `${signal.cause}: value ${value}${bad ? ' faults' : ' is OK'} (weight 0${binding.reverse ? ' reverse' : ''})` };
    }
    const product = (binding.reverse ? -1 : 1) * value * binding.weight + 0; // "+ 0" turns -0 into 0
    if (product < FILE_FAULT_BELOW) {
      return { ...base, ok: false, weightDelta: 0, fault: true, cause: `${signal.cause}: value ${value} × weight gives ${product}, below ${FILE_FAULT_BELOW}` };
    }
    // Values above 253 are clamped: the engine limits the priority to 254 anyway.
    const delta = Math.min(product, 253);
    return { ...base, ok: true, weightDelta: delta, fault: false, cause: `${signal.cause}: value ${value}, priority ${delta >= 0 ? '+' : ''}${delta}` };
  }
  const up = signal.up;
  if (binding.weight === 0) {
    const fault = binding.reverse ? up : !up;
    return { ...base, ok: up, weightDelta: 0, fault, cause: signal.cause };
  }
  let delta = 0;
  if (binding.weight > 0 && up) delta = binding.weight;
  if (binding.weight < 0 && !up) delta = binding.weight;
  if (binding.reverse && delta !== 0) delta = -delta;
  return { ...base, ok: up, weightDelta: delta, fault: false, cause: signal.cause };
}

/** The sum of an instance's tracker statuses: the priority delta and the first fault's cause. */
export interface TrackerSummary {
  readonly weightDelta: number;
  readonly fault: boolean;
  readonly faultCauses: readonly string[];
}

export function summarize(statuses: Iterable<TrackerStatus>): TrackerSummary {
  let weightDelta = 0;
  const faultCauses: string[] = [];
  for (const s of statuses) {
    weightDelta += s.weightDelta;
    if (s.fault) faultCauses.push(`${s.trackerName}: ${s.cause}`);
  }
  return { weightDelta, fault: faultCauses.length > 0, faultCauses };
}

/**
 * Effective priority as keepalived computes it from trackers: base + deltas, clamped to 1..254;
 * an address owner (255) stays 255. The engine owns this rule; the copy here is for the API and
 * tests that look at trackers alone.
 */
export function priorityWithTrackers(basePriority: number, summary: TrackerSummary): number {
  if (basePriority === 255) return 255;
  return Math.min(254, Math.max(1, basePriority + summary.weightDelta));
}
