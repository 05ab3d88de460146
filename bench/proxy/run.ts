/**
 * Proxy benchmark: halo against nginx (`proxy_pass` with upstream keepalive, `stream`) and
 * HAProxy (`mode http`, `mode tcp`) in one run, with the same backend (nginx), the same load
 * generator (wrk) and the same CPU pinning: every proxy gets one worker on CPU 0; the backend and
 * wrk share CPU 1. Only loopback addresses are used; every run is bounded in time.
 *
 *   npx tsc -p . && node dist/bench/proxy/run.js [--seconds 5] [--rounds 3] [--only http|tcp]
 *
 * Needs: wrk (`apt-get install wrk`), nginx with the stream module (`libnginx-mod-stream`),
 * haproxy, taskset. Prints a ratio table (markdown) to stdout. Benchmarks never fail a build.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync, existsSync, openSync, closeSync, ftruncateSync, chmodSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';

const args = process.argv.slice(2);
const seconds = Number(args[args.indexOf('--seconds') + 1] ?? 5) || 5;
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
/** Each proxy runs once per round, rounds interleave the proxies; the table shows medians. */
const rounds = args.includes('--rounds') ? Math.max(1, Number(args[args.indexOf('--rounds') + 1]) || 1) : 3;

const BACKEND_PORT = 19080;
const PROXY_PORT = 19090;
const BIG_BYTES = 64 * 1024 * 1024;
const PROXY_CPU = '0';
const LOAD_CPU = cpus().length > 1 ? '1' : '0';
const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'halo-bench-proxy-'));
// nginx workers run as nobody: they must be able to read the big file
chmodSync(dir, 0o755);
const started: ChildProcess[] = [];

function need(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

function start(cpu: string, cmd: string, argv: string[]): ChildProcess {
  const p = spawn('taskset', ['-c', cpu, cmd, ...argv], { stdio: ['ignore', 'ignore', 'inherit'] });
  started.push(p);
  return p;
}

function stop(p: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve();
    const t = setTimeout(() => {
      if (p.pid !== undefined) p.kill('SIGKILL');
    }, 3000);
    p.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    p.kill('SIGTERM');
  });
}

async function waitPort(port: number, timeoutMs = 5000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      s.on('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

interface WrkResult {
  rps: number;
  /** CPU time the proxy (every process of it) spent per request, in microseconds. */
  cpuUsPerReq: number;
  /** Peak resident memory of the proxy's processes since they started, in MiB. */
  rssMb: number;
  p50Ms: number;
  p99Ms: number;
  bytesPerSec: number;
}

function toMs(v: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(v.trim());
  if (m === null) return NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n;
}

function toBytes(v: string): number {
  const m = /^([\d.]+)(B|KB|MB|GB)$/.exec(v.trim());
  if (m === null) return NaN;
  const mult = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[m[2] as 'B'];
  return Number(m[1]) * mult;
}

/** CPU ticks (user + system) of `pid` and its descendants, from /proc. */
function cpuTicks(pid: number): number {
  let ticks = 0;
  const todo = [pid];
  for (let n = 0; todo.length > 0 && n < 1000; n++) {
    const p = todo.pop() as number;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]); // utime, stime (fields 14 and 15)
      for (const c of readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').split(' ')) if (c.trim() !== '') todo.push(Number(c));
    } catch {
      // the process is gone
    }
  }
  return ticks;
}

