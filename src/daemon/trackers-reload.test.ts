import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadKeepalivedConfig } from '../config/keepalived/load.js';
import { toEngineConfig } from '../config/keepalived/to-engine.js';
import type { TrackerSignal } from '../vrrp/track/types.js';
import { buildTrackers, trackerSpecsFromModel } from './trackers.js';

function model(text: string) {
  return loadKeepalivedConfig('/virtual/keepalived.conf', { readFile: () => ({ ok: true, text }), glob: () => [] }, { configId: 't' }).model;
}

const primary = { primaryAddress: () => '10.0.0.1' };

const runs = (file: string): number => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0).length : 0);

async function until(what: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (what()) return true;
    await sleep(20);
  }
  return what();
}

/** One instance tracking the given scripts; each script appends a line to its own file per run. */
function config(dir: string, scripts: readonly string[]) {
  const decl = scripts.map((s) => `vrrp_script ${s} { script "/bin/sh -c 'echo run >> ${join(dir, s)}'" interval 0.1 rise 3 fall 1 init_fail weight -10 }`).join('\n');
  const m = model(`
${decl}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 9
  priority 100
  virtual_ipaddress { 10.9.9.9 }
  track_script { ${scripts.join(' ')} }
}
`);
  return { specs: trackerSpecsFromModel(m), instances: toEngineConfig(m, primary).instances };
}

test('reload keeps unchanged script runners going, starts added ones and stops removed ones', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-trkr-'));
  const signals: Array<[string, TrackerSignal]> = [];
  const a = config(dir, ['chk']);
  const t = buildTrackers(a.specs, a.instances, { haloPid: process.pid, env: { PATH: '/usr/bin:/bin' }, log: () => undefined, onSignal: (id, s) => signals.push([id, s]) });
  try {
    await t.start();
    // init_fail + rise 3: up after the third success, and that is the only signal.
    assert.ok(await until(() => signals.some(([id, s]) => id === 'script:chk' && s.kind === 'script' && s.up), 5000), 'chk came up');
    const before = signals.length;

    // The same config: nothing restarts. A restarted runner would begin again from init_fail
    // (down) and signal up once more after three runs, a priority blip for the instance.
    const same = await t.reload(a.specs, a.instances);
    assert.deepEqual(same, { kept: ['script:chk'], started: [], stopped: [] });
    const ranBefore = runs(join(dir, 'chk'));
    assert.ok(await until(() => runs(join(dir, 'chk')) >= ranBefore + 6, 5000), 'the kept runner goes on running');
    assert.equal(signals.length, before, `no new signal from a kept runner: ${JSON.stringify(signals.slice(before))}`);

    // A second script added: it starts and runs; chk is still the same runner.
    const b = config(dir, ['chk', 'extra']);
    assert.deepEqual(await t.reload(b.specs, b.instances), { kept: ['script:chk'], started: ['script:extra'], stopped: [] });
    assert.ok(await until(() => signals.some(([id, s]) => id === 'script:extra' && s.kind === 'script' && s.up), 5000), 'the added script runs and comes up');
    assert.equal(signals.filter(([id]) => id === 'script:chk').length, 1, 'chk signalled only its first rise');

    // chk removed: its runner stops (no more runs); extra goes on.
    const c = config(dir, ['extra']);
    assert.deepEqual(await t.reload(c.specs, c.instances), { kept: ['script:extra'], started: [], stopped: ['script:chk'] });
    await sleep(150); // a run in flight when it stopped may still finish
    const chkStopped = runs(join(dir, 'chk'));
    const extraNow = runs(join(dir, 'extra'));
    assert.ok(await until(() => runs(join(dir, 'extra')) >= extraNow + 4, 5000), 'extra goes on running');
    assert.equal(runs(join(dir, 'chk')), chkStopped, 'the removed script does not run any more');

    // A changed spec (another command) is a new runner: stopped, then started again.
    const changed = config(dir, ['extra']);
    const specs = { ...changed.specs, scripts: changed.specs.scripts.map((s) => ({ ...s, script: `${s.script} ` })) };
    assert.deepEqual(await t.reload(specs, changed.instances), { kept: [], started: ['script:extra'], stopped: [] });
  } finally {
    t.close();
    await sleep(150);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a tracker no instance watches any more is stopped; one watched again is started', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-trkr-'));
  const a = config(dir, ['chk']);
  const t = buildTrackers(a.specs, a.instances, { haloPid: process.pid, env: { PATH: '/usr/bin:/bin' }, log: () => undefined, onSignal: () => undefined });
  try {
    await t.start();
    assert.ok(await until(() => runs(join(dir, 'chk')) > 0, 5000));
    // The vrrp_script is still declared, but no instance tracks it: keepalived does not run it.
    const unwatched = { ...a.instances[0]!, trackers: [] };
    assert.deepEqual(await t.reload(a.specs, [unwatched]), { kept: [], started: [], stopped: ['script:chk'] });
    assert.deepEqual(await t.reload(a.specs, a.instances), { kept: [], started: ['script:chk'], stopped: [] });
    t.close();
    assert.deepEqual(await t.reload(a.specs, a.instances), { kept: [], started: [], stopped: [] }, 'closed: a late reload starts nothing');
  } finally {
    t.close();
    await sleep(150);
    rmSync(dir, { recursive: true, force: true });
  }
});
