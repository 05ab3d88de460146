import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock, type Clock } from '../core/clock.js';
import { TimerWaker, WAKE_EARLY_MS, type TimerFunctions } from './waker.js';

const monotonic: Clock = { nowMs: () => performance.now() };

test('TimerWaker calls back once the clock has reached the deadline, never before', async () => {
  const waker = new TimerWaker(monotonic);
  const at = monotonic.nowMs() + 30;
  const firedAt = await new Promise<number>((resolve) => waker.wakeAt(at, () => resolve(monotonic.nowMs())));
  assert.ok(firedAt >= at, `fired at ${firedAt}, deadline ${at}`);
});

test('a new request replaces the old one, and cancel stops it', async () => {
  const waker = new TimerWaker(monotonic);
  const fired: string[] = [];
  waker.wakeAt(monotonic.nowMs() + 10, () => fired.push('first'));
  waker.wakeAt(monotonic.nowMs() + 20, () => fired.push('second'));
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(fired, ['second']);
  waker.wakeAt(monotonic.nowMs() + 10, () => fired.push('third'));
  waker.cancel();
  await new Promise((r) => setTimeout(r, 40));
  assert.deepEqual(fired, ['second']);
});

/** A fake scheduler over a ManualClock: timers fire when the test advances time, immediates when it runs a turn. */
class FakeTimers implements TimerFunctions {
  private nextId = 1;
  readonly timeouts = new Map<number, { atMs: number; fn: () => void }>();
  readonly immediates = new Map<number, () => void>();
  readonly sleepsMs: number[] = [];
  constructor(private readonly clock: ManualClock) {}
  setTimeout(fn: () => void, delayMs: number): unknown {
    const id = this.nextId++;
    this.sleepsMs.push(delayMs);
    this.timeouts.set(id, { atMs: this.clock.nowMs() + delayMs, fn });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.timeouts.delete(h as number);
  }
  setImmediate(fn: () => void): unknown {
    const id = this.nextId++;
    this.immediates.set(id, fn);
    return id;
  }
  clearImmediate(h: unknown): void {
    this.immediates.delete(h as number);
  }
  /** One event-loop turn: advance the clock by `stepMs`, run due timers, then the immediates queued before the turn. */
  turn(stepMs: number): void {
    this.clock.advanceMs(stepMs);
    for (const [id, t] of [...this.timeouts]) {
      if (t.atMs <= this.clock.nowMs()) {
        this.timeouts.delete(id);
        t.fn();
      }
    }
    for (const [id, fn] of [...this.immediates]) {
      this.immediates.delete(id);
      fn();
    }
  }
}

test('TimerWaker sleeps until WAKE_EARLY_MS before the deadline, then polls the clock and fires on the first turn at or after it', () => {
  const clock = new ManualClock(1000);
  const timers = new FakeTimers(clock);
  const waker = new TimerWaker(clock, timers);
  const firedAt: number[] = [];
  waker.wakeAt(1064.8, () => firedAt.push(clock.nowMs()));
  // One sleep, rounded down so the timer cannot overshoot the polling window.
  assert.deepEqual(timers.sleepsMs, [Math.floor(64.8 - WAKE_EARLY_MS)]);
  for (let i = 0; i < 1000 && firedAt.length === 0; i++) timers.turn(0.25);
  assert.equal(firedAt.length, 1);
  const at = firedAt[0] ?? Number.NaN;
  assert.ok(at >= 1064.8, `fired at ${at}, before the deadline 1064.8`);
  assert.ok(at < 1064.8 + 0.25, `fired at ${at}, later than one polling turn after the deadline`);
  // Nothing is left scheduled once it fired.
  assert.equal(timers.timeouts.size + timers.immediates.size, 0);
});

test('TimerWaker never fires inside wakeAt, even for a deadline already past, and cancel stops the polling', () => {
  const clock = new ManualClock(50);
  const timers = new FakeTimers(clock);
  const waker = new TimerWaker(clock, timers);
  let fired = 0;
  waker.wakeAt(10, () => fired++);
  assert.equal(fired, 0);
  timers.turn(0);
  assert.equal(fired, 1);
  waker.wakeAt(clock.nowMs() + 1, () => fired++);
  timers.turn(0.5);
  waker.cancel();
  for (let i = 0; i < 10; i++) timers.turn(0.5);
  assert.equal(fired, 1);
  assert.equal(timers.timeouts.size + timers.immediates.size, 0);
});

test('TimerWaker with late timers (a busy loop) still fires once, not early', () => {
  const clock = new ManualClock(0);
  const timers = new FakeTimers(clock);
  const waker = new TimerWaker(clock, timers);
  const firedAt: number[] = [];
  waker.wakeAt(100, () => firedAt.push(clock.nowMs()));
  // The loop is blocked for 120 ms: the timer is found due far after its time and fires once.
  timers.turn(120);
  timers.turn(0);
  assert.deepEqual(firedAt, [120]);
});
