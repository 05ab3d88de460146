import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../core/clock.js';
import type { AddressPort, NeighborAnnouncePort, PortResult, TakeoverPlan, TakeoverPort, TakeoverReport, VipSpec, VrrpDatagram, VrrpSendRequest, VrrpSocketPort } from '../net/ports.js';
import { instanceConfig } from '../vrrp/config.js';
import { decodeAdvert, encodeAdvert } from '../vrrp/packet.js';
import { handoverBoundMs } from '../vrrp/timers.js';
import { TAKEOVER_FALLBACK_MS, VrrpRuntime, type RuntimeLogRecord } from './vrrp-runtime.js';
import { ManualWaker } from './testing/manual-waker.js';

/** Fake ports that record what the runtime asks for; the waker is driven by hand. */
function harness(opts: { openFails?: boolean; rehearsals?: number; unicast?: boolean; takeover?: TakeoverPort } = {}) {
  const clock = new ManualClock(1000);
  const sent: VrrpSendRequest[] = [];
  const vips = new Set<string>();
  const removed: string[] = [];
  const announced: string[] = [];
  const logs: RuntimeLogRecord[] = [];
  let handler: ((d: VrrpDatagram) => void) | undefined;
  const socket: VrrpSocketPort = {
    open: () => Promise.resolve<PortResult>(opts.openFails === true ? { ok: false, error: 'EPERM' } : { ok: true }),
    send: (r) => {
      sent.push(r);
      return { ok: true };
    },
    onPacket: (h) => {
      handler = h;
    },
    close: () => {
      handler = undefined;
    },
  };
  const key = (v: VipSpec): string => `${v.address}/${v.prefixLength}`;
  const addresses: AddressPort = {
    add: (v) => (vips.add(key(v)), Promise.resolve({ ok: true })),
    remove: (v) => (vips.delete(key(v)), removed.push(key(v)), Promise.resolve({ ok: true })),
    list: () => Promise.resolve([...vips]),
  };
  const neighbors: NeighborAnnouncePort = { announce: (_i, _f, a) => (announced.push(a), { ok: true }) };
  const waker = new ManualWaker(clock);
  const config = instanceConfig({
    name: 'VI_1',
    vrid: 51,
    ifname: 'eth0',
    basePriority: 100,
    primaryAddress: '10.0.0.1',
    authPass: 'secret',
    trackers: [{ name: 'chk_nginx', weight: -20, initiallyUp: true }],
    vips: [{ address: '192.168.1.100', prefixLength: 32, family: 4, ifname: 'eth0' }],
    ...(opts.unicast === true ? { unicastPeers: ['10.0.0.9'], checkUnicastSrc: true } : {}),
  });
  const runtime = new VrrpRuntime({ clock, waker, socket, addresses, neighbors, instances: [config], log: (r) => logs.push(r), ...(opts.rehearsals !== undefined ? { rehearsals: opts.rehearsals } : {}), ...(opts.takeover !== undefined ? { takeover: opts.takeover } : {}) });
  const fireWake = (): number => waker.fire();
  const receive = (src: string, priority: number, authData = 'secret', vrid = 51, ageMs?: number): void => {
    const enc = encodeAdvert(
      { version: 2, vrid, priority, advertIntervalCs: 100, authType: 1, authData, addresses: ['192.168.1.100'], family: 4 },
      { src, dst: '224.0.0.18' },
    );
    assert.ok(enc.ok);
    handler?.({ ifname: 'eth0', family: 4, src, dst: '224.0.0.18', ttl: 255, payload: enc.bytes, ...(ageMs === undefined ? {} : { ageMs }) });
  };
  return { clock, runtime, sent, vips, removed, announced, logs, fireWake, receive, wakeAt: () => waker.atMs, coarse: () => waker.coarse };
}

test('the runtime starts an instance as BACKUP and wakes at Master_Down_Interval', async () => {
  const h = harness();
  await h.runtime.start();
  assert.equal(h.runtime.snapshot()[0]?.state.state, 'BACKUP');
  assert.equal(h.wakeAt(), 1000 + 3609.375);
});

