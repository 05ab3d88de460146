import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DeadlineQueue } from './deadline-queue.js';

const seed = process.env.HALO_SEED === undefined ? {} : { seed: Number(process.env.HALO_SEED) };

test('deadlines pop earliest first; equal deadlines in the order they were set', () => {
  const q = new DeadlineQueue(8);
  q.set('b', 20);
  q.set('a', 10);
  q.set('c', 20);
  assert.equal(q.popDue(5), undefined);
  assert.equal(q.popDue(10)?.key, 'a');
  assert.equal(q.popDue(30)?.key, 'b');
  assert.equal(q.popDue(30)?.key, 'c');
  assert.equal(q.popDue(30), undefined);
});

test('setting a key again replaces its deadline; cancel removes it', () => {
  const q = new DeadlineQueue(8);
  q.set('t', 10);
  q.set('t', 50);
  assert.equal(q.size, 1);
  assert.equal(q.popDue(20), undefined);
  assert.equal(q.cancel('t'), true);
  assert.equal(q.cancel('t'), false);
  assert.equal(q.size, 0);
});

test('the queue is bounded: a new key beyond capacity is refused, replacing still works', () => {
  const q = new DeadlineQueue(2);
  assert.equal(q.set('a', 1), true);
  assert.equal(q.set('b', 2), true);
  assert.equal(q.set('c', 3), false);
  assert.equal(q.set('a', 5), true);
  assert.equal(q.size, 2);
  assert.equal(q.peek()?.key, 'b');
});

test('property: pops come out sorted and match a model', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.tuple(fc.constant('set' as const), fc.constantFrom('a', 'b', 'c', 'd'), fc.integer({ min: 0, max: 100 })), fc.tuple(fc.constant('cancel' as const), fc.constantFrom('a', 'b', 'c', 'd'), fc.constant(0)))),
      (ops) => {
        const q = new DeadlineQueue(4);
        const model = new Map<string, number>();
        for (const [op, key, at] of ops) {
          if (op === 'set') {
            q.set(key, at);
            model.set(key, at);
          } else {
            q.cancel(key);
            model.delete(key);
          }
        }
        const popped: number[] = [];
        for (let d = q.popDue(Infinity); d !== undefined; d = q.popDue(Infinity)) {
          assert.equal(model.get(d.key), d.atMs);
          model.delete(d.key);
          popped.push(d.atMs);
        }
        assert.equal(model.size, 0);
        assert.deepEqual(popped, [...popped].sort((x, y) => x - y));
      },
    ),
    seed,
  );
});
