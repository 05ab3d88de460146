import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, nginxKeyHash } from './nginx-hash.js';
import { crc32, utf8 } from './hash.js';
import { SeededPrng } from '../core/prng.js';
import { sequence, weights } from './testkit.js';

const prng = new SeededPrng(1);

test('the first try is (crc32(key) >> 16) & 0x7fff; later tries prefix the try number and add up', () => {
  const key = '/index.html';
  const h0 = nginxKeyHash(key, 0, 0);
  assert.equal(h0, (crc32(utf8(key)) >>> 16) & 0x7fff);
  const h1 = nginxKeyHash(key, 1, h0);
  assert.equal(h1, h0 + ((crc32(utf8('1/index.html')) >>> 16) & 0x7fff));
});

test('non-ASCII keys hash over their UTF-8 bytes, as nginx sees them', () => {
  const key = '/café/日本';
  assert.equal(nginxKeyHash(key, 0, 0), (crc32(utf8(key)) >>> 16) & 0x7fff);
  assert.equal(nginxKeyHash(key, 2, 5), 5 + ((crc32(utf8('2' + key)) >>> 16) & 0x7fff));
});

test('a key always goes to the same server, by weight', () => {
  const p = createHash(weights({ a: 1, b: 2, c: 1 }), { prng });
  const counts = new Map<string, number>();
  for (let k = 0; k < 4000; k++) {
    const key = `/obj/${k}`;
    const first = p.pick({ nowMs: 0, hashKey: key });
    assert.equal(p.pick({ nowMs: 0, hashKey: key }), first);
    counts.set(first ?? '-', (counts.get(first ?? '-') ?? 0) + 1);
  }
  assert.ok(Math.abs((counts.get('b') ?? 0) / 4000 - 0.5) < 0.05, JSON.stringify([...counts]));
});

test('an unusable server makes the key rehash; other keys stay', () => {
  const p = createHash(weights({ a: 1, b: 1, c: 1 }), { prng });
  const before = new Map<string, string | undefined>();
  for (let k = 0; k < 300; k++) before.set(`k${k}`, p.pick({ nowMs: 0, hashKey: `k${k}` }));
  p.setAvailable('a', false);
  for (const [key, was] of before) {
    const now = p.pick({ nowMs: 0, hashKey: key });
    if (was !== 'a') assert.equal(now, was);
    else assert.ok(now === 'b' || now === 'c');
  }
});

test('an empty key is round robin, as nginx does', () => {
  const p = createHash(weights({ a: 1, b: 1 }), { prng });
  assert.deepEqual(sequence(p, 4, { hashKey: '' }), ['a', 'b', 'a', 'b']);
});
