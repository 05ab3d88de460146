import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32, crc32Final, crc32Init, crc32Update, hash32, utf8 } from './hash.js';

test('crc32 is the IEEE/zlib CRC-32 nginx uses (check value of "123456789")', () => {
  assert.equal(crc32(utf8('123456789')), 0xcbf43926);
  assert.equal(crc32(utf8('')), 0);
  assert.equal(crc32(utf8('The quick brown fox jumps over the lazy dog')), 0x414fa339);
});

test('crc32 in pieces equals crc32 of the whole', () => {
  const whole = crc32(utf8('hello world'));
  const parts = crc32Final(crc32Update(crc32Update(crc32Init(), utf8('hello ')), utf8('world')));
  assert.equal(parts, whole);
});

test('hash32 is the kernel hash_32: golden-ratio multiply, top bits', () => {
  assert.equal(hash32(0, 8), 0);
  assert.equal(hash32(1, 8), 0x61c88647 >>> 24);
  assert.equal(hash32(2, 32), Math.imul(2, 0x61c88647) >>> 0);
  for (let v = 0; v < 1000; v++) assert.ok(hash32(v * 7919, 8) < 256);
});
