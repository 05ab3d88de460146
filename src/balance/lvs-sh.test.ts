import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSh, shBucket } from './lvs-sh.js';
import { createDh } from './lvs-dh.js';
import { hash32 } from './hash.js';
import { SeededPrng } from '../core/prng.js';
import { backend, clientIp, weights } from './testkit.js';

const prng = new SeededPrng(1);

test('the bucket is the kernel hash_32 of port + address, top 8 bits', () => {
  assert.equal(shBucket({ nowMs: 0, clientIp: '10.0.0.1' }, false), hash32(0x0a000001, 8));
  assert.equal(shBucket({ nowMs: 0, clientIp: '10.0.0.1', clientPort: 80 }, true), hash32(0x0a000001 + 80, 8));
  assert.equal(shBucket({ nowMs: 0, clientIp: '10.0.0.1', clientPort: 80 }, false), hash32(0x0a000001, 8));
});

test('sh: a client sticks to one backend; buckets are dealt by weight', () => {
  const p = createSh(weights({ a: 3, b: 1 }), { prng });
  let a = 0;
  for (let k = 0; k < 4000; k++) {
    const ip = clientIp(k);
    const id = p.pick({ nowMs: 0, clientIp: ip });
    assert.equal(p.pick({ nowMs: 0, clientIp: ip, clientPort: k }), id);
    if (id === 'a') a++;
  }
  assert.ok(Math.abs(a / 4000 - 0.75) < 0.06, `a ${a}/4000`);
});

test('sh: a failed backend leaves the table and its clients move; others mostly stay', () => {
  const p = createSh(weights({ a: 1, b: 1, c: 1 }), { prng });
  const before = new Map<string, string | undefined>();
  for (let k = 0; k < 1000; k++) before.set(clientIp(k), p.pick({ nowMs: 0, clientIp: clientIp(k) }));
  p.setAvailable('b', false);
  for (const ip of before.keys()) assert.notEqual(p.pick({ nowMs: 0, clientIp: ip }), 'b');
  p.setAvailable('b', true);
  for (const [ip, was] of before) assert.equal(p.pick({ nowMs: 0, clientIp: ip }), was, 'stable after recovery');
});

test('sh: weight 0 refuses its clients, unless sh-fallback sends them elsewhere', () => {
  const plain = createSh(weights({ a: 1, b: 1 }), { prng });
  const fb = createSh(weights({ a: 1, b: 1 }), { prng, flags: new Set(['sh-fallback']) });
  plain.setWeight('a', 0);
  fb.setWeight('a', 0);
  let refused = 0;
  for (let k = 0; k < 400; k++) {
    const r = plain.pick({ nowMs: 0, clientIp: clientIp(k) });
    if (r === undefined) refused++;
    else assert.equal(r, 'b');
    assert.equal(fb.pick({ nowMs: 0, clientIp: clientIp(k) }), 'b');
  }
  assert.ok(refused > 100 && refused < 300, `refused ${refused}/400`);
});

test('sh-port: one address spreads over backends by source port', () => {
  const p = createSh(weights({ a: 1, b: 1, c: 1 }), { prng, flags: new Set(['sh-port']) });
  const seen = new Set<string | undefined>();
  for (let port = 40000; port < 40100; port++) seen.add(p.pick({ nowMs: 0, clientIp: '10.9.9.9', clientPort: port }));
  assert.equal(seen.size, 3);
});

test('dh: a destination always maps to the same backend, weights ignored, no fallback', () => {
  const p = createDh([backend('c1', 10), backend('c2', 1)], { prng });
  let c1 = 0;
  for (let k = 0; k < 2000; k++) {
    const dst = clientIp(k);
    const id = p.pick({ nowMs: 0, hashKey: dst });
    assert.equal(p.pick({ nowMs: 0, hashKey: dst }), id);
    if (id === 'c1') c1++;
  }
  assert.ok(Math.abs(c1 / 2000 - 0.5) < 0.06, `c1 ${c1}/2000`);
  p.setWeight('c1', 0);
  const refused = Array.from({ length: 100 }, (_, k) => p.pick({ nowMs: 0, hashKey: clientIp(k) })).filter((x) => x === undefined).length;
  assert.ok(refused > 20, `refused ${refused}/100`);
});
