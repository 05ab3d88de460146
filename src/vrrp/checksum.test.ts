import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checksumValid, internetChecksum, ipv4PseudoHeader, ipv6PseudoHeader, onesComplementSum } from './checksum.js';

const seed = process.env.HALO_SEED === undefined ? undefined : Number(process.env.HALO_SEED);
const params = seed === undefined ? {} : { seed };

test('RFC 1071 §3 worked example: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2', () => {
  const b = Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7);
  assert.equal(onesComplementSum([b]), 0xddf2);
  assert.equal(internetChecksum([b]), 0x220d);
});

test('odd lengths: a trailing byte is the high half of a zero-padded word (RFC 1071 §4.1)', () => {
  assert.equal(onesComplementSum([Uint8Array.of(0x12)]), 0x1200);
  assert.equal(onesComplementSum([Uint8Array.of(0x12, 0x34, 0x56)]), 0x1234 + 0x5600);
});

test('pseudo-header layouts', () => {
  const v4 = ipv4PseudoHeader(Uint8Array.of(10, 0, 0, 1), Uint8Array.of(224, 0, 0, 18), 20);
  assert.deepEqual([...v4], [10, 0, 0, 1, 224, 0, 0, 18, 0, 112, 0, 20]);
  const v6 = ipv6PseudoHeader(new Uint8Array(16).fill(1), new Uint8Array(16).fill(2), 0x01020304);
  assert.deepEqual([...v6.subarray(32)], [1, 2, 3, 4, 0, 0, 0, 112]);
  assert.equal(v6.length, 40);
});

test('property: the sum does not depend on how the bytes are split into parts', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.array(fc.nat(), { maxLength: 5 }), (bytes, cuts) => {
      const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((x, y) => x - y);
      const parts: Uint8Array[] = [];
      let from = 0;
      for (const p of points) {
        parts.push(bytes.subarray(from, p));
        from = p;
      }
      parts.push(bytes.subarray(from));
      assert.equal(onesComplementSum(parts), onesComplementSum([bytes]));
    }),
    params,
  );
});

test('property: a message with its checksum written in verifies, and one flipped bit does not', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 8, maxLength: 200 }).map((b) => (b.length % 2 === 0 ? b : b.subarray(1))), fc.nat(), (raw, bitSeed) => {
      const b = Uint8Array.from(raw);
      b[6] = 0;
      b[7] = 0;
      const sum = internetChecksum([b]);
      b[6] = sum >> 8;
      b[7] = sum & 0xff;
      assert.equal(checksumValid([b]), true);
      const bit = bitSeed % (b.length * 8);
      b[bit >> 3] = (b[bit >> 3] ?? 0) ^ (0x80 >> (bit & 7));
      assert.equal(checksumValid([b]), false);
    }),
    params,
  );
});
