import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../core/clock.js';
import type { AddressPort, NeighborAnnouncePort, PortResult, VrrpSocketPort } from '../net/ports.js';
import { instanceConfig } from '../vrrp/config.js';
import { decodeAdvert } from '../vrrp/packet.js';
import { VrrpRuntime } from './vrrp-runtime.js';
import type { Waker } from './waker.js';

/** One journal of every port call and observer report, in the order the runtime made them. */
function orderHarness() {
  const clock = new ManualClock(1000);
  const journal: string[] = [];
  let wake: { atMs: number; fn: () => void } | undefined;
  const socket: VrrpSocketPort = {
    open: () => Promise.resolve<PortResult>({ ok: true }),
    send: (r) => {
      const d = decodeAdvert(r.payload, { family: 4, src: r.src ?? '', dst: r.dst, ttl: r.ttl }, { version: 3, vrid: 7, checksumMode: 'pseudo-header', multicast: true });
      journal.push(`send prio ${d.ok ? d.advert.priority : 'undecodable'}`);
      return { ok: true };
    },
    onPacket: () => {},
    close: () => {},
  };
  const addresses: AddressPort = {
    add: (v) => (journal.push(`add ${v.address}`), Promise.resolve({ ok: true })),
    remove: (v) => (journal.push(`remove ${v.address}`), Promise.resolve({ ok: true })),
    list: () => Promise.resolve([]),
  };
  const neighbors: NeighborAnnouncePort = { announce: (_i, _f, a) => (journal.push(`announce ${a}`), { ok: true }) };
  const waker: Waker = {
    wakeAt: (atMs, fn) => {
      wake = { atMs, fn };
    },
    cancel: () => {
      wake = undefined;
    },
  };
  const config = instanceConfig({
    name: 'VI_7',
    vrid: 7,
    version: 3,
    advertIntervalCs: 10,
    ifname: 'eth0',
    basePriority: 90,
    primaryAddress: '10.0.0.2',
    vips: [{ address: '192.168.7.100', prefixLength: 24, family: 4, ifname: 'eth0' }],
  });
  const runtime = new VrrpRuntime({
    clock,
    waker,
    socket,
    addresses,
    neighbors,
    instances: [config],
    observe: (_name, _event, before, after) => {
      if (before.state !== after.state) journal.push(`observe ${before.state}->${after.state}`);
    },
  });
  const fireWake = (): void => {
    const w = wake;
    assert.ok(w !== undefined, 'the runtime asked to be woken');
    clock.setMs(w.atMs);
    wake = undefined;
    w.fn();
  };
  return { runtime, journal, fireWake };
}

test('on takeover the first advert leaves before the state report, the VIP add and the announcement', async () => {
  const h = orderHarness();
  await h.runtime.start();
  h.journal.length = 0;
  h.fireWake(); // Master_Down_Interval with no master heard
  assert.deepEqual(h.journal, ['send prio 90', 'observe BACKUP->MASTER', 'add 192.168.7.100', 'announce 192.168.7.100']);
});

test('on a clean stop the priority-0 advert leaves before the state report and the VIP removal', async () => {
  const h = orderHarness();
  await h.runtime.start();
  h.fireWake();
  h.journal.length = 0;
  h.runtime.stop();
  assert.equal(h.journal[0], 'send prio 0');
  assert.ok(h.journal.indexOf('remove 192.168.7.100') > 0, h.journal.join(', '));
  const observed = h.journal.findIndex((j) => j.startsWith('observe MASTER->'));
  assert.ok(observed > 0, h.journal.join(', '));
});
