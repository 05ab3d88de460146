/**
 * LVS `dh` (destination hashing): the destination (here `ctx.hashKey`: the address or name a
 * request is for) picks one of 256 buckets with the kernel's `hash_32(addr)`; the buckets are dealt
 * to the backends one each in list order, round and round, weights ignored (as in LVS, where `dh`
 * is for cache clusters: one destination, one cache). A destination whose backend cannot take the
 * connection is refused; LVS `dh` has no fallback. Failed backends leave the table (keepalived
 * removes them from IPVS), which is rebuilt on every availability change.
 */
import type { PickerBackend, PickerOptions, Picker } from './picker.js';
import { tieredPicker, type Pool, type TierAlgo } from './pool.js';
import { hash32 } from './hash.js';
import { addressValue, SH_TABLE_BITS, SH_TABLE_SIZE } from './lvs-sh.js';

export function dhAlgo(pool: Pool, members: readonly number[]): TierAlgo {
  const table = new Int32Array(SH_TABLE_SIZE).fill(-1);
  const rebuild = (): void => {
    const inTable = members.filter((i) => pool.available[i]);
    table.fill(-1);
    if (inTable.length === 0) return;
    for (let b = 0; b < SH_TABLE_SIZE; b++) table[b] = inTable[b % inTable.length] ?? -1;
  };
  rebuild();
  return {
    changed: rebuild,
    pick(ctx) {
      const i = table[hash32(addressValue(ctx.hashKey), SH_TABLE_BITS)] ?? -1;
      return i >= 0 && pool.eligible(i, ctx.exclude) ? i : undefined;
    },
  };
}

export function createDh(backends: readonly PickerBackend[], options: PickerOptions): Picker {
  return tieredPicker('dh', backends, options, dhAlgo);
}
