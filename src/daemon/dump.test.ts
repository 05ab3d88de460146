import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { instanceConfig } from '../vrrp/config.js';
import { dataDump, statsDump, writeDump, type DumpInput } from './dump.js';
import type { SupervisorStatus } from './supervisor.js';

const status: SupervisorStatus = {
  supervisorPid: 10,
  vrrpPid: 11,
  vrrpStarts: 1,
  vrrpDeaths: 0,
  releasedBySupervisor: 0,
  instances: [{ name: 'VI_1', vrid: 51, family: 4, ifname: 'eth0', state: 'MASTER', priority: 80, cause: 'Master_Down_Timer fired' }],
  lag: { meanMs: 0.1, p50Ms: 0.1, p99Ms: 0.5, maxMs: 1.5, periodMs: 1000 },
  lagMaxEverMs: 2,
  stats: { instances: { VI_1: { advert_rcvd: 7, became_master: 1 } }, unknownVridRcvd: 3, socketDrops: {} },
  stopping: false,
  checkerPid: null,
  checkerStarts: 0,
  checkerDeaths: 0,
  pools: [{ vsId: '10.0.0.100:80', backends: [{ id: '10.0.1.1:80', health: 'down', admin: 'ready', weight: 1, effectiveWeight: 0, cause: { source: 'check', detail: 'TCP_CHECK failed', atMs: 5 } }] }],
};

const input: DumpInput = {
  writtenAt: '2026-11-22T03:00:00.000Z',
  configFile: '/etc/keepalived/keepalived.conf',
  instances: [instanceConfig({ name: 'VI_1', vrid: 51, ifname: 'eth0', basePriority: 100, primaryAddress: '10.0.0.1', vips: [{ address: '10.0.0.100', prefixLength: 24, family: 4, ifname: 'eth0' }] })],
  status,
  services: { services: [], pools: [], diagnostics: [] },
  reload: { reloads: 2, refused: 1, last: { ok: true, summary: 'instances unchanged' } },
};

test('the data dump shows each instance with its config and state, and the checked backends, as text and JSON', () => {
  const d = dataDump(input);
  assert.match(d.text, /VRRP instance = VI_1\n {3}state = MASTER \(Master_Down_Timer fired\)/);
  assert.match(d.text, /priority = 100, effective priority = 80, advert interval = 1000 ms/);
  assert.match(d.text, / {5}10\.0\.0\.100\/24 dev eth0/);
  assert.match(d.text, /10\.0\.1\.1:80: down, ready, weight 0\/1 \(check: TCP_CHECK failed\)/);
  assert.match(d.text, /reloads: 2 \(refused 1\)/);
  const json = JSON.parse(JSON.stringify(d.json)) as { instances: Array<{ state: string; effectivePriority: number; config: { vrid: number } }> };
  assert.deepEqual(json.instances.map((i) => [i.config.vrid, i.state, i.effectivePriority]), [[51, 'MASTER', 80]]);
});

test('the statistics dump carries keepalived counter names per instance', () => {
  const s = statsDump(input);
  assert.match(s.text, /VRRP instance: VI_1\n {2}advert_rcvd: 7\n {2}became_master: 1/);
  assert.match(s.text, /adverts for an unknown VRID: 3/);
  assert.deepEqual((s.json as { instances: unknown }).instances, { VI_1: { advert_rcvd: 7, became_master: 1 } });
});

test('dumps are written as FILE and FILE.json; a write failure is logged with its code, not thrown', () => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-dump-'));
  try {
    const logs: string[] = [];
    assert.equal(writeDump(join(dir, 'halo.data'), dataDump(input), (l) => void logs.push(l.code ?? '')), true);
    assert.match(readFileSync(join(dir, 'halo.data'), 'utf8'), /VRRP instance = VI_1/);
    assert.equal((JSON.parse(readFileSync(join(dir, 'halo.data.json'), 'utf8')) as { configFile: string }).configFile, '/etc/keepalived/keepalived.conf');
    assert.equal(writeDump(join(dir, 'missing', 'halo.data'), dataDump(input), (l) => void logs.push(l.code ?? '')), false);
    assert.deepEqual(logs, ['HALO_DMN_DUMP_FAILED']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
