import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatBytes, maskAddress, netmaskPrefix, parseIp, parseIpv4, parseIpv6 } from './addr.js';

const seed = process.env.HALO_SEED !== undefined ? Number(process.env.HALO_SEED) : undefined;
const params = seed !== undefined ? { seed } : {};

test('IPv4 and IPv6 parse to bytes; junk does not', () => {
  assert.deepEqual([...(parseIpv4('192.168.0.42') ?? [])], [192, 168, 0, 42]);
  assert.equal(parseIpv4('256.1.1.1'), undefined);
  assert.equal(parseIpv4('1.2.3'), undefined);
  assert.equal(parseIpv4('1.2.3.4.5'), undefined);
  assert.equal(parseIpv4('1.2.3.a'), undefined);
  assert.deepEqual([...(parseIpv6('::1') ?? [])], [...new Array(15).fill(0), 1]);
  assert.equal(formatBytes(parseIpv6('2001:db8::1:0:0:1') ?? new Uint8Array()), '2001:db8:0:0:1:0:0:1');
  assert.equal(formatBytes(parseIpv6('[fe80::1%eth0]') ?? new Uint8Array()), 'fe80:0:0:0:0:0:0:1');
  assert.equal(parseIpv6('1::2::3'), undefined);
  assert.equal(parseIpv6('1:2:3:4:5:6:7:8:9'), undefined);
  assert.equal(parseIpv6('12345::'), undefined);
  assert.equal(parseIp('hello'), undefined);
});

test('an IPv4-mapped IPv6 address is the IPv4 address', () => {
  assert.deepEqual([...(parseIp('::ffff:10.1.2.3') ?? [])], [10, 1, 2, 3]);
  assert.equal(parseIp('::ffff:10.1.2.3')?.length, 4);
});

test('masks and netmasks', () => {
  assert.equal(formatBytes(maskAddress(parseIp('10.1.2.3') ?? new Uint8Array(), 24)), '10.1.2.0');
  assert.equal(formatBytes(maskAddress(parseIp('10.1.2.3') ?? new Uint8Array(), 20)), '10.1.0.0');
  assert.equal(netmaskPrefix('255.255.255.0'), 24);
  assert.equal(netmaskPrefix('255.255.255.255'), 32);
  assert.equal(netmaskPrefix('0.0.0.0'), 0);
  assert.equal(netmaskPrefix('255.0.255.0'), undefined);
});

test('property: any IPv4 round-trips; parsers never throw on any text', () => {
  fc.assert(
    fc.property(fc.ipV4(), (ip) => formatBytes(parseIp(ip) ?? new Uint8Array()) === ip),
    params,
  );
  fc.assert(
    fc.property(fc.ipV6(), (ip) => parseIpv6(ip)?.length === 16),
    params,
  );
  fc.assert(
    fc.property(fc.string(), (s) => {
      parseIp(s);
      return true;
    }),
    params,
  );
});
