// The checker side of the health-check benchmark: one CheckRunner over COUNT real servers, each
// with one TCP_CHECK or HTTP_GET every delay_loop (1 s), run for SECONDS. Prints JSON figures:
// CPU (cores) and memory of this process over the steady part, probe counts, the interval between
// two checks of the same server, how late checks start, and how evenly they spread over a second.
// Usage: node checker.js tcp|http SECONDS PORTS_JSON_FILE
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { SeededPrng } from '../../src/core/prng.js';
import { buildCheck, type RealServerSpec, type VirtualServerSpec } from '../../src/check/spec.js';
import { CheckRunner, type ProbeRecord } from '../../src/check/runner/runner.js';
import { nativeProber } from '../../src/check/probes/native-prober.js';

const mode = process.argv[2] === 'http' ? 'http' : 'tcp';
const seconds = Number(process.argv[3] ?? '20');
const ports = (JSON.parse(readFileSync(process.argv[4] as string, 'utf8')) as { ports: number[] }).ports;
const DELAY_LOOP_MS = 1000;
const WARM_S = 3;

const common = { delayLoopMs: DELAY_LOOP_MS, warmupMs: DELAY_LOOP_MS, connectTimeoutMs: 3000, retry: 1, delayBeforeRetryMs: 1000 };
const check = mode === 'http' ? buildCheck({ kind: 'HTTP_GET', urls: [{ path: '/health', digest: 'eff5bc1ef8ec9d03e640fc4370f5eacd' }], ...common }).spec : buildCheck({ kind: 'TCP_CHECK', ...common }).spec;
const realServers: RealServerSpec[] = ports.map((port) => ({ id: `127.0.0.1:${port}`, address: '127.0.0.1', port, weight: 1, checkers: [check], inhibitOnFailure: false, slowStartMs: 0 }));
const vs: VirtualServerSpec = { id: '127.0.0.1:80', address: '127.0.0.1', port: 80, protocol: 'tcp', realServers, quorum: 1, hysteresis: 0, haSuspend: false, omega: false };

const runner = new CheckRunner([vs], { prng: new SeededPrng(1) });
const t0 = performance.now();
const lastStart = new Map<string, number>();
const intervals: number[] = [];
const lateness: number[] = [];
const buckets = new Array<number>(100).fill(0); // starts per 10 ms slot of the second, steady part
let probes = 0;
let failures = 0;
let downEvents = 0;
const failDetails = new Map<string, number>();
runner.on('check', (_id: string, e: { type: string; health?: string }) => {
  if (e.type === 'server' && e.health === 'down') downEvents++;
});
runner.on('probe', (r: ProbeRecord) => {
  if (r.startedMs - t0 < WARM_S * 1000) {
    lastStart.set(r.serverId, r.startedMs);
    return;
  }
  probes++;
  if (!r.outcome.ok) {
    failures++;
    failDetails.set(r.outcome.detail, (failDetails.get(r.outcome.detail) ?? 0) + 1);
  }
  const prev = lastStart.get(r.serverId);
  if (prev !== undefined && intervals.length < 2_000_000) intervals.push(r.startedMs - prev);
  lastStart.set(r.serverId, r.startedMs);
  if (lateness.length < 2_000_000) lateness.push(r.startedMs - r.dueMs);
  buckets[Math.floor(((r.startedMs - t0) % 1000) / 10)]!++;
});
runner.start();
let cpu0 = process.cpuUsage();
let steady0 = performance.now();
let rssMaxMb = 0;
setTimeout(() => {
  cpu0 = process.cpuUsage();
  steady0 = performance.now();
}, WARM_S * 1000);
const sampler = setInterval(() => (rssMaxMb = Math.max(rssMaxMb, process.memoryUsage().rss / 1048576)), 500);
setTimeout(async () => {
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - steady0;
  clearInterval(sampler);
  await runner.stop();
  const pct = (a: number[], p: number): number => {
    if (a.length === 0) return NaN;
    const s = Float64Array.from(a).sort();
    return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 10) / 10;
  };
  const steadyS = wallMs / 1000;
  // Starts per 10 ms slot of a second, averaged over the steady seconds: 100 slots, so an even
  // spread has every slot near probesPerSecond / 100.
  const perSecond = (n: number): number => Math.round((n / steadyS) * 10) / 10;
  const mem = process.memoryUsage();
  process.stdout.write(
    JSON.stringify({
      mode,
      // native: the batch prober in the addon; node: Node sockets (HALO_CHECK_PROBER=node).
      prober: nativeProber().ok ? 'native' : 'node',
      servers: ports.length,
      steadySeconds: Math.round(steadyS * 10) / 10,
      probesPerSecond: Math.round(probes / steadyS),
      failures,
      failDetails: Object.fromEntries([...failDetails].slice(0, 5)),
      downEvents,
      cpuCores: Math.round(((cpu.user + cpu.system) / 1000 / wallMs) * 1000) / 1000,
      cpuUsPerProbe: Math.round((cpu.user + cpu.system) / Math.max(1, probes)),
      loadAvg1m: Math.round(loadavg()[0]! * 10) / 10,
      rssMaxMb: Math.round(rssMaxMb),
      heapUsedMb: Math.round(mem.heapUsed / 1048576),
      intervalMs: { p1: pct(intervals, 1), p50: pct(intervals, 50), p99: pct(intervals, 99), max: pct(intervals, 100) },
      startLateMs: { p50: pct(lateness, 50), p99: pct(lateness, 99), max: pct(lateness, 100) },
      spread10msSlots: { mean: perSecond(probes / 100), max: perSecond(Math.max(...buckets)), min: perSecond(Math.min(...buckets)) },
      deferred: runner.stats.deferred,
    }) + '\n',
  );
  process.exit(0);
}, seconds * 1000);
