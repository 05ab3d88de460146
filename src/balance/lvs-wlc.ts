/**
 * LVS `wlc` (weighted least connection, the LVS and keepalived default): the backend with the
 * smallest overhead / weight, overhead = conns * 256 (see lvs-lc.ts for why every proxied
 * connection counts as active). Compared by cross-multiplying as LVS does (`loh * w > doh * lw`),
 * so a tie keeps the earlier backend in list order.
 */
import type { PickerBackend, PickerOptions, Picker } from './picker.js';
import { leastOverheadPerWeight, tieredPicker, type Pool, type TierAlgo } from './pool.js';
import { connOverhead } from './lvs-lc.js';

export function wlcAlgo(pool: Pool, members: readonly number[]): TierAlgo {
  return { pick: (ctx) => leastOverheadPerWeight(pool, members, ctx.exclude, (i) => connOverhead(pool, i)) };
}


export function createWlc(backends: readonly PickerBackend[], options: PickerOptions): Picker {
  return tieredPicker('wlc', backends, options, wlcAlgo);
}
