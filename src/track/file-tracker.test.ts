import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { FileTracker } from './file-tracker.js';
import { MemoryLog } from '../notify/log.js';
import type { TrackerSignal } from '../vrrp/track/types.js';

const values = (s: TrackerSignal[]): number[] => s.map((x) => (x.kind === 'file' ? x.value : NaN));

async function waitFor(cond: () => boolean, maxMs: number): Promise<void> {
  const end = Date.now() + maxMs;
  while (!cond() && Date.now() < end) await sleep(10);
}

test('init_file creates the file; writes and atomic renames are seen quickly through fs.watch', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-tf-'));
  try {
    const path = join(dir, 'prio');
    const signals: TrackerSignal[] = [];
    // A long poll so that only fs.watch can deliver the changes within the test's wait.
    const t = new FileTracker({ name: 'tf', path, initFile: { value: 5, overwrite: false }, pollMs: 60_000, onSignal: (s) => signals.push(s), log: new MemoryLog().sink });
    await t.start();
    assert.equal(readFileSync(path, 'utf8'), '5\n');
    assert.deepEqual(values(signals), [5]);
    writeFileSync(path, '-20\n');
    await waitFor(() => signals.length >= 2, 2000);
    writeFileSync(join(dir, 'tmp'), '7');
    renameSync(join(dir, 'tmp'), path);
    await waitFor(() => signals.length >= 3, 2000);
    t.stop();
    assert.deepEqual(values(signals), [5, -20, 7]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('init_file leaves an existing file alone unless overwrite; a missing file reads 0', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-tf-'));
  try {
    const path = join(dir, 'prio');
    writeFileSync(path, '3');
    const a: TrackerSignal[] = [];
    const t1 = new FileTracker({ name: 'tf', path, initFile: { value: 9, overwrite: false }, onSignal: (s) => a.push(s), log: new MemoryLog().sink });
    await t1.start();
    t1.stop();
    assert.deepEqual(values(a), [3]);
    const b: TrackerSignal[] = [];
    const t2 = new FileTracker({ name: 'tf', path, initFile: { value: 9, overwrite: true }, onSignal: (s) => b.push(s), log: new MemoryLog().sink });
    await t2.start();
    t2.stop();
    assert.deepEqual(values(b), [9]);
    const c: TrackerSignal[] = [];
    const t3 = new FileTracker({ name: 'tf', path: join(dir, 'none'), onSignal: (s) => c.push(s), log: new MemoryLog().sink });
    await t3.start();
    t3.stop();
    assert.deepEqual(values(c), [0]);
    assert.match(c[0]?.cause ?? '', /missing/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the poll picks up a file created in a directory that did not exist at start', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-tf-'));
  try {
    const sub = join(dir, 'later');
    const path = join(sub, 'prio');
    const signals: TrackerSignal[] = [];
    const t = new FileTracker({ name: 'tf', path, pollMs: 50, onSignal: (s) => signals.push(s), log: new MemoryLog().sink });
    await t.start();
    const { mkdirSync } = await import('node:fs');
    mkdirSync(sub);
    writeFileSync(path, '12');
    await waitFor(() => signals.length >= 2, 2000);
    t.stop();
    assert.deepEqual(values(signals), [0, 12]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
