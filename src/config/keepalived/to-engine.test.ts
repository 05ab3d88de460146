import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadKeepalivedConfig } from './load.js';
import { configuredVips, toEngineConfig, type ToEngineOptions } from './to-engine.js';
import type { ConfigSource } from '../tree.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../../../test/fixtures/keepalived');
const source: ConfigSource = {
  readFile(path) {
    try {
      return { ok: true, text: readFileSync(path, 'utf8') };
    } catch (e) {
      return { ok: false, error: String(e), missing: true };
    }
  },
  glob: () => [],
};
const load = (name: string) => loadKeepalivedConfig(join(FIXTURES, name), source, { configId: 'test' }).model;
/** Each interface "has" 10.0.0.<n> (IPv4) / fe80::<n> (IPv6), n from its name. */
const primary: ToEngineOptions = {
  primaryAddress: (ifname, family) => (family === 4 ? `10.0.0.${ifname.length}` : `fe80::${ifname.length}`),
};

test('seed000: PASS auth, v2, priority, VIP on the instance interface, script tracker', () => {
  const e = toEngineConfig(load('seed000-master.conf'), primary);
  // track_script is run by the VRRP process now: no warning about it.
  assert.deepEqual(e.diagnostics.map((d) => `${d.severity} ${d.code} ${d.pos?.line ?? 0}`), []);
  const [i] = e.instances;
  assert.ok(i);
  assert.deepEqual(i.trackers.map((t) => `${t.name} ${t.kind ?? '?'} ${t.weight}`), ['script:chk_nginx script 0']);
  assert.equal(i.name, 'VI_1');
  assert.equal(i.vrid, 51);
  assert.equal(i.version, 2);
  assert.equal(i.family, 4);
  assert.equal(i.ifname, 'ens33');
  assert.equal(i.basePriority, 100);
  assert.equal(i.advertIntervalCs, 100);
  assert.equal(i.authPass, 'gys');
  assert.equal(i.primaryAddress, '10.0.0.5');
  assert.equal(i.initialState, 'MASTER');
  assert.equal(i.preempt, true);
  assert.deepEqual(i.vips, [{ address: '192.168.123.100', prefixLength: 32, family: 4, ifname: 'ens33' }]);
  assert.deepEqual(i.trackers, [{ name: 'script:chk_nginx', kind: 'script', weight: 0, initiallyUp: true }]);
  assert.equal(i.mcastGroup, '224.0.0.18');
  assert.equal(i.unicastTtl, 255);
  assert.deepEqual(i.unicastPeers, []);
});

test('seed001: mcast_src_ip is the source address, not the interface primary', () => {
  for (const f of ['seed001-master.conf', 'seed001-backup.conf']) {
    const e = toEngineConfig(load(f), primary);
    const [i] = e.instances;
    assert.ok(i);
    assert.match(i.primaryAddress, /^192\.168\.192\.1[01]$/);
  }
});

test('unicast: peers, source, TTL', () => {
  const e = toEngineConfig(load('unicast.conf'), primary);
  const uni = e.instances.find((i) => i.name === 'UNI');
  assert.ok(uni);
  assert.equal(uni.primaryAddress, '192.0.2.1');
  assert.deepEqual(uni.unicastPeers, ['192.0.2.2', '192.0.2.3']);
  assert.equal(uni.unicastTtl, 64);
  assert.equal(uni.basePriority, 120);
});

test('vip-syntax: dev/label/scope/brd/no_track, excluded VIPs, routes and rules, garp and mcast_dst_ip, nopreempt', () => {
  const e = toEngineConfig(load('vip-syntax.conf'), primary);
  const i = e.instances.find((x) => x.name === 'VIPS');
  assert.ok(i);
  assert.deepEqual(i.vips[0], { address: '192.0.2.40', prefixLength: 24, family: 4, ifname: 'eth0', label: 'eth0:vip', scope: 'global', broadcast: '192.0.2.255' });
  assert.deepEqual(i.vips[1], { address: '192.0.2.41', prefixLength: 32, family: 4, ifname: 'eth1', noTrack: true });
  assert.deepEqual(i.excludedVips?.map((v) => `${v.address}/${v.prefixLength}`), ['2001:db8::40/64', '198.51.100.40/32']);
  assert.equal(i.routes?.filter((r) => r.kind === 'route').length, 3);
  assert.deepEqual(i.routes?.find((r) => r.kind === 'rule'), { kind: 'rule', family: 4, args: ['from', '192.0.2.40/32', 'table', '40'] });
  assert.equal(i.routes?.some((r) => r.kind === 'rule' && r.noTrack === true), true);
  assert.equal(i.mcastGroup, '224.0.0.19');
  assert.equal(i.preempt, false);
  assert.equal(i.preemptDelayMs, 0, 'nopreempt wins over preempt_delay');
  assert.equal(i.downTimerAdverts, 5);
  assert.equal(i.lowerPrioNoAdvert, true);
  assert.equal(i.garp?.masterDelayMs, 1000);
  assert.equal(i.garp?.masterRepeat, 3);
  assert.equal(i.garp?.masterRefreshMs, 30_000);
  // garp_group on eth0: garp_interval 0.01 s, gna_interval 0.02 s.
  assert.equal(i.garp?.intervalMs4, 10);
  assert.equal(i.garp?.intervalMs6, 20);
  assert.deepEqual(
    e.diagnostics.filter((d) => d.message.startsWith('Instance VIPS:')).map((d) => /`(\w+)`/.exec(d.message)?.[1]),
    ['use_vmac', 'notify_master_rx_lower_pri'],
  );
});

