import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createIpHash, ipHashKey } from './nginx-ip-hash.js';
import { SeededPrng } from '../core/prng.js';
import { backend, clientIp, weights } from './testkit.js';

const prng = new SeededPrng(1);

test('the key is the first three octets of IPv4, all sixteen of IPv6, 0.0.0 for a non-IP client', () => {
  assert.deepEqual([...ipHashKey('192.168.0.10')], [192, 168, 0]);
  assert.equal(ipHashKey('2001:db8::1').length, 16);
  assert.deepEqual([...ipHashKey('::ffff:192.168.0.10')], [192, 168, 0]);
  assert.deepEqual([...ipHashKey(undefined)], [0, 0, 0]);
  assert.deepEqual([...ipHashKey('unix:')], [0, 0, 0]);
});

test('nginx formula by hand: 192.168.0.x over two equal servers lands on the second', () => {
  // hash = 89; (89*113+192)%6271 = 3978; (3978*113+168)%6271 = 4441; (4441*113+0)%6271 = 153;
  // 153 % total weight 2 = 1 → the second server.
  const p = createIpHash(weights({ web1: 1, web2: 1 }), { prng });
  assert.equal(p.pick({ nowMs: 0, clientIp: '192.168.0.10' }), 'web2');
});

test('clients sharing a /24 always map to the same server; others spread', () => {
  const p = createIpHash(weights({ a: 1, b: 1, c: 1, d: 1 }), { prng });
  const seen = new Set<string>();
  for (let k = 0; k < 200; k++) {
    const base = clientIp(k).split('.').slice(0, 3).join('.');
    const first = p.pick({ nowMs: 0, clientIp: `${base}.1` });
    for (const last of [2, 77, 254]) assert.equal(p.pick({ nowMs: 0, clientIp: `${base}.${last}` }), first, base);
    seen.add(first ?? '-');
  }
  assert.deepEqual([...seen].sort(), ['a', 'b', 'c', 'd']);
});

test('a server going down moves only its own clients (rehash), and they come back', () => {
  const p = createIpHash(weights({ a: 1, b: 1, c: 1 }), { prng });
  const before = new Map<string, string | undefined>();
  for (let k = 0; k < 300; k++) before.set(clientIp(k), p.pick({ nowMs: 0, clientIp: clientIp(k) }));
  p.setAvailable('b', false);
  for (const [ip, was] of before) {
    const now = p.pick({ nowMs: 0, clientIp: ip });
    if (was !== 'b') assert.equal(now, was, ip);
    else assert.notEqual(now, 'b');
  }
  p.setAvailable('b', true);
  for (const [ip, was] of before) assert.equal(p.pick({ nowMs: 0, clientIp: ip }), was);
});

test('weights widen a server\'s share of the hash space', () => {
  const p = createIpHash([backend('heavy', 3), backend('light', 1)], { prng });
  let heavy = 0;
  for (let k = 0; k < 4000; k++) if (p.pick({ nowMs: 0, clientIp: clientIp(k) }) === 'heavy') heavy++;
  assert.ok(Math.abs(heavy / 4000 - 0.75) < 0.05, `heavy ${heavy}/4000`);
});
