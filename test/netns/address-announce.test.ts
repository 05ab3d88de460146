// VIPs in `ip addr`, and neighbour tables following a VIP to its new owner after a gratuitous ARP
// (IPv4) or an unsolicited neighbour advertisement (IPv6). Traffic stays inside the lab.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, NetnsLab, type NetnsNode } from './harness.js';

const avail = NetnsLab.available();

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<number> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) assert.fail(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - start;
}

describe('VIPs and neighbour announcements', { skip: avail.ok ? false : avail.reason }, () => {
  let lab: NetnsLab;
  let d1: NetnsNode, d2: NetnsNode, client: NetnsNode;
  let agent1: Agent, agent2: Agent;

  before(async () => {
    lab = new NetnsLab(2);
    lab.addSegment();
    d1 = lab.addNode('d1');
    d2 = lab.addNode('d2');
    client = lab.addNode('client');
    [agent1, agent2] = await Promise.all([Agent.start(d1), Agent.start(d2)]);
  });

  after(async () => {
    await lab?.destroy();
    assert.deepEqual(lab?.leftovers() ?? [], []);
  });

  test('an IPv4 VIP with a label appears in ip addr and goes away again', async () => {
    const vip = { address: lab.ipv4Of(0, 100), prefixLength: 32, family: 4, ifname: 'eth0', label: 'eth0:vip' };
    assert.deepEqual(await agent1.call('vipAdd', { vip }), { ok: true });
    const entry = d1.addrs().find((x) => x.local === vip.address);
    assert.ok(entry, 'VIP missing from ip addr');
    assert.equal(entry.prefixlen, 32);
    assert.equal(entry.label, 'eth0:vip');
    assert.ok(((await agent1.call('vipList', { ifname: 'eth0' })) as string[]).includes(`${vip.address}/32`));
    assert.deepEqual(await agent1.call('vipAdd', { vip }), { ok: true }, 'adding twice is not an error');
    assert.deepEqual(await agent1.call('vipRemove', { vip }), { ok: true });
    assert.equal(d1.hasAddress(vip.address), false);
    assert.deepEqual(await agent1.call('vipRemove', { vip }), { ok: true }, 'removing twice is not an error');
    const bad = (await agent1.call('vipAdd', { vip: { ...vip, ifname: 'eth9' } })) as { ok: boolean; code?: string; error?: string };
    assert.equal(bad.ok, false);
    assert.equal(bad.code, 'HALO_NET_ADDRESS_ADD');
    assert.match(bad.error ?? '', /^Cannot add 10\.213\.2\.100\/32 to eth9: /);
  });

  test('an IPv6 VIP appears usable at once (no DAD) and goes away again', async () => {
    // This namespace's interface keeps DAD off through the lab's sysctl; the VIP must not be
    // tentative because halo adds it with nodad, whatever the sysctl.
    d1.must(['sysctl', '-qw', 'net.ipv6.conf.eth0.accept_dad=1']);
    const vip = { address: 'fd00:213:2::100', prefixLength: 64, family: 6, ifname: 'eth0' };
    assert.deepEqual(await agent1.call('vipAdd', { vip }), { ok: true });
    const entry = d1.addrs().find((x) => x.local === vip.address) as { tentative?: boolean } | undefined;
    assert.ok(entry, 'IPv6 VIP missing from ip addr');
    assert.notEqual(entry.tentative, true, 'the VIP is tentative');
    assert.deepEqual(await agent1.call('vipRemove', { vip }), { ok: true });
    assert.equal(d1.hasAddress(vip.address), false);
  });

  test('gratuitous ARP moves the client neighbour entry to the new owner MAC', async () => {
    const address = lab.ipv4Of(0, 101);
    const vip = { address, prefixLength: 32, family: 4, ifname: 'eth0' };
    await agent1.call('vipAdd', { vip });
    assert.ok(client.ping(address), 'the VIP on d1 does not answer');
    assert.equal(client.neighbor(address)?.lladdr, d1.mac(), 'the client must first know d1 MAC');
    // Takeover: d1 lets go, d2 claims and announces. The client sends nothing meanwhile.
    await agent1.call('vipRemove', { vip });
    await agent2.call('vipAdd', { vip });
    assert.deepEqual(await agent2.call('announce', { ifname: 'eth0', family: 4, address }), { ok: true });
    const ms = await until('client neighbour entry points at d2', () => client.neighbor(address)?.lladdr === d2.mac(), 1000);
    assert.ok(ms <= 1000);
    assert.ok(client.ping(address), 'the VIP on d2 does not answer');
    await agent2.call('vipRemove', { vip });
  });

  test('announcements reuse one socket per interface and kind, and close() releases them', async () => {
    const address = lab.ipv4Of(0, 105);
    const v6 = 'fd00:213:2::105';
    // Start from nothing open (the test before announced from d2 too).
    await agent2.call('announceClose', {});
    type Burst = { failed: number; elapsedMs: number; fdsBefore: number; fdsAfter: number; statsBefore: { opened: number; open: number }; statsAfter: { opened: number; open: number } };
    const first = (await agent2.call('announceBurst', { ifname: 'eth0', family: 4, address, count: 1 })) as Burst;
    const burst = (await agent2.call('announceBurst', { ifname: 'eth0', family: 4, address, count: 100 })) as Burst;
    const burst6 = (await agent2.call('announceBurst', { ifname: 'eth0', family: 6, address: v6, count: 100 })) as Burst;
    console.log(`100 gratuitous ARPs in ${burst.elapsedMs.toFixed(2)} ms, 100 neighbour advertisements in ${burst6.elapsedMs.toFixed(2)} ms`);
    assert.equal(first.failed + burst.failed + burst6.failed, 0);
    // The first ARP opened the interface's packet socket; 100 more opened nothing and leaked nothing.
    assert.equal(first.statsAfter.opened, first.statsBefore.opened + 1);
    assert.equal(burst.statsAfter.opened, burst.statsBefore.opened);
    assert.equal(burst.fdsAfter, burst.fdsBefore);
    // IPv6 needs its own (ICMPv6) socket: one more, once.
    assert.equal(burst6.statsAfter.opened, burst6.statsBefore.opened + 1);
    assert.equal(burst6.fdsAfter, burst6.fdsBefore + 1);
    assert.equal(burst6.statsAfter.open, 2);
    // close() releases both sockets; the next announcement opens a fresh one, and it reaches the wire.
    assert.equal(await agent2.call('announceClose', {}), 2);
    assert.deepEqual(await agent2.call('announceStats', {}), { opened: burst6.statsAfter.opened, open: 0 });
    const capture = await client.capture('eth0', `arp and ether src ${d2.mac()}`);
    const again = (await agent2.call('announceBurst', { ifname: 'eth0', family: 4, address, count: 3 })) as Burst;
    assert.equal(again.failed, 0);
    assert.equal(again.statsAfter.opened, again.statsBefore.opened + 1);
    await until('3 gratuitous ARPs seen by the client', () => capture.lines.filter((l) => l.includes(`tell ${address}`)).length >= 3, 3000);
    await capture.stop();
    assert.equal(await agent2.call('announceClose', { ifname: 'eth0' }), 1);

    // An interface (a veth pair here) deleted and made again under the same name gets a new index: the socket of the
    // old one is closed, not reused, and the count of open sockets does not grow.
    const dummy = (): void => {
      d2.must(['ip', 'link', 'add', 'halodum0', 'type', 'veth', 'peer', 'name', 'halodum1']);
      d2.must(['ip', 'link', 'set', 'dev', 'halodum0', 'up']);
      d2.must(['ip', 'link', 'set', 'dev', 'halodum1', 'up']);
    };
    dummy();
    const onDummy = (await agent2.call('announceBurst', { ifname: 'halodum0', family: 4, address, count: 1 })) as Burst;
    assert.equal(onDummy.failed, 0);
    assert.equal(onDummy.statsAfter.open, 1);
    d2.must(['ip', 'link', 'del', 'halodum0']);
    const gone = (await agent2.call('announce', { ifname: 'halodum0', family: 4, address })) as { ok: boolean; code?: string };
    assert.deepEqual([gone.ok, gone.code], [false, 'HALO_NET_INTERFACE_UNKNOWN']);
    dummy();
    const remade = (await agent2.call('announceBurst', { ifname: 'halodum0', family: 4, address, count: 1 })) as Burst;
    assert.equal(remade.failed, 0);
    assert.equal(remade.statsAfter.opened, onDummy.statsAfter.opened + 1);
    assert.equal(remade.statsAfter.open, 1);
    d2.must(['ip', 'link', 'del', 'halodum0']);
    assert.equal(await agent2.call('announceClose', {}), 1);
  });

  test('an unsolicited neighbour advertisement moves the client IPv6 entry to the new owner MAC', async () => {
    const address = 'fd00:213:2::101';
    const vip = { address, prefixLength: 64, family: 6, ifname: 'eth0' };
    await agent1.call('vipAdd', { vip });
    // The kernel joins the VIP's solicited-node group from a work queue just after the address is
    // added; a neighbour solicitation that arrives before is lost and repeated after RetransTimer
    // (1 s, RFC 4861 section 10), so the first ping may wait for that.
    assert.ok(client.ping(address, 3), 'the IPv6 VIP on d1 does not answer');
    assert.equal(client.neighbor(address)?.lladdr, d1.mac(), 'the client must first know d1 MAC');
    await agent1.call('vipRemove', { vip });
    await agent2.call('vipAdd', { vip });
    assert.deepEqual(await agent2.call('announce', { ifname: 'eth0', family: 6, address }), { ok: true });
    await until('client IPv6 neighbour entry points at d2', () => client.neighbor(address)?.lladdr === d2.mac(), 1000);
    // d2 does not forward IPv6, so by default it does not claim to be a router.
    assert.equal((client.neighbor(address) as { router?: unknown } | undefined)?.router, undefined);
    assert.ok(client.ping(address), 'the IPv6 VIP on d2 does not answer');
    // Asked to (a virtual router, RFC 5798 section 6.4.1), the advertisement carries the Router flag.
    assert.deepEqual(await agent2.call('announce', { ifname: 'eth0', family: 6, address, router: true }), { ok: true });
    await until('client marks the VIP owner as a router', () => (client.neighbor(address) as { router?: unknown } | undefined)?.router !== undefined, 1000);
    await agent2.call('vipRemove', { vip });
  });

  test('a VIP deleted by someone else is reported, also while the monitor was down', async () => {
    assert.equal(await agent2.call('addressWatch', { ifnames: ['eth0'] }), true);
    await new Promise((r) => setTimeout(r, 300));
    const address = lab.ipv4Of(0, 103);
    const vip = { address, prefixLength: 32, family: 4, ifname: 'eth0' };
    await agent2.call('vipAdd', { vip });
    assert.ok(await agent2.waitEvent((e) => e.event === 'address' && e['address'] === address && e['present'] === true, 1000), 'the addition was not reported');
    const start = Date.now();
    d2.must(['ip', 'addr', 'del', `${address}/32`, 'dev', 'eth0']);
    const gone = await agent2.waitEvent((e) => e.event === 'address' && e['address'] === address && e['present'] === false, 1000);
    assert.ok(gone, 'the deletion was not reported within a second');
    assert.equal(gone['prefixLength'], 32);
    console.log(`VIP deletion reported after ${Date.now() - start} ms`);

    // Kill the monitor, delete while it is down: the re-read after the restart reports it.
    await agent2.call('vipAdd', { vip });
    assert.ok(await agent2.waitEvent((e) => e.event === 'address' && e['address'] === address && e['present'] === true, 1000));
    const pid = (await agent2.call('addressMonitorPid', {})) as number;
    process.kill(pid, 'SIGKILL');
    assert.ok(await agent2.waitEvent((e) => e.event === 'addressError' && e['code'] === 'HALO_NET_ADDRESS_MONITOR', 2000));
    d2.must(['ip', 'addr', 'del', `${address}/32`, 'dev', 'eth0']);
    assert.ok(await agent2.waitEvent((e) => e.event === 'address' && e['address'] === address && e['present'] === false, 3000), 'a deletion made while the monitor was down was lost');
  });

  test('virtual_routes and virtual_rules entries are added and removed, twice each', async () => {
    const gateway = d2.ipv4();
    const route = { kind: 'route', family: 4, args: ['to', '10.213.50.0/24', 'via', gateway, 'dev', 'eth0', 'table', '100'] };
    const rule = { kind: 'rule', family: 4, args: ['from', lab.ipv4Of(0, 104), 'table', '100', 'priority', '1000'] };
    const routes = (): string => d1.must(['ip', '-4', 'route', 'show', 'table', '100']);
    const rules = (): string => d1.must(['ip', '-4', 'rule', 'show']);
    for (let i = 0; i < 2; i++) {
      assert.deepEqual(await agent1.call('routeAdd', { spec: route }), { ok: true });
      assert.deepEqual(await agent1.call('routeAdd', { spec: rule }), { ok: true });
    }
    assert.match(routes(), /10\.213\.50\.0\/24 via 10\.213\.2\.2 dev eth0/);
    assert.match(rules(), /1000:\s+from 10\.213\.2\.104 lookup 100/);
    for (let i = 0; i < 2; i++) {
      assert.deepEqual(await agent1.call('routeRemove', { spec: route }), { ok: true });
      assert.deepEqual(await agent1.call('routeRemove', { spec: rule }), { ok: true });
    }
    assert.doesNotMatch(routes(), /10\.213\.50\.0/);
    assert.doesNotMatch(rules(), /10\.213\.2\.104/);
    const bad = (await agent1.call('routeAdd', { spec: { ...route, args: ['to', '10.213.51.0/24', 'via', '10.213.99.1', 'dev', 'eth0'] } })) as { ok: boolean; code?: string };
    assert.equal(bad.ok, false);
    assert.equal(bad.code, 'HALO_NET_ROUTE_ADD');
  });

  test('on the wire: one announcement is one broadcast gratuitous ARP / one NA with hop limit 255', async (t) => {
    if (!NetnsLab.hasCommand('tcpdump')) {
      t.skip('needs tcpdump');
      return;
    }
    const v4 = lab.ipv4Of(0, 105);
    const v6 = 'fd00:213:2::105';
    const arp = await client.capture('eth0', 'arp');
    const na = await client.capture('eth0', 'icmp6 and ip6[40] == 136');
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await agent2.call('announce', { ifname: 'eth0', family: 4, address: v4 }), { ok: true });
      assert.deepEqual(await agent2.call('announce', { ifname: 'eth0', family: 6, address: v6 }), { ok: true });
    }
    const arpLines = (await arp.stop()).filter((l) => l.includes(v4));
    const naLines = (await na.stop()).filter((l) => l.includes(v6));
    assert.equal(arpLines.length, 3, arpLines.join('\n'));
    for (const l of arpLines) {
      assert.match(l, new RegExp(`^\\S+ ${d2.mac()} > ff:ff:ff:ff:ff:ff`), 'from d2 MAC to broadcast');
      const ip = v4.replace(/\./g, '\\.');
      assert.match(l, new RegExp(`Request who-has ${ip} \\(ff:ff:ff:ff:ff:ff\\) tell ${ip},`), 'sender = target, target MAC broadcast');
    }
    assert.equal(naLines.length, 3, naLines.join('\n'));
    for (const l of naLines) {
      assert.match(l, /hlim 255/);
      assert.match(l, /> ff02::1: \[icmp6 sum ok\]/, 'to all-nodes with a correct checksum');
      assert.match(l, /neighbor advertisement, length 32, tgt is fd00:213:2::105, Flags \[override\]/);
    }
  });

  test('without an announcement the client keeps the old MAC (the announcement is what moves it)', async () => {
    const address = lab.ipv4Of(0, 102);
    const vip = { address, prefixLength: 32, family: 4, ifname: 'eth0' };
    await agent1.call('vipAdd', { vip });
    assert.ok(client.ping(address));
    await agent1.call('vipRemove', { vip });
    await agent2.call('vipAdd', { vip });
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(client.neighbor(address)?.lladdr, d1.mac());
    await agent2.call('vipRemove', { vip });
  });
});