test('track_interface weights, and sync group trackers reach every member', () => {
  const lvs = toEngineConfig(load('one-line-lvs.conf'), primary).instances[0];
  assert.ok(lvs);
  assert.deepEqual(lvs.trackers, [
    { name: 'interface:eth0', kind: 'interface', weight: 0, initiallyUp: true },
    { name: 'interface:eth1', kind: 'interface', weight: -5, initiallyUp: true },
  ]);
  const e = toEngineConfig(load('sync-groups.conf'), primary);
  const ext = e.instances.find((i) => i.name === 'EXT');
  assert.ok(ext);
  assert.equal(ext.syncGroup, 'G_EDGE');
  assert.ok(ext.trackers.some((t) => t.name === 'interface:eth2' && t.weight === -10));
  assert.ok(ext.trackers.some((t) => t.name === 'script:chk_proxy' && t.weight === -20 && !t.initiallyUp), 'init_fail starts the script down');
  assert.deepEqual(e.syncGroups.find((g) => g.name === 'G_EDGE')?.members, ['EXT', 'INT', 'DMZ']);
});

test('an instance without a source address is refused with a diagnostic, and VIPs are never a source', () => {
  const seen: string[][] = [];
  const e = toEngineConfig(load('seed000-master.conf'), {
    primaryAddress: (_i, _f, exclude) => {
      seen.push([...exclude]);
      return undefined;
    },
  });
  assert.equal(e.instances.length, 0);
  const refusal = e.diagnostics.find((d) => d.severity === 'error');
  assert.equal(refusal?.code, 'HALO_DMN_INSTANCE_UNUSABLE');
  assert.match(refusal?.message ?? '', /VI_1 cannot run: interface ens33 has no IPv4/);
  assert.deepEqual(seen, [['192.168.123.100']]);
});

test('every seed fixture maps without errors when addresses resolve', () => {
  for (const f of ['seed000-backup.conf', 'seed001-master.conf', 'seed002-backup.conf', 'seed003-master.conf', 'seed003-backup.conf', 'seed004.conf']) {
    const model = load(f);
    const e = toEngineConfig(model, primary);
    assert.deepEqual(e.diagnostics.filter((d) => d.severity === 'error'), [], f);
    assert.equal(e.instances.length, model.vrrpInstances.length, f);
    assert.equal(configuredVips(model).length, model.vrrpInstances.reduce((n, i) => n + i.virtualIpaddress.length + i.virtualIpaddressExcluded.length, 0), f);
  }
});

test('trackers: reverse, track_file and track_process kinds, per-instance weight overrides, sync group weights forced to 0', () => {
  const text = `
vrrp_script chk { script "/bin/true" weight -30 reverse }
vrrp_script other { script "/bin/true" weight 10 }
track_file prio { file "/tmp/prio" weight 2 }
vrrp_track_process web { process nginx weight -7 }
vrrp_instance A {
  interface eth0
  virtual_router_id 1
  priority 100
  virtual_ipaddress { 10.9.9.9 }
  track_script { chk
    other weight -5 reverse }
  track_file { prio weight -3 }
  track_process { web }
}
vrrp_instance B {
  interface eth0
  virtual_router_id 2
  priority 100
  virtual_ipaddress { 10.9.9.8 }
  track_script { other }
}
vrrp_sync_group G { group { B } }
`;
  const m = loadKeepalivedConfig('/virtual/k.conf', { readFile: () => ({ ok: true, text }), glob: () => [] }, { configId: 't' }).model;
  const e = toEngineConfig(m, primary);
  const a = e.instances.find((i) => i.name === 'A');
  assert.deepEqual(a?.trackers, [
    { name: 'script:chk', kind: 'script', weight: -30, reverse: true, initiallyUp: true },
    { name: 'script:other', kind: 'script', weight: -5, reverse: true, initiallyUp: true },
    { name: 'file:prio', kind: 'file', weight: -3, initiallyUp: true },
    { name: 'process:web', kind: 'process', weight: -7, initiallyUp: true },
  ]);
  // keepalived: members of a sync group without sync_group_tracking_weight track with weight 0.
  assert.deepEqual(e.instances.find((i) => i.name === 'B')?.trackers, [{ name: 'script:other', kind: 'script', weight: 0, initiallyUp: true }]);
  assert.equal(e.diagnostics.some((d) => /reverse/.test(d.message)), false, 'reverse is supported: no warning');
});
