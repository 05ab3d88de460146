import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addArgs, LinuxAddresses, netlinkAddRequest, parseAddrJson, parseAddressMonitorLine, removeArgs, type NetlinkAddressOps } from './address.js';
import type { IpOutcome, IpRunner } from './ip-command.js';
import { ipComplaint } from './ip-command.js';

function fakeRunner(outcome: IpOutcome, seen: string[][]): IpRunner {
  return async (args) => {
    seen.push([...args]);
    return outcome;
  };
}

test('addArgs writes keepalived virtual_ipaddress fields in ip addr syntax', () => {
  assert.deepEqual(addArgs({ address: '10.0.0.5', prefixLength: 24, family: 4, ifname: 'eth0', label: 'eth0:vip', scope: 'global', broadcast: '10.0.0.255' }), [
    '-4', 'addr', 'add', '10.0.0.5/24', 'dev', 'eth0', 'broadcast', '10.0.0.255', 'label', 'eth0:vip', 'scope', 'global',
  ]);
  assert.deepEqual(addArgs({ address: '10.0.0.5', prefixLength: 32, family: 4, ifname: 'eth0' }), ['-4', 'addr', 'add', '10.0.0.5/32', 'dev', 'eth0']);
});

test('IPv6 VIPs skip DAD and never carry an IPv4 label or broadcast', () => {
  const args = addArgs({ address: 'fd00::5', prefixLength: 64, family: 6, ifname: 'eth0', label: 'eth0:x', broadcast: '1.2.3.4' });
  assert.deepEqual(args, ['-6', 'addr', 'add', 'fd00::5/64', 'dev', 'eth0', 'nodad']);
  assert.deepEqual(removeArgs({ address: 'fd00::5', prefixLength: 64, family: 6, ifname: 'eth0' }), ['-6', 'addr', 'del', 'fd00::5/64', 'dev', 'eth0']);
});

test('parseAddrJson reads ip -json addr show and rejects what is not JSON', () => {
  const json = JSON.stringify([
    { ifname: 'eth0', addr_info: [
      { family: 'inet', local: '10.0.0.1', prefixlen: 24, label: 'eth0' },
      { family: 'inet6', local: 'fe80::1', prefixlen: 64 },
      { family: 'inet', prefixlen: 24 },
    ] },
  ]);
  assert.deepEqual(parseAddrJson(json), [
    { address: '10.0.0.1', prefixLength: 24, family: 4, label: 'eth0' },
    { address: 'fe80::1', prefixLength: 64, family: 6 },
  ]);
  assert.equal(parseAddrJson('Device "x" does not exist.'), undefined);
  assert.equal(parseAddrJson('{}'), undefined);
});

test('adding a present address and removing an absent one succeed; other failures carry a code', async () => {
  const vip = { address: '10.0.0.5', prefixLength: 32, family: 4 as const, ifname: 'eth0' };
  const seen: string[][] = [];
  const exists = new LinuxAddresses(fakeRunner({ status: 2, stdout: '', stderr: 'RTNETLINK answers: File exists\n' }, seen));
  assert.deepEqual(await exists.add(vip), { ok: true });
  const gone = new LinuxAddresses(fakeRunner({ status: 2, stdout: '', stderr: 'RTNETLINK answers: Cannot assign requested address\n' }, seen));
  assert.deepEqual(await gone.remove(vip), { ok: true });
  const assigned = new LinuxAddresses(fakeRunner({ status: 2, stdout: '', stderr: 'Error: ipv4: Address already assigned.\n' }, seen));
  assert.deepEqual(await assigned.add(vip), { ok: true });
  const notFound = new LinuxAddresses(fakeRunner({ status: 2, stdout: '', stderr: 'Error: ipv6: address not found.\n' }, seen));
  assert.deepEqual(await notFound.remove(vip), { ok: true });
  const noDev = new LinuxAddresses(fakeRunner({ status: 1, stdout: '', stderr: 'Cannot find device "eth9"\n' }, seen));
  const r = await noDev.add({ ...vip, ifname: 'eth9' });
  assert.deepEqual(r, { ok: false, error: 'Cannot add 10.0.0.5/32 to eth9: Cannot find device "eth9"', code: 'HALO_NET_ADDRESS_ADD' });
  const noIp = new LinuxAddresses(fakeRunner({ status: null, stdout: '', stderr: '', error: 'ENOENT' }, seen));
  const r2 = await noIp.remove(vip);
  assert.equal(r2.ok, false);
  assert.equal(!r2.ok && r2.code, 'HALO_NET_COMMAND');
  assert.deepEqual(await noDev.list('eth9'), []);
  const listed = await noDev.listDetailed('eth9');
  assert.equal(listed.ok, false);
  assert.equal(seen.length, 8);
});