test('on the down timer it takes the VIPs, sends a decodable advert and announces the VIPs', async () => {
  const h = harness();
  await h.runtime.start();
  h.fireWake();
  assert.equal(h.runtime.snapshot()[0]?.state.state, 'MASTER');
  assert.deepEqual([...h.vips], ['192.168.1.100/32']);
  assert.deepEqual(h.announced, ['192.168.1.100']);
  const adv = h.sent[0];
  assert.ok(adv !== undefined);
  assert.equal(adv.dst, '224.0.0.18');
  assert.equal(adv.ttl, 255);
  const d = decodeAdvert(adv.payload, { family: 4, src: '10.0.0.1', dst: adv.dst, ttl: 255 }, { authType: 1, authData: 'secret' });
  assert.ok(d.ok && d.advert.priority === 100 && d.advert.vrid === 51);
  // The next wake is the advert timer, one interval later.
  assert.equal(h.wakeAt(), 1000 + 3609.375 + 1000);
  h.fireWake();
  assert.equal(h.sent.length, 2);
});

test('received adverts reach the state machine; bad ones are counted by reason', async () => {
  const h = harness();
  await h.runtime.start();
  h.fireWake();
  h.receive('10.0.0.2', 150);
  assert.equal(h.runtime.snapshot()[0]?.state.state, 'BACKUP');
  assert.equal(h.vips.size, 0);
  h.receive('10.0.0.2', 150, 'wrong');
  assert.equal(h.runtime.snapshot()[0]?.rx.auth_failure, 1);
  assert.equal(h.runtime.snapshot()[0]?.rx.advert_rcvd, 1);
  h.receive('10.0.0.1', 150);
  assert.equal(h.runtime.snapshot()[0]?.rx.advert_rcvd, 1, 'our own looped-back advert is ignored');
});

test("an advert's timers count from the kernel's receive time, never from before the instance's last step", async () => {
  const h = harness();
  await h.runtime.start();
  h.clock.setMs(2000);
  // Master_Down_Interval at priority 100, 1 s adverts: 3 s + Skew_Time 0.609375 s.
  h.receive('10.0.0.2', 150, 'secret', 51, 7.5);
  assert.equal(h.wakeAt(), 2000 - 7.5 + 3609.375);
  // Priority 0: Skew_Time from when it arrived (RFC 5798 §6.4.2).
  h.clock.setMs(2500);
  h.receive('10.0.0.2', 0, 'secret', 51, 2);
  assert.equal(h.wakeAt(), 2500 - 2 + 609.375);
  // A receive time before the last step (the loop was late on a packet that came before an
  // event it already handled) is taken as that step's time: event times never go back.
  h.clock.setMs(2600);
  h.receive('10.0.0.2', 150, 'secret', 51, 500);
  assert.equal(h.wakeAt(), 2498 + 3609.375);
  // No receive time: the time of handling.
  h.clock.setMs(2700);
  h.receive('10.0.0.2', 150);
  assert.equal(h.wakeAt(), 2700 + 3609.375);
});

test('a takeover by the Master_Down timer logs where its milliseconds went', async () => {
  const h = harness();
  await h.runtime.start();
  h.clock.setMs(2000);
  h.receive('10.0.0.2', 0, 'secret', 51, 1);
  const deadline = h.wakeAt();
  assert.equal(deadline, 1999 + 609.375);
  h.fireWake();
  assert.equal(h.runtime.snapshot()[0]?.state.state, 'MASTER');
  const line = h.logs.find((l) => l.message.startsWith('Takeover timing'));
  assert.ok(line !== undefined, 'a takeover timing line');
  assert.equal(line.instance, 'VI_1');
  assert.match(line.message, /woke 0\.00 ms after the deadline; advert \+0\.00, VIPs \+0\.00, gratuitous ARP \+0\.00 ms after the wake; last advert heard 609\.38 ms before the deadline/);
  // Nothing of the kind for a start-up takeover's later steps or a master's advert timer.
  h.fireWake();
  assert.equal(h.logs.filter((l) => l.message.startsWith('Takeover timing')).length, 1);
});

test('start rehearses the failover paths on a shadow: nothing is sent, added, announced or changed', async () => {
  for (const unicast of [false, true]) {
    const h = harness({ rehearsals: 7, unicast });
    await h.runtime.start();
    const line = h.logs.find((l) => l.message.startsWith('Rehearsed'));
    assert.match(line?.message ?? '', /^Rehearsed the failover paths: 7 takeovers in [\d.]+ ms$/, `unicast ${unicast}`);
    assert.equal(line?.level, 'debug');
    assert.deepEqual(h.sent, []);
    assert.equal(h.vips.size, 0);
    assert.deepEqual(h.announced, []);
    // The real instance is untouched: BACKUP, counters at zero, its own Master_Down timer.
    const snap = h.runtime.snapshot()[0];
    assert.equal(snap?.state.state, 'BACKUP');
    assert.equal(snap?.rx.advert_rcvd, 0);
    assert.equal(h.wakeAt(), 1000 + 3609.375);
    assert.equal(h.logs.filter((l) => l.level !== 'debug' && !/ -> BACKUP: /.test(l.message)).length, 0, JSON.stringify(h.logs));
  }
});

