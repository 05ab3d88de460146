/**
 * LVS `rr` (round robin): the next backend in list order after the last one chosen, skipping
 * those that cannot take a connection (LVS skips overloaded and weight-0 servers). Weights other
 * than zero do not matter.
 */
import type { PickerBackend, PickerOptions, Picker } from './picker.js';
import { tieredPicker, type Pool, type TierAlgo } from './pool.js';

export function rrAlgo(pool: Pool, members: readonly number[]): TierAlgo {
  let last = -1; // position in `members` of the last pick; -1 = the list head, as LVS starts
  return {
    pick(ctx) {
      const n = members.length;
      for (let step = 1; step <= n; step++) {
        const pos = (last + step) % n;
        const i = members[pos];
        if (i !== undefined && pool.eligible(i, ctx.exclude)) {
          last = pos;
          return i;
        }
      }
      return undefined;
    },
  };
}

export function createRr(backends: readonly PickerBackend[], options: PickerOptions): Picker {
  return tieredPicker('rr', backends, options, rrAlgo);
}
