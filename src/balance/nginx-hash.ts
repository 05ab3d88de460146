/**
 * nginx `hash KEY` (ngx_http_upstream_hash_module, without `consistent`). The key (already
 * evaluated by the proxy, e.g. `$request_uri`) is hashed the way Cache::Memcached does, which is
 * what nginx documents:
 *
 *   h = ((crc32([REHASH] KEY) >> 16) & 0x7fff) + PREV,   REHASH = decimal try number, omitted
 *   at the first try;  w = h % total_weight, then walk the servers by weight.
 *
 * A server that cannot be used makes the next try; after 20 nginx uses round robin. An empty key,
 * or a single server, goes straight to round robin, as in nginx.
 */
import type { PickerBackend, PickerOptions, Picker, PickContext } from './picker.js';
import { tieredPicker, type Pool, type TierAlgo } from './pool.js';
import { crc32Final, crc32Init, crc32UpdateString } from './hash.js';
import { NGINX_HASH_TRIES_MAX, totalWeight, walkWeights } from './nginx-ip-hash.js';
import { SmoothWeights } from './nginx-round-robin.js';

/** The hash value nginx reaches for `key` at try number `rehash` (0 = first), given the previous. */
export function nginxKeyHash(key: string, rehash: number, previous: number): number {
  let crc = crc32Init();
  if (rehash > 0) crc = crc32UpdateString(crc, String(rehash));
  crc = crc32Final(crc32UpdateString(crc, key));
  return previous + ((crc >>> 16) & 0x7fff);
}

export function hashAlgo(pool: Pool, members: readonly number[]): TierAlgo {
  const rr = new SmoothWeights(pool.size);
  return {
    pick(ctx: PickContext) {
      const eligible = (i: number): boolean => pool.eligible(i, ctx.exclude);
      const key = ctx.hashKey ?? '';
      const total = totalWeight(pool, members);
      if (key.length === 0 || members.length < 2 || total <= 0) return rr.pick(pool, members, eligible);
      let hash = 0;
      for (let rehash = 0; rehash <= NGINX_HASH_TRIES_MAX; rehash++) {
        hash = nginxKeyHash(key, rehash, hash);
        const i = walkWeights(pool, members, hash, total);
        if (i !== undefined && eligible(i)) return i;
      }
      return rr.pick(pool, members, eligible);
    },
  };
}

export function createHash(backends: readonly PickerBackend[], options: PickerOptions): Picker {
  return tieredPicker('hash', backends, options, hashAlgo);
}
