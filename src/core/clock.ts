/**
 * Time enters halo only through this interface. Pure code takes `nowMs` as an argument; the
 * runtime owns a Clock (monotonic in production, simulated in tests and in test/sim).
 */
export interface Clock {
  /** Monotonic milliseconds; only differences are meaningful. */
  nowMs(): number;
}

/** A clock that moves only when told to: for tests and the simulator. */
export class ManualClock implements Clock {
  private currentMs: number;
  constructor(startMs = 0) {
    this.currentMs = startMs;
  }
  nowMs(): number {
    return this.currentMs;
  }
  advanceMs(deltaMs: number): void {
    if (deltaMs < 0) throw new RangeError(`ManualClock cannot go back: ${deltaMs}`);
    this.currentMs += deltaMs;
  }
  setMs(ms: number): void {
    if (ms < this.currentMs) throw new RangeError(`ManualClock cannot go back: ${ms} < ${this.currentMs}`);
    this.currentMs = ms;
  }
}
