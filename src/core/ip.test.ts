import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  canonicalIp, compareIp, foldAddress, formatIpBytes, formatIpv4, formatIpv6, ipFamily, maskAddress, netmaskPrefix,
  parseIp, parseIpv4, parseIpv6, parsePeerIp, parsePrefix, prefixContains, unmapIpv4,
} from './ip.js';

const seed = process.env.HALO_SEED === undefined ? undefined : Number(process.env.HALO_SEED);
const params = seed === undefined ? {} : { seed };

test('IPv4 text is strict dotted quad', () => {
  assert.deepEqual([...(parseIpv4('192.0.2.255') ?? [])], [192, 0, 2, 255]);
  for (const bad of ['256.0.0.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.-4', '', ' 1.2.3.4', '1.2.3.4 ', '0x1.2.3.4', '1..2.3']) {
    assert.equal(parseIpv4(bad), undefined, bad);
  }
});

test('IPv6 text: RFC 4291 input forms, RFC 5952 canonical output', () => {
  const cases: [string, string][] = [
    ['::', '::'],
    ['::1', '::1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first of two equal runs
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not shortened
    ['2001:0db8::0001', '2001:db8::1'],
    ['fe80::', 'fe80::'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['::ffff:c000:0201', '::ffff:192.0.2.1'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
    ['ff02::12', 'ff02::12'],
  ];
  for (const [input, canon] of cases) assert.equal(canonicalIp(input), canon, input);
  for (const bad of [':', ':::', '1::2::3', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '12345::', 'g::1', '::1.2.3', '1.2.3.4::', '1::2:3:4:5:6:7:8', 'fe80::1%eth0']) {
    assert.equal(parseIpv6(bad), undefined, bad);
  }
});

test('family, compare and prefix containment', () => {
  assert.equal(ipFamily('10.0.0.1'), 4);
  assert.equal(ipFamily('::1'), 6);
  assert.equal(ipFamily('nope'), undefined);
  const a = parseIp('10.0.0.2');
  const b = parseIp('10.0.0.10');
  const c = parseIp('::1');
  assert.ok(a && b && c);
  assert.equal(compareIp(a, b), -1);
  assert.equal(compareIp(b, a), 1);
  assert.equal(compareIp(a, a), 0);
  assert.equal(compareIp(a, c) < 0, true);
  const p = parsePrefix('10.0.0.0/28');
  assert.ok(p);
  assert.equal(prefixContains(p, a), true);
  assert.equal(prefixContains(p, parseIp('10.0.0.16') ?? a), false);
  assert.equal(prefixContains(p, c), false);
  const p6 = parsePrefix('2001:db8::/33');
  assert.ok(p6);
  assert.equal(prefixContains(p6, parseIp('2001:db8:7fff::1') ?? c), true);
  assert.equal(prefixContains(p6, parseIp('2001:db8:8000::1') ?? c), false);
  assert.equal(parsePrefix('10.0.0.0/33'), undefined);
  assert.equal(parsePrefix('::/129'), undefined);
  assert.equal(parsePrefix('::/0')?.length, 0);
});

test('property: format then parse is the identity on bytes, and canonical text is a fixed point', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
      const text = formatIpv6(bytes);
      assert.deepEqual(parseIpv6(text), bytes);
      assert.equal(canonicalIp(text), text);
    }),
    { ...params, numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (bytes) => {
      assert.deepEqual(parseIpv4(formatIpv4(bytes)), bytes);
    }),
    params,
  );
});

test('property: parsers never throw on any string', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 50 }), (s) => {
      parseIp(s);
      parsePrefix(s);
      return true;
    }),
    { ...params, numRuns: 2000 },
  );
});

test('peer addresses: brackets and zone ignored, IPv4-mapped is the IPv4 address, junk is undefined', () => {
  assert.deepEqual([...(parsePeerIp('192.168.0.42') ?? [])], [192, 168, 0, 42]);
  assert.deepEqual([...(parsePeerIp('::1') ?? [])], [...new Array(15).fill(0), 1]);
  assert.equal(formatIpBytes(parsePeerIp('[fe80::1%eth0]') ?? new Uint8Array()), 'fe80::1');
  assert.deepEqual([...(parsePeerIp('::ffff:10.1.2.3') ?? [])], [10, 1, 2, 3]);
  assert.equal(parsePeerIp('::ffff:10.1.2.3')?.length, 4);
  // Only ::ffff:0:0/96 is mapped; the deprecated IPv4-compatible ::a.b.c.d stays IPv6.
  assert.equal(parsePeerIp('::10.1.2.3')?.length, 16);
  assert.equal(parsePeerIp('1::ffff:10.1.2.3')?.length, 16);
  assert.equal(parsePeerIp('hello'), undefined);
  assert.equal(parsePeerIp('[]'), undefined);
  assert.equal(parsePeerIp('1::2::3'), undefined);
  const v6 = parseIpv6('2001:db8::1') ?? new Uint8Array();
  assert.equal(unmapIpv4(v6), v6);
});

test('masks, netmasks and the LVS 32-bit fold', () => {
  assert.equal(formatIpBytes(maskAddress(parsePeerIp('10.1.2.3') ?? new Uint8Array(), 24)), '10.1.2.0');
  assert.equal(formatIpBytes(maskAddress(parsePeerIp('10.1.2.3') ?? new Uint8Array(), 20)), '10.1.0.0');
  assert.equal(formatIpBytes(maskAddress(parsePeerIp('2001:db8:1:2::5') ?? new Uint8Array(), 48)), '2001:db8:1::');
  assert.equal(formatIpBytes(maskAddress(parsePeerIp('10.1.2.3') ?? new Uint8Array(), 99)), '10.1.2.3');
  assert.equal(netmaskPrefix('255.255.255.0'), 24);
  assert.equal(netmaskPrefix('255.255.255.255'), 32);
  assert.equal(netmaskPrefix('0.0.0.0'), 0);
  assert.equal(netmaskPrefix('255.0.255.0'), undefined);
  assert.equal(netmaskPrefix('24'), undefined);
  assert.equal(foldAddress(parsePeerIp('10.1.2.3') ?? new Uint8Array()), 0x0a010203);
  assert.equal(foldAddress(parsePeerIp('1:2:3:4:5:6:7:8') ?? new Uint8Array()), (0x00010002 ^ 0x00030004 ^ 0x00050006 ^ 0x00070008) >>> 0);
});

test('property: peer parsing agrees with the strict parsers and never throws', () => {
  fc.assert(
    fc.property(fc.ipV4(), (ip) => formatIpBytes(parsePeerIp(ip) ?? new Uint8Array()) === ip),
    params,
  );
  fc.assert(
    fc.property(fc.ipV4(), (ip) => formatIpBytes(parsePeerIp(`::ffff:${ip}`) ?? new Uint8Array()) === ip),
    params,
  );
  fc.assert(
    fc.property(fc.ipV6(), (ip) => parsePeerIp(`[${ip}%eth0]`)?.length === unmapIpv4(parseIpv6(ip) ?? new Uint8Array()).length),
    params,
  );
  fc.assert(
    fc.property(fc.string(), (s) => {
      parsePeerIp(s);
      return true;
    }),
    params,
  );
});
