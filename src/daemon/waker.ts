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

/** Node's timers against a monotonic Clock. */
export class TimerWaker implements Waker {
  private handle: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly clock: Clock) {}

  wakeAt(atMs: number, onWake: () => void): void {
    this.cancel();
    const fire = (): void => {
      // Node may wake a millisecond early; sleep again rather than act before the deadline.
      const leftMs = atMs - this.clock.nowMs();
      if (leftMs > 0) {
        this.handle = setTimeout(fire, Math.ceil(leftMs));
        return;
      }
      this.handle = undefined;
      onWake();
    };
    this.handle = setTimeout(fire, Math.max(0, Math.ceil(atMs - this.clock.nowMs())));
  }

  cancel(): void {
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
  }
}
