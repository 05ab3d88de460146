/**
 * LVS `sh` (source hashing): the client address picks one of 256 buckets with the kernel's
 * `hash_32(port + addr)` (the port only with the `sh-port` flag, IPv6 addresses folded to 32 bits
 * by XOR); buckets are dealt to the backends in list order, each taking as many consecutive buckets
 * as its weight, round and round until all 256 are dealt (a weight-0 backend still gets one per
 * round, as in the kernel, and refuses what lands there).
 *
 * Failed backends are not in the table: keepalived removes a failed real server from IPVS, which
 * rebuilds the table, and halo does the same on an availability change. A client whose bucket is
 * unusable (weight 0, at `max_conns`, already tried) is refused, unless `sh-fallback` is set: then
 * the next buckets are tried in order until a usable one is found.
 */
import type { PickerBackend, PickerOptions, Picker, PickContext } from './picker.js';
import { hasFlag, tableSlotPick, tieredPicker, type Pool, type TierAlgo } from './pool.js';
import { foldAddress, parsePeerIp } from '../core/ip.js';
import { hash32, hashString } from './hash.js';

export const SH_TABLE_BITS = 8;
export const SH_TABLE_SIZE = 1 << SH_TABLE_BITS;

/** A client address as the 32-bit value LVS hashes (non-address text gets a stable string hash). */
export function addressValue(text: string | undefined): number {
  if (text === undefined) return 0;
  const bytes = parsePeerIp(text);
  return bytes === undefined ? hashString(text, 0) : foldAddress(bytes);
}

export function shBucket(ctx: PickContext, usePort: boolean): number {
  const port = usePort ? (ctx.clientPort ?? 0) & 0xffff : 0;
  return hash32((addressValue(ctx.clientIp) + port) >>> 0, SH_TABLE_BITS);
}

export function shAlgo(pool: Pool, members: readonly number[], options: PickerOptions): TierAlgo {
  const usePort = hasFlag(options, 'sh-port');
  const fallback = hasFlag(options, 'sh-fallback');
  const table = new Int32Array(SH_TABLE_SIZE).fill(-1);

  const rebuild = (): void => {
    const inTable = members.filter((i) => pool.available[i]);
    table.fill(-1);
    if (inTable.length === 0) return;
    let p = 0;
    let dealt = 0;
    for (let b = 0; b < SH_TABLE_SIZE; b++) {
      const i = inTable[p] ?? -1;
      table[b] = i;
      dealt += 1;
      if (dealt >= (pool.weight[i] ?? 0)) {
        p = (p + 1) % inTable.length;
        dealt = 0;
      }
    }
  };
  rebuild();

  return {
    changed: rebuild,
    pick(ctx) {
      return tableSlotPick(pool, table, shBucket(ctx, usePort), fallback, ctx.exclude);
    },
  };
}

export function createSh(backends: readonly PickerBackend[], options: PickerOptions): Picker {
  return tieredPicker('sh', backends, options, shAlgo);
}
