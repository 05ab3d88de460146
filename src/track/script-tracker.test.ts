import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { ScriptTracker } from './script-tracker.js';
import type { ScriptTrackerOptions } from './script-tracker.js';
import { MemoryLog } from '../notify/log.js';
import { lookupUser } from '../notify/script-exec.js';
import type { TrackerSignal } from '../vrrp/track/types.js';

const ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };

function tracker(over: Partial<ScriptTrackerOptions> & { script: string }, signals: TrackerSignal[], log: MemoryLog): ScriptTracker {
  return new ScriptTracker({ name: 'chk', riseCount: 1, fallCount: 1, initFail: false, intervalMs: 100, timeoutMs: 0, env: ENV, scriptSecurity: false, onSignal: (s) => signals.push(s), log: log.sink, ...over });
}

async function waitFor(cond: () => boolean, maxMs: number): Promise<void> {
  const end = Date.now() + maxMs;
  while (!cond() && Date.now() < end) await sleep(20);
}

test('a real script: down after fall failures, up after rise successes, state from a file it reads', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-trk-'));
  try {
    const flag = join(dir, 'ok');
    const script = join(dir, 'check.sh');
    writeFileSync(script, `#!/bin/sh\n[ -e ${flag} ]\n`, { mode: 0o755 });
    writeFileSync(flag, '');
    const signals: TrackerSignal[] = [];
    const log = new MemoryLog();
    const t = tracker({ script, fallCount: 2, riseCount: 2 }, signals, log);
    const at = (i: number): TrackerSignal | undefined => signals[i];
    t.start();
    await waitFor(() => t.counters.runs >= 2, 2000);
    assert.deepEqual(signals, [], 'no change while the script succeeds');
    rmSync(flag);
    await waitFor(() => signals.length >= 1, 2000);
    assert.equal(at(0)?.kind === 'script' && at(0)?.kind === 'script' && (at(0) as { up: boolean }).up, false);
    assert.match(at(0)?.cause ?? '', /chk failed 2 times .*exit 1/);
    writeFileSync(flag, '');
    await waitFor(() => signals.length >= 2, 2000);
    t.stop();
    assert.equal((at(1) as { up: boolean } | undefined)?.up, true);
    assert.ok(log.codes().includes('HALO_TRK_CHANGED'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('timeout: SIGTERM, then SIGKILL 2 s later for a script that ignores TERM; next runs skipped, not doubled', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-trk-'));
  try {
    const starts = join(dir, 'starts');
    const script = join(dir, 'slow.sh');
    // Ignores TERM, so only the SIGKILL after the grace period ends it.
    writeFileSync(script, `#!/bin/bash\ntrap '' TERM\necho start >> ${starts}\nfor i in $(seq 1 100); do sleep 0.1; done\n`, { mode: 0o755 });
    const signals: TrackerSignal[] = [];
    const log = new MemoryLog();
    const t = tracker({ script, intervalMs: 150, timeoutMs: 200, killGraceMs: 600 }, signals, log);
    const t0 = Date.now();
    t.start();
    await waitFor(() => signals.length >= 1, 2000);
    assert.equal(signals[0]?.kind === 'script' && signals[0].up, false);
    assert.match(signals[0]?.cause ?? '', /timed out after 200 ms/);
    await waitFor(() => readFileSync(starts, 'utf8').split('\n').filter(Boolean).length >= 2, 3000);
    t.stop();
    const elapsed = Date.now() - t0;
    // One start before the kill at ~800 ms; the second starts only after the first is gone.
    assert.ok(elapsed >= 700, `second run started after ${elapsed} ms, before the first was killed`);
    assert.ok(t.counters.skipped >= 3, `skipped ${t.counters.skipped}`);
    assert.ok(t.counters.timeouts >= 1);
    assert.ok(log.codes().includes('HALO_TRK_SCRIPT_SKIPPED'));
    assert.ok(log.codes().includes('HALO_TRK_SCRIPT_TIMEOUT'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('user: the script runs with the uid and gid of the configured user', async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root: switching users');
  const nobody = lookupUser('nobody');
  if ('error' in nobody) return t.skip('no nobody user on this machine');
  const dir = mkdtempSync(join(tmpdir(), 'halo-trk-'));
  try {
    chmodSync(dir, 0o777);
    const out = join(dir, 'id');
    const signals: TrackerSignal[] = [];
    const tr = tracker({ script: `id -u > ${out}; id -g >> ${out}`, runAs: nobody }, signals, new MemoryLog());
    tr.start();
    await waitFor(() => existsSync(out) && readFileSync(out, 'utf8').split('\n').length >= 3, 2000);
    tr.stop();
    assert.deepEqual(readFileSync(out, 'utf8').trim().split('\n').map(Number), [nobody.uid, nobody.gid]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('enable_script_security refuses a world-writable root script and the tracker fails', async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root: security checks apply to root-run scripts');
  const dir = mkdtempSync(join(tmpdir(), 'halo-trk-'));
  try {
    const script = join(dir, 'check_ng.sh');
    writeFileSync(script, '#!/bin/sh\nexit 0\n');
    chmodSync(script, 0o777); // what the tutorial of seed 000 does
    const signals: TrackerSignal[] = [];
    const log = new MemoryLog();
    const tr = tracker({ script, scriptSecurity: true }, signals, log);
    tr.start();
    await waitFor(() => signals.length >= 1, 2000);
    tr.stop();
    assert.equal(tr.counters.runs, 0, 'the unsafe script never ran');
    assert.ok(log.codes().includes('HALO_TRK_SCRIPT_UNSAFE'));
    assert.match(log.events.find((e) => e.code === 'HALO_TRK_SCRIPT_UNSAFE')?.message ?? '', /writable by others/);
    chmodSync(script, 0o755);
    const ok = tracker({ script, scriptSecurity: true }, [], log);
    ok.start();
    await waitFor(() => ok.counters.runs >= 1, 2000);
    ok.stop();
    assert.equal(ok.counters.runs >= 1, true, 'a root-owned 0755 script in a sticky tmp tree runs');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
