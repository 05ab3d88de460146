import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressPort, Family, PortResult, VipSpec, VrrpSendRequest, VrrpSocketPort } from '../net/ports.js';
import { instanceConfig, type VrrpInstanceConfig } from '../vrrp/config.js';
import { handoverBoundMs } from '../vrrp/timers.js';
import { decodeAdvert } from '../vrrp/packet.js';
import type { ToVrrp } from './ipc.js';
import type { LogLine } from './log.js';
import { FakeScheduler, settle } from './testing/fake-scheduler.js';
import { Supervisor, type ChildEvents, type SupervisorOptions } from './supervisor.js';

const VIP1: VipSpec = { address: '10.0.0.100', prefixLength: 24, family: 4, ifname: 'eth0' };
const VIP2: VipSpec = { address: '10.0.1.100', prefixLength: 32, family: 4, ifname: 'eth1' };

const INSTANCES: VrrpInstanceConfig[] = [
  instanceConfig({ name: 'VI_1', vrid: 51, ifname: 'eth0', basePriority: 100, primaryAddress: '10.0.0.1', vips: [VIP1], authPass: 'secret' }),
  instanceConfig({ name: 'VI_2', vrid: 52, ifname: 'eth1', basePriority: 100, primaryAddress: '10.0.1.1', vips: [VIP2], version: 3, unicastPeers: ['10.0.1.2', '10.0.1.3'] }),
];

interface FakeChild {
  readonly pid: number;
  readonly events: ChildEvents;
  readonly sent: ToVrrp[];
  readonly kills: string[];
}

class World extends FakeScheduler {
  readonly journal: string[] = [];
  readonly logs: LogLine[] = [];
  readonly children: FakeChild[] = [];
  readonly sends: VrrpSendRequest[] = [];
  present = new Map<string, string[]>();

  readonly socket: VrrpSocketPort = {
    open: (ifname: string, family: Family): Promise<PortResult> => {
      this.journal.push(`open ${ifname}/${family}`);
      return Promise.resolve({ ok: true });
    },
    send: (r) => {
      this.journal.push(`send ${r.ifname} ${r.dst}`);
      this.sends.push(r);
      return { ok: true };
    },
    onPacket: () => {},
    close: () => void this.journal.push('close'),
  };

  readonly addresses: AddressPort = {
    add: () => Promise.resolve({ ok: true }),
    remove: (v) => {
      this.journal.push(`remove ${v.address}`);
      return Promise.resolve({ ok: true });
    },
    list: (ifname) => Promise.resolve(this.present.get(ifname) ?? []),
  };

  supervisor(options: Partial<SupervisorOptions> = {}): Supervisor {
    return new Supervisor(
      {
        forkVrrp: (events) => {
          const child: FakeChild = { pid: 1000 + this.children.length, events, sent: [], kills: [] };
          this.children.push(child);
          this.journal.push(`fork ${child.pid}`);
          return { pid: child.pid, send: (m) => void child.sent.push(m), kill: (s) => void child.kills.push(s) };
        },
        socket: this.socket,
        addresses: this.addresses,
        schedule: this.schedule,
        nowMs: () => this.nowMs,
        log: (l) => void this.logs.push(l),
      },
      { instances: INSTANCES, logDetail: false, dontRelease: false, ...options },
    );
  }

  child(i = -1): FakeChild {
    const c = this.children.at(i);
    assert.ok(c, 'a VRRP process was forked');
    return c;
  }

  report(name: string, state: 'MASTER' | 'BACKUP', child = this.child()): void {
    const c = INSTANCES.find((x) => x.name === name);
    assert.ok(c);
    child.events.onMessage({ type: 'state', instance: { name, vrid: c.vrid, family: c.family, ifname: c.ifname, state, priority: 100, cause: 'test' } });
  }
}

test('start removes only the VIPs of this config found on the interfaces, before the VRRP process starts', async () => {
  const w = new World();
  w.present.set('eth0', ['10.0.0.1/24', '10.0.0.100/24']);
  w.present.set('eth1', ['10.0.1.1/24', '10.0.1.100/32']);
  const s = w.supervisor();
  await s.start();
  assert.deepEqual(w.journal, ['remove 10.0.0.100', 'remove 10.0.1.100', 'fork 1000']);
  assert.equal(w.logs.filter((l) => l.code === 'HALO_DMN_STALE_VIP').length, 2);
  const start = w.child().sent[0];
  assert.equal(start?.type, 'start');
  assert.equal(start.type === 'start' ? start.instances.length : 0, 2);

  const w2 = new World();
  w2.present.set('eth0', ['10.0.0.1/24', '10.0.0.100/32']); // same address, other prefix: not ours
  await w2.supervisor().start();
  assert.deepEqual(w2.journal, ['fork 1000']);
});

