/**
 * LVS `ovf` (overflow connection): the available backend with the highest weight takes new
 * connections while its active connections do not exceed its weight (LVS skips a server when
 * `active > weight`); then the next highest takes the overflow. A tie in weight keeps the first in
 * list order. When every backend is over its weight, none is chosen, as in LVS.
 */
import type { PickerBackend, PickerOptions, Picker } from './picker.js';
import { tieredPicker, type Pool, type TierAlgo } from './pool.js';

export function ovfAlgo(pool: Pool, members: readonly number[]): TierAlgo {
  return {
    pick(ctx) {
      let best: number | undefined;
      let bestWeight = 0;
      for (const i of members) {
        if (!pool.eligible(i, ctx.exclude)) continue;
        const w = pool.weight[i] ?? 0;
        if ((pool.conns[i] ?? 0) > w) continue;
        if (w > bestWeight) {
          best = i;
          bestWeight = w;
        }
      }
      return best;
    },
  };
}

export function createOvf(backends: readonly PickerBackend[], options: PickerOptions): Picker {
  return tieredPicker('ovf', backends, options, ovfAlgo);
}
