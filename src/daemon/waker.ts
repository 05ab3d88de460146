/**
 * How the runtime sleeps: it asks to be woken at a time of its Clock. Production uses Node's
 * timers; the simulator implements this on its own event queue, so the same runtime runs in both.
 */
import type { Clock } from '../core/clock.js';

export interface Waker {
  /** Replaces any earlier request: call `onWake` once the clock reads `atMs` or later. */
  wakeAt(atMs: number, onWake: () => void): void;
  cancel(): void;
}

/** The timer functions TimerWaker uses; Node's by default, a fake scheduler in tests. */
export interface TimerFunctions {
  setTimeout(fn: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
  setImmediate(fn: () => void): unknown;
  clearImmediate(handle: unknown): void;
}

const nodeTimers: TimerFunctions = {
  setTimeout: (fn, delayMs) => setTimeout(fn, delayMs),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  setImmediate: (fn) => setImmediate(fn),
  clearImmediate: (h) => clearImmediate(h as ReturnType<typeof setImmediate>),
};

/**
 * How long before a deadline the waker stops trusting setTimeout and polls the clock once per
 * event-loop turn instead. Node's timers run on libuv's millisecond loop clock, cached at the
 * start of a loop turn and truncated, so a timer fires up to a millisecond early or one or two
 * late, and a re-armed `setTimeout(fn, 1)` adds another whole millisecond. Measured in the failover
 * lab: a backup's Master_Down timer fired 0.7–2.9 ms after its deadline with plain timers. keepalived
 * sleeps in epoll with microsecond deadlines; polling the last 2 ms through setImmediate (which
 * still serves I/O between checks) gets halo there at the cost of at most 2 ms of busy loop per
 * deadline in a process that does nothing else.
 */
export const WAKE_EARLY_MS = 2;

/** Bound on polling turns for one deadline (a stuck clock must not spin forever): ~20 s of turns. */
const POLL_TURNS_MAX = 1_000_000;

/** Node's timers against a monotonic Clock, fired on time: never before the deadline, rarely later than ~0.1 ms. */
export class TimerWaker implements Waker {
  private timeout: unknown;
  private immediate: unknown;

  constructor(
    private readonly clock: Clock,
    private readonly timers: TimerFunctions = nodeTimers,
    private readonly earlyMs: number = WAKE_EARLY_MS,
  ) {}

  wakeAt(atMs: number, onWake: () => void): void {
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
      if (leftMs > this.earlyMs) {
        // Sleep until `earlyMs` before the deadline; the floor keeps the timer from overshooting.
        this.timeout = this.timers.setTimeout(() => check(false), Math.floor(leftMs - this.earlyMs));
      } else {
        this.immediate = this.timers.setImmediate(() => check(false));
      }
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
