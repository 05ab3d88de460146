/**
 * What one vrrp_track_process check costs: halo's /proc scan (all trackers at once) against what
 * the tutorials' scripts do every interval (`ps -C nginx --no-header | wc -l` through a shell, and
 * `pgrep -x nginx`). Prints milliseconds per check and the ratio; not a test, never fails.
 * Run: npx tsc -p . && node dist/bench/track/process-scan.js
 */
import { spawnSync } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { scanProc } from '../../src/track/process-tracker.js';
import { countMatches } from '../../src/vrrp/track/process.js';

const ROUNDS = 30;

async function timeAsync(fn: () => Promise<unknown>): Promise<number> {
  await fn(); // warm up
  const t0 = performance.now();
  for (let i = 0; i < ROUNDS; i++) await fn();
  return (performance.now() - t0) / ROUNDS;
}

function timeSync(fn: () => unknown): number {
  fn();
  const t0 = performance.now();
  for (let i = 0; i < ROUNDS; i++) fn();
  return (performance.now() - t0) / ROUNDS;
}

const spec = { name: 'nginx', process: ['nginx'], fullCommand: false, quorum: 1, forkDelayMs: 0, terminateDelayMs: 0 };
const fullSpec = { ...spec, process: ['nginx: master process nginx'], fullCommand: true };
let processes = 0;
const scanStat = await timeAsync(async () => {
  const s = await scanProc(false);
  processes = s.scanned;
  return countMatches(spec, s.processes);
});
// The machine's own noise first: the same monitor while the loop only sleeps.
const idle = monitorEventLoopDelay({ resolution: 1 });
idle.enable();
for (let i = 0; i < ROUNDS; i++) await new Promise((r) => setTimeout(r, 5));
idle.disable();
// How long one scan holds the event loop at a stretch (what a VRRP advert could wait).
const lag = monitorEventLoopDelay({ resolution: 1 });
lag.enable();
for (let i = 0; i < ROUNDS; i++) await scanProc(true);
lag.disable();
const scanCmdline = await timeAsync(async () => countMatches(fullSpec, (await scanProc(true)).processes));
const psShell = timeSync(() => spawnSync('/bin/sh', ['-c', 'ps -C nginx --no-header | wc -l'], { encoding: 'utf8' }));
const pgrep = timeSync(() => spawnSync('pgrep', ['-x', 'nginx'], { encoding: 'utf8' }));

console.log(`processes on this machine: ${processes}`);
console.log('check                                   ms/check   vs halo scan');
const row = (name: string, ms: number): void => console.log(`${name.padEnd(40)}${ms.toFixed(2).padStart(8)}   ${(ms / scanStat).toFixed(2).padStart(6)}x`);
row('halo /proc scan (stat only)', scanStat);
row('halo /proc scan (stat + cmdline)', scanCmdline);
row('sh -c "ps -C nginx --no-header | wc -l"', psShell);
row('pgrep -x nginx', pgrep);
console.log(`event-loop delay during scans (stat + cmdline): max ${(lag.max / 1e6).toFixed(2)} ms, p99 ${(lag.percentile(99) / 1e6).toFixed(2)} ms; idle loop on this machine: max ${(idle.max / 1e6).toFixed(2)} ms, p99 ${(idle.percentile(99) / 1e6).toFixed(2)} ms`);
