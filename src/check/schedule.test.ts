import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SeededPrng } from '../core/prng.js';
import { buildCheck } from './spec.js';
import { DueQueue, initialDelayMs, jittered, nextDelayMs } from './schedule.js';

const seed = process.env.HALO_SEED !== undefined ? Number(process.env.HALO_SEED) : 42;

test('even spread puts 1,000 checkers in distinct slots across the delay_loop', () => {
  const spec = buildCheck({ kind: 'TCP_CHECK', delayLoopMs: 1000 }).spec;
  const prng = new SeededPrng(seed);
  const starts = Array.from({ length: 1000 }, (_, i) => initialDelayMs(spec, prng, 'even', i, 1000));
  assert.equal(new Set(starts).size, 1000, 'no two checkers start in the same millisecond');
  assert.equal(Math.min(...starts), 0);
  assert.equal(Math.max(...starts), 999);
});

test('random warmup stays within [0, warmup] and is not all the same', () => {
  const spec = buildCheck({ kind: 'TCP_CHECK', delayLoopMs: 10_000, warmupMs: 2000 }).spec;
  const prng = new SeededPrng(seed);
  const starts = Array.from({ length: 1000 }, () => initialDelayMs(spec, prng, 'random', 0, 1));
  assert.ok(starts.every((s) => s >= 0 && s <= 2000));
  // With 1,000 draws over 2,001 values, a busiest millisecond above 6 would mean a broken Prng.
  const counts = new Map<number, number>();
  for (const s of starts) counts.set(s, (counts.get(s) ?? 0) + 1);
  assert.ok(Math.max(...counts.values()) <= 6, `busiest ms has ${Math.max(...counts.values())}`);
  const none = buildCheck({ kind: 'TCP_CHECK', warmupMs: 0 }).spec;
  assert.equal(initialDelayMs(none, prng, 'random', 0, 1), 0, 'warmup 0 disables it');
});

test('next delay: delay_loop, delay_before_retry while retrying, jitter within bounds', () => {
  const spec = buildCheck({ kind: 'TCP_CHECK', delayLoopMs: 6000, delayBeforeRetryMs: 3000 }).spec;
  const prng = new SeededPrng(seed);
  assert.equal(nextDelayMs(spec, 'loop', prng), 6000);
  assert.equal(nextDelayMs(spec, 'retry', prng), 3000);
  const j = buildCheck({ kind: 'TCP_CHECK', delayLoopMs: 1000, jitterPermille: 100 }).spec;
  const delays = Array.from({ length: 500 }, () => nextDelayMs(j, 'loop', prng));
  assert.ok(delays.every((d) => d >= 900 && d <= 1100));
  assert.ok(Math.min(...delays) < 920 && Math.max(...delays) > 1080, 'jitter uses its range');
  assert.equal(jittered(1000, 0, prng), 1000);
});

test('DueQueue pops in deadline order and moves keys (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 10_000 })), { maxLength: 300 }), (ops) => {
      const q = new DueQueue();
      const model = new Map<number, number>();
      for (const [k, d] of ops) {
        if (d % 7 === 0) {
          q.delete(k);
          model.delete(k);
        } else {
          q.set(k, d);
          model.set(k, d);
        }
      }
      assert.equal(q.size, model.size);
      const popped = q.popDue(Infinity, 1000);
      const dues = popped.map((k) => model.get(k) as number);
      assert.deepEqual(dues, [...dues].sort((a, b) => a - b));
      assert.deepEqual(new Set(popped), new Set(model.keys()));
    }),
    { seed },
  );
  const q = new DueQueue();
  q.set(1, 10);
  q.set(2, 5);
  assert.equal(q.peekDueMs(), 5);
  assert.deepEqual(q.popDue(7, 10), [2]);
  assert.ok(q.has(1) && !q.has(2));
});
