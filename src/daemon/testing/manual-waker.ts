/** A Waker driven by hand on a ManualClock, for the VRRP runtime tests. */
import type { ManualClock } from '../../core/clock.js';
import type { Waker } from '../waker.js';

export class ManualWaker implements Waker {
  private pending: { atMs: number; fn: () => void; coarse: boolean } | undefined;

  constructor(private readonly clock: ManualClock) {}

  wakeAt(atMs: number, onWake: () => void, coarse = false): void {
    this.pending = { atMs, fn: onWake, coarse };
  }

  cancel(): void {
    this.pending = undefined;
  }

  /** When the runtime asked to be woken, if it did. */
  get atMs(): number | undefined {
    return this.pending?.atMs;
  }

  /** Whether the runtime said the wake-up may be late (a fallback behind a takeover port). */
  get coarse(): boolean | undefined {
    return this.pending?.coarse;
  }

  /** Advances the clock to the requested wake-up and fires it; throws when none was asked for. */
  fire(): number {
    const w = this.pending;
    if (w === undefined) throw new Error('the runtime did not ask to be woken');
    this.clock.setMs(w.atMs);
    this.pending = undefined;
    w.fn();
    return w.atMs;
  }
}
