// Stands in for the VRRP process during the benchmark: an idle Node process with a 1 s advert
// timer that measures its own event-loop delay, as the real VRRP process does. Prints the
// figures as JSON on SIGTERM. Usage: node vrrp-lag.js
import { monitorEventLoopDelay } from 'node:perf_hooks';

const h = monitorEventLoopDelay({ resolution: 10 });
h.enable();
let lateMaxMs = 0;
let expected = performance.now() + 1000;
const advert = setInterval(() => {
  const now = performance.now();
  lateMaxMs = Math.max(lateMaxMs, now - expected);
  expected = now + 1000;
}, 1000);
process.on('SIGTERM', () => {
  clearInterval(advert);
  h.disable();
  const ms = (ns: number): number => Math.round(ns / 1e4) / 100;
  process.stdout.write(JSON.stringify({ lagP50Ms: ms(h.percentile(50)), lagP99Ms: ms(h.percentile(99)), lagMaxMs: ms(h.max), advertLateMaxMs: Math.round(lateMaxMs * 100) / 100 }) + '\n');
  process.exit(0);
});
