// Health-check benchmark: COUNT real servers on loopback checked every second by TCP and by HTTP.
// Starts the servers (one process), a stand-in VRRP process that measures its event-loop lag,
// a reference loop of bare connects (bare.ts), the checker runner for each mode in turn, then the
// real checker process (checker-process.ts: fork, keepalived.conf, IPC) in both modes;
// prints one JSON object per phase.
// Usage: node dist/bench/checks/run.js [COUNT=10000] [SECONDS=20]
// HALO_CHECK_PROBER=node runs the checks on Node sockets instead of the native prober.
// Needs about COUNT + 2,000 file descriptors per process; the limit is raised where allowed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const count = Number(process.argv[2] ?? '10000');
const seconds = Number(process.argv[3] ?? '20');
const here = fileURLToPath(new URL('.', import.meta.url));
// The servers hold COUNT listeners plus every connection in flight (the runner allows 4,096).
const need = count + 8192;

// Child processes inherit the soft limit: raise it through a shell `ulimit` around each child.
const hard = Number(spawnSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim()) || need;
const limit = Math.min(hard, Math.max(need, 4096));
if (limit < need) console.error(`# warning: fd limit ${limit} < ${need}; some listeners or probes may fail`);
const node = (script: string, args: string[]): ChildProcess =>
  spawn('sh', ['-c', `ulimit -n ${limit} && exec "$0" "$@"`, process.execPath, join(here, script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      const i = buf.indexOf('\n');
      if (i >= 0) resolve(buf.slice(0, i));
    });
    child.once('exit', (code) => reject(new Error(`${String(child.spawnargs.at(-2))} exited with ${code}`)));
  });
}

/** Runs a bench script while the stand-in VRRP process measures its event-loop lag. */
async function withLag(script: string, args: string[]): Promise<object> {
  const lag = node('vrrp-lag.js', []);
  const child = node(script, args);
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const line = await firstLine(child).catch((e: unknown) => {
    throw new Error(`${String(e)}\n${err}`);
  });
  const lagLine = new Promise<string>((resolve) => lag.stdout?.on('data', (d: Buffer) => resolve(d.toString().trim())));
  lag.kill('SIGTERM');
  return { ...(JSON.parse(line) as object), vrrpStandIn: JSON.parse(await lagLine) as unknown };
}

const dir = mkdtempSync(join(tmpdir(), 'halo-bench-checks-'));
const servers = node('servers.js', [String(count)]);
let serverErr = '';
servers.stderr?.on('data', (d: Buffer) => (serverErr += d.toString()));
const results: unknown[] = [];
try {
  const portsLine = await firstLine(servers);
  writeFileSync(join(dir, 'ports.json'), portsLine);
  console.log(`# ${count} listeners up on 127.0.0.1; ${seconds} s per mode, delay_loop 1 s; load ${loadavg()[0]!.toFixed(1)}`);
  // Baseline: the stand-in VRRP process alone (servers idle), for the same time as a mode.
  {
    const lag = node('vrrp-lag.js', []);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const lagLine = new Promise<string>((resolve) => lag.stdout?.on('data', (d: Buffer) => resolve(d.toString().trim())));
    lag.kill('SIGTERM');
    const r = { mode: 'baseline (no checks)', loadAvg1m: Math.round(loadavg()[0]! * 10) / 10, vrrpStandIn: JSON.parse(await lagLine) as unknown };
    results.push(r);
    console.log(JSON.stringify(r));
  }
  {
    const bare = node('bare.js', [join(dir, 'ports.json')]);
    const r = { ...(JSON.parse(await firstLine(bare)) as object), loadAvg1m: Math.round(loadavg()[0]! * 10) / 10 };
    results.push(r);
    console.log(JSON.stringify(r));
  }
  // The checks in this process's stand-in (checker.js), then the real checker process
  // (src/daemon/checker-main.ts) from a generated keepalived.conf, each with the stand-in VRRP
  // process measuring its lag beside it.
  for (const script of ['checker.js', 'checker-process.js']) {
    for (const mode of ['tcp', 'http']) {
      const r = await withLag(script, [mode, String(seconds), join(dir, 'ports.json')]);
      results.push(r);
      console.log(JSON.stringify(r));
    }
  }
} finally {
  servers.kill('SIGTERM');
  await new Promise((r) => servers.once('exit', r));
  if (serverErr.trim()) console.log(`# servers: ${serverErr.trim()}`);
  rmSync(dir, { recursive: true, force: true });
}
