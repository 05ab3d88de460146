import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../core/clock.js';
import type { AddressPort, NeighborAnnouncePort, PortResult, VrrpSendRequest, VrrpSocketPort } from '../net/ports.js';
import { instanceConfig } from '../vrrp/config.js';
import { decodeAdvert } from '../vrrp/packet.js';
import { VrrpRuntime } from './vrrp-runtime.js';
import { ManualWaker } from './testing/manual-waker.js';

/** One journal of every port call and observer report, in the order the runtime made them. */
function orderHarness(withStopAdverts = false) {
  const clock = new ManualClock(1000);
  const journal: string[] = [];
  const armed: Array<{ key: string; requests: readonly VrrpSendRequest[] }> = [];
  const sentPayloads: Uint8Array[] = [];
  const socket: VrrpSocketPort = {
    open: () => Promise.resolve<PortResult>({ ok: true }),
    send: (r) => {
      const d = decodeAdvert(r.payload, { family: 4, src: r.src ?? '', dst: r.dst, ttl: r.ttl }, { version: 3, vrid: 7, checksumMode: 'pseudo-header', multicast: true });
      journal.push(`send prio ${d.ok ? d.advert.priority : 'undecodable'}`);
      sentPayloads.push(r.payload);
      return { ok: true };
    },
    onPacket: () => {},
    close: () => {},
    ...(withStopAdverts ? { armStopAdverts: (key: string, requests: readonly VrrpSendRequest[]) => void armed.push({ key, requests }) } : {}),
  };
  const addresses: AddressPort = {
    add: (v) => (journal.push(`add ${v.address}`), Promise.resolve({ ok: true })),
    remove: (v) => (journal.push(`remove ${v.address}`), Promise.resolve({ ok: true })),
    list: () => Promise.resolve([]),
  };
  const neighbors: NeighborAnnouncePort = { announce: (_i, _f, a) => (journal.push(`announce ${a}`), { ok: true }) };
  const waker = new ManualWaker(clock);
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
    waker.fire();
  };
  return { runtime, journal, fireWake, armed, config, sentPayloads };
}

test('on takeover the first advert, the VIP add and the announcement all leave before the state report', async () => {
  const h = orderHarness();
  await h.runtime.start();
  h.journal.length = 0;
  h.fireWake(); // Master_Down_Interval with no master heard
  assert.deepEqual(h.journal, ['send prio 90', 'add 192.168.7.100', 'announce 192.168.7.100', 'observe BACKUP->MASTER']);
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

/** Decodes an armed priority-0 advert as a backup would (checksum, version, VRID, addresses). */
function decodeArmed(r: VrrpSendRequest) {
  const d = decodeAdvert(r.payload, { family: 4, src: r.src ?? '', dst: r.dst, ttl: r.ttl }, { version: 3, vrid: 7, checksumMode: 'pseudo-header', multicast: true });
  assert.ok(d.ok, `armed advert decodes: ${d.ok ? '' : d.detail}`);
  return d.advert;
}

test('a MASTER has its priority-0 advert armed for the stop signal; leaving MASTER disarms it', async () => {
  const h = orderHarness(true);
  await h.runtime.start();
  assert.equal(h.armed.length, 0, 'a backup arms nothing');
  h.fireWake();
  assert.equal(h.armed.length, 1);
  const first = h.armed[0];
  assert.ok(first !== undefined);
  assert.equal(first.key, 'VI_7');
  assert.equal(first.requests.length, 1);
  const req = first.requests[0];
  assert.ok(req !== undefined);
  assert.equal(req.dst, '224.0.0.18');
  assert.equal(req.src, '10.0.0.2');
  assert.equal(req.ttl, 255);
  const advert = decodeArmed(req);
  assert.equal(advert.priority, 0);
  assert.deepEqual(advert.addresses, ['192.168.7.100']);
  // Adverts as MASTER do not re-arm what did not change.
  h.fireWake();
  h.fireWake();
  assert.equal(h.armed.length, 1);
  // A higher priority takes over: this instance is BACKUP and must not send priority 0 at a signal.
  h.runtime.deliver('VI_7', { type: 'AdvertReceived', srcIp: '10.0.0.9', vrid: 7, priority: 200, advertIntervalCs: 10 });
  assert.equal(h.runtime.instanceState('VI_7')?.state, 'BACKUP');
  assert.deepEqual(h.armed.at(-1), { key: 'VI_7', requests: [] });
});

test('the armed priority-0 advert is byte for byte the one the stop sends, and the stop disarms it', async () => {
  const h = orderHarness(true);
  await h.runtime.start();
  h.fireWake();
  const armedReq = h.armed.at(-1)?.requests[0];
  assert.ok(armedReq !== undefined);
  h.journal.length = 0;
  h.sentPayloads.length = 0;
  void h.runtime.stopWithHandover();
  assert.equal(h.journal[0], 'send prio 0');
  assert.deepEqual([...(h.sentPayloads[0] ?? [])], [...armedReq.payload]);
  assert.deepEqual(h.armed.at(-1), { key: 'VI_7', requests: [] }, 'RELEASING: disarmed');
});

test('a reload that changes the VIPs of a MASTER re-arms its priority-0 advert with the new addresses', async () => {
  const h = orderHarness(true);
  await h.runtime.start();
  h.fireWake();
  const before = h.armed.length;
  await h.runtime.reload([{ ...h.config, vips: [...h.config.vips, { address: '192.168.7.101', prefixLength: 24, family: 4, ifname: 'eth0' }] }]);
  assert.equal(h.runtime.instanceState('VI_7')?.state, 'MASTER');
  assert.ok(h.armed.length > before, 're-armed');
  const req = h.armed.at(-1)?.requests[0];
  assert.ok(req !== undefined);
  assert.deepEqual(decodeArmed(req).addresses, ['192.168.7.100', '192.168.7.101']);
});
