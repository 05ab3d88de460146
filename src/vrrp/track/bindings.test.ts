import { test } from 'node:test';
import assert from 'node:assert/strict';
import { instanceBindings } from './bindings.js';

const catalog = {
  scripts: new Map([['chk_nginx', { weight: -20, weightReverse: false }], ['chk_rev', { weight: 5, weightReverse: true }]]),
  files: new Map([['tf', { weight: 1, weightReverse: false }]]),
  processes: new Map([['nginx', { weight: 1, weightReverse: false }]]),
};

test('the instance weight overrides the tracker\'s; without it the tracker\'s weight and reverse apply', () => {
  const b = instanceBindings({
    trackInterface: [{ name: 'eth0', reverse: false }, { name: 'eth1', weight: 10, reverse: false }],
    trackScript: [{ name: 'chk_nginx', reverse: false }, { name: 'chk_rev', reverse: false }, { name: 'chk_nginx', weight: 30, reverse: false }, { name: 'missing', reverse: false }],
    trackFile: [{ name: 'tf', weight: 300, reverse: true }],
    trackProcess: [{ name: 'nginx', reverse: false }],
  }, catalog, { forceWeightZero: false });
  assert.deepEqual(b.map((x) => [x.kind, x.trackerName, x.weight, x.reverse]), [
    ['interface', 'eth0', 0, false],
    ['interface', 'eth1', 10, false],
    ['script', 'chk_nginx', -20, false],
    ['script', 'chk_rev', 5, true],
    ['script', 'chk_nginx', 30, false],
    ['file', 'tf', 254, true],
    ['process', 'nginx', 1, false],
  ]);
});

test('sync group members without sync_group_tracking_weight get weight 0 everywhere', () => {
  const b = instanceBindings({ trackInterface: [{ name: 'eth1', weight: 10, reverse: false }], trackScript: [{ name: 'chk_nginx', reverse: false }], trackFile: [], trackProcess: [] }, catalog, { forceWeightZero: true });
  assert.deepEqual(b.map((x) => x.weight), [0, 0]);
});
