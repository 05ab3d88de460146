// Property tests of the VRRP codec. fast-check prints the seed of a failure; set HALO_SEED to
// replay a run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DECODE_REASONS, decodeAdvert, encodeAdvert } from './packet.js';
import type { ChecksumMode, DecodeExpect, VrrpAdvert } from './packet.js';
import { formatIpv4, formatIpv6 } from '../core/ip.js';

const seed = process.env.HALO_SEED === undefined ? undefined : Number(process.env.HALO_SEED);
const params = seed === undefined ? {} : { seed };

const ipv4 = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => formatIpv4(b));
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => formatIpv6(b));
const utf8 = new TextEncoder();

// A PASS password: up to 8 octets of UTF-8 that does not end in NUL (the wire pads with NULs,
// so trailing NULs cannot be told from padding).
const password = fc
  .string({ unit: 'binary', maxLength: 8 })
  .filter((s) => utf8.encode(s).length <= 8 && !s.endsWith('\u0000'));

const v2Advert: fc.Arbitrary<VrrpAdvert> = fc
  .record({
    vrid: fc.integer({ min: 1, max: 255 }),
    priority: fc.integer({ min: 0, max: 255 }),
    seconds: fc.integer({ min: 1, max: 255 }),
    pass: fc.option(password, { nil: undefined }),
    addresses: fc.array(ipv4, { maxLength: 255 }),
  })
  .map(({ vrid, priority, seconds, pass, addresses }) => {
    const base = { version: 2 as const, vrid, priority, advertIntervalCs: seconds * 100, addresses, family: 4 as const };
    return pass === undefined ? { ...base, authType: 0 as const } : { ...base, authType: 1 as const, authData: pass };
  });

const v3Advert: fc.Arbitrary<VrrpAdvert> = fc
  .record({
    vrid: fc.integer({ min: 1, max: 255 }),
    priority: fc.integer({ min: 0, max: 255 }),
    advertIntervalCs: fc.integer({ min: 1, max: 4095 }),
    family: fc.constantFrom(4 as const, 6 as const),
  })
  .chain((r) =>
    fc.array(r.family === 4 ? ipv4 : ipv6, { maxLength: 255 }).map((addresses) => ({ version: 3 as const, authType: 0 as const, ...r, addresses })),
  );

const sent = fc.oneof(v2Advert, v3Advert).chain((advert) =>
  fc.record({
    advert: fc.constant(advert),
    src: advert.family === 4 ? ipv4 : ipv6,
    dst: advert.family === 4 ? ipv4 : ipv6,
    checksumMode: fc.constantFrom<ChecksumMode>('pseudo-header', 'v2-style'),
  }),
);

test('property: decode(encode(x)) = x for every valid advert (v2/v3, IPv4/IPv6, 0-255 addresses)', () => {
  fc.assert(
    fc.property(sent, ({ advert, src, dst, checksumMode }) => {
      const e = encodeAdvert(advert, { src, dst, checksumMode });
      assert.ok(e.ok, e.ok ? '' : e.detail);
      const expect: DecodeExpect = {
        version: advert.version,
        vrid: advert.vrid,
        addresses: advert.addresses,
        checksumMode,
        ...(advert.version === 2 ? { authType: advert.authType as 0 | 1, advertIntervalCs: advert.advertIntervalCs } : {}),
        ...(advert.authData !== undefined ? { authData: advert.authData } : {}),
      };
      const d = decodeAdvert(e.bytes, { family: advert.family, src, dst, ttl: 255 }, expect);
      assert.ok(d.ok, d.ok ? '' : `${d.reason}: ${d.detail}`);
      assert.deepEqual(d.advert, advert);
      const modeUsed = advert.version === 2 ? 'v2-style' : advert.family === 6 ? 'pseudo-header' : checksumMode;
      // Both modes can verify when the pseudo-header happens to sum to zero; the configured one is reported.
      assert.equal(d.checksumMode, modeUsed);
    }),
    { ...params, numRuns: 1000 },
  );
});

test('property: flipping any one bit of an advert gets it rejected (the checksum sees every single-bit error)', () => {
  fc.assert(
    fc.property(sent, fc.nat(), ({ advert, src, dst, checksumMode }, bitSeed) => {
      const e = encodeAdvert(advert, { src, dst, checksumMode });
      assert.ok(e.ok);
      const bytes = Uint8Array.from(e.bytes);
      const bit = bitSeed % (bytes.length * 8);
      bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) ^ (0x80 >> (bit & 7));
      const d = decodeAdvert(bytes, { family: advert.family, src, dst, ttl: 255 }, { checksumMode });
      assert.equal(d.ok, false, `bit ${bit} flipped and still accepted`);
    }),
    { ...params, numRuns: 1000 },
  );
});

const anyText = fc.oneof(ipv4, ipv6, fc.string({ maxLength: 40 }));
const anyIp = fc.record({
  family: fc.constantFrom(4, 6, 0, 5) as fc.Arbitrary<4 | 6>,
  src: anyText,
  dst: anyText,
  ttl: fc.oneof(fc.constant(255), fc.integer({ min: -1000, max: 1000 }), fc.double()),
});
const anyExpect: fc.Arbitrary<DecodeExpect> = fc.record(
  {
    version: fc.constantFrom(2, 3) as fc.Arbitrary<2 | 3>,
    vrid: fc.integer({ min: -1, max: 300 }),
    authType: fc.constantFrom(0, 1) as fc.Arbitrary<0 | 1>,
    authData: fc.string({ maxLength: 12 }),
    advertIntervalCs: fc.integer({ min: -1, max: 30000 }),
    addresses: fc.array(anyText, { maxLength: 4 }),
    checksumMode: fc.constantFrom('pseudo-header', 'v2-style', 'either') as fc.Arbitrary<ChecksumMode | 'either'>,
    multicast: fc.boolean(),
  },
  { requiredKeys: [] },
);
// Bytes that often start like a VRRP header, so the decoder's deeper checks are reached too.
const anyBytes = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.tuple(fc.constantFrom(0x21, 0x31, 0x22, 0x11), fc.uint8Array({ maxLength: 200 })).map(([h, rest]) => Uint8Array.of(h, ...rest)),
  sent.map(({ advert, src, dst, checksumMode }) => {
    const e = encodeAdvert(advert, { src, dst, checksumMode });
    return e.ok ? e.bytes : new Uint8Array(0);
  }),
);

test('property: decode never throws on arbitrary bytes, IP context and expectations', () => {
  const reasons = new Set<string>(DECODE_REASONS);
  fc.assert(
    fc.property(anyBytes, anyIp, anyExpect, (bytes, ip, expect) => {
      const d = decodeAdvert(bytes, ip, expect);
      if (d.ok) {
        assert.ok(d.advert.addresses.length <= 255);
        assert.ok(d.advert.vrid >= 1 && d.advert.vrid <= 255);
      } else {
        assert.ok(reasons.has(d.reason), d.reason);
        assert.match(d.detail, /^[A-Z]/);
        assert.doesNotMatch(d.detail, /\.$/);
      }
    }),
    { ...params, numRuns: 3000 },
  );
});
