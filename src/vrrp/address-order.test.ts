import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressToBigInt, compareAddresses } from './address-order.js';

test('IPv4 addresses compare as numbers, not text', () => {
  assert.ok(compareAddresses('10.0.0.10', '10.0.0.9') > 0);
  assert.ok(compareAddresses('192.168.1.2', '192.168.10.1') < 0);
  assert.equal(compareAddresses('10.1.2.3', '10.1.2.3'), 0);
  assert.equal(addressToBigInt('1.2.3.4'), 0x01020304n);
  assert.equal(addressToBigInt('1.2.3.256'), null);
  assert.equal(addressToBigInt('1.2.3'), null);
});

test('IPv6 addresses compare as 128-bit numbers, with :: and embedded IPv4', () => {
  assert.equal(addressToBigInt('::1'), 1n);
  assert.equal(addressToBigInt('fe80::1%eth0'), (0xfe80n << 112n) | 1n);
  assert.equal(addressToBigInt('::ffff:1.2.3.4'), (0xffffn << 32n) | 0x01020304n);
  assert.ok(compareAddresses('fe80::a', 'fe80::9') > 0);
  assert.ok(compareAddresses('2001:db8::1', 'fe80::1') < 0);
  assert.equal(addressToBigInt('1:2:3:4:5:6:7:8:9'), null);
  assert.equal(addressToBigInt('1::2::3'), null);
});

test('unparsable text sorts below every address', () => {
  assert.ok(compareAddresses('nonsense', '0.0.0.0') < 0);
  assert.ok(compareAddresses('0.0.0.0', 'nonsense') > 0);
});
