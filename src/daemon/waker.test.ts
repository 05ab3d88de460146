import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock, type Clock } from '../core/clock.js';
import { SPIN_MS, TimerWaker, WAKE_EARLY_MS, type TimerFunctions } from './waker.js';

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
  readonly blockedMs: number[] = [];
  readonly sleepEndsAt: number[] = [];
  sleep(ms: number): void {
    this.blockedMs.push(ms);
    this.clock.advanceMs(ms);
    this.sleepEndsAt.push(this.clock.nowMs());
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

test('TimerWaker sleeps until WAKE_EARLY_MS before the deadline, sleeps again to SPIN_MS before it, then polls and fires on the first turn at or after it', () => {
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
  assert.ok(at < 1064.8 + 0.25, `fired at ${at}, later than one turn after the deadline`);
  // one kernel sleep, ending SPIN_MS before the deadline
  assert.equal(timers.blockedMs.length, 1);
  assert.ok((timers.blockedMs[0] ?? 0) <= WAKE_EARLY_MS);
  assert.ok(Math.abs((timers.sleepEndsAt[0] ?? 0) - (1064.8 - SPIN_MS)) < 1e-9, `the sleep ended at ${timers.sleepEndsAt[0]}`);
  // Nothing is left scheduled once it fired.
  assert.equal(timers.timeouts.size + timers.immediates.size, 0);
});

test('TimerWaker never fires or blocks inside wakeAt, even for a deadline already past, and cancel stops it', () => {
  const clock = new ManualClock(50);
  const timers = new FakeTimers(clock);
  const waker = new TimerWaker(clock, timers);
  let fired = 0;
  waker.wakeAt(10, () => fired++);
  waker.wakeAt(clock.nowMs() + 1.5, () => fired++);
  assert.equal(timers.blockedMs.length, 0, 'wakeAt itself never sleeps');
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

test('TimerWaker coarse: one timer, never a kernel sleep or polling, fired from an immediate after it and never early', () => {
  const clock = new ManualClock(1000);
  const timers = new FakeTimers(clock);
  const waker = new TimerWaker(clock, timers);
  const firedAt: number[] = [];
  waker.wakeAt(1064.8, () => firedAt.push(clock.nowMs()), true);
  assert.deepEqual(timers.sleepsMs, [65], 'rounded up: never before the deadline');
  let turns = 0;
  for (; turns < 1000 && firedAt.length === 0; turns++) timers.turn(0.25);
  assert.deepEqual(firedAt, [1065]);
  assert.equal(timers.blockedMs.length, 0, 'no kernel sleep');
  assert.equal(turns, 260, 'the turn of the timer: no polling before it');
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

test('TimerWaker on Node: a deadline 1.5 ms away fires after it, and the wait blocks in the kernel, not in a loop', async () => {
  const waker = new TimerWaker(monotonic);
  const before = process.cpuUsage();
  const late: number[] = [];
  for (let i = 0; i < 20; i++) {
    const at = monotonic.nowMs() + 1.5;
    const firedAt = await new Promise<number>((resolve) => waker.wakeAt(at, () => resolve(monotonic.nowMs())));
    assert.ok(firedAt >= at, `fired at ${firedAt}, deadline ${at}`);
    late.push(firedAt - at);
  }
  const cpu = process.cpuUsage(before);
  // 20 waits of 1.5 ms: a polling waker burns ~30 ms of CPU, a sleeping one a small part of it
  assert.ok((cpu.user + cpu.system) / 1000 < 25, `CPU ${(cpu.user + cpu.system) / 1000} ms for 30 ms of waiting`);
  console.log(`# lateness ms: median ${late.sort((a, b) => a - b)[10]?.toFixed(3)}, max ${late[19]?.toFixed(3)}`);
});
