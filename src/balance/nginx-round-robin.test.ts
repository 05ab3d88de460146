import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRoundRobin } from './nginx-round-robin.js';
import { SeededPrng } from '../core/prng.js';
import { backend, sequence, weights } from './testkit.js';

const prng = new SeededPrng(1);

test('nginx smooth weighted round robin: weights 5/1/1 give a a b a c a a, and repeat', () => {
  const p = createRoundRobin(weights({ a: 5, b: 1, c: 1 }), { prng });
  assert.deepEqual(sequence(p, 14).join(' '), 'a a b a c a a a a b a c a a');
});

test('equal weights alternate in list order', () => {
  const p = createRoundRobin(weights({ x: 1, y: 1, z: 1 }), { prng });
  assert.deepEqual(sequence(p, 6), ['x', 'y', 'z', 'x', 'y', 'z']);
});

test('an unavailable server is skipped without disturbing the others, and returns', () => {
  const p = createRoundRobin(weights({ a: 1, b: 1, c: 1 }), { prng });
  p.setAvailable('b', false);
  assert.deepEqual(sequence(p, 4), ['a', 'c', 'a', 'c']);
  p.setAvailable('b', true);
  assert.deepEqual(new Set(sequence(p, 3)), new Set(['a', 'b', 'c']));
});

test('backups only when every primary is out, with their own rotation', () => {
  const p = createRoundRobin([backend('a'), backend('b'), backend('k1', 1, { backup: true }), backend('k2', 1, { backup: true })], { prng });
  assert.deepEqual(sequence(p, 4), ['a', 'b', 'a', 'b']);
  p.setAvailable('a', false);
  p.setAvailable('b', false);
  assert.deepEqual(sequence(p, 4), ['k1', 'k2', 'k1', 'k2']);
  p.setAvailable('b', true);
  assert.deepEqual(sequence(p, 2), ['b', 'b']);
});

test('max_conns: a full server is passed over until a connection closes', () => {
  const p = createRoundRobin([backend('a', 1, { maxConns: 1 }), backend('b')], { prng });
  p.connectionOpened('a');
  assert.deepEqual(sequence(p, 3), ['b', 'b', 'b']);
  p.connectionClosed('a');
  assert.ok(sequence(p, 2).includes('a'));
});

test('exclude (a retry) goes to another server; all excluded gives none', () => {
  const p = createRoundRobin(weights({ a: 1, b: 1 }), { prng });
  assert.equal(p.pick({ nowMs: 0, exclude: new Set(['a']) }), 'b');
  assert.equal(p.pick({ nowMs: 0, exclude: new Set(['a', 'b']) }), undefined);
});
