// keepalived 2.2.8's `v3_checksum_as_v2` end to end: `halo run` with the keyword sends VRRPv3 over
// IPv4 whose checksum covers the message alone (no IPv4 pseudo-header), accepts adverts summed
// that way and ignores adverts with the RFC 5798 pseudo-header sum. The peer is a raw socket
// (test agent) sending adverts built by vrrp-craft.ts, not by halo's codec; the Debian keepalived
// (2.2.7) lacks the option, so it cannot be the peer.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, NetnsLab, type AgentEvent, type NetnsNode } from './harness.js';
import { startHalo, until, type Halo } from './daemon-run.js';
import { hex, inetChecksum, vrrpV3 } from './vrrp-craft.js';

const avail = NetnsLab.available();
const VRID = 61;
const MCAST = '224.0.0.18';

/** A VRRPv3 IPv4 advert with the checksum over the message alone (Cisco's reading, `v3_checksum_as_v2`). */
function vrrpV3MessageOnly(priority: number, vip: string, src: string): Uint8Array {
  const p = vrrpV3(VRID, priority, 10, [vip], src, MCAST);
  p[6] = 0;
  p[7] = 0;
  const c = inetChecksum(p);
  p[6] = c >> 8;
  p[7] = c & 0xff;
  return p;
}

describe('VRRPv3 over IPv4 without the pseudo-header (v3_checksum_as_v2)', { skip: avail.ok ? false : avail.reason }, () => {
  let lab: NetnsLab;
  let d1: NetnsNode, peer: NetnsNode;
  let agent: Agent;
  let halo: Halo | undefined;

  before(async () => {
    lab = new NetnsLab(43);
    lab.addSegment();
    d1 = lab.addNode('d1');
    peer = lab.addNode('peer');
    agent = await Agent.start(peer);
    assert.deepEqual(await agent.call('open', { ifname: 'eth0', family: 4, groups: [MCAST] }), { ok: true });
  });

  after(async () => {
    if (halo !== undefined) {
      halo.child.kill('SIGTERM');
      await Promise.race([halo.exited, new Promise((r) => setTimeout(r, 5000))]);
    }
    await lab?.destroy();
    assert.deepEqual(lab?.leftovers() ?? [], []);
  });

  test('halo sends message-only checksums, takes message-only adverts and ignores pseudo-header ones', async () => {
    const vip = lab.ipv4Of(0, 100);
    halo = startHalo(
      lab,
      d1,
      `vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id ${VRID}
    priority 100
    advert_int 0.1
    version 3
    v3_checksum_as_v2
    virtual_ipaddress {
        ${vip}/24
    }
}
`,
    );
    const fromD1 = (e: AgentEvent): boolean => e.event === 'packet' && e['src'] === d1.ipv4() && String(e['payloadHex']).slice(2, 4) === VRID.toString(16);
    // halo's adverts: the checksum is the one's complement sum of the message alone.
    for (let i = 0; i < 3; i++) {
      const e = await agent.waitEvent(fromD1, 15_000);
      assert.ok(e, `no advert from halo\n${halo.lines.join('\n')}`);
      const p = Buffer.from(String(e['payloadHex']), 'hex');
      assert.equal(p[0], 0x31, 'VRRPv3 advertisement');
      assert.equal(p[2], 100);
      const sent = p.readUInt16BE(6);
      p[6] = 0;
      p[7] = 0;
      assert.equal(sent, inetChecksum(p), 'checksum over the message alone');
      const withPseudo = vrrpV3(VRID, 100, 10, [vip], d1.ipv4(), MCAST);
      assert.notEqual(sent, (withPseudo[6] ?? 0) * 256 + (withPseudo[7] ?? 0), 'not the pseudo-header sum');
    }
    assert.ok(d1.hasAddress(vip), 'halo holds the VIP as MASTER');

    const send = (payload: Uint8Array): Promise<unknown> => agent.call('send', { ifname: 'eth0', family: 4, dst: MCAST, src: peer.ipv4(), ttl: 255, payloadHex: hex(payload) });
    // A higher priority with the RFC 5798 pseudo-header sum: a checksum error to this instance, ignored.
    for (let i = 0; i < 8; i++) {
      await send(vrrpV3(VRID, 200, 10, [vip], peer.ipv4(), MCAST));
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(!halo.lines.some((l) => /from=MASTER to=BACKUP/.test(l)), `halo left MASTER for an advert it must not accept\n${halo.lines.join('\n')}`);
    assert.ok(d1.hasAddress(vip), 'halo still holds the VIP');

    // The same advert summed without the pseudo-header is a higher-priority master: halo yields.
    const yielded = (): boolean => halo?.lines.some((l) => /from=MASTER to=BACKUP/.test(l)) === true;
    for (let i = 0; i < 20 && !yielded(); i++) {
      await send(vrrpV3MessageOnly(200, vip, peer.ipv4()));
      await new Promise((r) => setTimeout(r, 100));
    }
    await until('halo goes BACKUP for a message-only advert of priority 200', yielded, 1000, [halo]);
    await until('halo releases the VIP', () => !d1.hasAddress(vip), 2000, [halo]);
  });
});
