import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { TrackerSet } from './tracker-set.js';
import { MemoryLog } from '../notify/log.js';
import type { TrackerChange } from '../vrrp/track/board.js';

test('a script with weight -20 and a track_file, watched by two instances, give each its own changes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-ts-'));
  try {
    const flag = join(dir, 'up');
    writeFileSync(flag, '');
    const prio = join(dir, 'prio');
    writeFileSync(prio, '0\n');
    const changes: TrackerChange[] = [];
    const log = new MemoryLog();
    const set = new TrackerSet({
      instances: [
        { owner: 'VI_1', bindings: [{ trackerName: 'script:chk_nginx', kind: 'script', weight: -20, reverse: false }, { trackerName: 'file:tf', kind: 'file', weight: 1, reverse: false }] },
        { owner: 'VI_2', bindings: [{ trackerName: 'script:chk_nginx', kind: 'script', weight: 0, reverse: false }] },
      ],
      scripts: [
        { name: 'chk_nginx', script: `[ -e ${flag} ]`, riseCount: 1, fallCount: 1, initFail: false, intervalMs: 50, timeoutMs: 1000, env: { PATH: '/usr/bin:/bin' }, scriptSecurity: false },
        { name: 'unwatched', script: `touch ${join(dir, 'ran')}`, riseCount: 1, fallCount: 1, initFail: false, intervalMs: 50, timeoutMs: 1000, env: { PATH: '/usr/bin:/bin' }, scriptSecurity: false },
      ],
      files: [{ name: 'tf', path: prio, pollMs: 50 }],
      processes: [],
      env: { PATH: '/usr/bin:/bin' },
      // Run as the test's own user even where a keepalived_script user exists.
      defaultRunAs: { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, user: 'self' },
    }, (c) => changes.push(c), log.sink);
    await set.start();
    rmSync(flag);
    writeFileSync(prio, '-30\n');
    const end = Date.now() + 3000;
    while (changes.filter((c) => c.status.trackerName === 'script:chk_nginx').length < 2 || !changes.some((c) => c.status.weightDelta === -30)) {
      if (Date.now() > end) break;
      await sleep(20);
    }
    set.stop();
    const view = changes.filter((c) => c.status.trackerName === 'script:chk_nginx').map((c) => [c.owner, c.status.weightDelta, c.status.fault]);
    assert.deepEqual(view, [['VI_1', -20, false], ['VI_2', 0, true]]);
    assert.equal(set.summaryOf('VI_1').weightDelta, -50);
    assert.equal(set.summaryOf('VI_2').fault, true);
    assert.equal((await import('node:fs')).existsSync(join(dir, 'ran')), false, 'a script no instance tracks never runs');
    assert.ok(log.events.some((e) => e.code === 'HALO_TRK_CHANGED' && /VI_2: tracker script:chk_nginx failed, FAULT/.test(e.message)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
