// `halo run` in network namespaces with weighted trackers: a vrrp_script with weight -20, a
// track_file (value × weight) and a vrrp_track_process (weight 0: FAULT) move the MASTER's
// priority below the backup's and back; each change is logged with the tracker that caused it.
// Only addresses inside the lab are used; every loop is bounded; processes are killed by PID.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetnsLab, type NetnsNode } from './harness.js';
import { conf, PORT, startHalo, until, type Halo } from './daemon-run.js';

const avail = NetnsLab.available();
describe('halo run: weighted trackers move the VIP', { skip: avail.ok ? false : avail.reason, timeout: 120_000 }, () => {
  let lab: NetnsLab;
  let d1: NetnsNode, d2: NetnsNode, client: NetnsNode;
  let h1: Halo, h2: Halo;
  let vip: string;
  let dir: string;
  let proc: ChildProcess;

  const answer = (): string => {
    const r = client.httpGet(vip, PORT, 300);
    return r.ok ? r.body : '';
  };
  const logged = (h: Halo, re: RegExp): boolean => h.lines.some((l) => re.test(l));

  before(async () => {
    lab = new NetnsLab(48);
    lab.addSegment();
    d1 = lab.addNode('d1', [0]);
    d2 = lab.addNode('d2', [0]);
    client = lab.addNode('client', [0]);
    vip = lab.ipv4Of(0, 100);
    dir = mkdtempSync(join(tmpdir(), 'halo-weights-'));
    lab.cleanupDir(dir);
    writeFileSync(join(dir, 'up'), '');
    writeFileSync(join(dir, 'prio'), '0\n');
    proc = d1.spawn(['sleep', '4848']);
    await Promise.all([d1.startWebServer(PORT, 'd1'), d2.startWebServer(PORT, 'd2')]);
    const decl = `vrrp_script chk {
    script "test -e ${dir}/up"
    interval 1
    weight -20
}
track_file prio {
    file "${dir}/prio"
    weight 1
}
vrrp_track_process sleeper {
    process sleep 4848
    weight 0
}
`;
    h1 = startHalo(lab, d1, decl + conf(48, 100, vip, '\n    track_script {\n        chk\n    }\n    track_file {\n        prio\n    }\n    track_process {\n        sleeper\n    }'));
    h2 = startHalo(lab, d2, conf(48, 90, vip));
    await until('the client reaches d1 on the VIP', () => answer() === 'd1', 15_000, [h1, h2]);
  });

  after(async () => {
    await lab?.destroy();
    assert.deepEqual(lab?.leftovers() ?? [], []);
  });

  test('vrrp_script weight -20: 100 -> 80 < 90, the backup preempts; the script recovers and d1 preempts back', async () => {
    rmSync(join(dir, 'up'));
    const ms = await until('d2 answers on the VIP', () => answer() === 'd2', 6000, [h1, h2]);
    assert.ok(logged(h1, /Priority 100 -> 80: tracker script:chk: Script chk failed 1 time/), h1.lines.join('\n'));
    process.stdout.write(`vrrp_script down: VIP on the backup after ${ms} ms\n`);
    writeFileSync(join(dir, 'up'), '');
    await until('d1 answers on the VIP again', () => answer() === 'd1', 6000, [h1, h2]);
    assert.ok(logged(h1, /Priority 80 -> 100: tracker script:chk/), h1.lines.join('\n'));
  });

  test('track_file: -15 × weight 1 gives 85 < 90, the backup preempts; 0 brings d1 back', async () => {
    writeFileSync(join(dir, 'prio'), '-15\n');
    await until('d2 answers on the VIP', () => answer() === 'd2', 6000, [h1, h2]);
    assert.ok(logged(h1, /Priority 100 -> 85: tracker file:prio: Track file prio .* reads -15/), h1.lines.join('\n'));
    writeFileSync(join(dir, 'prio'), '0\n');
    await until('d1 answers on the VIP again', () => answer() === 'd1', 6000, [h1, h2]);
  });

  test('vrrp_track_process weight 0: the process gone puts d1 in FAULT with the tracker named; back when it runs again', async () => {
    await lab.kill(proc, 'SIGKILL');
    await until('d2 answers on the VIP', () => answer() === 'd2', 6000, [h1, h2]);
    assert.ok(logged(h1, /to=FAULT .*Tracker process:sleeper failed/), h1.lines.join('\n'));
    proc = d1.spawn(['sleep', '4848']);
    await until('d1 answers on the VIP again', () => answer() === 'd1', 8000, [h1, h2]);
  });
});
