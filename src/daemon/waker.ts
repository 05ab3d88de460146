/**
 * How the runtime sleeps: it asks to be woken at a time of its Clock. Production uses Node's
 * timers; the simulator implements this on its own event queue, so the same runtime runs in both.
 */
import type { Clock } from '../core/clock.js';

export interface Waker {
  /**
   * Replaces any earlier request: call `onWake` once the clock reads `atMs` or later. `coarse`:
   * a millisecond or two late is fine (a fallback behind a takeover another thread carries out),
   * so the waker must not hold the thread in a kernel sleep or a polling loop for precision.
   */
  wakeAt(atMs: number, onWake: () => void, coarse?: boolean): void;
  cancel(): void;
}

/** The timer functions TimerWaker uses; Node's by default, a fake scheduler in tests. */
export interface TimerFunctions {
  setTimeout(fn: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
  setImmediate(fn: () => void): unknown;
  clearImmediate(handle: unknown): void;
  /** Blocks the thread for `ms` (a fraction of a millisecond is honoured), sleeping in the kernel. */
  sleep(ms: number): void;
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

const nodeTimers: TimerFunctions = {
  setTimeout: (fn, delayMs) => setTimeout(fn, delayMs),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  setImmediate: (fn) => setImmediate(fn),
  clearImmediate: (h) => clearImmediate(h as ReturnType<typeof setImmediate>),
  // a futex wait with a timeout: nobody ever notifies the cell, so it returns at the timeout
  sleep: (ms) => void Atomics.wait(sleepCell, 0, 0, ms),
};

/**
 * How long before a deadline the waker stops trusting setTimeout and sleeps the rest in the
 * kernel instead. Node's timers run on libuv's millisecond loop clock, cached at the start of a
 * loop turn and truncated, so a timer fires up to a millisecond early or one or two late, and a
 * re-armed `setTimeout(fn, 1)` adds another whole millisecond. Measured in the failover lab: a
 * backup's Master_Down timer fired 0.7–2.9 ms after its deadline with plain timers. keepalived
 * sleeps in epoll with microsecond deadlines. halo sleeps most of the last stretch with a futex wait
 * (`Atomics.wait` with a fractional timeout) and polls the clock once per event-loop turn only for
 * the final SPIN_MS, each turn serving the packets that came in meanwhile, so an advert that
 * arrived just before the deadline still resets the timer. An earlier version polled the whole
 * 2 ms; under CPU contention the scheduler preempts a polling process (it has used its share)
 * where it favours one waking from sleep, and the new master's first advert came 1–3 ms after
 * keepalived's.
 */
export const WAKE_EARLY_MS = 2;
/** The last stretch before a deadline that is polled rather than slept (see TimerWaker). */
export const SPIN_MS = 0.3;

/** Bound on turns for one deadline (a stuck clock must not spin forever). */
const POLL_TURNS_MAX = 1_000_000;

/** Node's timers and a kernel sleep against a monotonic Clock: never before the deadline, rarely later than ~0.1 ms. */
export class TimerWaker implements Waker {
  private timeout: unknown;
  private immediate: unknown;

  constructor(
    private readonly clock: Clock,
    private readonly timers: TimerFunctions = nodeTimers,
    private readonly earlyMs: number = WAKE_EARLY_MS,
  ) {}

  wakeAt(atMs: number, onWake: () => void, coarse = false): void {
    this.cancel();
    let turns = 0;
    const check = (first: boolean): void => {
      this.timeout = undefined;
      this.immediate = undefined;
      const leftMs = atMs - this.clock.nowMs();
      // Protocol timers must never fire early (RFC 5798 §6.4: the timer "fires" once it expires).
      // The callback never runs inside wakeAt itself: the runtime calls wakeAt while it re-arms.
      if (!first && (leftMs <= 0 || ++turns > POLL_TURNS_MAX)) {
        onWake();
        return;
      }
      if (coarse) {
        // One timer, no kernel sleep; it fires from an immediate, so the loop's poll phase between
        // the timer and the immediate delivers the packets that came in meanwhile first.
        this.timeout = this.timers.setTimeout(() => {
          this.timeout = undefined;
          this.immediate = this.timers.setImmediate(() => check(false));
        }, Math.max(1, Math.ceil(leftMs)));
        return;
      }
      if (leftMs > this.earlyMs) {
        // Sleep until `earlyMs` before the deadline; the floor keeps the timer from overshooting.
        this.timeout = this.timers.setTimeout(() => check(false), Math.floor(leftMs - this.earlyMs));
        return;
      }
      // Never block inside wakeAt (the runtime calls it while handling an event). From a timer or
      // immediate, sleep to SPIN_MS before the deadline (a futex wait ends 0.1-0.4 ms late on this
      // class of machine), then poll the clock once per loop turn for the rest: each turn's poll
      // phase delivers what arrived meanwhile before the timer fires.
      if (!first && leftMs > SPIN_MS) this.timers.sleep(leftMs - SPIN_MS);
      this.immediate = this.timers.setImmediate(() => check(false));
    };
    check(true);
  }

  cancel(): void {
    if (this.timeout !== undefined) this.timers.clearTimeout(this.timeout);
    if (this.immediate !== undefined) this.timers.clearImmediate(this.immediate);
    this.timeout = undefined;
    this.immediate = undefined;
  }
}
