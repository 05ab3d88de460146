import { test } from 'node:test';
import assert from 'node:assert/strict';
import { instanceConfig, type VrrpInstanceConfig } from './config.js';
import { initialInstanceState, step, type VrrpEvent, type VrrpInstanceState } from './fsm.js';
import { syncGroupOrders } from './sync-group.js';

const mk = (name: string, vrid: number): VrrpInstanceConfig =>
  instanceConfig({ name, vrid, ifname: 'eth0', basePriority: 100, primaryAddress: '10.0.0.1', syncGroup: 'G', trackers: [{ name: `${name}_chk`, weight: 0, initiallyUp: true }] });

/** A tiny group driver: apply an event to one member, then the group's orders until quiet. */
function drive(configs: VrrpInstanceConfig[], states: Map<string, VrrpInstanceState>, target: string, event: VrrpEvent, nowMs: number) {
  const queue: Array<{ member: string; event: VrrpEvent }> = [{ member: target, event }];
  for (let round = 0; round < 20 && queue.length > 0; round++) {
    const o = queue.shift();
    if (o === undefined) break;
    const c = configs.find((x) => x.name === o.member);
    const s = states.get(o.member);
    if (c === undefined || s === undefined) continue;
    states.set(o.member, step(c, s, o.event, nowMs).state);
    if (queue.length === 0) queue.push(...syncGroupOrders(configs.map((x) => ({ config: x, state: states.get(x.name) ?? initialInstanceState(x) }))));
  }
}

test('members become MASTER only once all want to', () => {
  const a = mk('VI_1', 1);
  const b = mk('VI_2', 2);
  const states = new Map([[a.name, initialInstanceState(a)], [b.name, initialInstanceState(b)]]);
  drive([a, b], states, 'VI_1', { type: 'Started' }, 0);
  drive([a, b], states, 'VI_2', { type: 'Started' }, 0);
  // VI_2 hears a master, so it does not want MASTER; VI_1 times out and must wait.
  drive([a, b], states, 'VI_2', { type: 'AdvertReceived', srcIp: '10.0.0.2', vrid: 2, priority: 150, advertIntervalCs: 100 }, 1000);
  drive([a, b], states, 'VI_1', { type: 'MasterDownTimerFired' }, 3609.375);
  assert.equal(states.get('VI_1')?.state, 'BACKUP');
  assert.equal(states.get('VI_1')?.wantsMaster, true);
  // VI_2's master goes silent: VI_2 times out, and now both go MASTER together.
  drive([a, b], states, 'VI_2', { type: 'MasterDownTimerFired' }, 1000 + 3609.375);
  assert.equal(states.get('VI_1')?.state, 'MASTER');
  assert.equal(states.get('VI_2')?.state, 'MASTER');
  // VI_2 hears a better master: VI_1 follows it to BACKUP.
  drive([a, b], states, 'VI_2', { type: 'AdvertReceived', srcIp: '10.0.0.2', vrid: 2, priority: 150, advertIntervalCs: 100 }, 6000);
  assert.equal(states.get('VI_2')?.state, 'BACKUP');
  assert.equal(states.get('VI_1')?.state, 'BACKUP');
});

test('one member in FAULT puts the group in FAULT, and they leave it together', () => {
  const a = mk('VI_1', 1);
  const b = mk('VI_2', 2);
  const states = new Map([[a.name, initialInstanceState(a)], [b.name, initialInstanceState(b)]]);
  drive([a, b], states, 'VI_1', { type: 'Started' }, 0);
  drive([a, b], states, 'VI_2', { type: 'Started' }, 0);
  drive([a, b], states, 'VI_1', { type: 'TrackerChanged', tracker: 'VI_1_chk', up: false }, 500);
  assert.equal(states.get('VI_1')?.state, 'FAULT');
  assert.equal(states.get('VI_2')?.state, 'FAULT');
  assert.equal(states.get('VI_2')?.groupFault, true);
  drive([a, b], states, 'VI_1', { type: 'TrackerChanged', tracker: 'VI_1_chk', up: true }, 900);
  assert.equal(states.get('VI_1')?.state, 'BACKUP');
  assert.equal(states.get('VI_2')?.state, 'BACKUP');
});

test('no orders for a quiet group', () => {
  const a = mk('VI_1', 1);
  const b = mk('VI_2', 2);
  assert.deepEqual(syncGroupOrders([{ config: a, state: initialInstanceState(a) }, { config: b, state: initialInstanceState(b) }]), []);
});
