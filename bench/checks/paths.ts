// The two probe paths side by side, without the runner: RATE probes a second (started every 10 ms)
// of TCP_CHECK or HTTP_GET (/health with its MD5 digest) on the native prober or on Node sockets,
// for SECONDS, against the servers of servers.js. Prints JSON: probes done a second, failures,
// CPU of this process (cores) and per probe (user and system).
// Usage: node paths.js PORTS_JSON_FILE tcp|http native|node [RATE=2000] [SECONDS=10]
import { readFileSync } from 'node:fs';
import { buildCheck, type HttpCheckSpec } from '../../src/check/spec.js';
import { fetchOnce, probeHttp } from '../../src/check/probes/http.js';
import { fetchFast, probeTcpFast } from '../../src/check/probes/native-probes.js';
import { nativeProber } from '../../src/check/probes/native-prober.js';
import { probeTcp } from '../../src/check/probes/tcp.js';
import type { ProbeOutcome } from '../../src/check/probes/types.js';

const ports = (JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as { ports: number[] }).ports;
const mode = process.argv[3] === 'http' ? 'http' : 'tcp';
const path = process.argv[4] === 'node' ? 'node' : 'native';
const rate = Number(process.argv[5] ?? '2000');
const seconds = Number(process.argv[6] ?? '10');
if (path === 'native' && !nativeProber().ok) throw new Error('The native prober is not available: build the addon (npm ci)');
const http = buildCheck({ kind: 'HTTP_GET', urls: [{ path: '/health', digest: 'eff5bc1ef8ec9d03e640fc4370f5eacd' }], connectTimeoutMs: 3000 }).spec as HttpCheckSpec;
const tcp = { connectTimeoutMs: 3000 };

let next = 0;
let done = 0;
let failures = 0;
const details = new Map<string, number>();
const one = (): void => {
  const target = { address: '127.0.0.1', port: ports[next++ % ports.length]! };
  const p: Promise<ProbeOutcome> =
    mode === 'tcp' ? (path === 'native' ? probeTcpFast(tcp, target) : probeTcp(tcp, target)) : probeHttp(http, target, [], undefined, path === 'native' ? fetchFast : fetchOnce);
  void p.then((r) => {
    done++;
    if (!r.ok) {
      failures++;
      details.set(r.detail, (details.get(r.detail) ?? 0) + 1);
    }
  });
};
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const tick = setInterval(() => {
  for (let k = 0; k < rate / 100; k++) one();
}, 10);
setTimeout(() => {
  clearInterval(tick);
  const c = process.cpuUsage(cpu0);
  const wallS = (performance.now() - t0) / 1000;
  const n = Math.max(1, done);
  console.log(
    JSON.stringify({
      mode,
      path,
      askedPerS: rate,
      donePerS: Math.round(done / wallS),
      failures,
      failDetails: Object.fromEntries([...details].slice(0, 5)),
      cores: Math.round(((c.user + c.system) / 1e6 / wallS) * 1000) / 1000,
      cpuUsPerProbe: Math.round((c.user + c.system) / n),
      userUsPerProbe: Math.round(c.user / n),
      systemUsPerProbe: Math.round(c.system / n),
    }),
  );
  process.exit(0);
}, seconds * 1000);
