/**
 * nginx `least_conn` (ngx_http_upstream_least_conn_module): the server with the fewest active
 * connections relative to its weight (`conns * best.weight < best.conns * weight`). When several
 * servers tie, nginx does not take the first: it runs its smooth weighted round robin among the
 * tied servers only, so equal servers under light load still alternate.
 */
import type { PickerBackend, PickerOptions, Picker } from './picker.js';
import { tieredPicker, type Pool, type TierAlgo } from './pool.js';
import { SmoothWeights } from './nginx-round-robin.js';

export function leastConnAlgo(pool: Pool, members: readonly number[]): TierAlgo {
  const smooth = new SmoothWeights(pool.size);
  return {
    pick(ctx) {
      let best: number | undefined;
      let bestPos = 0;
      let many = false;
      for (let m = 0; m < members.length; m++) {
        const i = members[m] ?? 0;
        if (!pool.eligible(i, ctx.exclude)) continue;
        if (best === undefined) {
          best = i;
          bestPos = m;
          many = false;
          continue;
        }
        const lhs = (pool.conns[i] ?? 0) * (pool.weight[best] ?? 0);
        const rhs = (pool.conns[best] ?? 0) * (pool.weight[i] ?? 0);
        if (lhs < rhs) {
          best = i;
          bestPos = m;
          many = false;
        } else if (lhs === rhs) {
          many = true;
        }
      }
      if (best === undefined || !many) return best;
      const b = best;
      const tied = (i: number): boolean =>
        pool.eligible(i, ctx.exclude) &&
        (pool.conns[i] ?? 0) * (pool.weight[b] ?? 0) === (pool.conns[b] ?? 0) * (pool.weight[i] ?? 0);
      // nginx scans from the first tied server onwards; earlier servers cannot be tied.
      return smooth.pick(pool, members, tied, bestPos);
    },
  };
}

export function createLeastConn(backends: readonly PickerBackend[], options: PickerOptions): Picker {
  return tieredPicker('least_conn', backends, options, leastConnAlgo);
}
