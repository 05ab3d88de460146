// A halo pair on a real bridge: d1 (priority 100) and d2 (priority 90) run `halo run` with
// keepalived.conf files, a client namespace asks the VIP over HTTP. After every event the VIP is on
// exactly one director (the new master), answers the client through it, and the client's neighbour
// entry points at that director's MAC (the gratuitous ARP / unsolicited NA did their work).
// VRRPv3 at 100 ms where the point is not timing; one VRRPv2 1 s case for the RFC 3768 timers.
// HALO_PAIR_KIND=keepalived runs the same tests against two keepalived (a check of the tests).
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NetnsLab } from './harness.js';
import { haloRunAvailable, keepalivedConf, type DaemonKind, type InstanceSpec } from './directors.js';
import { DirectorGroup, haloTransitions, keepalivedStates } from './pair.js';

const KIND: DaemonKind = process.env['HALO_PAIR_KIND'] === 'keepalived' ? 'keepalived' : 'halo';
const avail = NetnsLab.available();
const halo = haloRunAvailable();
const skip = !avail.ok ? avail.reason : KIND === 'halo' && !halo.ok ? halo.reason : KIND === 'keepalived' && !NetnsLab.hasCommand('keepalived') ? 'needs keepalived' : false;

const BASE = 41;
const VIP4 = `10.213.${BASE}.100`;
const VIP6 = `fd00:213:${BASE}::100`;
/** v3 at 100 ms: Master_Down_Interval of priority 90 is 0.3 s + 166/256 × 0.1 s ≈ 0.365 s. */
const FAST: Omit<InstanceSpec, 'priority'> = { vrid: 61, version: 3, advertIntS: 0.1, vips: [`${VIP4}/24`] };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe(`${KIND} pair`, { skip }, () => {
  let g: DirectorGroup;

  before(async () => {
    g = await DirectorGroup.create(BASE, 2);
  });
  beforeEach(async () => {
    await g?.reset([`${VIP4}/24`, `${VIP6}/64`]);
  });
  after(async () => {
    await g?.destroy();
    assert.deepEqual(g?.lab.leftovers() ?? [], []);
  });

  const conf = (name: string, spec: InstanceSpec): string => keepalivedConf(name, [spec]);

  async function startPair(spec: Omit<InstanceSpec, 'priority'> = FAST, d1Extra: Partial<InstanceSpec> = {}): Promise<void> {
    await g.start(KIND, g.d(2), conf('d2', { ...spec, priority: 90 }));
    await g.start(KIND, g.d(1), conf('d1', { ...spec, priority: 100, ...d1Extra }));
  }

  test('election: the higher priority becomes master, the other stays backup', async () => {
    await startPair();
    await g.expectMaster(g.d(1), VIP4, 5000, [], 'election');
    assert.equal(await g.holdsFor(g.d(1), VIP4, 1000), undefined, 'the master changed without an event');
    const [m, b] = g.running.slice().reverse();
    // The backup may have been MASTER for a moment while d1 was still starting; what counts is
    // where both ended.
    if (KIND === 'halo') {
      assert.equal(haloTransitions(m?.log ?? []).at(-1)?.to, 'MASTER', 'd1 does not log MASTER last');
      assert.notEqual(haloTransitions(b?.log ?? []).at(-1)?.to ?? 'BACKUP', 'MASTER', 'd2 logs MASTER last');
    } else {
      assert.equal(keepalivedStates(m?.log ?? []).at(-1), 'MASTER');
      assert.equal(keepalivedStates(b?.log ?? []).at(-1), 'BACKUP');
    }
  });

  test('crash failover: kill -9 of the whole daemon on the master, the backup takes over within Master_Down_Interval', async () => {
    await startPair();
    await g.expectMaster(g.d(1), VIP4, 5000, [], 'before the crash');
    const [master] = g.running.slice(-1);
    const killedAt = Date.now();
    master?.killAll();
    // d1 keeps the VIP on its interface (no process left to remove it); the client moves to d2.
    await g.expectMaster(g.d(2), VIP4, 2000, [g.d(1)], 'after kill -9');
    const ms = Date.now() - killedAt;
    assert.ok(ms < 2500, `takeover took ${ms} ms`);
  });

  test('return of the higher priority with preempt; a restart first removes the VIP a killed run left', async () => {
    await startPair();
    await g.expectMaster(g.d(1), VIP4, 5000, [], 'start');
    const [master] = g.running.splice(-1);
    master?.killAll();
    await g.expectMaster(g.d(2), VIP4, 2000, [g.d(1)], 'after kill -9');
    assert.ok(g.d(1).hasAddress(VIP4), 'the killed d1 should still hold its VIP (nothing removed it)');
    const back = await g.start(KIND, g.d(1), conf('d1', { ...FAST, priority: 100 }));
    await g.expectMaster(g.d(1), VIP4, 5000, [], 'd1 back with preempt');
    if (KIND === 'halo') {
      assert.ok(back.log.some((l) => l.includes('HALO_DMN_STALE_VIP')), `the restarted halo did not report the stale VIP:\n${back.log.slice(0, 20).join('\n')}`);
      const ts = haloTransitions(back.log);
      assert.equal(ts[0]?.to === 'MASTER', false, `d1 went MASTER before BACKUP: ${ts.map((t) => t.line).join('\n')}`);
    }
  });

  test('clean stop: priority 0, the backup takes over in about Skew_Time and the stopped master holds no VIP', async () => {
    await startPair();
    await g.expectMaster(g.d(1), VIP4, 5000, [], 'start');
    const master = g.running.at(-1);
    assert.ok(master);
    const exited = new Promise<number | null>((r) => master.child.once('exit', (code) => r(code)));
    const stoppedAt = Date.now();
    master.child.kill('SIGTERM');
    await g.expectMaster(g.d(2), VIP4, 2000, [], 'after SIGTERM');
    // Skew_Time(90) at 100 ms is 65 ms, Master_Down_Interval 365 ms: the backup's own log says when
    // and why it took over (polling `ip addr` through `ip netns exec` is too coarse to tell).
    const backup = g.running.at(-2);
    const took = haloTransitions(backup?.log ?? []).concat().reverse().find((t) => t.to === 'MASTER');
    if (KIND === 'halo') {
      assert.ok(took, `d2 logs no transition to MASTER${g.logs()}`);
      assert.match(took.line, /priority 0/i, 'd2 did not take over on the priority-0 advert');
      const ms = Date.parse(/\bts=(\S+)/.exec(took.line)?.[1] ?? '') - stoppedAt;
      assert.ok(ms < 250, `d2 took over ${ms} ms after the SIGTERM`);
    } else {
      assert.ok(g.d(2).hasAddress(VIP4));
    }
    assert.equal(await exited, 0, 'the stopped daemon did not exit with 0');
  });

  test('link down on the master: the backup takes over, the master leaves MASTER; link up: it preempts back', async () => {
    await startPair();
    await g.expectMaster(g.d(1), VIP4, 5000, [], 'start');
    g.d(1).setLink('eth0', false);
    await g.expectMaster(g.d(2), VIP4, 3000, [], 'after link down');
    g.d(1).setLink('eth0', true);
    await g.expectMaster(g.d(1), VIP4, 5000, [], 'after link up');
  });

  test('nopreempt: a higher priority that comes back stays backup', async () => {
    await g.start(KIND, g.d(2), conf('d2', { ...FAST, priority: 90 }));
    await g.expectMaster(g.d(2), VIP4, 5000, [], 'd2 alone');
    await g.start(KIND, g.d(1), conf('d1', { ...FAST, priority: 100, nopreempt: true }));
    assert.equal(await g.holdsFor(g.d(2), VIP4, 2000), undefined, 'd1 preempted despite nopreempt');
    await g.expectMaster(g.d(2), VIP4, 100, [], 'after 2 s');
  });

  test('preempt_delay: the higher priority waits the delay before it takes over', async () => {
    await g.start(KIND, g.d(2), conf('d2', { ...FAST, priority: 90 }));
    await g.expectMaster(g.d(2), VIP4, 5000, [], 'd2 alone');
    const startedAt = Date.now();
    await g.start(KIND, g.d(1), conf('d1', { ...FAST, priority: 100, preemptDelayS: 2 }));
    assert.equal(await g.holdsFor(g.d(2), VIP4, 1500), undefined, 'd1 preempted before its preempt_delay');
    await g.expectMaster(g.d(1), VIP4, 3000, [], 'after preempt_delay');
    const ms = Date.now() - startedAt;
    assert.ok(ms >= 1900, `d1 took over ${ms} ms after start, before its 2 s preempt_delay`);
  });

  test('unicast: adverts go to the peer only, election and clean stop work', async () => {
    const uni = (self: number, peer: number): Omit<InstanceSpec, 'priority'> => ({ ...FAST, unicastSrc: g.d(self).ipv4(), unicastPeers: [g.d(peer).ipv4()] });
    const cap = await g.client.capture('eth0', 'ip proto 112');
    const capD2 = await g.d(2).capture('eth0', 'ip proto 112');
    await g.start(KIND, g.d(2), conf('d2', { ...uni(2, 1), priority: 90 }));
    await g.start(KIND, g.d(1), conf('d1', { ...uni(1, 2), priority: 100 }));
    await g.expectMaster(g.d(1), VIP4, 5000, [], 'unicast election');
    await sleep(500);
    const seen = await capD2.stop();
    const onClient = await cap.stop();
    const fromD1 = seen.filter((l) => l.includes(`${g.d(1).ipv4()} > `));
    assert.ok(fromD1.length >= 3, `d2 saw ${fromD1.length} adverts from d1:\n${seen.slice(0, 5).join('\n')}`);
    assert.ok(fromD1.every((l) => l.includes(`> ${g.d(2).ipv4()}`)), `an advert from d1 was not sent to d2:\n${fromD1.slice(0, 3).join('\n')}`);
    assert.equal(onClient.filter((l) => l.includes('224.0.0.18')).length, 0, 'multicast adverts on the segment');
    g.running.at(-1)?.child.kill('SIGTERM');
    await g.expectMaster(g.d(2), VIP4, 2000, [], 'unicast clean stop');
  });

  test('VRRPv2 at 1 s: election, and kill -9 hands over within Master_Down_Interval (3.65 s)', async () => {
    const v2: Omit<InstanceSpec, 'priority'> = { vrid: 62, version: 2, advertIntS: 1, vips: [`${VIP4}/24`] };
    await startPair(v2, { state: 'MASTER' });
    await g.expectMaster(g.d(1), VIP4, 9000, [], 'v2 election');
    await sleep(1200);
    const killedAt = Date.now();
    g.running.at(-1)?.killAll();
    await g.expectMaster(g.d(2), VIP4, 5000, [g.d(1)], 'v2 after kill -9');
    const ms = Date.now() - killedAt;
    assert.ok(ms >= 2400 && ms < 4200, `v2 takeover after kill -9 took ${ms} ms (expected between MDI − 1 s and MDI)`);
  });

  test('IPv6 VIP: v3 over IPv6, the client reaches the VIP and its neighbour entry follows the master', async () => {
    const v6: Omit<InstanceSpec, 'priority'> = { vrid: 63, version: 3, advertIntS: 0.1, vips: [`${VIP6}/64`] };
    await startPair(v6);
    await g.expectMaster(g.d(1), VIP6, 5000, [], 'IPv6 election');
    g.running.at(-1)?.child.kill('SIGTERM');
    await g.expectMaster(g.d(2), VIP6, 2000, [], 'IPv6 after clean stop');
  });
});
