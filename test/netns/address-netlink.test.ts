// VIPs added and removed through halo's own rtnetlink requests (native/netlink.c) in a namespace
// the test creates: what lands on the interface is what `ip addr add` would have put there, the
// add and remove never run `ip`, and failures are results with the adapter codes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, NetnsLab, type NetnsNode } from './harness.js';

const avail = NetnsLab.available();

interface RawAddr {
  family: string;
  local: string;
  prefixlen: number;
  scope?: string;
  broadcast?: string;
  label?: string;
  nodad?: boolean;
  tentative?: boolean;
}

function rawAddrs(node: NetnsNode, ifname = 'eth0'): RawAddr[] {
  const links = JSON.parse(node.must(['ip', '-json', 'addr', 'show', 'dev', ifname])) as Array<{ addr_info?: RawAddr[] }>;
  return links.flatMap((l) => l.addr_info ?? []);
}

type Result = { ok: boolean; code?: string; error?: string };
type Paths = { netlink: number; ip: number };

describe('VIPs through netlink', { skip: avail.ok ? false : avail.reason }, () => {
  let lab: NetnsLab;
  let d1: NetnsNode;
  let agent: Agent;

  before(async () => {
    lab = new NetnsLab(60);
    lab.addSegment();
    d1 = lab.addNode('d1');
    agent = await Agent.start(d1);
  });

  after(async () => {
    await lab?.destroy();
    assert.deepEqual(lab?.leftovers() ?? [], []);
  });

  test('an IPv4 VIP with label, scope and brd lands as ip addr add would put it, without running ip', async () => {
    const before = (await agent.call('addressPaths', {})) as Paths;
    // A /32: the kernel refuses a secondary address of the lab's /24 with a scope other than the
    // primary's (EINVAL, "Invalid scope value", through ip as well).
    const vip = { address: lab.ipv4Of(0, 100), prefixLength: 32, family: 4, ifname: 'eth0', label: 'eth0:vip', scope: 'link', broadcast: lab.ipv4Of(0, 255) };
    assert.deepEqual(await agent.call('vipAdd', { vip }), { ok: true });
    const entry = rawAddrs(d1).find((x) => x.local === vip.address);
    assert.ok(entry, 'VIP missing from ip addr');
    assert.equal(entry.prefixlen, 32);
    assert.equal(entry.label, 'eth0:vip');
    assert.equal(entry.scope, 'link');
    assert.equal(entry.broadcast, vip.broadcast);
    assert.deepEqual(await agent.call('vipAdd', { vip }), { ok: true }, 'adding twice (EEXIST) is not an error');
    assert.deepEqual(await agent.call('vipRemove', { vip }), { ok: true });
    assert.equal(d1.hasAddress(vip.address), false);
    assert.deepEqual(await agent.call('vipRemove', { vip }), { ok: true }, 'removing an absent address (EADDRNOTAVAIL) is not an error');
    const after = (await agent.call('addressPaths', {})) as Paths;
    assert.deepEqual({ netlink: after.netlink - before.netlink, ip: after.ip - before.ip }, { netlink: 4, ip: 0 });
  });

  test('a VIP without prefix options is a /32 with the global scope and the device label', async () => {
    const vip = { address: lab.ipv4Of(0, 101), prefixLength: 32, family: 4, ifname: 'eth0' };
    assert.deepEqual(await agent.call('vipAdd', { vip }), { ok: true });
    const entry = rawAddrs(d1).find((x) => x.local === vip.address);
    assert.ok(entry);
    assert.equal(entry.prefixlen, 32);
    assert.equal(entry.scope, 'global');
    assert.equal(entry.label, 'eth0');
    assert.equal(entry.broadcast, undefined);
    assert.deepEqual(await agent.call('vipRemove', { vip }), { ok: true });
    assert.equal(d1.hasAddress(vip.address), false);
  });

  test('an IPv6 VIP is added nodad, usable at once even with DAD on', async () => {
    d1.must(['sysctl', '-qw', 'net.ipv6.conf.eth0.accept_dad=1']);
    const before = (await agent.call('addressPaths', {})) as Paths;
    const vip = { address: 'fd00:213:60::100', prefixLength: 64, family: 6, ifname: 'eth0' };
    assert.deepEqual(await agent.call('vipAdd', { vip }), { ok: true });
    const entry = rawAddrs(d1).find((x) => x.local === vip.address);
    assert.ok(entry, 'IPv6 VIP missing from ip addr');
    assert.equal(entry.nodad, true);
    assert.notEqual(entry.tentative, true);
    assert.deepEqual(await agent.call('vipAdd', { vip }), { ok: true });
    assert.deepEqual(await agent.call('vipRemove', { vip }), { ok: true });
    assert.equal(d1.hasAddress(vip.address), false);
    assert.deepEqual(await agent.call('vipRemove', { vip }), { ok: true });
    const after = (await agent.call('addressPaths', {})) as Paths;
    assert.equal(after.ip - before.ip, 0);
  });

  test('an unknown interface is a result with the adapter code, for add and remove', async () => {
    const vip = { address: lab.ipv4Of(0, 102), prefixLength: 32, family: 4, ifname: 'eth9' };
    assert.deepEqual((await agent.call('vipAdd', { vip })) as Result, { ok: false, code: 'HALO_NET_ADDRESS_ADD', error: `Cannot add ${vip.address}/32 to eth9: ENODEV (no such interface)` });
    assert.deepEqual((await agent.call('vipRemove', { vip })) as Result, { ok: false, code: 'HALO_NET_ADDRESS_REMOVE', error: `Cannot remove ${vip.address}/32 from eth9: ENODEV (no such interface)` });
  });

  test('a brd + VIP still goes through ip, which computes the broadcast', async () => {
    const before = (await agent.call('addressPaths', {})) as Paths;
    const vip = { address: lab.ipv4Of(0, 103), prefixLength: 24, family: 4, ifname: 'eth0', broadcast: '+' };
    assert.deepEqual(await agent.call('vipAdd', { vip }), { ok: true });
    assert.equal(rawAddrs(d1).find((x) => x.local === vip.address)?.broadcast, lab.ipv4Of(0, 255));
    assert.deepEqual(await agent.call('vipRemove', { vip }), { ok: true });
    const after = (await agent.call('addressPaths', {})) as Paths;
    assert.deepEqual({ netlink: after.netlink - before.netlink, ip: after.ip - before.ip }, { netlink: 0, ip: 2 });
  });

  test('netlink adds hold the event loop and reach the interface faster than ip', async () => {
    const vip = { address: lab.ipv4Of(0, 104), prefixLength: 32, family: 4, ifname: 'eth0' };
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
    type Bench = { failed: number; blockedMs: number[]; presentMs: number[]; netlink: number; ip: number };
    const nl = (await agent.call('vipBench', { vip, count: 20, path: 'netlink' })) as Bench;
    const ip = (await agent.call('vipBench', { vip, count: 20, path: 'ip' })) as Bench;
    assert.equal(nl.failed + ip.failed, 0);
    assert.deepEqual([nl.netlink, nl.ip, ip.netlink, ip.ip], [40, 0, 0, 40]);
    console.log(`# add until present, median of 20: netlink ${median(nl.presentMs).toFixed(3)} ms, ip ${median(ip.presentMs).toFixed(3)} ms`);
    assert.ok(median(nl.presentMs) < median(ip.presentMs), 'netlink is not faster than ip');
  });
});
