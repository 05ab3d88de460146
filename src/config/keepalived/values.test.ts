import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Word } from '../tree.js';
import { BuildContext, closest, editDistance, ipFamily, parseBool, parseInt10, parseIpPrefix, parseTimerMs, parseTimerUs } from './values.js';

const w = (text: string): Word => ({ text, quoted: false, pos: { file: '/k.conf', line: 3, col: 7 }, includeChain: [] });

test('BOOL takes on/off/true/false/yes/no in any case and reports anything else at the word', () => {
  const ctx = new BuildContext();
  for (const t of ['on', 'TRUE', 'Yes']) assert.equal(parseBool(ctx, 'k', w(t)), true);
  for (const t of ['off', 'false', 'NO']) assert.equal(parseBool(ctx, 'k', w(t)), false);
  assert.equal(ctx.diagnostics.length, 0);
  assert.equal(parseBool(ctx, 'smtp_alert', w('1')), undefined);
  assert.equal(ctx.diagnostics[0]?.code, 'HALO_CFG_BAD_VALUE');
  assert.deepEqual(ctx.diagnostics[0]?.pos, { file: '/k.conf', line: 3, col: 7 });
});

test('TIMER is decimal seconds, exact to the microsecond', () => {
  const ctx = new BuildContext();
  assert.equal(parseTimerUs(ctx, 'k', w('0.1')), 100000);
  assert.equal(parseTimerUs(ctx, 'k', w('3')), 3000000);
  assert.equal(parseTimerUs(ctx, 'k', w('.5')), 500000);
  assert.equal(parseTimerUs(ctx, 'k', w('2.71828')), 2718280);
  assert.equal(parseTimerUs(ctx, 'k', w('0.0000015')), 2);
  assert.equal(parseTimerMs(ctx, 'k', w('1.5')), 1500);
  assert.equal(ctx.diagnostics.length, 0);
  for (const bad of ['-1', '1s', '', '1.2.3', 'fast']) assert.equal(parseTimerUs(ctx, 'k', w(bad)), undefined, bad);
  assert.equal(parseTimerUs(ctx, 'k', w('5000'), 1000), undefined);
  assert.equal(ctx.diagnostics.at(-1)?.code, 'HALO_CFG_OUT_OF_RANGE');
});

test('integers are checked against their range', () => {
  const ctx = new BuildContext();
  assert.equal(parseInt10(ctx, 'priority', w('255'), 1, 255), 255);
  assert.equal(parseInt10(ctx, 'weight', w('-20'), -253, 253), -20);
  assert.equal(parseInt10(ctx, 'priority', w('256'), 1, 255), undefined);
  assert.equal(ctx.diagnostics[0]?.code, 'HALO_CFG_OUT_OF_RANGE');
  assert.equal(parseInt10(ctx, 'priority', w('1e2'), 1, 255), undefined);
  assert.equal(ctx.diagnostics[1]?.code, 'HALO_CFG_BAD_VALUE');
});

test('IP addresses: both families, prefixes default to the host length', () => {
  assert.equal(ipFamily('192.168.0.1'), 'inet');
  assert.equal(ipFamily('::1'), 'inet6');
  assert.equal(ipFamily('fe80::1%eth0'), 'inet6');
  assert.equal(ipFamily('::ffff:192.0.2.1'), 'inet6');
  assert.equal(ipFamily('2001:db8:0:0:0:0:0:1'), 'inet6');
  for (const bad of ['256.1.1.1', '1.2.3', '1::2::3', '2001:db8:0:0:0:0:0:1:2', 'ens33', '12345::', '']) assert.equal(ipFamily(bad), undefined, bad);
  const ctx = new BuildContext();
  assert.deepEqual(parseIpPrefix(ctx, 'vip', w('192.168.123.100')), { address: '192.168.123.100', family: 'inet', prefixLength: 32, prefixGiven: false });
  assert.deepEqual(parseIpPrefix(ctx, 'vip', w('2001:db8::1')), { address: '2001:db8::1', family: 'inet6', prefixLength: 128, prefixGiven: false });
  assert.equal(parseIpPrefix(ctx, 'vip', w('10.0.0.1/24'))?.prefixLength, 24);
  assert.equal(parseIpPrefix(ctx, 'vip', w('10.0.0.1/33')), undefined);
});

test('"did you mean" finds the nearest keyword and nothing when none is near', () => {
  assert.equal(editDistance('priorty', 'priority', 3), 1);
  assert.equal(editDistance('abc', 'xyz', 1), 2);
  assert.equal(closest('priorty', ['priority', 'state', 'interface']), 'priority');
  assert.equal(closest('virtual_router_idd', ['virtual_router_id', 'virtual_routes']), 'virtual_router_id');
  assert.equal(closest('zzzzzz', ['priority', 'state']), undefined);
});
