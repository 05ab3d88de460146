/**
 * nginx's default balancing: smooth weighted round robin (ngx_http_upstream_round_robin.c). On
 * every pick each eligible server's current weight grows by its weight; the server with the
 * largest current weight wins (the first in list order on a tie) and its current weight drops by
 * the total. Weights 5/1/1 give `a a b a c a a`, spread evenly rather than in bursts.
 *
 * nginx also lowers a failing server's "effective weight" and raises it back by one per pick;
 * in halo, failures reach the picker as availability (passive health lives in the proxy), so the
 * effective weight is the configured weight.
 */
import type { PickerBackend, PickerOptions, Picker } from './picker.js';
import { tieredPicker, type Pool, type TierAlgo } from './pool.js';

/** The smooth weighted round-robin state of one tier: current weight per pool index. */
export class SmoothWeights {
  // A typed array indexed by pool index: a Map here cost 10x on large pools.
  private current: Float64Array;

  constructor(poolSize = 0) {
    this.current = new Float64Array(Math.max(0, poolSize));
  }

  /** One smooth-WRR step over the members that pass `ok`. */
  pick(pool: Pool, members: readonly number[], ok: (i: number) => boolean, from = 0): number | undefined {
    if (this.current.length < pool.size) {
      const grown = new Float64Array(pool.size);
      grown.set(this.current);
      this.current = grown;
    }
    const cur = this.current;
    let best = -1;
    let bestCurrent = 0;
    let total = 0;
    for (let m = from; m < members.length; m++) {
      const i = members[m] ?? 0;
      if (!ok(i)) continue;
      const w = pool.weight[i] ?? 0;
      const cw = (cur[i] ?? 0) + w;
      cur[i] = cw;
      total += w;
      if (best < 0 || cw > bestCurrent) {
        best = i;
        bestCurrent = cw;
      }
    }
    if (best < 0) return undefined;
    cur[best] = bestCurrent - total;
    return best;
  }

  reset(): void {
    this.current.fill(0);
  }
}

export function roundRobinAlgo(pool: Pool, members: readonly number[]): TierAlgo {
  const smooth = new SmoothWeights(pool.size);
  return {
    pick: (ctx) => smooth.pick(pool, members, (i) => pool.eligible(i, ctx.exclude)),
  };
}

export function createRoundRobin(backends: readonly PickerBackend[], options: PickerOptions): Picker {
  return tieredPicker('round_robin', backends, options, roundRobinAlgo);
}