test('ipComplaint keeps the first line without the RTNETLINK prefix or a final period', () => {
  assert.equal(ipComplaint({ status: 2, stdout: '', stderr: '\nRTNETLINK answers: Operation not permitted.\nmore' }), 'Operation not permitted');
  assert.equal(ipComplaint({ status: 2, stdout: '', stderr: 'Error: ipv4: Address not found.\n' }), 'ipv4: Address not found');
  assert.equal(ipComplaint({ status: 3, stdout: '', stderr: '' }), 'exit status 3');
  assert.equal(ipComplaint({ status: null, stdout: '', stderr: 'x', error: 'ETIMEDOUT' }), 'ETIMEDOUT');
});

test('parseAddressMonitorLine reads ip monitor address lines by device, not label', () => {
  assert.deepEqual(parseAddressMonitorLine('1: lo    inet 10.1.1.1/32 scope global lo:vip'), { ifname: 'lo', address: '10.1.1.1', prefixLength: 32, family: 4, present: true });
  assert.deepEqual(parseAddressMonitorLine('Deleted 3: eth0    inet6 fd00::1/128 scope global nodad '), { ifname: 'eth0', address: 'fd00::1', prefixLength: 128, family: 6, present: false });
  assert.equal(parseAddressMonitorLine('       valid_lft forever preferred_lft forever'), undefined);
  assert.equal(parseAddressMonitorLine('3: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500'), undefined);
});

test('netlinkAddRequest carries what ip addr add would send: label, scope, brd, nodad', () => {
  const v4 = netlinkAddRequest({ address: '10.0.0.5', prefixLength: 24, family: 4, ifname: 'eth0', label: 'eth0:vip', scope: 'link', broadcast: '10.0.0.255' });
  assert.deepEqual(v4, { ifname: 'eth0', family: 4, address: new Uint8Array([10, 0, 0, 5]), prefixLength: 24, options: { label: 'eth0:vip', scope: 253, broadcast: new Uint8Array([10, 0, 0, 255]) } });
  assert.deepEqual(netlinkAddRequest({ address: '10.0.0.5', prefixLength: 32, family: 4, ifname: 'eth0', scope: '200' })?.options, { scope: 200 });
  const v6 = netlinkAddRequest({ address: 'fd00::5', prefixLength: 64, family: 6, ifname: 'eth0', label: 'eth0:x', broadcast: '1.2.3.4' });
  assert.equal(v6?.address.length, 16);
  assert.equal(v6?.address[15], 5);
  assert.deepEqual(v6?.options, { flags: 0x02 }, 'IPv6: IFA_F_NODAD, never an IPv4 label or broadcast');
});

test('netlinkAddRequest leaves to ip what only ip resolves or refuses', () => {
  const base = { address: '10.0.0.5', prefixLength: 32, family: 4 as const, ifname: 'eth0' };
  assert.equal(netlinkAddRequest({ ...base, broadcast: '+' }), undefined);
  assert.equal(netlinkAddRequest({ ...base, scope: 'mine' }), undefined);
  assert.equal(netlinkAddRequest({ ...base, scope: '256' }), undefined);
  assert.equal(netlinkAddRequest({ ...base, label: 'eth1:vip' }), undefined);
  assert.equal(netlinkAddRequest({ ...base, label: 'eth0:much-too-long' }), undefined);
  assert.equal(netlinkAddRequest({ ...base, prefixLength: 33 }), undefined);
  assert.equal(netlinkAddRequest({ ...base, address: 'fd00::5' }), undefined);
  assert.equal(netlinkAddRequest({ ...base, ifname: 'a-name-of-16-chr' }), undefined);
});

