import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, symlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProcessWatcher, scanProc } from './process-tracker.js';
import type { ProcessTrackerSpec } from './process-tracker.js';
import { MemoryLog } from '../notify/log.js';
import type { TrackerSignal } from '../vrrp/track/types.js';

const ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
const spec = (over: Partial<ProcessTrackerSpec> & { name: string; process: string[] }): ProcessTrackerSpec => ({ fullCommand: false, quorum: 1, forkDelayMs: 0, terminateDelayMs: 0, ...over });
const ups = (s: TrackerSignal[]): boolean[] => s.map((x) => x.kind !== 'file' && x.up);

async function waitFor(cond: () => boolean, maxMs: number): Promise<void> {
  const end = Date.now() + maxMs;
  while (!cond() && Date.now() < end) await sleep(20);
}

/** A fake daemon: a symlink to sleep with a unique name, so its comm is that name. */
function fakeDaemon(dir: string, name: string): { path: string; start: (argv0?: string) => ChildProcess } {
  const path = join(dir, name);
  symlinkSync('/bin/sleep', path);
  return {
    path,
    start: (argv0?: string) => spawn(path, ['30'], { stdio: 'ignore', ...(argv0 ? { argv0 } : {}) }),
  };
}

test('scanProc sees this process with its name, state and command line', async () => {
  const snap = await scanProc(true);
  const me = snap.processes.find((p) => p.pid === process.pid);
  assert.ok(me, 'own pid found');
  assert.equal(me.comm, 'node');
  assert.ok(me.argv.length >= 1);
  assert.ok(snap.scanned > 1);
});

test('count within quorum..quorum_max: up, down when one dies, down when too many run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-tp-'));
  const children: ChildProcess[] = [];
  try {
    const name = `hp${process.pid % 100000}a`;
    const d = fakeDaemon(dir, name);
    children.push(d.start(), d.start());
    await sleep(100);
    const signals: Record<string, TrackerSignal[]> = { two: [], max2: [] };
    const w = new ProcessWatcher({
      trackers: [spec({ name: 'two', process: [name], quorum: 2 }), spec({ name: 'max2', process: [name], quorum: 1, quorumMax: 2 })],
      intervalMs: 50, env: ENV, log: new MemoryLog().sink,
      onSignal: (n, s) => signals[n]?.push(s),
    });
    await w.start();
    assert.deepEqual([ups(signals.two ?? []), ups(signals.max2 ?? [])], [[true], [true]]);
    children[0]?.kill();
    await waitFor(() => (signals.two?.length ?? 0) >= 2, 2000);
    assert.deepEqual(ups(signals.two ?? []), [true, false]);
    assert.match(signals.two?.[1]?.cause ?? '', /1 process .*quorum 2/);
    children.push(d.start(), d.start());
    await waitFor(() => (signals.max2?.length ?? 0) >= 2, 2000);
    w.stop();
    assert.deepEqual(ups(signals.max2 ?? []), [true, false], 'three running is above quorum_max 2');
    assert.ok(w.counters.scans >= 2);
  } finally {
    for (const c of children) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('full_command matches a rewritten command line; a name-only tracker does not match a longer name', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-tp-'));
  const children: ChildProcess[] = [];
  try {
    const name = `hp${process.pid % 100000}b`;
    const d = fakeDaemon(dir, name);
    // bash's exec -a sets argv[0], as nginx's "nginx: master process" title does for ps.
    children.push(spawn('/bin/bash', ['-c', `exec -a "${name}: master process /usr/sbin/nginx" ${d.path} 30`], { stdio: 'ignore' }));
    await sleep(150);
    const got: Record<string, boolean[]> = { full: [], prefix: [] };
    const w = new ProcessWatcher({
      trackers: [
        spec({ name: 'full', process: [`${name}: master process /usr/sbin/nginx`, '30'], fullCommand: true }),
        spec({ name: 'prefix', process: [name.slice(0, -1)] }),
      ],
      env: ENV, log: new MemoryLog().sink,
      onSignal: (n, s) => got[n]?.push(s.kind !== 'file' && s.up),
    });
    await w.start();
    w.stop();
    assert.deepEqual(got, { full: [true], prefix: [false] });
  } finally {
    for (const c of children) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('restart_command (halo extension): a restart that works keeps the tracker up; one that fails lets it go down', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-tp-'));
  const children: ChildProcess[] = [];
  const pidFile = join(dir, 'restarted.pid');
  try {
    const name = `hp${process.pid % 100000}c`;
    const d = fakeDaemon(dir, name);
    children.push(d.start());
    await sleep(100);
    const signals: TrackerSignal[] = [];
    const log = new MemoryLog();
    const w = new ProcessWatcher({
      trackers: [spec({ name: 'ngx', process: [name], restartCommand: `setsid ${d.path} 30 </dev/null >/dev/null 2>&1 & echo $! > ${pidFile}`, restartGraceMs: 300, restartBackoffMs: 500 })],
      intervalMs: 50, env: ENV, log: log.sink,
      onSignal: (_n, s) => signals.push(s),
    });
    await w.start();
    children[0]?.kill();
    await waitFor(() => w.counters.restarts >= 1, 2000);
    await sleep(400);
    assert.deepEqual(ups(signals), [true], 'the restart brought it back before the tracker went down');
    // Now make the restart useless: the command exists but starts nothing.
    const { readFileSync } = await import('node:fs');
    const restartedPid = Number(readFileSync(pidFile, 'utf8'));
    (w as unknown as { entries: { spec: ProcessTrackerSpec }[] }).entries[0] = { ...(w as unknown as { entries: object[] }).entries[0], spec: { ...spec({ name: 'ngx', process: [name] }), restartCommand: 'true', restartGraceMs: 200, restartBackoffMs: 0 } } as never;
    process.kill(restartedPid, 'SIGKILL');
    await waitFor(() => signals.length >= 2, 3000);
    w.stop();
    assert.deepEqual(ups(signals), [true, false]);
    assert.ok(log.codes().includes('HALO_TRK_RESTART_FAILED'));
  } finally {
    for (const c of children) c.kill('SIGKILL');
    try {
      const { readFileSync } = await import('node:fs');
      process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
    } catch {
      /* already gone */
    }
    rmSync(dir, { recursive: true, force: true });
  }
});
