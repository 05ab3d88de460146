/**
 * nginx `ip_hash` (ngx_http_upstream_ip_hash_module). The key is the first three octets of an IPv4
 * client address (so a whole /24 goes to one server) or all sixteen octets of an IPv6 one; a client
 * that is not an IP client hashes as 0.0.0 as nginx's pseudo address does.
 *
 *   hash = 89; for each key byte: hash = (hash * 113 + byte) % 6271
 *   w = hash % total_weight, then walk the servers subtracting weights until w < weight
 *
 * The total weight is over every primary server whatever its state, so a server going down moves
 * only its own clients. When the server found cannot be used (down, drained, at max_conns, already
 * tried) the hash is mixed again from where it stands and the walk retried; after 20 retries nginx
 * falls back to round robin, and so does halo.
 */
import type { PickerBackend, PickerOptions, Picker, PickContext } from './picker.js';
import { tieredPicker, type Pool, type TierAlgo } from './pool.js';
import { parsePeerIp } from '../core/ip.js';
import { SmoothWeights } from './nginx-round-robin.js';

/** nginx gives up rehashing after this many tries and uses round robin. */
export const NGINX_HASH_TRIES_MAX = 20;

const PSEUDO_ADDR = new Uint8Array([0, 0, 0]);

/** The bytes nginx hashes for a client: 3 for IPv4, 16 for IPv6. */
export function ipHashKey(clientIp: string | undefined): Uint8Array {
  if (clientIp === undefined) return PSEUDO_ADDR;
  const bytes = parsePeerIp(clientIp);
  if (bytes === undefined) return PSEUDO_ADDR;
  return bytes.length === 4 ? bytes.slice(0, 3) : bytes;
}

/** Index (into `members`) of the server that a hash value lands on by weight, as nginx walks. */
export function walkWeights(pool: Pool, members: readonly number[], hash: number, totalWeight: number): number | undefined {
  let w = hash % totalWeight;
  for (const i of members) {
    const weight = pool.weight[i] ?? 0;
    if (w < weight) return i;
    w -= weight;
  }
  return undefined;
}

export function totalWeight(pool: Pool, members: readonly number[]): number {
  let total = 0;
  for (const i of members) total += pool.weight[i] ?? 0;
  return total;
}

export function ipHashAlgo(pool: Pool, members: readonly number[]): TierAlgo {
  const rr = new SmoothWeights(pool.size);
  return {
    pick(ctx: PickContext) {
      const eligible = (i: number): boolean => pool.eligible(i, ctx.exclude);
      const total = totalWeight(pool, members);
      if (members.length < 2 || total <= 0) return rr.pick(pool, members, eligible);
      const key = ipHashKey(ctx.clientIp);
      let hash = 89;
      for (let tries = 0; tries <= NGINX_HASH_TRIES_MAX; tries++) {
        for (let b = 0; b < key.length; b++) hash = (hash * 113 + (key[b] ?? 0)) % 6271;
        const i = walkWeights(pool, members, hash, total);
        if (i !== undefined && eligible(i)) return i;
      }
      return rr.pick(pool, members, eligible);
    },
  };
}

export function createIpHash(backends: readonly PickerBackend[], options: PickerOptions): Picker {
  return tieredPicker('ip_hash', backends, options, ipHashAlgo);
}
