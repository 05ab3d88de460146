import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { instanceConfig, type VipConfig, type VrrpInstanceConfig } from './config.js';
import { initialInstanceState, step, type VrrpEvent, type VrrpInstanceState } from './fsm.js';
import { addressDiff, changedFields, instanceKey, isEmptyDiff, planReload, reconfigure } from './reconfigure.js';

const seed = process.env.HALO_SEED === undefined ? {} : { seed: Number(process.env.HALO_SEED) };
const vip = (address: string, extra: Partial<VipConfig> = {}): VipConfig => ({ address, prefixLength: 24, family: 4, ifname: 'eth0', ...extra });
const VIP1 = vip('10.0.0.100');
const VIP2 = vip('10.0.0.101');

function cfg(over: Partial<VrrpInstanceConfig> = {}): VrrpInstanceConfig {
  return instanceConfig({ name: 'VI_1', vrid: 51, ifname: 'eth0', basePriority: 100, primaryAddress: '10.0.0.1', vips: [VIP1], ...over });
}

/** The fake clock: events at given times from the initial state. */
function drive(c: VrrpInstanceConfig, events: ReadonlyArray<readonly [number, VrrpEvent]>): VrrpInstanceState {
  let s = initialInstanceState(c);
  for (const [atMs, e] of events) s = step(c, s, e, atMs).state;
  return s;
}

const master = (c: VrrpInstanceConfig): VrrpInstanceState => drive(c, [[0, { type: 'Started' }], [3609.375, { type: 'MasterDownTimerFired' }]]);
const backup = (c: VrrpInstanceConfig): VrrpInstanceState =>
  drive(c, [[0, { type: 'Started' }], [500, { type: 'AdvertReceived', srcIp: '10.0.0.2', vrid: c.vrid, priority: 200, advertIntervalCs: c.advertIntervalCs }]]);

test('instances are matched by VRID, family and interface; the name may change', () => {
  const a = cfg();
  const b = cfg({ name: 'VI_2', vrid: 52 });
  const v6 = cfg({ name: 'VI_6', family: 6, primaryAddress: 'fe80::1', vips: [] });
  const plan = planReload([a, b, v6], [cfg({ name: 'RENAMED' }), cfg({ name: 'VI_3', vrid: 53 }), cfg({ name: 'VI_6', family: 6, ifname: 'eth1', primaryAddress: 'fe80::1', vips: [] })]);
  assert.deepEqual(plan.kept.map((k) => [k.before.name, k.after.name, k.changes]), [['VI_1', 'RENAMED', ['name']]]);
  assert.deepEqual(plan.added.map((c) => c.name), ['VI_3', 'VI_6']);
  assert.deepEqual(plan.removed.map((c) => c.name), ['VI_2', 'VI_6']);
  assert.equal(instanceKey(a), 'eth0/IPv4/51');
});

test('an unchanged config keeps every instance with no changes', () => {
  const list = [cfg(), cfg({ name: 'VI_2', vrid: 52, vips: [VIP2] })];
  const plan = planReload(list, structuredClone(list));
  assert.equal(plan.kept.length, 2);
  assert.ok(plan.kept.every((k) => k.changes.length === 0));
  assert.deepEqual([plan.added, plan.removed], [[], []]);
});

test('changed settings are named', () => {
  assert.deepEqual(changedFields(cfg(), cfg({ basePriority: 90, advertIntervalCs: 200, authPass: 'x' })), ['advertIntervalCs', 'authPass', 'basePriority']);
});

test('VIPs, excluded VIPs and routes change by difference; no_track alone changes nothing', () => {
  const route = { kind: 'route' as const, family: 4 as const, args: ['10.9.0.0/16', 'dev', 'eth0'] };
  const before = cfg({ vips: [VIP1, VIP2], excludedVips: [vip('10.0.0.200')], routes: [route] });
  const after = cfg({ vips: [{ ...VIP1, noTrack: true }, vip('10.0.0.102')], excludedVips: [vip('10.0.0.200')], routes: [] });
  const d = addressDiff(before, after);
  assert.deepEqual(d.vipsAdded.map((v) => v.address), ['10.0.0.102']);
  assert.deepEqual(d.vipsRemoved.map((v) => v.address), ['10.0.0.101']);
  assert.deepEqual([d.excludedAdded, d.excludedRemoved], [[], []]);
  assert.deepEqual(d.routesRemoved, [route]);
  assert.ok(isEmptyDiff(addressDiff(before, before)));
  // A changed prefix is another address for the kernel: the old one goes, the new one comes.
  const p = addressDiff(cfg(), cfg({ vips: [{ ...VIP1, prefixLength: 32 }] }));
  assert.deepEqual([p.vipsRemoved.length, p.vipsAdded.length], [1, 1]);
});

