/**
 * What every picker shares: the backends' live facts (availability, weight, open connections) and
 * the split into primaries and backups. An algorithm (one file each in this folder) sees one tier
 * at a time and returns an index into the pool; `tieredPicker` turns it into a `Picker`.
 *
 * Backups follow nginx: the backup servers are asked only when the primary tier has no eligible
 * server (all down, drained, at `max_conns` or already tried for this request); nginx keeps a
 * separate round-robin state for them, and so do we (one algorithm instance per tier). LVS has no
 * backups; halo applies the same rule to its algorithms.
 */
import type { Picker, PickerBackend, PickContext, PickerOptions } from './picker.js';

export class Pool {
  readonly ids: readonly string[];
  /** The server as written in the config (nginx consistent hash places points from it). */
  readonly names: readonly string[];
  readonly backup: readonly boolean[];
  readonly maxConns: readonly number[];
  readonly weight: number[];
  readonly available: boolean[];
  /** Open connections (or in-flight requests) per backend, as the data plane reports them. */
  readonly conns: number[];
  private readonly index = new Map<string, number>();

  constructor(backends: readonly PickerBackend[]) {
    this.ids = backends.map((b) => b.id);
    this.names = backends.map((b) => b.name ?? b.id);
    this.backup = backends.map((b) => b.backup);
    this.maxConns = backends.map((b) => (Number.isFinite(b.maxConns) && b.maxConns > 0 ? Math.floor(b.maxConns) : 0));
    this.weight = backends.map((b) => cleanWeight(b.weight));
    // Backends start available, as nginx's servers do; health and admin state arrive as events.
    this.available = backends.map(() => true);
    this.conns = backends.map(() => 0);
    backends.forEach((b, i) => {
      // A duplicated id keeps its first position: events for it address that one.
      if (!this.index.has(b.id)) this.index.set(b.id, i);
    });
  }

  get size(): number {
    return this.ids.length;
  }

  indexOf(id: string): number | undefined {
    return this.index.get(id);
  }

  /** Whether a new connection may go to backend `i` at all, before any algorithm's own rule. */
  eligible(i: number, exclude: ReadonlySet<string> | undefined): boolean {
    if (!this.available[i]) return false;
    if (!((this.weight[i] ?? 0) > 0)) return false;
    const max = this.maxConns[i] ?? 0;
    if (max > 0 && (this.conns[i] ?? 0) >= max) return false;
    if (exclude !== undefined && exclude.size > 0 && exclude.has(this.ids[i] ?? '')) return false;
    return true;
  }

  anyEligible(members: readonly number[], exclude: ReadonlySet<string> | undefined): boolean {
    for (const i of members) if (this.eligible(i, exclude)) return true;
    return false;
  }
}

/** Weights are non-negative integers; anything else (NaN, negative, fractions) is cleaned here. */
export function cleanWeight(weight: number): number {
  if (!Number.isFinite(weight) || weight <= 0) return 0;
  return Math.min(Math.floor(weight), 0x7fffffff);
}

/** One algorithm's state over one tier (the primaries, or the backups) of a pool. */
export interface TierAlgo {
  /** Index into the pool of the chosen backend, or undefined. Only eligible backends are chosen. */
  pick(ctx: PickContext): number | undefined;
  /** Called after a weight or availability change, for algorithms that precompute tables. */
  changed?(what: 'weight' | 'available'): void;
}

export type TierAlgoFactory = (pool: Pool, members: readonly number[], options: PickerOptions) => TierAlgo;

export interface TieredPicker extends Picker {
  /** The shared facts, for wrappers (persistence) and tests. */
  readonly pool: Pool;
}

