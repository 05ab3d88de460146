import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGranularity, withPersistence } from './persistence.js';
import { createRr } from './lvs-rr.js';
import { SeededPrng } from '../core/prng.js';
import { backend, weights } from './testkit.js';

const prng = new SeededPrng(1);

test('granularity: a netmask or a prefix length', () => {
  assert.deepEqual(parseGranularity('255.255.255.0'), { ipv4PrefixLen: 24 });
  assert.deepEqual(parseGranularity('64'), { ipv6PrefixLen: 64 });
  assert.deepEqual(parseGranularity('24'), { ipv4PrefixLen: 24, ipv6PrefixLen: 24 });
  assert.equal(parseGranularity('255.0.255.0'), undefined);
  assert.equal(parseGranularity('129'), undefined);
  assert.equal(parseGranularity('x'), undefined);
});

test('a client stays on its backend within the timeout, refreshed by each new connection', () => {
  const p = withPersistence(createRr, { timeoutMs: 300_000 })(weights({ a: 1, b: 1, c: 1 }), { prng });
  const first = p.pick({ nowMs: 0, clientIp: '10.0.0.1' });
  assert.equal(p.pick({ nowMs: 200_000, clientIp: '10.0.0.1' }), first);
  assert.equal(p.pick({ nowMs: 450_000, clientIp: '10.0.0.1' }), first, 'refreshed at 200 s');
  // Another client goes on with round robin meanwhile.
  assert.notEqual(p.pick({ nowMs: 450_000, clientIp: '10.0.0.2' }), first);
});

test('after the timeout the client is decided anew', () => {
  const p = withPersistence(createRr, { timeoutMs: 1000 })(weights({ a: 1, b: 1 }), { prng });
  assert.equal(p.pick({ nowMs: 0, clientIp: '10.0.0.1' }), 'a');
  assert.equal(p.pick({ nowMs: 2000, clientIp: '10.0.0.1' }), 'b');
});

test('granularity 255.255.255.0 pins a whole /24 together', () => {
  const p = withPersistence(createRr, { timeoutMs: 1000, ipv4PrefixLen: 24 })(weights({ a: 1, b: 1 }), { prng });
  const first = p.pick({ nowMs: 0, clientIp: '192.168.7.1' });
  for (let k = 2; k < 50; k++) assert.equal(p.pick({ nowMs: 1, clientIp: `192.168.7.${k}` }), first);
  assert.notEqual(p.pick({ nowMs: 1, clientIp: '192.168.8.1' }), first);
});

test('a pinned backend that fails, or is tried already, is replaced and re-pinned', () => {
  const p = withPersistence(createRr, { timeoutMs: 10_000 })(weights({ a: 1, b: 1 }), { prng });
  assert.equal(p.pick({ nowMs: 0, clientIp: '10.0.0.9' }), 'a');
  assert.equal(p.pick({ nowMs: 1, clientIp: '10.0.0.9', exclude: new Set(['a']) }), 'b');
  assert.equal(p.pick({ nowMs: 2, clientIp: '10.0.0.9' }), 'b');
  p.setAvailable('b', false);
  assert.equal(p.pick({ nowMs: 3, clientIp: '10.0.0.9' }), 'a');
});

test('a client pinned to a backup moves back when a primary returns', () => {
  const p = withPersistence(createRr, { timeoutMs: 10_000 })([backend('a'), backend('k', 1, { backup: true })], { prng });
  p.setAvailable('a', false);
  assert.equal(p.pick({ nowMs: 0, clientIp: '10.0.0.1' }), 'k');
  p.setAvailable('a', true);
  assert.equal(p.pick({ nowMs: 1, clientIp: '10.0.0.1' }), 'a');
});

test('the table is bounded: the least recently used client is forgotten first', () => {
  const p = withPersistence(createRr, { timeoutMs: 10_000, entriesMax: 2 })(weights({ a: 1, b: 1 }), { prng });
  assert.equal(p.pick({ nowMs: 0, clientIp: '10.0.0.1' }), 'a');
  assert.equal(p.pick({ nowMs: 0, clientIp: '10.0.0.2' }), 'b');
  assert.equal(p.pick({ nowMs: 0, clientIp: '10.0.0.1' }), 'a'); // .1 is now the most recent
  assert.equal(p.pick({ nowMs: 0, clientIp: '10.0.0.3' }), 'a'); // evicts .2
  assert.equal(p.pick({ nowMs: 0, clientIp: '10.0.0.1' }), 'a');
  assert.equal(p.pick({ nowMs: 0, clientIp: '10.0.0.2' }), 'b', 'decided anew by rr');
});