test('stop sends priority 0 and removes the VIPs', async () => {
  const h = harness();
  await h.runtime.start();
  h.fireWake();
  h.runtime.stop();
  const last = h.sent.at(-1);
  assert.equal(last?.payload[2], 0);
  assert.equal(h.vips.size, 0);
  assert.equal(h.wakeAt(), undefined);
});

test('a socket that does not open holds its instances in FAULT with a catalogued error', async () => {
  const h = harness({ openFails: true });
  await h.runtime.start();
  assert.equal(h.runtime.snapshot()[0]?.state.state, 'FAULT');
  assert.ok(h.logs.some((l) => l.code === 'HALO_VRRP_SOCKET_OPEN_FAILED' && l.message.includes('EPERM')));
});

test('tracker changes reach the instances tracking them; adverts for other VRIDs are counted, not delivered', async () => {
  const h = harness();
  await h.runtime.start();
  h.fireWake();
  const sentBefore = h.sent.length;
  h.runtime.trackerChanged('chk_nginx', false);
  assert.equal(h.runtime.snapshot()[0]?.state.effectivePriority, 80);
  assert.equal(h.sent.at(-1)?.payload[2], 80, 'the master advertises its new priority at once');
  assert.equal(h.sent.length, sentBefore + 1);
  h.runtime.trackerChanged('unrelated', false);
  assert.equal(h.sent.length, sentBefore + 1);
  h.receive('10.0.0.2', 150, 'secret', 99);
  assert.equal(h.runtime.unknownVridRcvd, 1);
  assert.equal(h.runtime.snapshot()[0]?.state.state, 'MASTER');
});

/** Brings the harness's instance to MASTER (no one else speaks). */
async function masterHarness() {
  const h = harness();
  await h.runtime.start();
  h.fireWake();
  assert.equal(h.runtime.instanceState('VI_1')?.state, 'MASTER');
  assert.ok(h.vips.has('192.168.1.100/32'));
  return h;
}

const lastPriority = (sent: readonly VrrpSendRequest[]): number | undefined => {
  const last = sent.at(-1);
  if (last === undefined) return undefined;
  const d = decodeAdvert(last.payload, { family: 4, src: last.src ?? '', dst: last.dst, ttl: last.ttl }, { version: 2, vrid: 51, authType: 1, authData: 'secret', advertIntervalCs: 100 });
  return d.ok ? d.advert.priority : undefined;
};

test('stopWithHandover keeps the VIP after priority 0 until the new master advertises, then closes', async () => {
  const h = await masterHarness();
  let done = false;
  const stopped = h.runtime.stopWithHandover().then(() => {
    done = true;
  });
  assert.equal(lastPriority(h.sent), 0);
  assert.equal(h.runtime.instanceState('VI_1')?.state, 'RELEASING');
  assert.ok(h.vips.has('192.168.1.100/32'), 'VIP kept while RELEASING');
  assert.ok(h.runtime.isRunning());
  h.clock.advanceMs(700);
  h.receive('10.0.0.2', 90);
  assert.ok(h.vips.has('192.168.1.100/32'), 'VIP kept for the grace after hearing the new master');
  assert.equal(h.fireWake() - h.clock.nowMs(), 0);
  await stopped;
  assert.ok(done);
  assert.ok(!h.vips.has('192.168.1.100/32'));
  assert.equal(h.runtime.instanceState('VI_1')?.state, 'INIT');
  assert.equal(h.runtime.isRunning(), false);
});

test('stopWithHandover with no one answering removes the VIP at the bound; stop() cuts it short', async () => {
  const h = await masterHarness();
  const startMs = h.clock.nowMs();
  const stopped = h.runtime.stopWithHandover();
  assert.equal(h.wakeAt(), startMs + handoverBoundMs(2, 100));
  h.fireWake();
  await stopped;
  assert.ok(!h.vips.has('192.168.1.100/32'));
  assert.equal(h.runtime.isRunning(), false);

  const h2 = await masterHarness();
  const p = h2.runtime.stopWithHandover();
  h2.runtime.stop();
  await p;
  assert.ok(!h2.vips.has('192.168.1.100/32'));
  assert.equal(h2.runtime.instanceState('VI_1')?.running, false);
});