test('a VRRP process dying while MASTER: priority 0 for its masters, then every VIP removed, then a restart', async () => {
  const w = new World();
  const s = w.supervisor();
  await s.start();
  w.report('VI_1', 'MASTER');
  w.report('VI_2', 'MASTER');
  w.journal.length = 0;
  w.child().events.onExit(null, 'SIGKILL');
  await settle();
  assert.deepEqual(w.journal, ['open eth0/4', 'send eth0 224.0.0.18', 'open eth1/4', 'send eth1 10.0.1.2', 'send eth1 10.0.1.3', 'close', 'remove 10.0.0.100', 'remove 10.0.1.100']);
  // The adverts are real priority-0 adverts the peers accept: v2 with PASS auth, v3 unicast.
  const [v2, ...v3] = w.sends;
  assert.ok(v2);
  const d2 = decodeAdvert(v2.payload, { family: 4, src: '10.0.0.1', dst: v2.dst, ttl: v2.ttl }, { version: 2, vrid: 51, authType: 1, authData: 'secret', advertIntervalCs: 100 });
  assert.ok(d2.ok && d2.advert.priority === 0, 'v2 priority 0');
  assert.equal(v2.ttl, 255);
  for (const r of v3) {
    const d3 = decodeAdvert(r.payload, { family: 4, src: '10.0.1.1', dst: r.dst, ttl: r.ttl }, { version: 3, vrid: 52, multicast: false });
    assert.ok(d3.ok && d3.advert.priority === 0 && d3.advert.addresses[0] === '10.0.1.100', 'v3 priority 0');
  }
  assert.equal(s.status().releasedBySupervisor, 2);
  assert.equal(w.children.length, 1, 'no restart before the backoff delay');
  await w.advance(199);
  assert.equal(w.children.length, 1);
  await w.advance(1);
  assert.equal(w.children.length, 2, 'restarted after 200 ms');
  assert.ok(s.status().instances.every((i) => i.state === 'INIT'));
});

test('a VRRP process dying while BACKUP sends no advert but still clears the VIPs', async () => {
  const w = new World();
  await w.supervisor().start();
  w.report('VI_1', 'BACKUP');
  w.journal.length = 0;
  w.child().events.onExit(1, null);
  await settle();
  assert.deepEqual(w.journal, ['remove 10.0.0.100', 'remove 10.0.1.100']);
  assert.equal(w.sends.length, 0);
});

test('--dont-release-vrrp: a dead process still gets its priority 0, but the VIPs stay', async () => {
  const w = new World();
  await w.supervisor({ dontRelease: true }).start();
  w.report('VI_1', 'MASTER');
  w.journal.length = 0;
  w.child().events.onExit(null, 'SIGKILL');
  await settle();
  assert.deepEqual(w.journal, ['open eth0/4', 'send eth0 224.0.0.18', 'close']);
});

test('restart backoff doubles on quick deaths, resets after a long life, and gives up past the limit', async () => {
  const w = new World();
  const s = w.supervisor({ restartMinMs: 100, restartMaxMs: 1000, restartResetMs: 10_000, restartLimit: 5, restartWindowMs: 60_000 });
  await s.start();
  const delays: number[] = [];
  const dieAndMeasure = async (): Promise<void> => {
    const before = w.children.length;
    w.child().events.onExit(1, null);
    await settle();
    const t0 = w.nowMs;
    while (w.children.length === before) await w.advance(10);
    delays.push(w.nowMs - t0);
  };
  await dieAndMeasure();
  await dieAndMeasure();
  await dieAndMeasure();
  await w.advance(20_000); // a long life resets the backoff
  await dieAndMeasure();
  assert.deepEqual(delays, [100, 200, 400, 100]);
  // 4 deaths so far inside the window; the 6th within 60 s gives up.
  await dieAndMeasure();
  w.child().events.onExit(1, null);
  await settle();
  assert.equal(await s.done, 1);
  assert.ok(w.logs.some((l) => l.code === 'HALO_DMN_VRRP_RESTART_LIMIT'));
});

test('clean stop: the VRRP process releases its instances itself; the supervisor sends nothing', async () => {
  const w = new World();
  const s = w.supervisor();
  await s.start();
  w.report('VI_1', 'MASTER');
  w.journal.length = 0;
  const done = s.stop();
  // The signal reaches the VRRP process even when only the supervisor was signalled: its C
  // handler sends priority 0 at once; the message follows.
  assert.deepEqual(w.child().kills, ['SIGTERM']);
  assert.deepEqual(w.child().sent.at(-1), { type: 'stop' });
  w.child().events.onMessage({ type: 'stopped' });
  w.child().events.onExit(0, null);
  assert.equal(await done, 0);
  assert.deepEqual(w.journal, []);
});

