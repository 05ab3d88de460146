import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keepalivedShape as shape } from './shape.js';

test('keywords with fixed arguments split joined statements (seed 000)', () => {
  assert.equal(shape(['global_defs'], ['notification_email_from', 'a@b', 'smtp_server', '127.0.0.1', 'smtp_connect_timeout', '30']), 2);
  assert.equal(shape(['global_defs'], ['smtp_server', '127.0.0.1', 'smtp_connect_timeout', '30']), 2);
  assert.equal(shape(['global_defs'], ['smtp_server', '127.0.0.1', '2525', 'router_id', 'X']), 3);
  assert.equal(shape([], ['vrrp_script', 'chk_nginx']), 2);
  assert.equal(shape(['vrrp_script'], ['script', '/usr/local/sbin/check_ng.sh', 'interval', '3']), 2);
  assert.equal(shape(['vrrp_instance'], ['state', 'MASTER', 'interface', 'ens33', 'virtual_router_id', '51']), 2);
  assert.equal(shape(['vrrp_instance'], ['nopreempt', 'priority', '100']), 1);
  assert.equal(shape(['vrrp_instance', 'authentication'], ['auth_type', 'PASS', 'auth_pass', 'gys']), 2);
});

test('optional arguments are taken while they fit, and a bad value stays with its keyword', () => {
  assert.equal(shape(['vrrp_instance'], ['notify_master', '/bin/x', 'root', 'root', 'priority', '1']), 4);
  assert.equal(shape(['global_defs'], ['vrrp_strict', 'router_id', 'A']), 1);
  assert.equal(shape(['global_defs'], ['smtp_alert', 'on', 'router_id', 'A']), 2);
  assert.equal(shape(['global_defs'], ['smtp_alert', 'maybe']), 2);
  assert.equal(shape(['virtual_server'], ['persistence_timeout', 'protocol', 'TCP']), 1);
});

test('list block entries take their options', () => {
  assert.equal(shape(['global_defs', 'notification_email'], ['a@b', 'c@d']), 1);
  assert.equal(shape(['vrrp_instance', 'track_script'], ['chk', 'weight', '-20', 'other']), 3);
  assert.equal(shape(['vrrp_instance', 'track_script'], ['chk', 'other']), 1);
  assert.equal(shape(['vrrp_instance', 'virtual_ipaddress'], ['192.0.2.1/24', 'dev', 'eth0', 'label', 'eth0:1', 'no_track', '192.0.2.2']), 6);
  assert.equal(shape(['vrrp_instance', 'virtual_ipaddress'], ['192.0.2.1', '192.0.2.2']), 1);
  assert.equal(shape(['vrrp_instance', 'unicast_peer'], ['192.0.2.1', 'min_ttl', '1', '192.0.2.2']), 3);
  assert.equal(shape(['virtual_server_group'], ['192.0.2.1', '80', '192.0.2.2', '80']), 2);
  assert.equal(shape(['virtual_server_group'], ['fwmark', '7', 'inet6', '192.0.2.2']), 3);
});

test('unknown keywords and blocks give no answer', () => {
  assert.equal(shape([], ['frobnicate', 'x']), undefined);
  assert.equal(shape(['nonsense'], ['priority', '1']), undefined);
  assert.equal(shape(['vrrp_instance', 'virtual_routes'], ['10.0.0.0/8', 'via', '10.0.0.1']), undefined);
  assert.equal(shape([], []), undefined);
});