test('stepDown: unknown or non-MASTER instances are refused and nothing changes; a MASTER hands over and stays BACKUP', async () => {
  const h = harness();
  await h.runtime.start();
  assert.deepEqual(h.runtime.stepDown('VI_9', null), { ok: false, error: 'No instance named VI_9' });
  assert.deepEqual(h.runtime.stepDown('VI_1', null), { ok: false, error: 'Instance VI_1 is BACKUP, not MASTER' });
  assert.deepEqual(h.runtime.stepDown(null, null), { ok: true, instances: [] });
  assert.equal(h.runtime.instanceState('VI_1')?.state, 'BACKUP');
  h.fireWake();
  const sentBefore = h.sent.length;
  assert.deepEqual(h.runtime.stepDown(null, null), { ok: true, instances: ['VI_1'] });
  assert.equal(h.sent.length, sentBefore + 1);
  assert.equal(lastPriority(h.sent), 0);
  assert.equal(h.runtime.instanceState('VI_1')?.state, 'RELEASING');
  assert.ok(h.vips.has('192.168.1.100/32'));
  h.clock.advanceMs(650);
  h.receive('10.0.0.2', 90);
  h.fireWake();
  assert.equal(h.runtime.instanceState('VI_1')?.state, 'BACKUP');
  assert.ok(!h.vips.has('192.168.1.100/32'));
  // Priority 100 > 90 with preempt: without the hold it would take over at Master_Down_Interval.
  for (let i = 0; i < 10; i++) {
    h.clock.advanceMs(1000);
    h.receive('10.0.0.2', 90);
  }
  assert.equal(h.runtime.instanceState('VI_1')?.state, 'BACKUP');
  assert.ok(h.runtime.isRunning());
});

/** A takeover port that records what it is handed; a test says when its "thread" has carried a takeover out. */
class FakeTakeover implements TakeoverPort {
  readonly arms: Array<{ key: string; inMs: number; plan: TakeoverPlan | undefined }> = [];
  readonly armed = new Map<string, TakeoverPlan>();
  claims = 0;
  refuse = false;
  private readonly done = new Map<string, TakeoverReport>();
  private handler: ((key: string) => void) | undefined;

  onCarriedOut(handler: (key: string) => void): void {
    this.handler = handler;
  }

  arm(key: string, inMs: number, plan?: TakeoverPlan): boolean {
    this.arms.push({ key, inMs, plan });
    const p = plan ?? this.armed.get(key);
    if (this.refuse || p === undefined) return false;
    this.armed.set(key, p);
    return true;
  }

  claim(key: string): TakeoverReport | undefined {
    this.claims++;
    const r = this.done.get(key);
    this.done.delete(key);
    return r;
  }

  /** The port's thread carried out the armed takeover of `key`. */
  carryOut(key: string, errors: TakeoverReport['errors'] = [], tell = false): void {
    assert.ok(this.armed.has(key), `no takeover armed for ${key}`);
    this.done.set(key, { lateMs: 0.05, advertMs: 0.01, vipsMs: 0.2, announceMs: 0.25, errors });
    if (tell) this.handler?.(key);
  }
}

const SKEW_DEADLINE = 1000 + 3609.375;

test('a backup hands its takeover to the takeover port: the advert, the VIPs and the first announcement, at the deadline', async () => {
  const port = new FakeTakeover();
  const h = harness({ takeover: port });
  await h.runtime.start();
  const arm = port.arms.at(-1);
  assert.ok(arm !== undefined && arm.plan !== undefined);
  assert.equal(arm.key, 'VI_1');
  assert.equal(arm.inMs, 3609.375);
  assert.equal(arm.plan.adverts.length, 1);
  const d = decodeAdvert(arm.plan.adverts[0]?.payload ?? new Uint8Array(), { family: 4, src: '10.0.0.1', dst: '224.0.0.18', ttl: 255 }, { authType: 1, authData: 'secret' });
  assert.ok(d.ok && d.advert.priority === 100, 'the advert the state machine would send');
  assert.deepEqual(arm.plan.vips.map((v) => `${v.address}/${v.prefixLength}`), ['192.168.1.100/32']);
  assert.deepEqual(arm.plan.announce.map((a) => a.address), ['192.168.1.100']);
  // The runtime's own timer is the fallback, later and without holding the loop for precision.
  assert.equal(h.wakeAt(), SKEW_DEADLINE + TAKEOVER_FALLBACK_MS);
  assert.equal(h.coarse(), true);
  assert.equal(h.sent.length, 0);
});

