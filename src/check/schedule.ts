/**
 * Probe scheduling, pure: when each checker is probed. Randomness comes from an injected Prng.
 *
 * - keepalived's `warmup`: the first check of each checker waits a random time in [0, warmup]
 *   (by default warmup = delay_loop), so checkers started together do not fire together.
 * - halo's `even` spread: checker i of n starts at i × min(warmup, delay_loop) / n, which spreads
 *   1,000 checkers evenly over the period instead of leaving random clumps.
 * - After a probe ends, the next one is due `delay_loop` later, or `delay_before_retry` while a
 *   failure of a live server is being retried (keepalived measures from the end of a check too).
 * - halo's `jitter`: every period is stretched or shrunk by up to jitterPermille/1000, so that
 *   checkers do not lock into step over time.
 */
import type { Prng } from '../core/prng.js';
import type { NextProbe } from './policy.js';
import type { CommonCheckOptions } from './spec.js';

export type SpreadMode = 'random' | 'even';

export function initialDelayMs(spec: CommonCheckOptions, prng: Prng, mode: SpreadMode, index: number, count: number): number {
  const windowMs = Math.min(spec.warmupMs, spec.delayLoopMs);
  if (windowMs <= 0) return 0;
  if (mode === 'even') return count > 0 ? Math.floor((Math.max(0, index) % count) * (windowMs / count)) : 0;
  return prng.nextInt(windowMs + 1);
}

export function jittered(baseMs: number, jitterPermille: number, prng: Prng): number {
  if (jitterPermille <= 0 || baseMs <= 0) return baseMs;
  const spanMs = (baseMs * jitterPermille) / 1000;
  const offsetMs = (prng.nextFloat() * 2 - 1) * spanMs;
  return Math.max(1, Math.round(baseMs + offsetMs));
}

export function nextDelayMs(spec: CommonCheckOptions, next: NextProbe, prng: Prng): number {
  const base = next === 'retry' ? spec.delayBeforeRetryMs : spec.delayLoopMs;
  return jittered(base, spec.jitterPermille, prng);
}

/**
 * A min-heap of deadlines keyed by a small integer (a checker's index): the runner keeps one timer
 * for the earliest deadline instead of one timer per checker. Each key is in the queue at most
 * once, so the heap is bounded by the number of checkers.
 */
export class DueQueue {
  private readonly heap: number[] = [];
  private readonly due: number[] = [];
  private readonly pos: number[] = [];

  get size(): number {
    return this.heap.length;
  }

  /** Sets (or moves) the deadline of `key`. */
  set(key: number, dueMs: number): void {
    this.due[key] = dueMs;
    const p = this.pos[key];
    if (p !== undefined && p >= 0) {
      this.up(p);
      this.down(p);
      return;
    }
    this.heap.push(key);
    this.pos[key] = this.heap.length - 1;
    this.up(this.heap.length - 1);
  }

  delete(key: number): void {
    const p = this.pos[key];
    if (p === undefined || p < 0) return;
    const last = this.heap.pop() as number;
    this.pos[key] = -1;
    if (p < this.heap.length) {
      this.heap[p] = last;
      this.pos[last] = p;
      this.up(p);
      this.down(p);
    }
  }

  has(key: number): boolean {
    const p = this.pos[key];
    return p !== undefined && p >= 0;
  }

  peekDueMs(): number | undefined {
    const k = this.heap[0];
    return k === undefined ? undefined : this.due[k];
  }

  /** Removes and returns the keys due at or before nowMs, at most `max` of them, earliest first. */
  popDue(nowMs: number, max: number): number[] {
    const out: number[] = [];
    while (out.length < max) {
      const k = this.heap[0];
      if (k === undefined || (this.due[k] ?? Infinity) > nowMs) break;
      this.delete(k);
      out.push(k);
    }
    return out;
  }

  private less(a: number, b: number): boolean {
    return (this.due[this.heap[a] as number] as number) < (this.due[this.heap[b] as number] as number);
  }

  private swap(a: number, b: number): void {
    const ka = this.heap[a] as number;
    const kb = this.heap[b] as number;
    this.heap[a] = kb;
    this.heap[b] = ka;
    this.pos[kb] = a;
    this.pos[ka] = b;
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const n = this.heap.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(l, m)) m = l;
      if (r < n && this.less(r, m)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}