function fakeNetlink(addResult: number, delResult: number, calls: string[]): NetlinkAddressOps {
  return {
    addressAdd: (ifname, family, address, prefixLength) => (calls.push(`add ${ifname} ${family} ${address.join('.')}/${prefixLength}`), addResult),
    addressDel: (ifname, family, address, prefixLength) => (calls.push(`del ${ifname} ${family} ${address.join('.')}/${prefixLength}`), delResult),
  };
}

test('with netlink, add and remove never run ip; EEXIST and EADDRNOTAVAIL are the wanted state', async () => {
  const vip = { address: '10.0.0.5', prefixLength: 32, family: 4 as const, ifname: 'eth0' };
  const seen: string[][] = [];
  const calls: string[] = [];
  const a = new LinuxAddresses({ run: fakeRunner({ status: 0, stdout: '', stderr: '' }, seen), netlink: fakeNetlink(0, 0, calls) });
  assert.deepEqual(await a.add(vip), { ok: true });
  assert.deepEqual(await a.remove(vip), { ok: true });
  assert.deepEqual(calls, ['add eth0 4 10.0.0.5/32', 'del eth0 4 10.0.0.5/32']);
  assert.deepEqual(seen, [], 'ip was run');
  assert.deepEqual(a.pathCounts(), { netlink: 2, ip: 0 });
  const already = new LinuxAddresses({ run: fakeRunner({ status: 0, stdout: '', stderr: '' }, seen), netlink: fakeNetlink(-17, -99, calls) });
  assert.deepEqual(await already.add(vip), { ok: true });
  assert.deepEqual(await already.remove(vip), { ok: true });
  // brd + is for ip to compute: that one VIP still goes through ip.
  assert.deepEqual(await already.add({ ...vip, broadcast: '+' }), { ok: true });
  assert.deepEqual(seen, [['-4', 'addr', 'add', '10.0.0.5/32', 'dev', 'eth0', 'broadcast', '+']]);
  assert.deepEqual(already.pathCounts(), { netlink: 2, ip: 1 });
});

test('netlink failures are results with the errno and the adapter codes', async () => {
  const vip = { address: '10.0.0.5', prefixLength: 32, family: 4 as const, ifname: 'eth9' };
  const a = new LinuxAddresses({ run: fakeRunner({ status: 0, stdout: '', stderr: '' }, []), netlink: fakeNetlink(-19, -1, []) });
  assert.deepEqual(await a.add(vip), { ok: false, error: 'Cannot add 10.0.0.5/32 to eth9: ENODEV (no such interface)', code: 'HALO_NET_ADDRESS_ADD' });
  assert.deepEqual(await a.remove(vip), { ok: false, error: 'Cannot remove 10.0.0.5/32 from eth9: EPERM (needs CAP_NET_ADMIN)', code: 'HALO_NET_ADDRESS_REMOVE' });
  const timeout = new LinuxAddresses({ run: fakeRunner({ status: 0, stdout: '', stderr: '' }, []), netlink: fakeNetlink(-110, 0, []) });
  assert.deepEqual(await timeout.add(vip), { ok: false, error: 'Cannot add 10.0.0.5/32 to eth9: ETIMEDOUT', code: 'HALO_NET_ADDRESS_ADD' });
});

test('prepare builds the first add without changing anything: no netlink request, no ip', () => {
  const seen: string[][] = [];
  const calls: string[] = [];
  const a = new LinuxAddresses({ run: fakeRunner({ status: 0, stdout: '', stderr: '' }, seen), netlink: fakeNetlink(0, 0, calls) });
  a.prepare({ address: '10.0.0.5', prefixLength: 32, family: 4, ifname: 'eth0' });
  a.prepare({ address: 'fd00::5', prefixLength: 64, family: 6, ifname: 'eth0' });
  assert.deepEqual(calls, []);
  assert.deepEqual(seen, []);
  assert.deepEqual(a.pathCounts(), { netlink: 0, ip: 0 });
});
