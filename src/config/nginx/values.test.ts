import { test } from 'node:test';
import assert from 'node:assert/strict';
import { editDistance, parseHostPort, parseNginxTimeMs } from './values.js';

test('nginx times: bare seconds, units in falling order, ms only where allowed', () => {
  assert.equal(parseNginxTimeMs('3', false), 3000);
  assert.equal(parseNginxTimeMs('10s', false), 10_000);
  assert.equal(parseNginxTimeMs('1m30s', true), 90_000);
  assert.equal(parseNginxTimeMs('1h 30m', true), 5_400_000);
  assert.equal(parseNginxTimeMs('500ms', true), 500);
  assert.equal(parseNginxTimeMs('500ms', false), undefined);
  assert.equal(parseNginxTimeMs('1d', true), 86_400_000);
  assert.equal(parseNginxTimeMs('30s1m', true), undefined);
  assert.equal(parseNginxTimeMs('5x', true), undefined);
  assert.equal(parseNginxTimeMs('', true), undefined);
  assert.equal(parseNginxTimeMs('3 4', true), undefined);
});

test('host:port forms', () => {
  assert.deepEqual(parseHostPort('80', true), { ok: true, host: '*', port: 80, ipv6: false });
  assert.deepEqual(parseHostPort('127.0.0.1:8080', false), { ok: true, host: '127.0.0.1', port: 8080, ipv6: false });
  assert.deepEqual(parseHostPort('[::1]:81', false), { ok: true, host: '::1', port: 81, ipv6: true });
  assert.deepEqual(parseHostPort('192.168.0.42', false), { ok: true, host: '192.168.0.42', port: null, ipv6: false });
  assert.equal(parseHostPort('1.2.3.4:99999', false).ok, false);
  assert.equal(parseHostPort('::1', false).ok, false);
  assert.equal(parseHostPort('unix:/run/x.sock', false).ok, false);
});

test('edit distance for hints', () => {
  assert.equal(editDistance('proxy_pas', 'proxy_pass'), 1);
  assert.equal(editDistance('wieght', 'weight'), 2);
  assert.equal(editDistance('a', 'abcdefgh'), 99);
});
