/**
 * LVS `sed` (shortest expected delay): the backend with the smallest (active + 1) / weight, the
 * expected delay of a new connection if every server handled its connections in parallel at a
 * rate proportional to its weight. Cross-multiplied as LVS does; a tie keeps the earlier backend.
 * Every proxied connection is active (see lvs-lc.ts).
 */
import type { PickerBackend, PickerOptions, Picker } from './picker.js';
import { leastOverheadPerWeight, tieredPicker, type Pool, type TierAlgo } from './pool.js';

export function sedPick(pool: Pool, members: readonly number[], exclude: ReadonlySet<string> | undefined): number | undefined {
  // SED's expected delay is (active + 1) / weight.
  return leastOverheadPerWeight(pool, members, exclude, (i) => (pool.conns[i] ?? 0) + 1);
}

export function sedAlgo(pool: Pool, members: readonly number[]): TierAlgo {
  return { pick: (ctx) => sedPick(pool, members, ctx.exclude) };
}

export function createSed(backends: readonly PickerBackend[], options: PickerOptions): Picker {
  return tieredPicker('sed', backends, options, sedAlgo);
}
