import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadKeepalivedConfig } from '../config/keepalived/load.js';
import { toEngineConfig } from '../config/keepalived/to-engine.js';
import type { TrackerSignal } from '../vrrp/track/types.js';
import { buildTrackers, engineUpdate, instanceTrackers, trackerSpecsFromModel } from './trackers.js';
import type { LogLine } from './log.js';

function model(text: string) {
  return loadKeepalivedConfig('/virtual/keepalived.conf', { readFile: () => ({ ok: true, text }), glob: () => [] }, { configId: 't' }).model;
}

const primary = { primaryAddress: () => '10.0.0.1' };

test('specs from the config: script timeout, rise/fall, init_fail, user; init_file; process quorum', () => {
  const m = model(`
vrrp_script chk { script "/bin/check arg" interval 3 timeout 2 rise 2 fall 3 init_fail user nobody }
vrrp_script plain { script "/bin/true" }
track_file tf { file "/tmp/x" init_file 5 overwrite }
vrrp_track_process web { process nginx quorum 2 quorum_max 4 }
`);
  const s = trackerSpecsFromModel(m);
  assert.deepEqual(s.scripts.find((x) => x.name === 'chk'), { name: 'chk', script: '/bin/check arg', intervalMs: 3000, timeoutMs: 2000, riseCount: 2, fallCount: 3, initFail: true, user: { user: 'nobody' } });
  // No timeout: the script may run as long as it takes (the next runs are skipped meanwhile).
  assert.equal(s.scripts.find((x) => x.name === 'plain')?.timeoutMs, 0);
  assert.deepEqual(s.files, [{ name: 'tf', path: '/tmp/x', initFile: { value: 5, overwrite: true } }]);
  assert.equal(s.processes[0]?.quorum, 2);
  assert.equal(s.processes[0]?.quorumMax, 4);
  assert.deepEqual(s.processes[0]?.process, ['nginx']);
});

test('buildTrackers runs the watched trackers of a config and reports their signals by KIND:NAME', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-dtrk-'));
  try {
    const flag = join(dir, 'up');
    writeFileSync(flag, '');
    const prio = join(dir, 'prio');
    const m = model(`
vrrp_script chk { script "test -e ${flag}" interval 0.1 weight -20 }
vrrp_script unused { script "touch ${join(dir, 'ran')}" interval 0.1 }
track_file prio { file "${prio}" weight 2 init_file 3 }
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 9
  priority 100
  virtual_ipaddress { 10.9.9.9 }
  track_script { chk }
  track_file { prio }
  track_interface { eth0 }
}
`);
    const engine = toEngineConfig(m, primary);
    assert.deepEqual(instanceTrackers(engine.instances)[0]?.bindings.map((b) => b.trackerName), ['script:chk', 'file:prio'], 'interfaces stay with the runtime');
    const signals: Array<[string, TrackerSignal]> = [];
    const lines: LogLine[] = [];
    const t = buildTrackers(trackerSpecsFromModel(m), engine.instances, { haloPid: process.pid, env: { PATH: '/usr/bin:/bin' }, log: (l) => lines.push(l), onSignal: (id, s) => signals.push([id, s]) });
    await t.start();
    // init_file wrote 3 before the first read: the engine hears the value before the instances start.
    assert.deepEqual(signals.map(([id, s]) => [id, engineUpdate(s).value]), [['file:prio', 3]]);
    rmSync(flag);
    writeFileSync(prio, '-7\n');
    const end = Date.now() + 5000;
    while (Date.now() < end && !(signals.some(([id, s]) => id === 'script:chk' && s.kind === 'script' && !s.up) && signals.some(([, s]) => s.kind === 'file' && s.value === -7))) await sleep(20);
    t.close();
    const down = signals.find(([id]) => id === 'script:chk');
    assert.ok(down, 'the script went down');
    assert.deepEqual(engineUpdate(down[1]).up, false);
    assert.match(engineUpdate(down[1]).cause, /Script chk failed 1 time \(fall 1\): exit 1/);
    assert.ok(signals.some(([id, s]) => id === 'file:prio' && s.kind === 'file' && s.value === -7));
    // The board's per-instance change is logged with the tracker and what it did.
    assert.ok(lines.some((l) => l.code === 'HALO_TRK_CHANGED' && /VI_1: tracker script:chk failed, priority -20/.test(l.msg)), lines.map((l) => l.msg).join('\n'));
    assert.equal((await import('node:fs')).existsSync(join(dir, 'ran')), false, 'a script no instance tracks never runs');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('scripts get the compat directory first on PATH and HALO_PID, so `killall keepalived` signals halo', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-dtrk-'));
  try {
    const out = join(dir, 'env');
    const m = model(`
vrrp_script chk { script "/bin/sh -c 'command -v systemctl > ${out}; echo $HALO_PID >> ${out}'" interval 5 }
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 9
  priority 100
  virtual_ipaddress { 10.9.9.9 }
  track_script { chk }
}
`);
    const engine = toEngineConfig(m, primary);
    const t = buildTrackers(trackerSpecsFromModel(m), engine.instances, { haloPid: 4242, env: { PATH: '/usr/bin:/bin' }, log: () => undefined, onSignal: () => undefined });
    await t.start();
    const { existsSync, readFileSync } = await import('node:fs');
    const end = Date.now() + 3000;
    while (Date.now() < end && !(existsSync(out) && readFileSync(out, 'utf8').includes('4242'))) await sleep(20);
    t.close();
    const [which, pid] = readFileSync(out, 'utf8').trim().split('\n');
    assert.match(which ?? '', /share\/halo-compat\/bin\/systemctl$/);
    assert.equal(pid, '4242');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