test('a MASTER stays MASTER through a reload: timers, counters and state kept, only added/removed VIPs touched', () => {
  const before = cfg({ vips: [VIP1, VIP2] });
  const s = master(before);
  assert.equal(s.state, 'MASTER');
  const after = cfg({ vips: [VIP1, vip('10.0.0.102')], advertIntervalCs: 200 });
  const r = reconfigure(before, after, s, 4000);
  assert.equal(r.state.state, 'MASTER');
  assert.deepEqual(r.state.timers, s.timers, 'the advert timer runs on');
  assert.deepEqual(r.state.counters, s.counters);
  assert.deepEqual(r.effects.filter((e) => e.type !== 'Log'), [], 'no election, no advert, no VIP churn');
  assert.deepEqual(r.addresses.vipsAdded.map((v) => v.address), ['10.0.0.102']);
  assert.deepEqual(r.addresses.vipsRemoved.map((v) => v.address), ['10.0.0.101']);
  assert.deepEqual(r.announce.map((v) => v.address), ['10.0.0.102']);
  // The next advert uses the new interval.
  const next = step(after, r.state, { type: 'AdvertTimerFired' }, r.state.timers.advert ?? 0);
  assert.deepEqual(next.effects.find((e) => e.type === 'SendAdvert'), { type: 'SendAdvert', priority: 100, advertIntervalCs: 200 });
  assert.equal(next.state.timers.advert, (r.state.timers.advert ?? 0) + 2000);
});

test('a MASTER whose priority changes advertises it at once, and is not released', () => {
  const s = master(cfg());
  const r = reconfigure(cfg(), cfg({ basePriority: 120 }), s, 4000);
  assert.equal(r.state.state, 'MASTER');
  assert.equal(r.state.effectivePriority, 120);
  assert.deepEqual(r.effects.filter((e) => e.type === 'SendAdvert'), [{ type: 'SendAdvert', priority: 120, advertIntervalCs: 100 }]);
  assert.ok(!r.effects.some((e) => e.type === 'RemoveVips' || e.type === 'RunNotify'));
});

test('a BACKUP keeps its state and holds no addresses to change', () => {
  const before = cfg();
  const s = backup(before);
  assert.equal(s.state, 'BACKUP');
  const r = reconfigure(before, cfg({ vips: [VIP1, VIP2] }), s, 1000);
  assert.equal(r.state.state, 'BACKUP');
  assert.ok(isEmptyDiff(r.addresses));
  assert.deepEqual(r.announce, []);
  assert.equal(r.state.lastMaster?.address, '10.0.0.2');
  assert.deepEqual(r.state.timers, s.timers);
});

test('tracker state is kept for trackers that stay; a new weight-0 tracker that starts down puts a MASTER in FAULT', () => {
  const before = cfg({ trackers: [{ name: 'chk', weight: -20, initiallyUp: true }] });
  let s = master(before);
  s = step(before, s, { type: 'TrackerChanged', tracker: 'chk', up: false }, 4000).state;
  assert.equal(s.effectivePriority, 80);
  const same = reconfigure(before, cfg({ trackers: [{ name: 'chk', weight: -20, initiallyUp: true }] }), s, 4100);
  assert.equal(same.state.effectivePriority, 80, 'the down tracker stays down: no re-initialisation');
  const withFault = reconfigure(before, cfg({ trackers: [{ name: 'chk', weight: -20, initiallyUp: true }, { name: 'must', weight: 0, initiallyUp: false }] }), s, 4100);
  assert.equal(withFault.state.state, 'FAULT');
  assert.ok(withFault.effects.some((e) => e.type === 'RemoveVips'));
  // A removed tracker is forgotten.
  const gone = reconfigure(before, cfg(), s, 4100);
  assert.deepEqual(gone.state.trackersUp, {});
  assert.equal(gone.state.effectivePriority, 100);
});

test('property: reloading the same config never changes state, timers or counters and orders nothing', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 254 }), fc.integer({ min: 1, max: 1000 }), fc.constantFrom<'master' | 'backup' | 'init'>('master', 'backup', 'init'), fc.integer({ min: 0, max: 100_000 }), (priority, advertIntervalCs, which, atMs) => {
      const c = cfg({ basePriority: priority, advertIntervalCs });
      const s = which === 'master' ? master(c) : which === 'backup' ? backup(c) : initialInstanceState(c);
      const r = reconfigure(c, structuredClone(c), s, atMs);
      assert.deepEqual(r.state, s);
      assert.deepEqual(r.effects, []);
      assert.ok(isEmptyDiff(r.addresses));
    }),
    seed,
  );
});
