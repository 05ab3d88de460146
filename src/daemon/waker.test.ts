import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Clock } from '../core/clock.js';
import { TimerWaker } from './waker.js';

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
