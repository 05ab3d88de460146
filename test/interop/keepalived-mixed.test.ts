// Mixed VRRP groups of halo and the Debian keepalived (2.2.7) on one bridge, both ways round: halo
// MASTER with keepalived BACKUP and the reverse, for VRRPv2 with PASS authentication, VRRPv3 over
// IPv4 (checksum over the IPv4 pseudo-header, RFC 5798 §5.2.8), unicast peers, equal priorities
// (the higher primary address wins, RFC 5798 §6.4.3), and a group of three (two keepalived, one
// halo). keepalived must agree: its own log says BACKUP/MASTER and its own `ip addr` holds the VIP
// or not, beside what the client sees. A peer with the wrong password or the wrong VRID never
// moves halo.
//
// Not covered: VRRPv3 over IPv4 *without* the pseudo-header (keepalived's v3_checksum_as_v2):
// keepalived 2.2.7 has no such option, so there is no keepalived to talk to in that mode.
// HALO_MIXED_AS=keepalived puts keepalived where halo would be (a check of the tests themselves).
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetnsLab, until, type NetnsNode } from '../netns/harness.js';
import { haloRunAvailable, keepalivedConf, type Daemon, type DaemonKind, type InstanceSpec } from '../netns/directors.js';
import { DirectorGroup, haloTransitions, keepalivedStates } from '../netns/pair.js';

const HALO: DaemonKind = process.env['HALO_MIXED_AS'] === 'keepalived' ? 'keepalived' : 'halo';
const avail = NetnsLab.available();
const halo = haloRunAvailable();
const skip = !avail.ok
  ? avail.reason
  : !NetnsLab.hasCommand('keepalived')
    ? 'needs keepalived (Debian package)'
    : HALO === 'halo' && !halo.ok
      ? halo.reason
      : false;

const BASE = 43;
const VIP = `10.213.${BASE}.100`;
const VIP_OTHER = `10.213.${BASE}.101`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Proto = Omit<InstanceSpec, 'priority'>;
const V2_PASS: Proto = { vrid: 71, version: 2, advertIntS: 1, authPass: 'h4l0pass', vips: [`${VIP}/24`] };
const V3: Proto = { vrid: 72, version: 3, advertIntS: 0.1, vips: [`${VIP}/24`] };

/** Drops every VRRP packet (IP protocol 112) in and out of `node`, or removes that rule. */
function blockVrrp(node: NetnsNode, on: boolean): void {
  if (!on) {
    node.exec(['nft', 'delete', 'table', 'inet', 'halotest']);
    return;
  }
  node.must(['sh', '-c', 'printf "%s" "$0" | nft -f -', NFT_BLOCK]);
}
const NFT_BLOCK = `table inet halotest {
  chain in { type filter hook input priority 0; meta l4proto 112 drop; }
  chain out { type filter hook output priority 0; meta l4proto 112 drop; }
}
`;

/** The last state a daemon logged for its instance (keepalived's words or halo's transitions). */
function lastState(d: Daemon): string | undefined {
  return d.kind === 'keepalived' ? keepalivedStates(d.log).at(-1) : haloTransitions(d.log).at(-1)?.to;
}

