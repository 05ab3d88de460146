/**
 * LVS `sed` (shortest expected delay): the backend with the smallest (active + 1) / weight, the
 * expected delay of a new connection if every server handled its connections in parallel at a
 * rate proportional to its weight. Cross-multiplied as LVS does; a tie keeps the earlier backend.
 * Every proxied connection is active (see lvs-lc.ts).
 */
import type { PickerBackend, PickerOptions, Picker } from './picker.js';
import { tieredPicker, type Pool, type TierAlgo } from './pool.js';

export function sedPick(pool: Pool, members: readonly number[], exclude: ReadonlySet<string> | undefined): number | undefined {
  let best: number | undefined;
  let bestOverhead = 0;
  let bestWeight = 0;
  for (const i of members) {
    if (!pool.eligible(i, exclude)) continue;
    const oh = (pool.conns[i] ?? 0) + 1;
    const w = pool.weight[i] ?? 0;
    if (best === undefined || bestOverhead * w > oh * bestWeight) {
      best = i;
      bestOverhead = oh;
      bestWeight = w;
    }
  }
  return best;
}

export function sedAlgo(pool: Pool, members: readonly number[]): TierAlgo {
  return { pick: (ctx) => sedPick(pool, members, ctx.exclude) };
}

export function createSed(backends: readonly PickerBackend[], options: PickerOptions): Picker {
  return tieredPicker('sed', backends, options, sedAlgo);
}
