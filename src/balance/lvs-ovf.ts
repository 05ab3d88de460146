/**
 * LVS `ovf` (overflow connection): the available backend with the highest weight takes new
 * connections while its active connections do not exceed its weight (LVS skips a server when
 * `active > weight`); then the next highest takes the overflow. A tie in weight keeps the first in
 * list order. When every backend is over its weight, none is chosen, as in LVS.
 */
import type { PickerBackend, PickerOptions, Picker } from './picker.js';
import { highestWeight, tieredPicker, type Pool, type TierAlgo } from './pool.js';

export function ovfAlgo(pool: Pool, members: readonly number[]): TierAlgo {
  // LVS skips a server whose active connections exceed its weight.
  return { pick: (ctx) => highestWeight(pool, members, ctx.exclude, (i, weight) => (pool.conns[i] ?? 0) <= weight) };
}


export function createOvf(backends: readonly PickerBackend[], options: PickerOptions): Picker {
  return tieredPicker('ovf', backends, options, ovfAlgo);
}
