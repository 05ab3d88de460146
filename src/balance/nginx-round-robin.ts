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
  private readonly current: Map<number, number> = new Map();

  /** One smooth-WRR step over the members that pass `ok`. */
  pick(pool: Pool, members: Iterable<number>, ok: (i: number) => boolean): number | undefined {
    let best: number | undefined;
    let bestCurrent = 0;
    let total = 0;
    for (const i of members) {
      if (!ok(i)) continue;
      const w = pool.weight[i] ?? 0;
      const cw = (this.current.get(i) ?? 0) + w;
      this.current.set(i, cw);
      total += w;
      if (best === undefined || cw > bestCurrent) {
        best = i;
        bestCurrent = cw;
      }
    }
    if (best !== undefined) this.current.set(best, bestCurrent - total);
    return best;
  }

  reset(): void {
    this.current.clear();
  }
}

export function roundRobinAlgo(pool: Pool, members: readonly number[]): TierAlgo {
  const smooth = new SmoothWeights();
  return {
    pick: (ctx) => smooth.pick(pool, members, (i) => pool.eligible(i, ctx.exclude)),
  };
}

export function createRoundRobin(backends: readonly PickerBackend[], options: PickerOptions): Picker {
  return tieredPicker('round_robin', backends, options, roundRobinAlgo);
}
