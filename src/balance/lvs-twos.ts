/**
 * LVS `twos` (weighted random twos choice, "power of two choices"): draw two backends at random,
 * each with probability proportional to its weight, and take the second unless the first has the
 * smaller overhead / weight (LVS: choice2 wins when `oh2 * w1 < oh1 * w2`, else choice1).
 * Overhead is conns * 256 (see lvs-lc.ts). The kernel draws in [0, total] and subtracts until
 * `<= 0`, which slightly favours the first server; halo draws uniformly in [0, total) so each
 * backend's chance is exactly its share of the weight.
 */
import type { PickerBackend, PickerOptions, Picker } from './picker.js';
import { tieredPicker, type Pool, type TierAlgo } from './pool.js';
import { connOverhead } from './lvs-lc.js';

export function twosAlgo(pool: Pool, members: readonly number[], options: PickerOptions): TierAlgo {
  return {
    pick(ctx) {
      let total = 0;
      for (const i of members) if (pool.eligible(i, ctx.exclude)) total += pool.weight[i] ?? 0;
      if (total <= 0) return undefined;
      let r1 = options.prng.nextInt(total);
      let r2 = options.prng.nextInt(total);
      let c1: number | undefined;
      let c2: number | undefined;
      for (const i of members) {
        if (!pool.eligible(i, ctx.exclude)) continue;
        const w = pool.weight[i] ?? 0;
        if (c1 === undefined) {
          if (r1 < w) c1 = i;
          r1 -= w;
        }
        if (c2 === undefined) {
          if (r2 < w) c2 = i;
          r2 -= w;
        }
        if (c1 !== undefined && c2 !== undefined) break;
      }
      if (c1 === undefined || c2 === undefined) return c1 ?? c2;
      const w1 = pool.weight[c1] ?? 0;
      const w2 = pool.weight[c2] ?? 0;
      return connOverhead(pool, c2) * w1 < connOverhead(pool, c1) * w2 ? c2 : c1;
    },
  };
}

export function createTwos(backends: readonly PickerBackend[], options: PickerOptions): Picker {
  return tieredPicker('twos', backends, options, twosAlgo);
}
