/**
 * nginx `hash KEY consistent` (ketama, compatible with Cache::Memcached::Fast). Each server gets
 * 160 points per unit of weight on a 32-bit ring:
 *
 *   base = crc32 state after HOST, "\0", PORT     (from the server as written: `10.0.0.1:8080`
 *                                                  gives host `10.0.0.1`, port `8080`; no port
 *                                                  gives an empty port; `unix:/p` gives host `/p`)
 *   point[j] = crc32_final(base + little-endian bytes of point[j-1])   (point[-1] = 0)
 *
 * Points are sorted and equal hashes kept once. A key hashes with plain crc32 and goes to the first
 * point at or after it (wrapping); a point whose server cannot be used passes to the next point,
 * at most once round the ring. Servers sharing a name (one name resolving to several addresses)
 * share its points and take turns by smooth weighted round robin. Adding a server moves only the
 * keys that now land on its points (about 1/n of them).
 */
import type { PickerBackend, PickerOptions, Picker, PickContext } from './picker.js';
import { tieredPicker, type Pool, type TierAlgo } from './pool.js';
import { crc32Final, crc32Init, crc32Update, crc32UpdateString, utf8 } from './hash.js';
import { SmoothWeights } from './nginx-round-robin.js';

export const KETAMA_POINTS_PER_WEIGHT = 160;

export interface RingPoint {
  readonly hash: number;
  readonly name: string;
}

/** Splits a server as written into nginx's host and port parts for point hashing. */
export function splitServerName(server: string): { host: string; port: string } {
  if (server.length >= 5 && server.slice(0, 5).toLowerCase() === 'unix:') return { host: server.slice(5), port: '' };
  for (let j = 0; j < server.length; j++) {
    const c = server.charCodeAt(server.length - j - 1);
    if (c === 0x3a /* : */) return { host: server.slice(0, server.length - j - 1), port: server.slice(server.length - j) };
    if (c < 0x30 || c > 0x39) break;
  }
  return { host: server, port: '' };
}

/** The ring points of one server: `weight * 160` of them. */
export function serverPoints(server: string, weight: number): number[] {
  const { host, port } = splitServerName(server);
  let base = crc32Init();
  base = crc32Update(base, utf8(host));
  base = crc32Update(base, new Uint8Array([0]));
  base = crc32Update(base, utf8(port));
  const out: number[] = [];
  const prev = new Uint8Array(4);
  let prevValue = 0;
  const n = weight * KETAMA_POINTS_PER_WEIGHT;
  for (let j = 0; j < n; j++) {
    prev[0] = prevValue & 0xff;
    prev[1] = (prevValue >>> 8) & 0xff;
    prev[2] = (prevValue >>> 16) & 0xff;
    prev[3] = (prevValue >>> 24) & 0xff;
    const h = crc32Final(crc32Update(base, prev));
    out.push(h);
    prevValue = h;
  }
  return out;
}

/** The sorted ring for `servers` (name, weight), equal hashes kept once (the first). */
export function buildRing(servers: readonly { name: string; weight: number }[]): RingPoint[] {
  const points: RingPoint[] = [];
  for (const s of servers) for (const h of serverPoints(s.name, s.weight)) points.push({ hash: h, name: s.name });
  // Stable sort keeps list order among equal hashes, so "the first" is the earlier server.
  points.sort((a, b) => a.hash - b.hash);
  const out: RingPoint[] = [];
  for (const p of points) if (out.length === 0 || out[out.length - 1]?.hash !== p.hash) out.push(p);
  return out;
}

/** Index of the first point whose hash is >= `hash` (points.length when past the last). */
export function findPoint(points: readonly RingPoint[], hash: number): number {
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((points[mid]?.hash ?? 0) < hash) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function chashAlgo(pool: Pool, members: readonly number[]): TierAlgo {
  let ring: RingPoint[] = [];
  const byName = new Map<string, number[]>();
  const rr = new SmoothWeights(pool.size);
  const rebuild = (): void => {
    byName.clear();
    for (const i of members) {
      const name = pool.names[i] ?? '';
      const list = byName.get(name);
      if (list === undefined) byName.set(name, [i]);
      else list.push(i);
    }
    // Points come from the configured membership and weights, not from health: a server that is
    // down keeps its points and its keys pass on to the next point while it is down.
    ring = buildRing(members.filter((i) => (pool.weight[i] ?? 0) > 0).map((i) => ({ name: pool.names[i] ?? '', weight: pool.weight[i] ?? 0 })));
  };
  rebuild();
  return {
    changed: (what) => {
      if (what === 'weight') rebuild();
    },
    pick(ctx: PickContext) {
      const eligible = (i: number): boolean => pool.eligible(i, ctx.exclude);
      const key = ctx.hashKey ?? '';
      if (key.length === 0 || members.length < 2 || ring.length === 0) return rr.pick(pool, members, eligible);
      let at = findPoint(ring, crc32Final(crc32UpdateString(crc32Init(), key)));
      // nginx walks at most the whole ring; a name's points repeat, so remember names seen bad.
      const bad = new Set<string>();
      for (let tries = 0; tries < ring.length; tries++) {
        const name = ring[at % ring.length]?.name ?? '';
        if (!bad.has(name)) {
          const found = rr.pick(pool, byName.get(name) ?? [], eligible);
          if (found !== undefined) return found;
          bad.add(name);
          if (bad.size >= byName.size) break;
        }
        at += 1;
      }
      // Every point's server refused: nginx answers "busy" (no live upstreams) here.
      return undefined;
    },
  };
}

export function createChash(backends: readonly PickerBackend[], options: PickerOptions): Picker {
  return tieredPicker('hash consistent', backends, options, chashAlgo);
}
