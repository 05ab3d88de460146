/**
 * LVS `lc` (least connection): the backend with the smallest overhead, first in list order on a
 * tie. LVS counts overhead = active * 256 + inactive; a proxy has one kind of connection (an
 * open, established one), so every connection is "active" and overhead = conns * 256, which ranks
 * backends exactly as the connection count does. Weights other than zero do not matter.
 */
import type { PickerBackend, PickerOptions, Picker } from './picker.js';
import { tieredPicker, type Pool, type TierAlgo } from './pool.js';

/** LVS `ip_vs_dest_conn_overhead` with every proxied connection counted as active. */
export function connOverhead(pool: Pool, i: number): number {
  return (pool.conns[i] ?? 0) * 256;
}

export function lcAlgo(pool: Pool, members: readonly number[]): TierAlgo {
  return {
    pick(ctx) {
      let best: number | undefined;
      let bestOverhead = 0;
      for (const i of members) {
        if (!pool.eligible(i, ctx.exclude)) continue;
        const oh = connOverhead(pool, i);
        if (best === undefined || oh < bestOverhead) {
          best = i;
          bestOverhead = oh;
        }
      }
      return best;
    },
  };
}

export function createLc(backends: readonly PickerBackend[], options: PickerOptions): Picker {
  return tieredPicker('lc', backends, options, lcAlgo);
}