describe(`mixed groups: ${HALO} with keepalived`, { skip }, () => {
  let g: DirectorGroup;

  before(async () => {
    g = await DirectorGroup.create(BASE, 3);
  });
  beforeEach(async () => {
    await g?.reset([`${VIP}/24`, `${VIP_OTHER}/24`]);
  });
  after(async () => {
    await g?.destroy();
    assert.deepEqual(g?.lab.leftovers() ?? [], []);
  });

  /** Waits (bounded) until `d` logged `state` last. */
  async function expectState(d: Daemon, state: string, timeoutMs: number, why: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (lastState(d) !== state && Date.now() < deadline) await sleep(50);
    assert.equal(lastState(d), state, `${why}: ${d.kind} on ${d.node.name} is not ${state}${g.logs()}`);
  }

  /**
   * d1 (priority 100) and d2 (90) with `first` on d1 and the other kind on d2: election, then a
   * clean stop of d1 hands over to d2. Both daemons' views are checked at every step.
   */
  async function pairBothWays(first: DaemonKind, proto: Proto, extra: (self: number, peer: number) => Partial<InstanceSpec> = () => ({})): Promise<void> {
    const second: DaemonKind = first === 'keepalived' ? HALO : 'keepalived';
    const b = await g.start(second, g.d(2), keepalivedConf('d2', [{ ...proto, priority: 90, ...extra(2, 1) }]));
    const m = await g.start(first, g.d(1), keepalivedConf('d1', [{ ...proto, priority: 100, state: 'MASTER', ...extra(1, 2) }]));
    const slow = proto.version === 2 ? 6000 : 3000;
    await g.expectMaster(g.d(1), VIP, slow, [], `${first} master, ${second} backup`);
    await expectState(m, 'MASTER', 2000, 'election');
    await expectState(b, 'BACKUP', 2000, 'election');
    assert.equal(await g.holdsFor(g.d(1), VIP, proto.version === 2 ? 2500 : 1000), undefined, `the group flapped${g.logs()}`);
    assert.equal(lastState(b), 'BACKUP', `the backup left BACKUP${g.logs()}`);
    const stoppedAt = Date.now();
    m.child.kill('SIGTERM');
    await g.expectMaster(g.d(2), VIP, slow, [], `${second} takes over after ${first} stops`);
    const ms = Date.now() - stoppedAt;
    await expectState(b, 'MASTER', 2000, 'after the clean stop');
    // Priority 0 from the stopping master: Skew_Time, not Master_Down_Interval.
    const skewMs = proto.version === 2 ? 648 : 65;
    assert.ok(ms < skewMs + 600, `${second} took ${ms} ms to take over after a clean stop of ${first}`);
  }

  for (const first of [HALO, 'keepalived'] as const) {
    const second = first === 'keepalived' ? HALO : 'keepalived';
    test(`VRRPv2 with PASS authentication: ${first} MASTER, ${second} BACKUP, clean stop hands over`, async () => {
      await pairBothWays(first, V2_PASS);
    });
    test(`VRRPv3 over IPv4 at 100 ms (pseudo-header checksum): ${first} MASTER, ${second} BACKUP`, async () => {
      await pairBothWays(first, V3);
    });
    test(`unicast peers: ${first} MASTER, ${second} BACKUP`, async () => {
      await pairBothWays(first, { ...V3, vrid: 73 }, (self, peer) => ({ unicastSrc: g.d(self).ipv4(), unicastPeers: [g.d(peer).ipv4()] }));
    });
    test(`equal priorities: the higher primary address (${second} on d2) wins over ${first} on d1 when both are MASTER`, async () => {
      // A backup accepts an equal priority (RFC 5798 §6.4.2), so whoever is master first stays.
      // The tie-break applies when two masters meet (§6.4.3): cut d1 off from VRRP so both take
      // the VIP, then heal; d1, the lower address, must yield.
      const spec: InstanceSpec = { ...V3, vrid: 74, priority: 100 };
      const low = await g.start(first, g.d(1), keepalivedConf('d1', [spec]));
      const high = await g.start(second, g.d(2), keepalivedConf('d2', [spec]));
      assert.ok(await until(() => g.holders(VIP).length === 1, 3000), `no single master at start${g.logs()}`);
      blockVrrp(g.d(1), true);
      try {
        assert.ok(await until(() => g.holders(VIP).length === 2, 3000), `cut off, d1 and d2 did not both become master${g.logs()}`);
      } finally {
        blockVrrp(g.d(1), false);
      }
      // After the split the client may still hold d1's MAC: when d1 hears d2 first it yields without
      // another advert, so d2 never hears a lower master and has no reason to announce again
      // (RFC 5798 §6.4.3; both halo and keepalived behave so). Only the VRRP outcome is tested
      // here, so the client resolves the VIP afresh.
      assert.ok(await until(() => g.holders(VIP).length === 1, 3000), `still two masters after healing${g.logs()}`);
      g.client.exec(['ip', 'neigh', 'del', VIP, 'dev', 'eth0']);
      await g.expectMaster(g.d(2), VIP, 3000, [], 'equal priorities after healing');
      await expectState(high, 'MASTER', 2000, 'equal priorities');
      await expectState(low, 'BACKUP', 2000, 'equal priorities');
      assert.equal(await g.holdsFor(g.d(2), VIP, 1000), undefined, `the group flapped${g.logs()}`);
    });
  }

  test(`three directors: keepalived 100, ${HALO} 95, keepalived 90; the master steps down in priority order`, async () => {
    const spec = (priority: number): InstanceSpec => ({ ...V3, vrid: 75, priority });
    const k1 = await g.start('keepalived', g.d(1), keepalivedConf('d1', [spec(100)]));
    const h = await g.start(HALO, g.d(2), keepalivedConf('d2', [spec(95)]));
    const k3 = await g.start('keepalived', g.d(3), keepalivedConf('d3', [spec(90)]));
    await g.expectMaster(g.d(1), VIP, 3000, [], 'three directors');
    await expectState(k1, 'MASTER', 2000, 'three directors');
    await expectState(h, 'BACKUP', 2000, 'three directors');
    await expectState(k3, 'BACKUP', 2000, 'three directors');
    k1.child.kill('SIGTERM');
    await g.expectMaster(g.d(2), VIP, 2000, [], `${HALO} after keepalived d1 stops`);
    await expectState(h, 'MASTER', 2000, 'after d1 stops');
    await expectState(k3, 'BACKUP', 2000, 'after d1 stops');
    assert.equal(await g.holdsFor(g.d(2), VIP, 1000), undefined, `the group flapped${g.logs()}`);
    h.child.kill('SIGTERM');
    await g.expectMaster(g.d(3), VIP, 2000, [], `keepalived d3 after ${HALO} stops`);
    await expectState(k3, 'MASTER', 2000, `after ${HALO} stops`);
  });

  test(`a peer with the wrong password or the wrong VRID never moves ${HALO}`, async () => {
    const h = await g.start(HALO, g.d(1), keepalivedConf('d1', [{ ...V2_PASS, advertIntS: 1, priority: 100, state: 'MASTER' }]));
    await g.expectMaster(g.d(1), VIP, 6000, [], `${HALO} alone`);
    await expectState(h, 'MASTER', 2000, 'alone');
    const statesBefore = h.kind === 'halo' ? haloTransitions(h.log).length : keepalivedStates(h.log).length;
    // Priority 200 would win at once if halo took these adverts; each peer has its own VIP so the
    // client checks stay about halo's VIP.
    const badPass = await g.start('keepalived', g.d(2), keepalivedConf('d2', [{ ...V2_PASS, authPass: 'wrongpwd', priority: 200, state: 'MASTER', vips: [`${VIP_OTHER}/24`] }]));
    const badVrid = await g.start('keepalived', g.d(3), keepalivedConf('d3', [{ ...V2_PASS, vrid: 76, priority: 200, state: 'MASTER', vips: [`${VIP_OTHER}/24`] }]));
    await expectState(badPass, 'MASTER', 6000, 'the wrong-password peer (it hears nobody it accepts)');
    await expectState(badVrid, 'MASTER', 6000, 'the wrong-VRID peer');
    await sleep(3000);
    await g.expectMaster(g.d(1), VIP, 100, [], `${HALO} after 3 s of priority-200 adverts it must ignore`);
    const statesAfter = h.kind === 'halo' ? haloTransitions(h.log).length : keepalivedStates(h.log).length;
    assert.equal(statesAfter, statesBefore, `${HALO} changed state:${g.logs()}`);
    assert.equal(lastState(h), 'MASTER');
    if (h.kind === 'halo') {
      // Ignored and counted: the status file (written every second) carries the VRRP process's
      // counters; -D also logs rejected adverts (the first of a run at least).
      const rejected = h.log.filter((l) => l.includes(`${g.d(2).ipv4()} has the wrong PASS password`));
      assert.ok(rejected.length >= 1, `halo logged no wrong-password rejection:${g.logs()}`);
      // The counters reach the status file with the VRRP process's periodic report (every
      // second): read it until both peers' adverts show, bounded (a loaded machine delays them).
      type Stats = { instances?: Record<string, Record<string, number>>; unknownVridRcvd?: number };
      const readStats = (): Stats => (JSON.parse(readFileSync(join(h.workDir ?? '', 'halo.status.json'), 'utf8')) as { stats?: Stats }).stats ?? {};
      let stats = readStats();
      for (let i = 0; i < 20 && ((stats.instances?.['VI_71']?.['auth_failure'] ?? 0) < 1 || (stats.unknownVridRcvd ?? 0) < 2); i++) {
        await sleep(500);
        stats = readStats();
      }
      const status = { stats };
      const counters = status.stats.instances?.['VI_71'] ?? {};
      assert.ok((counters['auth_failure'] ?? 0) >= 1, `auth_failure ${counters['auth_failure']} in ${JSON.stringify(status.stats)}`);
      assert.ok((status.stats?.unknownVridRcvd ?? 0) >= 2, `unknownVridRcvd ${status.stats?.unknownVridRcvd}`);
      assert.equal(counters['became_master'], 1, 'halo became master more than once');
    }
  });
});