test('a takeover the port carried out is stepped as of its deadline and nothing is sent or added twice', async () => {
  const port = new FakeTakeover();
  const h = harness({ takeover: port });
  await h.runtime.start();
  port.carryOut('VI_1', [{ part: 'vip', index: 0, error: 'ENODEV (no such interface)' }]);
  h.fireWake();
  assert.equal(h.runtime.snapshot()[0]?.state.state, 'MASTER');
  assert.equal(h.sent.length, 0, 'the advert left from the port');
  assert.equal(h.vips.size, 0, 'the VIP was added by the port');
  assert.deepEqual(h.announced, [], 'the first announcement left from the port');
  // As of the deadline: the next advert is one interval after it, not after the fallback.
  assert.equal(h.wakeAt(), SKEW_DEADLINE + 1000);
  assert.equal(h.coarse(), false);
  assert.ok(h.logs.some((l) => l.message.startsWith('Takeover timing: the takeover thread started 0.05 ms after the deadline')));
  const failed = h.logs.find((l) => l.code === 'HALO_VRRP_VIP_FAILED');
  assert.equal(failed?.message, 'Cannot add VIP 192.168.1.100/32 on eth0: ENODEV (no such interface)');
  h.fireWake();
  assert.equal(h.sent.length, 1, 'the master adverts from the runtime');
});

test("the port's word that it carried a takeover out makes the state machine follow at once, as of the deadline", async () => {
  const port = new FakeTakeover();
  const h = harness({ takeover: port });
  await h.runtime.start();
  h.clock.setMs(SKEW_DEADLINE + 0.3);
  port.carryOut('VI_1', [], true);
  assert.equal(h.runtime.snapshot()[0]?.state.state, 'MASTER');
  assert.equal(h.sent.length, 0);
  assert.equal(h.wakeAt(), SKEW_DEADLINE + 1000, 'the advert timer counts from the deadline');
  assert.ok(h.logs.some((l) => l.message.includes('the state machine followed 0.30 ms after the deadline')));
});

test('an advert before the deadline claims the takeover first, and the same plan is re-armed at the new deadline', async () => {
  const port = new FakeTakeover();
  const h = harness({ takeover: port });
  await h.runtime.start();
  const arms = port.arms.length;
  h.clock.setMs(3000);
  h.receive('10.0.0.2', 150);
  assert.equal(port.claims, 1);
  assert.equal(h.runtime.snapshot()[0]?.state.state, 'BACKUP');
  const arm = port.arms.at(-1);
  assert.equal(port.arms.length, arms + 1);
  assert.equal(arm?.plan, undefined, 'the plan the port holds is unchanged');
  assert.equal(arm?.inMs, 3609.375);
  assert.equal(h.wakeAt(), 3000 + 3609.375 + TAKEOVER_FALLBACK_MS);
});

test('an event after a carried-out takeover is handled after it: a higher-priority master then takes the VIPs back', async () => {
  const port = new FakeTakeover();
  const h = harness({ takeover: port });
  await h.runtime.start();
  port.carryOut('VI_1');
  h.clock.setMs(SKEW_DEADLINE + 1);
  h.receive('10.0.0.2', 150);
  assert.equal(h.runtime.snapshot()[0]?.state.state, 'BACKUP');
  assert.ok(h.logs.some((l) => l.message.startsWith('Takeover timing: the takeover thread')), 'the takeover was stepped first');
  assert.deepEqual(h.removed, ['192.168.1.100/32'], 'the VIPs the port added are removed on leaving MASTER');
});

test('a refused arm or a takeover the port left undone is the runtime\'s own, as before', async () => {
  const refused = new FakeTakeover();
  refused.refuse = true;
  const a = harness({ takeover: refused });
  await a.runtime.start();
  assert.equal(a.wakeAt(), SKEW_DEADLINE, 'the precise timer');
  assert.equal(a.coarse(), false);
  a.fireWake();
  assert.equal(a.runtime.snapshot()[0]?.state.state, 'MASTER');
  assert.equal(a.sent.length, 1);
  assert.deepEqual([...a.vips], ['192.168.1.100/32']);

  const idle = new FakeTakeover();
  const b = harness({ takeover: idle });
  await b.runtime.start();
  b.fireWake();
  assert.equal(b.runtime.snapshot()[0]?.state.state, 'MASTER');
  assert.equal(b.sent.length, 1);
  assert.deepEqual(b.announced, ['192.168.1.100']);
  assert.ok(b.logs.some((l) => l.message.startsWith(`Takeover timing: woke ${TAKEOVER_FALLBACK_MS.toFixed(2)} ms after the deadline (the takeover thread had not acted)`)));
});