test('a VRRP process that does not stop in time is killed and released by the supervisor', async () => {
  const w = new World();
  const s = w.supervisor({ stopTimeoutMs: 1000 });
  await s.start();
  w.report('VI_1', 'MASTER');
  const done = s.stop();
  // The stop timeout counts from after the longest make-before-break handover of the instances.
  const handoverMs = Math.max(...INSTANCES.map((c) => handoverBoundMs(c.version, c.advertIntervalCs)));
  assert.ok(handoverMs > 2000);
  await w.advance(1000 + handoverMs - 1);
  assert.deepEqual(w.child().kills, ['SIGTERM']);
  await w.advance(1);
  assert.deepEqual(w.child().kills, ['SIGTERM', 'SIGKILL']);
  w.journal.length = 0;
  w.child().events.onExit(null, 'SIGKILL');
  assert.equal(await done, 0);
  assert.deepEqual(w.journal, ['open eth0/4', 'send eth0 224.0.0.18', 'close', 'remove 10.0.0.100', 'remove 10.0.1.100']);
  assert.equal(w.children.length, 1, 'no restart while stopping');
});

test('stop while waiting to restart ends without forking again', async () => {
  const w = new World();
  const s = w.supervisor();
  await s.start();
  w.child().events.onExit(1, null);
  await settle();
  assert.equal(await s.stop(), 0);
  await w.advance(60_000);
  assert.equal(w.children.length, 1);
});

test('event-loop lag: one warning when it crosses the threshold, one line when it recovers, worst kept', async () => {
  const w = new World();
  const s = w.supervisor({ lagWarnMs: 50 });
  await s.start();
  const lag = (maxMs: number): void => w.child().events.onMessage({ type: 'lag', lag: { meanMs: 1, p50Ms: 1, p99Ms: maxMs, maxMs, periodMs: 1000 } });
  lag(10);
  lag(80);
  lag(120);
  lag(5);
  assert.equal(w.logs.filter((l) => l.code === 'HALO_DMN_EVENT_LOOP_LAG').length, 1);
  assert.ok(w.logs.some((l) => l.msg.includes('on time again')));
  assert.equal(s.status().lagMaxEverMs, 120);
  assert.equal(s.status().lag?.maxMs, 5);
});

test('messages of an earlier VRRP process and malformed ones are ignored', async () => {
  const w = new World();
  const s = w.supervisor();
  await s.start();
  const first = w.child();
  first.events.onExit(1, null);
  await settle();
  await w.advance(200);
  w.report('VI_1', 'MASTER', first);
  first.events.onMessage({ type: 'state', instance: { name: 'VI_1', state: 'BOGUS' } });
  w.child().events.onMessage('nonsense');
  assert.equal(s.status().instances.find((i) => i.name === 'VI_1')?.state, 'INIT');
});

test('a VRRP process that stops cleanly on its own (SIGTERM to it alone) stops halo too, without a restart', async () => {
  const w = new World();
  const s = w.supervisor();
  await s.start();
  w.child().events.onMessage({ type: 'stopped' });
  w.child().events.onExit(0, null);
  assert.equal(await s.done, 0);
  await w.advance(60_000);
  assert.equal(w.children.length, 1);
  assert.equal(s.status().vrrpDeaths, 0);
});

test('counters reported by the VRRP process reach the status; malformed ones are cleaned', async () => {
  const w = new World();
  const s = w.supervisor();
  await s.start();
  w.child().events.onMessage({ type: 'stats', stats: { instances: { VI_1: { advert_rcvd: 12, auth_failure: 3, junk: 'x' } }, unknownVridRcvd: 4, socketDrops: { wrong_interface: 1 } } });
  assert.deepEqual(s.status().stats, { instances: { VI_1: { advert_rcvd: 12, auth_failure: 3 } }, unknownVridRcvd: 4, socketDrops: { wrong_interface: 1 } });
});

test('step-down is forwarded to the VRRP process and its answer returned; no answer times out', async () => {
  const w = new World();
  const s = w.supervisor();
  await s.start();
  assert.deepEqual(await s.stepDown('VI_9', null), { ok: false, error: 'No instance named VI_9' });
  const p = s.stepDown('VI_1', 30_000);
  const sent = w.child().sent.at(-1);
  assert.deepEqual(sent, { type: 'step-down', id: 1, instance: 'VI_1', holdMs: 30_000 });
  // A reply for another id (or a malformed one) is not taken for this one.
  w.child().events.onMessage({ type: 'step-down-result', id: 7, ok: true, instances: [] });
  w.child().events.onMessage({ type: 'step-down-result', id: 1, ok: true, instances: 'VI_1' });
  w.child().events.onMessage({ type: 'step-down-result', id: 1, ok: true, instances: ['VI_1'] });
  assert.deepEqual(await p, { ok: true, instances: ['VI_1'] });
  const silent = s.stepDown(null, null, 500);
  await w.advance(500);
  assert.deepEqual(await silent, { ok: false, error: 'VRRP process did not answer within 500 ms' });
  void s.stop();
  assert.deepEqual(await s.stepDown(null, null), { ok: false, error: 'VRRP process is not running (stopping)' });
});
