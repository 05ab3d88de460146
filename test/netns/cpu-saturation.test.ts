// VRRP keeps time on a saturated CPU: a halo pair at VRRPv3 100 ms (the backup takes over after
// 365 ms of silence), then twice as many busy loops as CPUs for 10 s (bounded loops in their own
// processes, killed by PID). halo's VRRP process runs apart from everything else and at a higher
// scheduling priority (docs/operations.md), so the master's adverts keep their interval closely
// enough that the backup never takes over: no transition on the backup, the VIP never moves.
// Prints the largest gap between the master's adverts seen on the wire and the VRRP process's
// event-loop lag from halo's status file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { NetnsLab } from './harness.js';
import { haloRunAvailable, keepalivedConf, type InstanceSpec } from './directors.js';
import { DirectorGroup, haloTransitions } from './pair.js';

const avail = NetnsLab.available();
const halo = haloRunAvailable();
const skip = !avail.ok ? avail.reason : !halo.ok ? halo.reason : false;

const BASE = 45;
const VIP = `10.213.${BASE}.100`;
const SATURATE_MS = 10_000;
/** Master_Down_Interval of priority 90 at 100 ms: 3 × 100 ms + 166/256 × 100 ms. */
const MDI_MS = 300 + (166 / 256) * 100;
const SPEC: Omit<InstanceSpec, 'priority'> = { vrid: 81, version: 3, advertIntS: 0.1, vips: [`${VIP}/24`] };

/** Seconds since midnight from tcpdump's default `HH:MM:SS.micro` timestamp at the start of a line. */
function stampS(line: string): number | undefined {
  const m = /^(\d\d):(\d\d):(\d\d\.\d+)/.exec(line);
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : undefined;
}

describe('VRRP under CPU saturation', { skip }, () => {
  let g: DirectorGroup;
  const hogs: ChildProcess[] = [];

  before(async () => {
    g = await DirectorGroup.create(BASE, 2);
  });
  after(async () => {
    for (const h of hogs) await g?.lab.kill(h, 'SIGKILL');
    await g?.destroy();
    assert.deepEqual(g?.lab.leftovers() ?? [], []);
  });

  test('100 ms v3 adverts keep their interval while every CPU is busy: the backup never takes over', async () => {
    const backup = await g.start('halo', g.d(2), keepalivedConf('d2', [{ ...SPEC, priority: 90 }]));
    const master = await g.start('halo', g.d(1), keepalivedConf('d1', [{ ...SPEC, priority: 100 }]));
    await g.expectMaster(g.d(1), VIP, 5000, [], 'before the load');
    await new Promise((r) => setTimeout(r, 500));
    const transitionsBefore = haloTransitions(backup.log).length;
    const cap = await g.d(2).capture('eth0', `ip proto 112 and src ${g.d(1).ipv4()}`);

    const hogCount = Math.min(16, Math.max(4, 2 * availableParallelism()));
    // Each loop ends on its own after SATURATE_MS (and is killed by PID in `after` regardless).
    const loop = `const end = Date.now() + ${SATURATE_MS}; let n = 0; while (Date.now() < end) n++; console.log(n);`;
    for (let i = 0; i < hogCount; i++) hogs.push(g.d(1).spawn([process.execPath, '-e', loop]));
    const violation = await g.holdsFor(g.d(1), VIP, SATURATE_MS);
    const lines = await cap.stop();
    for (const h of hogs) await g.lab.kill(h, 'SIGKILL');

    const stamps = lines.map(stampS).filter((s): s is number => s !== undefined);
    const gapsMs = stamps.slice(1).map((s, i) => (s - (stamps[i] ?? s)) * 1000).filter((x) => x >= 0);
    const maxGapMs = Math.max(0, ...gapsMs);
    const sorted = [...gapsMs].sort((a, b) => a - b);
    const p99GapMs = sorted[Math.floor(sorted.length * 0.99)] ?? 0;
    let lag = '';
    try {
      const status = JSON.parse(readFileSync(join(master.workDir ?? '', 'halo.status.json'), 'utf8')) as { lagMaxEverMs?: number };
      lag = `, VRRP event-loop lag max ${status.lagMaxEverMs ?? '?'} ms`;
    } catch {
      lag = ', no status file';
    }
    console.log(`${hogCount} busy loops on ${availableParallelism()} CPUs for ${SATURATE_MS} ms: ${stamps.length} adverts from the master, gap p99 ${p99GapMs.toFixed(1)} ms, max ${maxGapMs.toFixed(1)} ms (takeover after ${MDI_MS.toFixed(0)} ms)${lag}`);

    assert.equal(violation, undefined, `the VIP moved under load: ${violation}${g.logs()}`);
    const transitions = haloTransitions(backup.log).slice(transitionsBefore);
    assert.deepEqual(transitions.map((t) => t.line), [], 'the backup changed state under load');
    // 10 s at 100 ms is 100 adverts; a process starved for a whole interval would show fewer.
    assert.ok(stamps.length >= 0.8 * (SATURATE_MS / 100), `only ${stamps.length} adverts in ${SATURATE_MS} ms`);
    assert.ok(maxGapMs < MDI_MS, `an advert gap of ${maxGapMs.toFixed(1)} ms, beyond Master_Down_Interval`);
  });
});
