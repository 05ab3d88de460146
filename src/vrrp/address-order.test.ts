import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareAddresses } from './address-order.js';

test('IPv4 addresses compare as numbers, not text', () => {
  assert.ok(compareAddresses('10.0.0.10', '10.0.0.9') > 0);
  assert.ok(compareAddresses('192.168.1.2', '192.168.10.1') < 0);
  assert.equal(compareAddresses('10.1.2.3', '10.1.2.3'), 0);
});

test('IPv6 addresses compare as 128-bit numbers', () => {
  assert.ok(compareAddresses('fe80::a', 'fe80::9') > 0);
  assert.ok(compareAddresses('2001:db8::1', 'fe80::1') < 0);
  assert.equal(compareAddresses('::ffff:1.2.3.4', '::ffff:102:304'), 0);
});

test('unparsable text sorts below every address', () => {
  assert.ok(compareAddresses('nonsense', '0.0.0.0') < 0);
  assert.ok(compareAddresses('0.0.0.0', 'nonsense') > 0);
  assert.equal(compareAddresses('x', 'y'), 0);
});
