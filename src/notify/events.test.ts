import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fifoLine, lvsEndpoint } from './events.js';

test('FIFO lines use keepalived\'s formats', () => {
  assert.equal(fifoLine({ scope: 'INSTANCE', name: 'VI_1', state: 'MASTER', priority: 100 }), 'INSTANCE "VI_1" MASTER 100\n');
  assert.equal(fifoLine({ scope: 'GROUP', name: 'VG_1', state: 'FAULT', priority: 0 }), 'GROUP "VG_1" FAULT 0\n');
  const vs = lvsEndpoint('192.168.201.15', 'tcp', 80);
  assert.equal(fifoLine({ kind: 'VS', vs, up: true }), 'VS [192.168.201.15]:tcp:80 UP\n');
  assert.equal(fifoLine({ kind: 'RS', rs: lvsEndpoint('1.2.3.4', 'tcp', 80), vs, up: false }), 'RS [1.2.3.4]:tcp:80 [192.168.201.15]:tcp:80 DOWN\n');
  assert.equal(lvsEndpoint('2001:db8::1', 'udp', 53), '[2001:db8::1]:udp:53');
});
