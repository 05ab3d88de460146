import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { FifoWriter } from './fifo.js';
import { MemoryLog } from './log.js';
import { fifoLine } from './events.js';

/** A reader like keepalived's sample_notify_fifo.sh: a shell loop reading lines. */
function reader(path: string, count: number): Promise<string> {
  return new Promise((resolve) => {
    const p = spawn('/bin/bash', ['-c', `n=0; while [ $n -lt ${count} ] && read -r line; do echo "$line"; n=$((n+1)); done < ${path}`], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const t = setTimeout(() => p.kill(), 5000);
    p.on('exit', () => {
      clearTimeout(t);
      resolve(out);
    });
  });
}

test('lines written before any reader exists arrive in order once a reader opens the FIFO', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-fifo-'));
  try {
    const path = join(dir, 'notify_fifo');
    const log = new MemoryLog();
    const w = new FifoWriter({ path, reopenMs: 20, log: log.sink });
    assert.equal(w.ensure(), true);
    assert.ok(statSync(path).isFIFO());
    const t0 = performance.now();
    w.write(fifoLine({ scope: 'INSTANCE', name: 'VI_1', state: 'BACKUP', priority: 90 }));
    w.write(fifoLine({ scope: 'INSTANCE', name: 'VI_1', state: 'MASTER', priority: 100 }));
    assert.ok(performance.now() - t0 < 50, 'writing without a reader does not block');
    assert.equal(w.pending(), 2);
    const got = reader(path, 3);
    await sleep(100);
    w.write(fifoLine({ scope: 'GROUP', name: 'VG_1', state: 'MASTER', priority: 0 }));
    assert.equal(await got, 'INSTANCE "VI_1" BACKUP 90\nINSTANCE "VI_1" MASTER 100\nGROUP "VG_1" MASTER 0\n');
    // The reader left: later lines wait for the next one (EPIPE is not an error to the caller).
    w.write(fifoLine({ scope: 'INSTANCE', name: 'VI_1', state: 'FAULT', priority: 100 }));
    const again = reader(path, 1);
    assert.equal(await again, 'INSTANCE "VI_1" FAULT 100\n');
    w.close();
    assert.deepEqual(log.codes(), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the buffer is bounded: the oldest lines go and the loss is logged', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-fifo-'));
  try {
    const path = join(dir, 'f');
    const log = new MemoryLog();
    const w = new FifoWriter({ path, maxBufferedLines: 3, reopenMs: 20, log: log.sink });
    w.ensure();
    for (let i = 1; i <= 5; i++) w.write(`INSTANCE "VI_${i}" MASTER 100\n`);
    assert.equal(w.pending(), 3);
    assert.equal(w.counters.dropped, 2);
    assert.ok(log.codes().includes('HALO_NTF_FIFO_OVERFLOW'));
    const got = await reader(path, 3);
    w.close();
    assert.equal(got, 'INSTANCE "VI_3" MASTER 100\nINSTANCE "VI_4" MASTER 100\nINSTANCE "VI_5" MASTER 100\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a regular file at the FIFO path is never written to', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-fifo-'));
  try {
    const path = join(dir, 'f');
    const { writeFileSync, readFileSync } = await import('node:fs');
    writeFileSync(path, 'precious\n');
    const log = new MemoryLog();
    const w = new FifoWriter({ path, reopenMs: 20, log: log.sink });
    assert.equal(w.ensure(), false);
    w.write('INSTANCE "VI_1" MASTER 100\n');
    await sleep(60);
    w.close();
    assert.equal(readFileSync(path, 'utf8'), 'precious\n');
    assert.deepEqual(log.codes(), ['HALO_NTF_FIFO_OPEN']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
