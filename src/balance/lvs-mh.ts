/**
 * LVS `mh` (Maglev hashing, Eisenbud et al., NSDI 2016, section 3.4): a lookup table of prime size
 * M (65521 by default, as LVS) is filled by letting each backend claim slots in the order of its
 * own permutation of 0..M-1 (`offset + j * skip mod M`, offset and skip from two hashes of the
 * backend's name), in turns, until every slot is taken. Each backend takes weight / gcd(weights)
 * slots per turn, so table shares follow the weights; removing one backend moves only the keys it
 * held (plus a small fraction, the paper's "minimal disruption").
 *
 * The client address (and port with `mh-port`) hashes to a slot. As with `sh`, failed backends
 * leave the table (rebuilt on every availability or weight change); a slot whose backend cannot
 * take the connection refuses it, unless `mh-fallback` is set: then the following slots are tried
 * in order (LVS rehashes instead; both are deterministic, and Maglev's interleaving spreads the
 * moved keys either way).
 */
import type { PickerBackend, PickerOptions, Picker } from './picker.js';
import { gcd, hasFlag, tableSlotPick, tieredPicker, type Pool, type TierAlgo } from './pool.js';
import { parsePeerIp } from '../core/ip.js';
import { hashBytes, hashString, utf8 } from './hash.js';

export const MH_TABLE_SIZE_DEFAULT = 65521;
/** Bounds the table (memory M * 4 bytes, rebuild time about M log M). */
export const MH_TABLE_SIZE_MAX = 1_048_573;

export function isPrime(n: number): boolean {
  if (!Number.isInteger(n) || n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

/** The smallest prime >= n (at least 3, at most MH_TABLE_SIZE_MAX). */
export function primeAtLeast(n: number): number {
  let p = Math.max(3, Math.min(Math.floor(Number.isFinite(n) ? n : MH_TABLE_SIZE_DEFAULT), MH_TABLE_SIZE_MAX));
  while (!isPrime(p)) p += 1;
  return p;
}

/**
 * Fills a Maglev table: `names[k]` claims `turns[k]` slots per round. Returns slot → k (or -1 when
 * there is nobody to place).
 */
export function maglevTable(names: readonly string[], turns: readonly number[], size: number): Int32Array {
  const table = new Int32Array(size).fill(-1);
  const n = names.length;
  if (n === 0) return table;
  // Backend k visits slots offset, offset + skip, offset + 2 skip, ... (mod size): its
  // permutation. `at[k]` is where it stands; stepping by addition avoids big products.
  const at = new Int32Array(n);
  const skip = new Int32Array(n);
  names.forEach((name, k) => {
    at[k] = hashString(name, 0x4d41474c) % size;
    skip[k] = (hashString(name, 0x534b4950) % (size - 1)) + 1;
  });
  let filled = 0;
  // Every permutation visits every slot, so each claim ends within `size` steps.
  while (filled < size) {
    let placedThisRound = 0;
    for (let k = 0; k < n && filled < size; k++) {
      const step = skip[k] ?? 1;
      let c = at[k] ?? 0;
      for (let t = 0; t < (turns[k] ?? 0) && filled < size; t++) {
        while ((table[c] ?? -1) >= 0) {
          c += step;
          if (c >= size) c -= size;
        }
        table[c] = k;
        c += step;
        if (c >= size) c -= size;
        filled += 1;
        placedThisRound += 1;
      }
      at[k] = c;
    }
    if (placedThisRound === 0) break;
  }
  return table;
}

export function mhAlgo(pool: Pool, members: readonly number[], options: PickerOptions): TierAlgo {
  const usePort = hasFlag(options, 'mh-port');
  const fallback = hasFlag(options, 'mh-fallback');
  const size = primeAtLeast(options.tableSize ?? MH_TABLE_SIZE_DEFAULT);
  let table = new Int32Array(size).fill(-1);

  const rebuild = (): void => {
    const inTable = members.filter((i) => pool.available[i] && (pool.weight[i] ?? 0) > 0);
    let g = 0;
    for (const i of inTable) g = gcd(g, pool.weight[i] ?? 0);
    // Turns per round are weight / gcd, capped so that one heavy backend cannot make a round
    // longer than the table (the shares stay proportional within the cap).
    const maxTurns = Math.max(1, Math.floor(size / Math.max(1, inTable.length)));
    const turns = inTable.map((i) => Math.min(maxTurns, Math.max(1, Math.floor((pool.weight[i] ?? 0) / Math.max(1, g)))));
    const byMember = maglevTable(inTable.map((i) => pool.ids[i] ?? ''), turns, size);
    table = byMember.map((k) => (k >= 0 ? (inTable[k] ?? -1) : -1));
  };
  rebuild();

  const keyBytes = (clientIp: string | undefined, port: number): Uint8Array => {
    const addr = clientIp === undefined ? new Uint8Array(0) : (parsePeerIp(clientIp) ?? utf8(clientIp));
    if (!usePort) return addr;
    const out = new Uint8Array(addr.length + 2);
    out.set(addr);
    out[addr.length] = (port >> 8) & 0xff;
    out[addr.length + 1] = port & 0xff;
    return out;
  };

  return {
    changed: rebuild,
    pick(ctx) {
      const slot = hashBytes(keyBytes(ctx.clientIp, ctx.clientPort ?? 0), 0x4c4f4f4b) % size;
      return tableSlotPick(pool, table, slot, fallback, ctx.exclude);
    },
  };
}

export function createMh(backends: readonly PickerBackend[], options: PickerOptions): Picker {
  return tieredPicker('mh', backends, options, mhAlgo);
}
