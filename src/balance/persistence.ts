/**
 * LVS persistence (keepalived `persistence_timeout` with `persistence_granularity`): a client,
 * its address masked by the granularity, keeps going to the backend it was first sent to while it
 * keeps coming back within the timeout. A wrapper around any picker: the wrapped algorithm decides
 * only for clients without a live entry.
 *
 * LVS keeps a connection template that lives `persistence_timeout` after it was last used; halo
 * keeps one entry per masked client, refreshed at every pick (the picker does not learn which
 * client a closing connection belonged to, so "last used" is the last new connection). An entry
 * is dropped, and the client decided anew, when its backend can no longer take the connection
 * (unavailable, weight 0, at max_conns, already tried for this request) or when it is a backup
 * and a primary is eligible again. The table is bounded: the least recently used entries go first.
 */
import type { Picker, PickerBackend, PickerFactory, PickerOptions, PickContext } from './picker.js';
import { cleanWeight, Pool } from './pool.js';
import { formatIpBytes, maskAddress, netmaskPrefix, parsePeerIp } from '../core/ip.js';

export interface PersistenceOptions {
  readonly timeoutMs: number;
  /** Prefix length applied to IPv4 clients (keepalived's netmask 255.255.255.0 is 24). */
  readonly ipv4PrefixLen?: number;
  /** Prefix length applied to IPv6 clients. */
  readonly ipv6PrefixLen?: number;
  /** Bound on remembered clients (65536 by default). */
  readonly entriesMax?: number;
}

export const PERSISTENCE_ENTRIES_MAX_DEFAULT = 65536;

/**
 * keepalived's `persistence_granularity` value: an IPv4 netmask (`255.255.255.0`) or a prefix
 * length (`24`, or up to `128` for IPv6 services). Returns undefined for anything else.
 */
export function parseGranularity(text: string): { ipv4PrefixLen?: number; ipv6PrefixLen?: number } | undefined {
  const fromMask = netmaskPrefix(text);
  if (fromMask !== undefined) return { ipv4PrefixLen: fromMask };
  if (!/^[0-9]{1,3}$/.test(text)) return undefined;
  const n = Number(text);
  if (n > 128) return undefined;
  return n <= 32 ? { ipv4PrefixLen: n, ipv6PrefixLen: n } : { ipv6PrefixLen: n };
}

interface Entry {
  readonly index: number;
  expiresAtMs: number;
}

export function withPersistence(factory: PickerFactory, persistence: PersistenceOptions): PickerFactory {
  return (backends: readonly PickerBackend[], options: PickerOptions): Picker => {
    const inner = factory(backends, options);
    const pool = new Pool(backends);
    const primaries: number[] = [];
    for (let i = 0; i < pool.size; i++) if (!pool.backup[i]) primaries.push(i);
    const timeoutMs = Math.max(0, persistence.timeoutMs);
    const v4Prefix = persistence.ipv4PrefixLen ?? 32;
    const v6Prefix = persistence.ipv6PrefixLen ?? 128;
    const entriesMax = Math.max(1, persistence.entriesMax ?? PERSISTENCE_ENTRIES_MAX_DEFAULT);
    const table = new Map<string, Entry>();

    const clientKey = (ip: string): string | undefined => {
      const bytes = parsePeerIp(ip);
      if (bytes === undefined) return undefined;
      return formatIpBytes(maskAddress(bytes, bytes.length === 4 ? v4Prefix : v6Prefix));
    };

    const usable = (i: number, ctx: PickContext): boolean => {
      if (!pool.eligible(i, ctx.exclude)) return false;
      return !(pool.backup[i] && pool.anyEligible(primaries, ctx.exclude));
    };

    const evict = (nowMs: number): void => {
      // Map keeps insertion order and a refresh re-inserts, so the oldest entries come first.
      let checked = 0;
      for (const [key, entry] of table) {
        if (table.size <= entriesMax && (entry.expiresAtMs > nowMs || checked >= 8)) break;
        table.delete(key);
        checked += 1;
      }
    };

    return {
      name: `${inner.name} persistent`,
      pick(ctx: PickContext): string | undefined {
        const key = ctx.clientIp === undefined || timeoutMs === 0 ? undefined : clientKey(ctx.clientIp);
        if (key === undefined) return inner.pick(ctx);
        const entry = table.get(key);
        if (entry !== undefined) {
          table.delete(key);
          if (entry.expiresAtMs > ctx.nowMs && usable(entry.index, ctx)) {
            entry.expiresAtMs = ctx.nowMs + timeoutMs;
            table.set(key, entry);
            return pool.ids[entry.index];
          }
        }
        const id = inner.pick(ctx);
        const index = id === undefined ? undefined : pool.indexOf(id);
        if (index !== undefined) {
          table.set(key, { index, expiresAtMs: ctx.nowMs + timeoutMs });
          evict(ctx.nowMs);
        }
        return id;
      },
      setAvailable(id, available) {
        const i = pool.indexOf(id);
        if (i !== undefined) pool.available[i] = available;
        inner.setAvailable(id, available);
      },
      setWeight(id, weight) {
        const i = pool.indexOf(id);
        if (i !== undefined) pool.weight[i] = cleanWeight(weight);
        inner.setWeight(id, weight);
      },
      connectionOpened(id) {
        const i = pool.indexOf(id);
        if (i !== undefined) pool.conns[i] = (pool.conns[i] ?? 0) + 1;
        inner.connectionOpened(id);
      },
      connectionClosed(id) {
        const i = pool.indexOf(id);
        if (i !== undefined && (pool.conns[i] ?? 0) > 0) pool.conns[i] = (pool.conns[i] ?? 0) - 1;
        inner.connectionClosed(id);
      },
    };
  };
}
