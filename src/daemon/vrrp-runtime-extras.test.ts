/**
 * The runtime's keepalived extras that the daemon relies on: GARP bursts and refreshes, VIP
 * re-add, excluded VIPs and routes, mcast group and unicast TTL, check_unicast_src, and
 * track_interface through the link port. Owner instances (priority 255, state MASTER) become
 * MASTER at start, which keeps the set-up short.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../core/clock.js';
import type { AddressEvent, AddressPort, LinkEvent, LinkPort, RoutePort, RouteSpec, VipSpec, VrrpDatagram, VrrpSendRequest, VrrpSocketPort } from '../net/ports.js';
import { instanceConfig, type VrrpInstanceConfig } from '../vrrp/config.js';
import { encodeAdvert } from '../vrrp/packet.js';
import { VrrpRuntime } from './vrrp-runtime.js';
import type { Waker } from './waker.js';

const VIP = { address: '10.0.0.100', prefixLength: 24, family: 4 as const, ifname: 'eth0' };
const VIP_NT = { address: '10.0.0.101', prefixLength: 32, family: 4 as const, ifname: 'eth0', noTrack: true };

function world(config: Partial<VrrpInstanceConfig>) {
  const clock = new ManualClock(0);
  const journal: string[] = [];
  const sent: VrrpSendRequest[] = [];
  const groups: string[][] = [];
  const timers: Array<{ atMs: number; fn: () => void; cancelled: boolean }> = [];
  let packet: ((d: VrrpDatagram) => void) | undefined;
  let addrWatch: ((e: AddressEvent) => void) | undefined;
  let linkWatch: ((e: LinkEvent) => void) | undefined;
  const linkUp = new Map<string, boolean>();
  const socket: VrrpSocketPort = {
    open: (_i, _f, g) => (groups.push([...g]), Promise.resolve({ ok: true })),
    send: (r) => (sent.push(r), { ok: true }),
    onPacket: (h) => void (packet = h),
    close: () => {},
  };
  const key = (v: VipSpec): string => `${v.address}/${v.prefixLength}`;
  const addresses: AddressPort = {
    add: (v) => (journal.push(`add ${key(v)}`), Promise.resolve({ ok: true })),
    remove: (v) => (journal.push(`del ${key(v)}`), Promise.resolve({ ok: true })),
    list: () => Promise.resolve([]),
    watch: (_n, cb) => ((addrWatch = cb), () => void (addrWatch = undefined)),
  };
  const routes: RoutePort = {
    add: (r: RouteSpec) => (journal.push(`add ${r.kind} ${r.args.join(' ')}`), Promise.resolve({ ok: true })),
    remove: (r: RouteSpec) => (journal.push(`del ${r.kind} ${r.args.join(' ')}`), Promise.resolve({ ok: true })),
  };
  const link: LinkPort = {
    isUp: (n) => Promise.resolve(linkUp.get(n) ?? true),
    watch: (_n, cb) => ((linkWatch = cb), () => void (linkWatch = undefined)),
  };
  const waker: Waker = { wakeAt: () => {}, cancel: () => {} };
  const announced: number[] = [];
  const runtime = new VrrpRuntime({
    clock,
    waker,
    socket,
    addresses,
    routes,
    link,
    neighbors: { announce: () => (announced.push(clock.nowMs()), { ok: true }) },
    schedule: (delayMs, fn) => {
      const t = { atMs: clock.nowMs() + delayMs, fn, cancelled: false };
      timers.push(t);
      return () => void (t.cancelled = true);
    },
    instances: [instanceConfig({ name: 'VI', vrid: 7, ifname: 'eth0', basePriority: 255, initialState: 'MASTER', primaryAddress: '10.0.0.1', vips: [VIP], ...config })],
  });
  const advance = (toMs: number): void => {
    for (;;) {
      const due = timers.filter((t) => !t.cancelled && t.atMs <= toMs).sort((a, b) => a.atMs - b.atMs)[0];
      if (due === undefined) break;
      clock.setMs(due.atMs);
      due.cancelled = true;
      due.fn();
    }
    clock.setMs(toMs);
  };
  return { runtime, journal, sent, groups, announced, advance, linkUp, packet: (d: VrrpDatagram) => packet?.(d), addrEvent: (e: AddressEvent) => addrWatch?.(e), linkEvent: (e: LinkEvent) => linkWatch?.(e) };
}

test('GARP: a burst of garp_master_repeat spaced by vrrp_garp_interval, a second burst after garp_master_delay, refreshes while MASTER', async () => {
  const w = world({ garp: { masterRepeat: 3, masterDelayMs: 1000, masterRefreshMs: 5000, masterRefreshRepeat: 2, intervalMs4: 10, intervalMs6: 0, lowerPrioRepeat: 0, lowerPrioDelayMs: 0 } });
  await w.runtime.start();
  w.advance(100);
  assert.deepEqual(w.announced, [0, 10, 20]);
  w.advance(1100);
  assert.deepEqual(w.announced.slice(3), [1000, 1010, 1020]);
  w.advance(10_050);
  assert.deepEqual(w.announced.slice(6), [5000, 5010, 10_000, 10_010]);
  w.runtime.stop();
  w.advance(20_000);
  assert.equal(w.announced.length, 10, 'no announcement after leaving MASTER');
});

test('without garp settings (or without a scheduler) one announcement per VIP', async () => {
  const w = world({});
  await w.runtime.start();
  w.advance(10_000);
  assert.deepEqual(w.announced, [0]);
});

test('excluded VIPs and routes follow the VIPs on takeover and on release', async () => {
  const w = world({
    excludedVips: [{ address: '10.9.0.1', prefixLength: 32, family: 4, ifname: 'eth1' }],
    routes: [{ kind: 'route', family: 4, args: ['10.40.0.0/16', 'via', '10.0.0.254'] }, { kind: 'rule', family: 4, args: ['from', '10.0.0.100', 'table', '40'] }],
  });
  await w.runtime.start();
  assert.deepEqual(w.journal, ['add 10.0.0.100/24', 'add 10.9.0.1/32', 'add route 10.40.0.0/16 via 10.0.0.254', 'add rule from 10.0.0.100 table 40']);
  w.journal.length = 0;
  w.runtime.stop();
  assert.deepEqual(w.journal, ['del route 10.40.0.0/16 via 10.0.0.254', 'del rule from 10.0.0.100 table 40', 'del 10.0.0.100/24', 'del 10.9.0.1/32']);
});

test('a VIP deleted by someone else is added again while MASTER, unless no_track', async () => {
  const w = world({ vips: [VIP, VIP_NT] });
  await w.runtime.start();
  w.journal.length = 0;
  w.addrEvent({ ifname: 'eth0', address: '10.0.0.100', prefixLength: 24, family: 4, present: false });
  w.addrEvent({ ifname: 'eth0', address: '10.0.0.101', prefixLength: 32, family: 4, present: false });
  w.addrEvent({ ifname: 'eth0', address: '10.0.0.100', prefixLength: 24, family: 4, present: true });
  assert.deepEqual(w.journal, ['add 10.0.0.100/24']);
  assert.equal(w.runtime.runtimeCounters('VI')?.vipsReadded, 1);
});

test('mcast group and unicast TTL: adverts go where the config says, with the TTL it says', async () => {
  const m = world({ mcastGroup: '224.0.0.19' });
  await m.runtime.start();
  assert.deepEqual(m.groups, [['224.0.0.19']]);
  assert.equal(m.sent[0]?.dst, '224.0.0.19');
  assert.equal(m.sent[0]?.ttl, 255);
  const u = world({ unicastPeers: ['10.0.0.2', '10.0.0.3'], unicastTtl: 64 });
  await u.runtime.start();
  assert.deepEqual(u.groups, [[]], 'a unicast instance joins no group');
  assert.deepEqual(u.sent.map((s) => `${s.dst}/${s.ttl}`), ['10.0.0.2/64', '10.0.0.3/64']);
});

test('check_unicast_src drops adverts from addresses that are not unicast peers, and counts them', async () => {
  const w = world({ basePriority: 100, initialState: 'BACKUP', unicastPeers: ['10.0.0.2'], checkUnicastSrc: true, version: 3 });
  await w.runtime.start();
  const advert = (src: string): VrrpDatagram => {
    const e = encodeAdvert({ version: 3, vrid: 7, priority: 200, advertIntervalCs: 100, authType: 0, addresses: ['10.0.0.100'], family: 4 }, { src, dst: '10.0.0.1' });
    assert.ok(e.ok);
    return { ifname: 'eth0', family: 4, src, dst: '10.0.0.1', ttl: 64, payload: e.bytes };
  };
  w.packet(advert('10.0.0.9'));
  assert.equal(w.runtime.runtimeCounters('VI')?.unicastSrcRejected, 1);
  assert.equal(w.runtime.instanceState('VI')?.counters.advert_rcvd, 0);
  w.packet(advert('10.0.0.2'));
  assert.equal(w.runtime.instanceState('VI')?.counters.advert_rcvd, 1);
});

test('track_interface: a tracked link going down with weight 0 puts the instance in FAULT, and back', async () => {
  const w = world({ basePriority: 100, trackers: [{ name: 'interface:eth1', weight: 0, initiallyUp: true }] });
  await w.runtime.start();
  assert.equal(w.runtime.instanceState('VI')?.state, 'BACKUP');
  w.linkEvent({ ifname: 'eth1', up: false });
  assert.equal(w.runtime.instanceState('VI')?.state, 'FAULT');
  w.linkEvent({ ifname: 'eth1', up: true });
  assert.equal(w.runtime.instanceState('VI')?.state, 'BACKUP');
  const down = world({ basePriority: 100, trackers: [{ name: 'interface:eth1', weight: -30, initiallyUp: true }] });
  down.linkUp.set('eth1', false);
  await down.runtime.start();
  assert.equal(down.runtime.instanceState('VI')?.effectivePriority, 70, 'a link down at start counts at once');
});

test('GARP with no interval: one message per task, so a burst never holds the event loop in one go', async () => {
  const vips = [VIP, { ...VIP, address: '10.0.0.102' }];
  const w = world({ vips, garp: { masterRepeat: 3, masterDelayMs: 0, masterRefreshMs: 0, masterRefreshRepeat: 1, intervalMs4: 0, intervalMs6: 0, lowerPrioRepeat: 0, lowerPrioDelayMs: 0 } });
  await w.runtime.start();
  assert.equal(w.announced.length, 1, 'only the first message goes in the takeover turn');
  w.advance(0);
  assert.equal(w.announced.length, 6, 'three per VIP in all');
});
