// Raw VRRP sockets between network namespaces: multicast and unicast, IPv4 and IPv6, TTL, source
// addresses, and interface binding. Traffic stays inside the lab's namespaces.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, NetnsLab, type AgentEvent, type NetnsNode } from './harness.js';

const avail = NetnsLab.available();
const PAYLOAD = '312a6401006400001234'; // arbitrary bytes: the adapter does not decode

describe('raw VRRP sockets between namespaces', { skip: avail.ok ? false : avail.reason }, () => {
  let lab: NetnsLab;
  let a: NetnsNode, b: NetnsNode, c: NetnsNode;
  let agentA: Agent, agentB: Agent, agentC: Agent;

  before(async () => {
    lab = new NetnsLab(1);
    lab.addSegment(); // 0: the LAN a and b share
    lab.addSegment(); // 1: a side link between b and c
    a = lab.addNode('a', [0]);
    b = lab.addNode('b', [0, 1]);
    c = lab.addNode('c', [1]);
    [agentA, agentB, agentC] = await Promise.all([Agent.start(a), Agent.start(b), Agent.start(c)]);
    for (const family of [4, 6]) {
      const group = family === 4 ? '224.0.0.18' : 'ff02::12';
      assert.deepEqual(await agentA.call('open', { ifname: 'eth0', family, groups: [group] }), { ok: true });
      assert.deepEqual(await agentB.call('open', { ifname: 'eth0', family, groups: [group] }), { ok: true });
      assert.deepEqual(await agentB.call('open', { ifname: 'eth1', family, groups: [group] }), { ok: true });
      assert.deepEqual(await agentC.call('open', { ifname: 'eth0', family, groups: [group] }), { ok: true });
    }
  });

  after(async () => {
    await lab?.destroy();
    assert.deepEqual(lab?.leftovers() ?? [], [], 'the lab left namespaces behind');
  });

  const packetFrom = (src: string, ifname: string, payloadHex = PAYLOAD) => (e: AgentEvent) =>
    e.event === 'packet' && e['src'] === src && e['ifname'] === ifname && e['payloadHex'] === payloadHex;

  function linkLocal(node: NetnsNode, ifname = 'eth0'): string {
    const ll = node.addrs(ifname).find((x) => x.family === 'inet6' && x.local.startsWith('fe80:'));
    assert.ok(ll, `${node.name} has no link-local address`);
    return ll.local;
  }

  test('IPv4 multicast: 224.0.0.18 arrives with the sender primary address and TTL 255', async () => {
    assert.deepEqual(await agentA.call('send', { ifname: 'eth0', family: 4, dst: '224.0.0.18', ttl: 255, payloadHex: PAYLOAD }), { ok: true });
    const e = await agentB.waitEvent(packetFrom(a.ipv4(), 'eth0'), 2000);
    assert.ok(e, 'b did not receive the advert');
    assert.equal(e['dst'], '224.0.0.18');
    assert.equal(e['ttl'], 255);
    assert.equal(e['family'], 4);
  });

  test('IPv6 multicast: ff02::12 arrives from the sender link-local address with hop limit 255', async () => {
    const src = linkLocal(a);
    assert.deepEqual(await agentA.call('send', { ifname: 'eth0', family: 6, dst: 'ff02::12', ttl: 255, payloadHex: PAYLOAD }), { ok: true });
    const e = await agentB.waitEvent(packetFrom(src, 'eth0'), 2000);
    assert.ok(e, 'b did not receive the advert');
    assert.equal(e['dst'], 'ff02::12');
    assert.equal(e['ttl'], 255);
    assert.equal(e['family'], 6);
    const info = (await agentB.call('info', { ifname: 'eth0', family: 6 })) as { checksumOffset: number };
    assert.equal(info.checksumOffset, -1, 'IPV6_CHECKSUM must be off on the VRRP socket');
  });

  test('unicast to a peer, IPv4 and IPv6, with the chosen source address', async () => {
    assert.deepEqual(await agentA.call('send', { ifname: 'eth0', family: 4, dst: b.ipv4(), src: a.ipv4(), ttl: 255, payloadHex: PAYLOAD }), { ok: true });
    const e4 = await agentB.waitEvent(packetFrom(a.ipv4(), 'eth0'), 2000);
    assert.ok(e4, 'no IPv4 unicast packet');
    assert.equal(e4['dst'], b.ipv4());
    assert.equal(e4['ttl'], 255);
    assert.deepEqual(await agentA.call('send', { ifname: 'eth0', family: 6, dst: b.ipv6(), src: a.ipv6(), ttl: 255, payloadHex: PAYLOAD }), { ok: true });
    const e6 = await agentB.waitEvent(packetFrom(a.ipv6(), 'eth0'), 2000);
    assert.ok(e6, 'no IPv6 unicast packet');
    assert.equal(e6['dst'], b.ipv6());
    assert.equal(e6['ttl'], 255);
  });

  test('mcast_src_ip: a secondary address of the interface can be the source', async () => {
    const extra = lab.ipv4Of(0, 200);
    a.must(['ip', 'addr', 'add', `${extra}/24`, 'dev', 'eth0']);
    assert.deepEqual(await agentA.call('send', { ifname: 'eth0', family: 4, dst: '224.0.0.18', src: extra, ttl: 255, payloadHex: PAYLOAD }), { ok: true });
    const e = await agentB.waitEvent(packetFrom(extra, 'eth0'), 2000);
    assert.ok(e, 'no packet from the chosen source');
    a.must(['ip', 'addr', 'del', `${extra}/24`, 'dev', 'eth0']);
    const bad = (await agentA.call('send', { ifname: 'eth0', family: 4, dst: '224.0.0.18', src: '10.213.99.99', ttl: 255, payloadHex: PAYLOAD })) as { ok: boolean; code?: string };
    // Linux refuses a source that is not local to the host for IP_PKTINFO.
    assert.equal(bad.ok, false);
    assert.equal(bad.code, 'HALO_NET_SEND');
  });

  test('the received TTL is what was sent, so a TTL below 255 can be rejected (RFC 5798 section 7.1)', async () => {
    const hex = 'aa01';
    assert.deepEqual(await agentA.call('send', { ifname: 'eth0', family: 4, dst: '224.0.0.18', ttl: 254, payloadHex: hex }), { ok: true });
    assert.equal((await agentB.waitEvent(packetFrom(a.ipv4(), 'eth0', hex), 2000))?.['ttl'], 254);
    assert.deepEqual(await agentA.call('send', { ifname: 'eth0', family: 6, dst: 'ff02::12', ttl: 1, payloadHex: hex }), { ok: true });
    assert.equal((await agentB.waitEvent(packetFrom(linkLocal(a), 'eth0', hex), 2000))?.['ttl'], 1);
  });

  test('sockets are bound to their interface: a packet on one never shows on the other', async () => {
    const fromA = 'bb01', fromC = 'bb02';
    await agentA.call('send', { ifname: 'eth0', family: 4, dst: '224.0.0.18', ttl: 255, payloadHex: fromA });
    await agentC.call('send', { ifname: 'eth0', family: 4, dst: '224.0.0.18', ttl: 255, payloadHex: fromC });
    await agentA.call('send', { ifname: 'eth0', family: 6, dst: 'ff02::12', ttl: 255, payloadHex: fromA });
    await agentC.call('send', { ifname: 'eth0', family: 6, dst: 'ff02::12', ttl: 255, payloadHex: fromC });
    for (const family of [4, 6]) {
      const onEth0 = await agentB.waitEvent((e) => e['payloadHex'] === fromA && e['family'] === family, 2000);
      const onEth1 = await agentB.waitEvent((e) => e['payloadHex'] === fromC && e['family'] === family, 2000);
      assert.equal(onEth0?.['ifname'], 'eth0', `IPv${family}: a's packet must arrive on eth0`);
      assert.equal(onEth1?.['ifname'], 'eth1', `IPv${family}: c's packet must arrive on eth1`);
    }
    // A copy on the wrong socket would be a second event with the same payload.
    await new Promise((r) => setTimeout(r, 300));
    const strays = agentB.events.filter((e) => e['payloadHex'] === fromA || e['payloadHex'] === fromC);
    assert.deepEqual(strays, [], 'a packet reached the socket of the other interface');
    assert.equal(agentA.events.filter((e) => e['payloadHex'] === fromC).length, 0, 'a must not hear the side link');
    assert.equal(agentA.events.filter((e) => e['payloadHex'] === fromA).length, 0, 'a must not hear its own adverts (multicast loop off)');
    assert.deepEqual(await agentB.call('drops', {}), {});
  });
});
