/**
 * LVS `wrr` (weighted round robin), the interleaved scheme of the LVS documentation: a current
 * weight `cw` starts at the largest weight and drops by the gcd of the weights each time the scan
 * passes the list head; a backend is chosen when its weight is at least `cw`. For weights A=4,
 * B=3, C=2 the LVS docs give the sequence `A A B A B C A B C`, and so does this.
 *
 * The gcd and the largest weight are taken over the backends that are available (keepalived
 * removes failed real servers from IPVS, so the kernel only sees those), recomputed on every
 * weight or availability change, and the scan restarts at the list head as the kernel does when a
 * destination changes.
 */
import type { PickerBackend, PickerOptions, Picker } from './picker.js';
import { gcd, tieredPicker, type Pool, type TierAlgo } from './pool.js';

export function wrrAlgo(pool: Pool, members: readonly number[]): TierAlgo {
  let pos = -1; // -1 = list head
  let cw = 0;
  let di = 1; // gcd of weights
  let mw = 0; // max weight - (gcd - 1), as LVS keeps it

  const recompute = (): void => {
    let g = 0;
    let max = 0;
    for (const i of members) {
      const w = pool.weight[i] ?? 0;
      if (!pool.available[i] || w <= 0) continue;
      g = gcd(g, w);
      if (w > max) max = w;
    }
    di = g > 0 ? g : 1;
    mw = max > 0 ? max - (di - 1) : 0;
    pos = -1;
    if (cw > mw || cw <= 0) cw = mw;
  };
  recompute();

  return {
    changed: recompute,
    pick(ctx) {
      const n = members.length;
      if (n === 0 || mw <= 0) return undefined;
      // Bound: a full pass over the weights without a choice means nothing qualifies; when a
      // whole round (head to head) chooses nothing, jump `cw` straight down to the largest
      // eligible weight, which yields the same sequence as stepping through the empty rounds.
      let emptyRounds = 0;
      for (let guard = 0; guard < 4 * n + 8; guard++) {
        pos += 1;
        if (pos >= n) {
          pos = -1;
          cw -= di;
          if (cw <= 0) cw = mw;
          emptyRounds += 1;
          if (emptyRounds >= 2) {
            let best = 0;
            for (const i of members) if (pool.eligible(i, ctx.exclude)) best = Math.max(best, pool.weight[i] ?? 0);
            if (best === 0) return undefined;
            if (cw > best) cw = mw - Math.ceil((mw - best) / di) * di;
            if (cw <= 0) cw = mw;
          }
          continue;
        }
        const i = members[pos];
        if (i === undefined) continue;
        if ((pool.weight[i] ?? 0) >= cw && pool.eligible(i, ctx.exclude)) return i;
      }
      return undefined;
    },
  };
}

export function createWrr(backends: readonly PickerBackend[], options: PickerOptions): Picker {
  return tieredPicker('wrr', backends, options, wrrAlgo);
}
