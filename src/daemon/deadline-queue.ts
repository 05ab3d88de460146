/**
 * The runtime's deadlines: one per (instance, timer) key, earliest first. Setting a key again
 * replaces its deadline, so a timer can never fire twice. The queue is bounded: halo knows how
 * many instances it runs and each has a fixed set of timers, so a full queue is a bug, reported
 * to the caller as `false` rather than a silently growing array.
 *
 * Entries are kept sorted in an array: the runtime holds a few timers per instance (hundreds at
 * most), where a linear insert beats a heap's bookkeeping and keeps the order obvious. Equal
 * deadlines fire in the order they were set, which keeps the simulator deterministic.
 */
export interface Deadline<K extends string> {
  readonly key: K;
  readonly atMs: number;
  readonly seq: number;
}

export class DeadlineQueue<K extends string = string> {
  private readonly entries: Deadline<K>[] = [];
  private seq = 0;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.entries.length;
  }

  /** Sets or replaces the deadline of `key`. Returns false (and changes nothing) when full. */
  set(key: K, atMs: number): boolean {
    const existing = this.entries.findIndex((e) => e.key === key);
    if (existing >= 0) this.entries.splice(existing, 1);
    else if (this.entries.length >= this.capacity) return false;
    const entry: Deadline<K> = { key, atMs, seq: this.seq++ };
    let i = this.entries.length;
    while (i > 0) {
      const prev = this.entries[i - 1];
      if (prev === undefined || prev.atMs <= atMs) break;
      i--;
    }
    this.entries.splice(i, 0, entry);
    return true;
  }

  cancel(key: K): boolean {
    const i = this.entries.findIndex((e) => e.key === key);
    if (i < 0) return false;
    this.entries.splice(i, 1);
    return true;
  }

  has(key: K): boolean {
    return this.entries.some((e) => e.key === key);
  }

  peek(): Deadline<K> | undefined {
    return this.entries[0];
  }

  /** Removes and returns the earliest deadline if it is due at `nowMs`. */
  popDue(nowMs: number): Deadline<K> | undefined {
    const first = this.entries[0];
    if (first === undefined || first.atMs > nowMs) return undefined;
    this.entries.shift();
    return first;
  }

  clear(): void {
    this.entries.length = 0;
  }
}
