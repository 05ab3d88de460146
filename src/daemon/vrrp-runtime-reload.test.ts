import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../core/clock.js';
import type { AddressPort, NeighborAnnouncePort, PortResult, VipSpec, VrrpSendRequest, VrrpSocketPort } from '../net/ports.js';
import { instanceConfig, type VipConfig, type VrrpInstanceConfig } from '../vrrp/config.js';
import { decodeAdvert } from '../vrrp/packet.js';
import { VrrpRuntime, type RuntimeNotify } from './vrrp-runtime.js';
import { ManualWaker } from './testing/manual-waker.js';

const vip = (address: string): VipConfig => ({ address, prefixLength: 24, family: 4, ifname: 'eth0' });

function cfg(over: Partial<VrrpInstanceConfig> = {}): VrrpInstanceConfig {
  return instanceConfig({ name: 'VI_1', vrid: 51, ifname: 'eth0', basePriority: 100, primaryAddress: '10.0.0.1', vips: [vip('10.0.0.100')], ...over });
}

/** Fake ports recording every address call in order; the waker is driven by hand on a manual clock. */
function harness(instances: readonly VrrpInstanceConfig[]) {
  const clock = new ManualClock(0);
  const sent: VrrpSendRequest[] = [];
  const vips = new Set<string>();
  const calls: string[] = [];
  const announced: string[] = [];
  const notified: RuntimeNotify[] = [];
  const opened: string[] = [];
  const socket: VrrpSocketPort = {
    open: (ifname, family, groups) => (opened.push(`${ifname}/${family}/${groups.join(',')}`), Promise.resolve<PortResult>({ ok: true })),
    send: (r) => (sent.push(r), { ok: true }),
    onPacket: () => undefined,
    close: () => undefined,
  };
  const key = (v: VipSpec): string => `${v.address}/${v.prefixLength}`;
  const addresses: AddressPort = {
    add: (v) => (calls.push(`add ${key(v)}`), vips.add(key(v)), Promise.resolve({ ok: true })),
    remove: (v) => (calls.push(`del ${key(v)}`), vips.delete(key(v)), Promise.resolve({ ok: true })),
    list: () => Promise.resolve([...vips]),
  };
  const neighbors: NeighborAnnouncePort = { announce: (_i, _f, a) => (announced.push(a), { ok: true }) };
  const waker = new ManualWaker(clock);
  const runtime = new VrrpRuntime({ clock, waker, socket, addresses, neighbors, instances, notify: (n) => notified.push(n) });
  const fireWake = (): number => waker.fire();
  const priorities = (): number[] =>
    sent.map((s) => {
      const d = decodeAdvert(s.payload, { family: 4, src: s.src ?? '', dst: s.dst, ttl: s.ttl }, { version: 2, vrid: 51, checksumMode: 'pseudo-header', multicast: true });
      return d.ok ? d.advert.priority : -1;
    });
  return { clock, runtime, sent, vips, calls, announced, notified, opened, fireWake, wakeAt: () => waker.atMs, priorities };
}

async function masterOf(instances: readonly VrrpInstanceConfig[]) {
  const h = harness(instances);
  await h.runtime.start();
  h.fireWake(); // Master_Down_Interval: no other router, so MASTER
  assert.equal(h.runtime.instanceState('VI_1')?.state, 'MASTER');
  h.calls.length = 0;
  h.sent.length = 0;
  h.announced.length = 0;
  h.notified.length = 0;
  return h;
}

test('reloading the same config changes nothing: MASTER kept, no address call, advert timer unchanged', async () => {
  const h = await masterOf([cfg()]);
  const wakeBefore = h.wakeAt();
  const summary = await h.runtime.reload([cfg()]);
  assert.deepEqual(summary, { added: [], removed: [], changed: [], unchanged: ['VI_1'] });
  assert.equal(h.runtime.instanceState('VI_1')?.state, 'MASTER');
  assert.deepEqual([h.calls, h.sent, h.notified], [[], [], []]);
  assert.equal(h.wakeAt(), wakeBefore);
  // The protocol goes on: the next advert leaves at the old deadline with priority 100.
  h.fireWake();
  assert.deepEqual(h.priorities(), [100]);
});

