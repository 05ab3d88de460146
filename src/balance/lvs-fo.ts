/**
 * LVS `fo` (weighted failover): every new connection goes to the available backend with the
 * highest weight (the first in list order on a tie); the next one takes over only when it fails.
 */
import type { PickerBackend, PickerOptions, Picker } from './picker.js';
import { highestWeight, tieredPicker, type Pool, type TierAlgo } from './pool.js';

export function foAlgo(pool: Pool, members: readonly number[]): TierAlgo {
  return { pick: (ctx) => highestWeight(pool, members, ctx.exclude) };
}


export function createFo(backends: readonly PickerBackend[], options: PickerOptions): Picker {
  return tieredPicker('fo', backends, options, foAlgo);
}