export function tieredPicker(
  name: string,
  backends: readonly PickerBackend[],
  options: PickerOptions,
  factory: TierAlgoFactory,
): TieredPicker {
  const pool = new Pool(backends);
  const primaries: number[] = [];
  const backups: number[] = [];
  for (let i = 0; i < pool.size; i++) (pool.backup[i] ? backups : primaries).push(i);
  const primaryAlgo = factory(pool, primaries, options);
  const backupAlgo = backups.length > 0 ? factory(pool, backups, options) : undefined;

  const changed = (what: 'weight' | 'available'): void => {
    primaryAlgo.changed?.(what);
    backupAlgo?.changed?.(what);
  };

  return {
    name,
    pool,
    pick(ctx: PickContext): string | undefined {
      const exclude = ctx.exclude;
      if (pool.anyEligible(primaries, exclude)) {
        // Some algorithms (LVS sh/dh without fallback) refuse a client whose bucket is unusable
        // even though other primaries are fine; that refusal stands, backups are not asked.
        const i = primaryAlgo.pick(ctx);
        return i === undefined ? undefined : pool.ids[i];
      }
      if (backupAlgo === undefined || !pool.anyEligible(backups, exclude)) return undefined;
      const i = backupAlgo.pick(ctx);
      return i === undefined ? undefined : pool.ids[i];
    },
    setAvailable(id: string, available: boolean): void {
      const i = pool.indexOf(id);
      if (i === undefined || pool.available[i] === available) return;
      pool.available[i] = available;
      changed('available');
    },
    setWeight(id: string, weight: number): void {
      const i = pool.indexOf(id);
      const w = cleanWeight(weight);
      if (i === undefined || pool.weight[i] === w) return;
      pool.weight[i] = w;
      changed('weight');
    },
    connectionOpened(id: string): void {
      const i = pool.indexOf(id);
      if (i !== undefined) pool.conns[i] = (pool.conns[i] ?? 0) + 1;
    },
    connectionClosed(id: string): void {
      const i = pool.indexOf(id);
      // Never below zero: a close reported after a reload rebuilt the pool must not go negative.
      if (i !== undefined && (pool.conns[i] ?? 0) > 0) pool.conns[i] = (pool.conns[i] ?? 0) - 1;
    },
  };
}

export function gcd(a: number, b: number): number {
  let x = Math.abs(a);
  let y = Math.abs(b);
  while (y !== 0) {
    const t = x % y;
    x = y;
    y = t;
  }
  return x;
}

export function hasFlag(options: PickerOptions, flag: string): boolean {
  return options.flags?.has(flag) ?? false;
}

/**
 * The eligible member with the highest weight that `accept` lets through (all when not given); a
 * tie keeps the first in list order. LVS `fo` uses it as is, `ovf` with "active <= weight".
 */
export function highestWeight(
  pool: Pool,
  members: readonly number[],
  exclude: ReadonlySet<string> | undefined,
  accept?: (i: number, weight: number) => boolean,
): number | undefined {
  let best: number | undefined;
  let bestWeight = 0;
  for (const i of members) {
    if (!pool.eligible(i, exclude)) continue;
    const w = pool.weight[i] ?? 0;
    if (accept !== undefined && !accept(i, w)) continue;
    if (w > bestWeight) {
      best = i;
      bestWeight = w;
    }
  }
  return best;
}

/**
 * The eligible member with the smallest `overhead(i) / weight`, compared by cross-multiplying as
 * LVS does (`loh * weight > doh * lweight`), so there is no division and a tie keeps the first in
 * list order. LVS `wlc` (overhead = conns * 256) and `sed` (overhead = conns + 1) differ only in
 * the overhead.
 */
export function leastOverheadPerWeight(
  pool: Pool,
  members: readonly number[],
  exclude: ReadonlySet<string> | undefined,
  overhead: (i: number) => number,
): number | undefined {
  let best: number | undefined;
  let bestOverhead = 0;
  let bestWeight = 0;
  for (const i of members) {
    if (!pool.eligible(i, exclude)) continue;
    const oh = overhead(i);
    const w = pool.weight[i] ?? 0;
    if (best === undefined || bestOverhead * w > oh * bestWeight) {
      best = i;
      bestOverhead = oh;
      bestWeight = w;
    }
  }
  return best;
}

/**
 * The backend in lookup-table slot `start`, or with `fallback` the first eligible one in the slots
 * after it (wrapping, the whole table at most), as LVS `sh-fallback` and `mh-fallback` do. An empty
 * slot (-1: no backend in the table) or an ineligible one without fallback gives undefined.
 */
export function tableSlotPick(
  pool: Pool,
  table: ArrayLike<number>,
  start: number,
  fallback: boolean,
  exclude: ReadonlySet<string> | undefined,
): number | undefined {
  const size = table.length;
  const tries = fallback ? size : 1;
  for (let k = 0; k < tries; k++) {
    const i = table[(start + k) % size] ?? -1;
    if (i < 0) return undefined;
    if (pool.eligible(i, exclude)) return i;
  }
  return undefined;
}
