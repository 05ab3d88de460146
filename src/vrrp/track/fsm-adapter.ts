/**
 * Driving today's engine (src/vrrp/fsm.ts) from tracker bindings. The engine knows a tracker as
 * `{ name, weight, initiallyUp }` and a change as `TrackerChanged { tracker, up }`, with
 * keepalived's unreversed rule (weight > 0 added while up, < 0 added while down, 0 = FAULT while
 * down). A `reverse` boolean tracker is the same tracker with the weight negated and up/down
 * swapped, so every script, process and interface binding maps exactly; a property test checks
 * that the engine's priority and FAULT then equal the board's.
 *
 * `track_file` does not fit: its delta is value × weight, not a fixed weight. `fsmTrackerFor`
 * returns null for it; the engine needs a `weightDelta`/`fault` event to carry it (the
 * TrackerStatus fields) — left to the engine's owner.
 */
import type { TrackerConfig } from '../config.js';
import type { TrackerBinding, TrackerSignal } from './types.js';

export function fsmTrackerFor(binding: TrackerBinding, initial: TrackerSignal | undefined): TrackerConfig | null {
  if (binding.kind === 'file') return null;
  const up = initial === undefined || initial.kind === 'file' ? true : initial.up;
  return {
    name: binding.trackerName,
    weight: binding.reverse && binding.weight !== 0 ? -binding.weight : binding.weight,
    initiallyUp: binding.reverse ? !up : up,
  };
}

/** The `up` of the engine's `TrackerChanged` for a boolean signal, or null for `track_file`. */
export function fsmUpFor(binding: TrackerBinding, signal: TrackerSignal): boolean | null {
  if (binding.kind === 'file' || signal.kind === 'file') return null;
  return binding.reverse ? !signal.up : signal.up;
}
