/**
 * A simulated clock for the supervisor tests: `schedule` is the supervisor's timer port, and
 * `advance` moves the clock, firing due timers in order and letting promises settle after each.
 */
export interface FakeTimer {
  readonly atMs: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** Lets queued promise callbacks and immediates run (a bounded number of turns). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

export class FakeScheduler {
  nowMs = 0;
  readonly timers: FakeTimer[] = [];

  readonly schedule = (delayMs: number, fn: () => void): (() => void) => {
    const t: FakeTimer = { atMs: this.nowMs + delayMs, fn, cancelled: false };
    this.timers.push(t);
    return () => {
      t.cancelled = true;
    };
  };

  /** Moves the clock, firing due timers in order. */
  async advance(ms: number): Promise<void> {
    const end = this.nowMs + ms;
    for (;;) {
      const due = this.timers.filter((t) => !t.cancelled && t.atMs <= end).sort((a, b) => a.atMs - b.atMs)[0];
      if (due === undefined) break;
      this.nowMs = due.atMs;
      due.cancelled = true;
      due.fn();
      await settle();
    }
    this.nowMs = end;
  }
}
