import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cfg, runSpaced } from './testing/fsm-run.js';
import { effectivePriority } from './fsm.js';

test('track_file: value × weight moves the priority, reverse negates, below -253 is FAULT with the cause', () => {
  const c = cfg({ trackers: [{ name: 'file:prio', kind: 'file', weight: 5, initiallyUp: true }] });
  assert.equal(effectivePriority(c, {}, {}), 100, 'an unread file counts as 0');
  assert.equal(effectivePriority(c, {}, { 'file:prio': 4 }), 120);
  assert.equal(effectivePriority(c, {}, { 'file:prio': -10 }), 50);
  const rev = cfg({ trackers: [{ name: 'file:prio', kind: 'file', weight: 5, reverse: true, initiallyUp: true }] });
  assert.equal(effectivePriority(rev, {}, { 'file:prio': 4 }), 80);
  const s1 = runSpaced(c, [{ type: 'Started' }, { type: 'TrackerChanged', tracker: 'file:prio', up: true, value: 3, cause: 'Track file prio (/x) reads 3' }]);
  assert.equal(s1.effectivePriority, 115);
  assert.equal(s1.state, 'BACKUP');
  const s2 = runSpaced(c, [{ type: 'Started' }, { type: 'TrackerChanged', tracker: 'file:prio', up: true, value: -60, cause: 'Track file prio (/x) reads -60' }]);
  assert.equal(s2.state, 'FAULT');
  assert.match(s2.cause, /Tracker file:prio failed: Track file prio \(\/x\) reads -60/);
});

test('reverse boolean trackers: weight negated, weight 0 faults while up', () => {
  const c = cfg({ trackers: [{ name: 'script:chk', kind: 'script', weight: -30, reverse: true, initiallyUp: true }] });
  // keepalived: reverse with a negative weight adds +30 while the script fails.
  assert.equal(effectivePriority(c, { 'script:chk': true }), 100);
  assert.equal(effectivePriority(c, { 'script:chk': false }), 130);
  const z = cfg({ trackers: [{ name: 'script:chk', kind: 'script', weight: 0, reverse: true, initiallyUp: false }] });
  assert.equal(runSpaced(z, [{ type: 'Started' }]).state, 'BACKUP');
  const up = runSpaced(z, [{ type: 'Started' }, { type: 'TrackerChanged', tracker: 'script:chk', up: true, cause: 'Script chk succeeded' }]);
  assert.equal(up.state, 'FAULT');
  assert.match(up.cause, /script:chk failed: Script chk succeeded/);
});
