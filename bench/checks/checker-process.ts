// The real checker process in the health-check benchmark: writes a keepalived.conf with one
// virtual_server and COUNT real servers (TCP_CHECK or HTTP_GET every delay_loop = 1 s), forks
// dist/src/daemon/checker-main.js as a supervisor would (IPC start with the file), lets it run
// SECONDS, and prints JSON: CPU (cores, from /proc over the steady part), peak RSS, probes per
// second as the process counts them (and CPU per probe), and the IPC messages it sent (verdicts at start, changes).
// Usage: node checker-process.js tcp|http SECONDS PORTS_JSON_FILE
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CheckerToParent } from '../../src/daemon/checker-ipc.js';

const mode = process.argv[2] === 'http' ? 'http' : 'tcp';
const seconds = Number(process.argv[3] ?? '20');
const ports = (JSON.parse(readFileSync(process.argv[4] as string, 'utf8')) as { ports: number[] }).ports;
const WARM_S = 3;
const TICKS_PER_S = 100; // USER_HZ on Linux

const check =
  mode === 'http'
    ? '    HTTP_GET {\n      url {\n        path /health\n        digest eff5bc1ef8ec9d03e640fc4370f5eacd\n      }\n      connect_timeout 3\n      retry 1\n      delay_before_retry 1\n    }\n'
    : '    TCP_CHECK {\n      connect_timeout 3\n      retry 1\n      delay_before_retry 1\n    }\n';
const dir = mkdtempSync(join(tmpdir(), 'halo-bench-cp-'));
const file = join(dir, 'keepalived.conf');
writeFileSync(file, `virtual_server 127.0.0.1 80 {\n  delay_loop 1\n  protocol TCP\n${ports.map((p) => `  real_server 127.0.0.1 ${p} {\n${check}  }\n`).join('')}}\n`);

function cpuTicks(pid: number): number {
  // /proc/PID/stat: fields 14 and 15 (utime, stime) after the parenthesised command name.
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(f[11]) + Number(f[12]);
}
function rssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : 0;
}

const child = fork(fileURLToPath(new URL('../../src/daemon/checker-main.js', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const counts = new Map<string, number>();
let readyMs = 0;
let stopped: CheckerToParent | undefined;
const t0 = performance.now();
child.on('message', (m: CheckerToParent) => {
  counts.set(m.type, (counts.get(m.type) ?? 0) + 1);
  if (m.type === 'ready') readyMs = performance.now() - t0;
  if (m.type === 'failed') {
    console.error(JSON.stringify(m));
    process.exit(1);
  }
  if (m.type === 'stopped') stopped = m;
});
child.send({ type: 'start', file, configId: 'bench', notify: false });
const pid = child.pid as number;
await new Promise((r) => setTimeout(r, WARM_S * 1000));
const c0 = cpuTicks(pid);
const s0 = performance.now();
await new Promise((r) => setTimeout(r, seconds * 1000));
const cores = (cpuTicks(pid) - c0) / TICKS_PER_S / ((performance.now() - s0) / 1000);
const rss = rssMb(pid);
const runMs = performance.now() - t0 - readyMs;
child.send({ type: 'stop', omega: false });
await new Promise((r) => child.once('exit', r));
rmSync(dir, { recursive: true, force: true });
const probes = stopped && stopped.type === 'stopped' ? stopped.probes : 0;
console.log(
  JSON.stringify({
    mode: `checker process (${mode}, from keepalived.conf)`,
    servers: ports.length,
    loadMs: Math.round(readyMs),
    // From `ready` to `stop`: the first second is the warmup spread, so this is slightly low.
    probesPerS: Math.round(probes / (runMs / 1000)),
    cpuUsPerProbe: probes > 0 ? Math.round((cores * 1e6) / (probes / (runMs / 1000))) : null,
    checkerCores: Math.round(cores * 100) / 100,
    rssMaxMb: rss,
    ipc: Object.fromEntries(counts),
  }),
);