/** Peak resident memory (VmHWM) of `pid` and its descendants, in MiB. */
function peakRssMb(pid: number): number {
  let kb = 0;
  const todo = [pid];
  for (let n = 0; todo.length > 0 && n < 1000; n++) {
    const p = todo.pop() as number;
    try {
      kb += Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
      for (const c of readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').split(' ')) if (c.trim() !== '') todo.push(Number(c));
    } catch {
      // the process is gone
    }
  }
  return kb / 1024;
}

/** Clock ticks per second of /proc times (USER_HZ; 100 on Linux everywhere that matters). */
const TICKS_PER_S = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

function wrk(url: string, conns: number, extra: string[] = [], secs = seconds, timeoutS = 5, proxyPid?: number): WrkResult {
  const t0 = proxyPid === undefined ? 0 : cpuTicks(proxyPid);
  const r = spawnSync('taskset', ['-c', LOAD_CPU, 'wrk', '-t1', `-c${conns}`, `-d${secs}s`, '--latency', '--timeout', `${timeoutS}s`, ...extra, url], {
    encoding: 'utf8',
    timeout: (secs + timeoutS + 20) * 1000,
  });
  const cpuS = proxyPid === undefined ? NaN : (cpuTicks(proxyPid) - t0) / TICKS_PER_S;
  const out = r.stdout ?? '';
  if (/Non-2xx/.test(out)) console.error(`bench/proxy: ${url}: some responses were not 2xx`);
  if (process.env['HALO_BENCH_VERBOSE'] !== undefined) console.error(`wrk ${url} -c${conns} ${extra.join(' ')}\n${out}${r.stderr ?? ''}`);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const p50 = toMs(/^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? '');
  const p99 = toMs(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? '');
  const bps = toBytes(/Transfer\/sec:\s+(\S+)/.exec(out)?.[1] ?? '');
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
  const rssMb = proxyPid === undefined ? NaN : peakRssMb(proxyPid);
  return { rps, cpuUsPerReq: (cpuS * 1e6) / requests, rssMb, p50Ms: p50, p99Ms: p99, bytesPerSec: bps };
}

/** A wrk script that sends `Connection: close` (one new connection per request). */
function closeScript(): string {
  const p = join(dir, 'close.lua');
  writeFileSync(p, 'wrk.headers["Connection"] = "close"\n');
  return p;
}

/**
 * Half load: wrk is closed-loop, so each connection waits `delay` ms after every response; with
 * C connections the offered rate is about C / (delay + latency). C is chosen for half of the
 * proxy's saturation rate; the achieved rate is printed with the latencies.
 */
function delayScript(ms: number): string {
  const p = join(dir, `delay${ms}.lua`);
  writeFileSync(p, `function delay()\n  return ${ms}\nend\n`);
  return p;
}

function backendConf(): string {
  const big = join(dir, 'big.bin');
  const fd = openSync(big, 'w');
  ftruncateSync(fd, BIG_BYTES);
  closeSync(fd);
  const conf = `worker_processes 1;
daemon off;
pid ${dir}/backend.pid;
error_log ${dir}/backend-error.log;
events { worker_connections 8192; }
http {
  access_log off;
  keepalive_requests 10000000;
  client_body_temp_path ${dir}/b-body; proxy_temp_path ${dir}/b-proxy; fastcgi_temp_path ${dir}/b-fcgi; uwsgi_temp_path ${dir}/b-uwsgi; scgi_temp_path ${dir}/b-scgi;
  sendfile on;
  server {
    listen 127.0.0.1:${BACKEND_PORT} backlog=4096;
    location = / { return 200 "hello from the backend, a small response\\n"; }
    location = /big { alias ${big}; }
  }
}
`;
  const p = join(dir, 'backend.conf');
  writeFileSync(p, conf);
  return p;
}

function nginxHttpConf(): string {
  const p = join(dir, 'nginx-http.conf');
  writeFileSync(
    p,
    `worker_processes 1;
daemon off;
pid ${dir}/nginx-http.pid;
error_log ${dir}/nginx-http-error.log;
events { worker_connections 8192; }
http {
  access_log off;
  keepalive_requests 10000000;
  client_body_temp_path ${dir}/n-body; proxy_temp_path ${dir}/n-proxy; fastcgi_temp_path ${dir}/n-fcgi; uwsgi_temp_path ${dir}/n-uwsgi; scgi_temp_path ${dir}/n-scgi;
  upstream web { server 127.0.0.1:${BACKEND_PORT}; keepalive 256; keepalive_requests 10000000; }
  server {
    listen 127.0.0.1:${PROXY_PORT} backlog=4096;
    location / { proxy_pass http://web; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
`,
  );
  return p;
}

function nginxStreamConf(): string {
  const p = join(dir, 'nginx-stream.conf');
  writeFileSync(
    p,
    `load_module /usr/lib/nginx/modules/ngx_stream_module.so;
worker_processes 1;
daemon off;
pid ${dir}/nginx-stream.pid;
error_log ${dir}/nginx-stream-error.log;
events { worker_connections 8192; }
stream {
  upstream b { server 127.0.0.1:${BACKEND_PORT}; }
  server { listen 127.0.0.1:${PROXY_PORT} backlog=4096; proxy_pass b; }
}
`,
  );
  return p;
}

function haproxyConf(mode: 'http' | 'tcp'): string {
  const p = join(dir, `haproxy-${mode}.cfg`);
  writeFileSync(
    p,
    `global
  nbthread 1
  maxconn 4000
defaults
  mode ${mode}
  timeout connect 60s
  timeout client 60s
  timeout server 60s
  ${mode === 'http' ? 'option http-keep-alive\n  http-reuse always' : ''}
frontend f
  bind 127.0.0.1:${PROXY_PORT}
  default_backend b
backend b
  server s1 127.0.0.1:${BACKEND_PORT} maxconn 4000
`,
  );
  return p;
}

interface Proxy {
  readonly name: string;
  readonly kind: 'http' | 'tcp';
  launch(): ChildProcess;
}

const haloServer = join(here, 'halo-server.js');
const proxies: Proxy[] = [
  { name: 'halo', kind: 'http', launch: () => start(PROXY_CPU, process.execPath, [haloServer, 'http', String(PROXY_PORT), String(BACKEND_PORT)]) },
  { name: 'nginx', kind: 'http', launch: () => start(PROXY_CPU, 'nginx', ['-c', nginxHttpConf(), '-e', join(dir, 'nginx-http-error.log')]) },
  { name: 'haproxy', kind: 'http', launch: () => start(PROXY_CPU, 'haproxy', ['-db', '-f', haproxyConf('http')]) },
  { name: 'halo', kind: 'tcp', launch: () => start(PROXY_CPU, process.execPath, [haloServer, 'tcp', String(PROXY_PORT), String(BACKEND_PORT)]) },
  { name: 'nginx stream', kind: 'tcp', launch: () => start(PROXY_CPU, 'nginx', ['-c', nginxStreamConf(), '-e', join(dir, 'nginx-stream-error.log')]) },
  { name: 'haproxy', kind: 'tcp', launch: () => start(PROXY_CPU, 'haproxy', ['-db', '-f', haproxyConf('tcp')]) },
];

interface Row {
  proxy: string;
  kind: string;
  ka?: WrkResult;
  half?: WrkResult & { conns: number };
  fresh?: WrkResult;
  big?: WrkResult;
}

async function main(): Promise<void> {
  for (const cmd of ['wrk', 'nginx', 'haproxy', 'taskset']) {
    if (!need(cmd)) {
      console.log(`bench/proxy: skipped: ${cmd} is not installed`);
      return;
    }
  }
  const backend = start(LOAD_CPU, 'nginx', ['-c', backendConf(), '-e', join(dir, 'backend-error.log')]);
  if (!(await waitPort(BACKEND_PORT))) throw new Error('Backend nginx did not start');
  const all: Row[][] = proxies.map(() => []);
  const url = `http://127.0.0.1:${PROXY_PORT}/`;
  for (let round = 0; round < rounds; round++) {
    for (const [i, px] of proxies.entries()) {
      if (only !== undefined && px.kind !== only) continue;
      const p = px.launch();
      if (!(await waitPort(PROXY_PORT))) {
        console.log(`${px.name} ${px.kind}: did not start, skipped`);
        await stop(p);
        continue;
      }
      wrk(url, 20, [], 1); // warm-up (JIT, upstream pool)
      const row: Row = { proxy: px.name, kind: px.kind };
      if (px.kind === 'http') {
        row.ka = wrk(url, 50, [], seconds, 5, p.pid);
        const conns = Math.max(1, Math.round((row.ka.rps / 2) * 0.002));
        row.half = { ...wrk(url, conns, ['-s', delayScript(2)]), conns };
        row.fresh = wrk(url, 50, ['-s', closeScript()], seconds, 5, p.pid);
      } else {
        row.big = wrk(`http://127.0.0.1:${PROXY_PORT}/big`, 4, [], seconds, 30, p.pid);
      }
      all[i]?.push(row);
      console.error(`round ${round + 1}/${rounds}: ${px.name} ${px.kind} done`);
      await stop(p);
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  const rows = all.filter((rs) => rs.length > 0).map(medianRow);
  await stop(backend);
  print(rows);
}

function median(xs: number[]): number {
  const v = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? (v[m] as number) : ((v[m - 1] as number) + (v[m] as number)) / 2;
}

function medianOf(rs: Array<WrkResult | undefined>): WrkResult | undefined {
  const xs = rs.filter((r): r is WrkResult => r !== undefined);
  if (xs.length === 0) return undefined;
  return { rps: median(xs.map((x) => x.rps)), cpuUsPerReq: median(xs.map((x) => x.cpuUsPerReq)), rssMb: median(xs.map((x) => x.rssMb)), p50Ms: median(xs.map((x) => x.p50Ms)), p99Ms: median(xs.map((x) => x.p99Ms)), bytesPerSec: median(xs.map((x) => x.bytesPerSec)) };
}

function medianRow(rs: Row[]): Row {
  const first = rs[0] as Row;
  const row: Row = { proxy: first.proxy, kind: first.kind };
  const ka = medianOf(rs.map((r) => r.ka));
  const half = medianOf(rs.map((r) => r.half));
  const fresh = medianOf(rs.map((r) => r.fresh));
  const big = medianOf(rs.map((r) => r.big));
  if (ka !== undefined) row.ka = ka;
  if (half !== undefined) row.half = { ...half, conns: rs[0]?.half?.conns ?? 0 };
  if (fresh !== undefined) row.fresh = fresh;
  if (big !== undefined) row.big = big;
  return row;
}

function fmt(n: number | undefined, digits = 0): string {
  return n === undefined || Number.isNaN(n) ? 'n/a' : n.toFixed(digits);
}

function print(rows: Row[]): void {
  const nginxHttp = rows.find((r) => r.proxy === 'nginx' && r.kind === 'http');
  const nginxStream = rows.find((r) => r.proxy === 'nginx stream');
  console.log(`\nProxy benchmark: ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), proxy pinned to CPU ${PROXY_CPU}, backend nginx and wrk on CPU ${LOAD_CPU}, ${seconds}s per run, median of ${rounds} interleaved rounds, node ${process.version}\n`);
  console.log('| L7 keep-alive, small responses | req/s (1 core) | × nginx | p50 ms | p99 ms | half load: req/s | p50 ms | p99 ms | new conn per request: req/s | × nginx |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows.filter((x) => x.kind === 'http')) {
    const ratio = nginxHttp?.ka !== undefined && r.ka !== undefined ? r.ka.rps / nginxHttp.ka.rps : NaN;
    const ratioFresh = nginxHttp?.fresh !== undefined && r.fresh !== undefined ? r.fresh.rps / nginxHttp.fresh.rps : NaN;
    console.log(
      `| ${r.proxy} | ${fmt(r.ka?.rps)} | ${fmt(ratio, 2)} | ${fmt(r.ka?.p50Ms, 2)} | ${fmt(r.ka?.p99Ms, 2)} | ${fmt(r.half?.rps)} | ${fmt(r.half?.p50Ms, 2)} | ${fmt(r.half?.p99Ms, 2)} | ${fmt(r.fresh?.rps)} | ${fmt(ratioFresh, 2)} |`,
    );
  }
  // The rates above are what the load generator got; a proxy whose core was not saturated (the
  // load generator shares the other core with the backend) looks slower there than it is. CPU
  // time per request says what each request cost the proxy.
  console.log('\n| L7 proxy CPU per request | keep-alive: µs | × nginx (nginx µs / proxy µs) | new conn per request: µs | × nginx | peak RSS after both, MiB |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows.filter((x) => x.kind === 'http')) {
    const ratio = nginxHttp?.ka !== undefined && r.ka !== undefined ? nginxHttp.ka.cpuUsPerReq / r.ka.cpuUsPerReq : NaN;
    const ratioFresh = nginxHttp?.fresh !== undefined && r.fresh !== undefined ? nginxHttp.fresh.cpuUsPerReq / r.fresh.cpuUsPerReq : NaN;
    console.log(`| ${r.proxy} | ${fmt(r.ka?.cpuUsPerReq, 1)} | ${fmt(ratio, 2)} | ${fmt(r.fresh?.cpuUsPerReq, 1)} | ${fmt(ratioFresh, 2)} | ${fmt(r.fresh?.rssMb, 1)} |`);
  }
  console.log('\n| L4 TCP, 64 MiB transfers | GB/s (1 core) | × nginx stream | proxy CPU seconds per GiB | × nginx stream (nginx s / proxy s) |');
  console.log('|---|---|---|---|---|');
  for (const r of rows.filter((x) => x.kind === 'tcp')) {
    const ratio = nginxStream?.big !== undefined && r.big !== undefined ? r.big.bytesPerSec / nginxStream.big.bytesPerSec : NaN;
    // one request is one 64 MiB body: CPU per request / 64 MiB = CPU per byte
    const sPerGiB = (big: WrkResult | undefined): number => ((big?.cpuUsPerReq ?? NaN) / 1e6) * (1024 ** 3 / BIG_BYTES);
    const cpuRatio = sPerGiB(nginxStream?.big) / sPerGiB(r.big);
    console.log(`| ${r.proxy} | ${fmt((r.big?.bytesPerSec ?? NaN) / 1024 ** 3, 3)} | ${fmt(ratio, 2)} | ${fmt(sPerGiB(r.big), 3)} | ${fmt(cpuRatio, 2)} |`);
  }
}

async function cleanup(): Promise<void> {
  for (const p of started) await stop(p);
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
}

const overall = setTimeout(() => {
  console.error('bench/proxy: overall time bound reached');
  void cleanup().then(() => process.exit(1));
}, ((seconds * 4 + 30) * 6 * rounds + 60) * 1000);
try {
  await main();
} finally {
  clearTimeout(overall);
  await cleanup();
}