test('an added VIP is added and announced, a removed one removed; the kept VIP is never touched', async () => {
  const h = await masterOf([cfg({ vips: [vip('10.0.0.100'), vip('10.0.0.101')] })]);
  const summary = await h.runtime.reload([cfg({ name: 'WEB', vips: [vip('10.0.0.100'), vip('10.0.0.102')] })]);
  assert.deepEqual(summary.changed, [{ name: 'WEB', fields: ['name', 'vips'] }]);
  assert.deepEqual(h.calls, ['del 10.0.0.101/24', 'add 10.0.0.102/24']);
  assert.deepEqual(h.announced, ['10.0.0.102']);
  assert.equal(h.runtime.instanceState('WEB')?.state, 'MASTER');
  assert.deepEqual(h.notified, []);
  // The renamed instance's advert timer still runs, and adverts carry the new VIP list.
  h.fireWake();
  assert.equal(h.sent.length, 1);
  assert.equal(h.runtime.instanceState('WEB')?.counters.advert_sent, 2);
});

test('a removed instance is released (priority 0) and its STOP notification says deleted; a new one starts as at boot', async () => {
  const h = await masterOf([cfg()]);
  const added = cfg({ name: 'VI_2', vrid: 52, ifname: 'eth1', vips: [{ ...vip('10.1.0.100'), ifname: 'eth1' }] });
  const summary = await h.runtime.reload([added]);
  assert.deepEqual([summary.added, summary.removed], [['VI_2'], ['VI_1']]);
  assert.deepEqual(h.priorities(), [0]);
  assert.deepEqual(h.calls, ['del 10.0.0.100/24']);
  assert.deepEqual(h.notified.map((n) => [n.instance, n.state, n.deleted]), [['VI_1', 'STOP', true], ['VI_2', 'BACKUP', undefined]]);
  assert.equal(h.runtime.instanceState('VI_1'), undefined);
  assert.equal(h.runtime.instanceState('VI_2')?.state, 'BACKUP');
  assert.ok(h.opened.includes('eth1/4/224.0.0.18'), 'a socket is opened on the new interface');
  // The new instance runs: MASTER after its Master_Down_Interval.
  h.fireWake();
  assert.equal(h.runtime.instanceState('VI_2')?.state, 'MASTER');
});

test('a new priority on a MASTER is advertised at once; the next advert uses the new advert_int', async () => {
  const h = await masterOf([cfg()]);
  const due = h.wakeAt() ?? 0;
  await h.runtime.reload([cfg({ basePriority: 150, advertIntervalCs: 200 })]);
  assert.deepEqual(h.priorities(), [150]);
  assert.equal(h.wakeAt(), due, 'the advert timer runs on');
  const at = h.fireWake();
  assert.equal(h.wakeAt(), at + 2000);
});

test('trackers on reload: a kept one keeps its state, an added one starts at its init value, a removed one stops counting', async () => {
  const chk = { name: 'script:chk', weight: -10, initiallyUp: true };
  const h = await masterOf([cfg({ trackers: [chk] })]);
  h.runtime.trackerChanged('script:chk', false);
  assert.equal(h.runtime.instanceState('VI_1')?.effectivePriority, 90);
  // The same trackers: chk stays down, nothing is notified or advertised again.
  h.sent.length = 0;
  await h.runtime.reload([cfg({ trackers: [chk] })]);
  assert.equal(h.runtime.instanceState('VI_1')?.effectivePriority, 90);
  assert.deepEqual([h.sent, h.notified], [[], []]);
  // An added init_fail tracker starts down before its runner's first verdict: -20 at once.
  const extra = { name: 'script:extra', weight: -20, initiallyUp: false };
  await h.runtime.reload([cfg({ trackers: [chk, extra] })]);
  assert.equal(h.runtime.instanceState('VI_1')?.effectivePriority, 70);
  h.runtime.trackerChanged('script:extra', true);
  assert.equal(h.runtime.instanceState('VI_1')?.effectivePriority, 90);
  // chk removed: its -10 goes, and a late verdict of its runner changes nothing.
  await h.runtime.reload([cfg({ trackers: [extra] })]);
  assert.equal(h.runtime.instanceState('VI_1')?.effectivePriority, 100);
  h.runtime.trackerChanged('script:chk', false);
  assert.equal(h.runtime.instanceState('VI_1')?.effectivePriority, 100);
  assert.equal(h.runtime.instanceState('VI_1')?.state, 'MASTER');
});
