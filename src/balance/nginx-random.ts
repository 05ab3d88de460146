/**
 * nginx `random` and `random two` (ngx_http_upstream_random_module).
 *
 * `random`: a server drawn with probability weight / total_weight (total over every primary,
 * whatever its state, as nginx's ranges are); one that cannot be used makes another draw; after
 * 20 failed draws nginx uses round robin, and so does halo.
 *
 * `random two` (the `least_conn` method, nginx's only one): two different usable servers are
 * drawn that way (a draw of the first one again counts as a failed try), and the one with fewer
 * active connections relative to its weight wins; on a tie, the second drawn (nginx keeps the
 * second unless `conns2 * w1 > conns1 * w2`). The draws share nginx's 20-try budget; with one
 * usable server the budget runs out and round robin picks it.
 */
import type { PickerBackend, PickerOptions, Picker, PickContext } from './picker.js';
import { hasFlag, tieredPicker, type Pool, type TierAlgo } from './pool.js';
import { SmoothWeights } from './nginx-round-robin.js';
import { NGINX_HASH_TRIES_MAX } from './nginx-ip-hash.js';

export function randomAlgo(pool: Pool, members: readonly number[], options: PickerOptions): TierAlgo {
  const two = hasFlag(options, 'two');
  const rr = new SmoothWeights(pool.size);
  let ranges: number[] = [];
  let total = 0;
  const rebuild = (): void => {
    ranges = [];
    total = 0;
    for (const i of members) {
      total += pool.weight[i] ?? 0;
      ranges.push(total);
    }
  };
  rebuild();

  /** Binary search over cumulative weights: the member whose range holds x. */
  const peek = (): number => {
    const x = options.prng.nextInt(total);
    let lo = 0;
    let hi = ranges.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (x < (ranges[mid] ?? 0)) hi = mid;
      else lo = mid + 1;
    }
    return members[lo] ?? -1;
  };

  return {
    changed: (what) => {
      if (what === 'weight') rebuild();
    },
    pick(ctx: PickContext) {
      const eligible = (i: number): boolean => i >= 0 && pool.eligible(i, ctx.exclude);
      if (total <= 0 || members.length < 2) return rr.pick(pool, members, eligible);
      let first: number | undefined;
      for (let tries = 0; tries <= NGINX_HASH_TRIES_MAX; tries++) {
        const i = peek();
        if (i === first || !eligible(i)) continue;
        if (!two) return i;
        if (first === undefined) {
          first = i;
          continue;
        }
        const lhs = (pool.conns[i] ?? 0) * (pool.weight[first] ?? 0);
        const rhs = (pool.conns[first] ?? 0) * (pool.weight[i] ?? 0);
        return lhs > rhs ? first : i;
      }
      return rr.pick(pool, members, eligible);
    },
  };
}

export function createRandom(backends: readonly PickerBackend[], options: PickerOptions): Picker {
  return tieredPicker(hasFlag(options, 'two') ? 'random two' : 'random', backends, options, randomAlgo);
}
