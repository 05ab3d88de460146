// Reference for the checks benchmark: the cost of a bare Node TCP connect + reset to the same
// loopback servers, with no halo code around it. halo's TCP_CHECK cost per check is compared with
// this. Prints JSON. Usage: node bare.js PORTS_JSON_FILE [CONNECTS=20000]
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';

const ports = (JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as { ports: number[] }).ports;
const total = Number(process.argv[3] ?? '20000');
const CONCURRENCY = 50;
let started = 0;
let done = 0;
let failures = 0;
const cpu0 = process.cpuUsage();
const t0 = performance.now();

function finish(): void {
  const c = process.cpuUsage(cpu0);
  process.stdout.write(JSON.stringify({ mode: 'bare connect+reset', connects: total, failures, cpuUsPerConnect: Math.round((c.user + c.system) / total), wallMs: Math.round(performance.now() - t0) }) + '\n');
  process.exit(0);
}

function one(): void {
  if (started >= total) return;
  const port = ports[started++ % ports.length] as number;
  const s = connect({ host: '127.0.0.1', port });
  const timer = setTimeout(() => s.destroy(new Error('timeout')), 3000);
  const next = (ok: boolean): void => {
    clearTimeout(timer);
    if (!ok) failures++;
    if (++done === total) finish();
    else one();
  };
  s.once('connect', () => {
    s.resetAndDestroy();
    next(true);
  });
  s.once('error', () => next(false));
}
for (let i = 0; i < CONCURRENCY; i++) one();
