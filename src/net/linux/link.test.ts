import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flagsUp, parseMonitorLine } from './link.js';

test('parseMonitorLine reads ip monitor link lines', () => {
  assert.deepEqual(parseMonitorLine('3: v0@v1: <NO-CARRIER,BROADCAST,MULTICAST,UP,M-DOWN> mtu 1500 qdisc noqueue state LOWERLAYERDOWN group default '), { ifname: 'v0', up: false, exists: true });
  assert.deepEqual(parseMonitorLine('2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP'), { ifname: 'eth0', up: true, exists: true });
  assert.deepEqual(parseMonitorLine('2: v1@v0: <BROADCAST,MULTICAST> mtu 1500 qdisc noqueue state DOWN group default '), { ifname: 'v1', up: false, exists: true });
  assert.deepEqual(parseMonitorLine('Deleted 4: br0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500'), { ifname: 'br0', up: false, exists: false });
  assert.deepEqual(parseMonitorLine('5: veth1@if6: <BROADCAST,UP,LOWER_UP> mtu 1500'), { ifname: 'veth1', up: true, exists: true });
  assert.equal(parseMonitorLine('    link/ether 1e:8f:7d:36:77:09 brd ff:ff:ff:ff:ff:ff'), undefined);
  assert.equal(parseMonitorLine(''), undefined);
});

test('a link is up only when administratively up and with carrier', () => {
  assert.equal(flagsUp(['UP', 'LOWER_UP']), true);
  assert.equal(flagsUp(['UP']), false);
  assert.equal(flagsUp(['LOWER_UP']), false);
  assert.equal(flagsUp(['UP', 'LOWER_UP', 'NO-CARRIER']), false);
});
