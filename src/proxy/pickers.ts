/**
 * The balancing algorithms the proxy workers know, by the name a PoolSpec gives.
 *
 * MERGE NOTE: the pickers of `src/balance/` are written in parallel with the proxy. Until they
 * land, this registry holds only `rr` backed by the test round robin; when they land, fill it
 * from their registry (one line per picker, or the registry they export).
 */
import type { PickerFactory } from '../balance/picker.js';
import { testRoundRobin } from './testing/rr-picker.js';
import type { PickerRegistry } from './http-proxy.js';

const REGISTRY = new Map<string, PickerFactory>([['rr', testRoundRobin]]);

export function registerPicker(name: string, factory: PickerFactory): void {
  REGISTRY.set(name, factory);
}

export const pickerRegistry: PickerRegistry = (name) => REGISTRY.get(name);
