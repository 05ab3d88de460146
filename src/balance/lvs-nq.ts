/**
 * LVS `nq` (never queue): an idle backend (no active connection) is chosen at once, the first
 * one in list order; when every backend is busy, `sed`'s rule decides.
 */
import type { PickerBackend, PickerOptions, Picker } from './picker.js';
import { tieredPicker, type Pool, type TierAlgo } from './pool.js';
import { sedPick } from './lvs-sed.js';

export function nqAlgo(pool: Pool, members: readonly number[]): TierAlgo {
  return {
    pick(ctx) {
      for (const i of members) if (pool.eligible(i, ctx.exclude) && (pool.conns[i] ?? 0) === 0) return i;
      return sedPick(pool, members, ctx.exclude);
    },
  };
}

export function createNq(backends: readonly PickerBackend[], options: PickerOptions): Picker {
  return tieredPicker('nq', backends, options, nqAlgo);
}
