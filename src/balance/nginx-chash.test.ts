import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRing, createChash, findPoint, serverPoints, splitServerName, KETAMA_POINTS_PER_WEIGHT } from './nginx-chash.js';
import { crc32Final, crc32Init, crc32Update, utf8 } from './hash.js';
import { SeededPrng } from '../core/prng.js';
import { backend, weights } from './testkit.js';

const prng = new SeededPrng(1);

test('server names split into host and port as nginx does', () => {
  assert.deepEqual(splitServerName('10.0.0.1:8080'), { host: '10.0.0.1', port: '8080' });
  assert.deepEqual(splitServerName('10.0.0.1'), { host: '10.0.0.1', port: '' });
  assert.deepEqual(splitServerName('[::1]:81'), { host: '[::1]', port: '81' });
  assert.deepEqual(splitServerName('unix:/run/app.sock'), { host: '/run/app.sock', port: '' });
  assert.deepEqual(splitServerName('web1'), { host: 'web1', port: '' });
});

test('160 points per unit of weight, chained through the previous point in little-endian', () => {
  const pts = serverPoints('10.0.0.1:80', 2);
  assert.equal(pts.length, 2 * KETAMA_POINTS_PER_WEIGHT);
  let base = crc32Init();
  base = crc32Update(base, utf8('10.0.0.1'));
  base = crc32Update(base, new Uint8Array([0]));
  base = crc32Update(base, utf8('80'));
  assert.equal(pts[0], crc32Final(crc32Update(base, new Uint8Array([0, 0, 0, 0]))));
  const p0 = pts[0] ?? 0;
  const le = new Uint8Array([p0 & 0xff, (p0 >>> 8) & 0xff, (p0 >>> 16) & 0xff, p0 >>> 24]);
  assert.equal(pts[1], crc32Final(crc32Update(base, le)));
});

test('the ring is sorted and a key finds the first point at or after its hash', () => {
  const ring = buildRing([{ name: 'a:80', weight: 1 }, { name: 'b:80', weight: 1 }]);
  for (let k = 1; k < ring.length; k++) assert.ok((ring[k - 1]?.hash ?? 0) < (ring[k]?.hash ?? 0));
  assert.equal(findPoint(ring, 0), 0);
  assert.equal(findPoint(ring, ring[5]?.hash ?? 0), 5);
  assert.equal(findPoint(ring, (ring[5]?.hash ?? 0) + 1), 6);
  assert.equal(findPoint(ring, 0xffffffff + 1), ring.length);
});

function mapping(servers: string[], keys: number): Map<string, string | undefined> {
  const p = createChash(servers.map((s) => backend(s)), { prng });
  const m = new Map<string, string | undefined>();
  for (let k = 0; k < keys; k++) m.set(`/item/${k}`, p.pick({ nowMs: 0, hashKey: `/item/${k}` }));
  return m;
}

test('adding a fifth server moves about 1/5 of the keys, all of them to the new server', () => {
  const four = ['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80', '10.0.0.4:80'];
  const before = mapping(four, 20000);
  const after = mapping([...four, '10.0.0.5:80'], 20000);
  let moved = 0;
  for (const [key, was] of before) {
    const now = after.get(key);
    if (now !== was) {
      moved++;
      assert.equal(now, '10.0.0.5:80', key);
    }
  }
  assert.ok(moved / 20000 > 0.12 && moved / 20000 < 0.28, `moved ${moved}/20000`);
});

test('a server going down passes only its keys on to the next points', () => {
  const servers = ['a:80', 'b:80', 'c:80', 'd:80'];
  const p = createChash(servers.map((s) => backend(s)), { prng });
  const before = new Map<string, string | undefined>();
  for (let k = 0; k < 5000; k++) before.set(`k${k}`, p.pick({ nowMs: 0, hashKey: `k${k}` }));
  p.setAvailable('c:80', false);
  let movedFromC = 0;
  for (const [key, was] of before) {
    const now = p.pick({ nowMs: 0, hashKey: key });
    if (was === 'c:80') {
      assert.notEqual(now, 'c:80');
      movedFromC++;
    } else assert.equal(now, was);
  }
  assert.ok(movedFromC > 0);
});

test('weights scale a server\'s share of the ring', () => {
  const p = createChash([backend('a:80', 3), backend('b:80', 1)], { prng });
  let a = 0;
  for (let k = 0; k < 10000; k++) if (p.pick({ nowMs: 0, hashKey: `x${k}` }) === 'a:80') a++;
  assert.ok(Math.abs(a / 10000 - 0.75) < 0.07, `a ${a}/10000`);
});

test('the point names come from the name as written when given', () => {
  const byId = createChash(weights({ '10.0.0.1:80': 1, '10.0.0.2:80': 1 }), { prng });
  const byName = createChash([backend('x', 1, { name: '10.0.0.1:80' }), backend('y', 1, { name: '10.0.0.2:80' })], { prng });
  for (let k = 0; k < 200; k++) {
    const a = byId.pick({ nowMs: 0, hashKey: `n${k}` });
    const b = byName.pick({ nowMs: 0, hashKey: `n${k}` });
    assert.equal(a === '10.0.0.1:80' ? 'x' : 'y', b);
  }
});
