/**
 * Times the syntax layer alone (read + parseConfig, no model) in one process, after a warm-up, to
 * show how much of `halo check-config`'s time the parser takes.
 *
 *   node dist/bench/config/parse-only.js FILE [RUNS]
 */
import { performance } from 'node:perf_hooks';
import { resolve } from 'node:path';
import { parseConfig } from '../../src/config/parse.js';
import { fileConfigSource } from '../../src/daemon/config-source.js';

const file = resolve(process.argv[2] ?? 'big.conf');
const runs = Math.min(Math.max(Number(process.argv[3] ?? '5'), 1), 100);
const source = fileConfigSource();
const times: number[] = [];
let statements = 0;
let coldMs = 0;
let coldCpuMs = 0;
for (let r = 0; r <= runs; r++) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const parsed = parseConfig(file, source, { configId: 'bench' });
  const ms = performance.now() - t0;
  statements = parsed.nodes.length;
  if (r === 0) {
    // The first run is what `halo check-config` pays: cold JIT, growing heap.
    coldMs = ms;
    const cpu = process.cpuUsage(cpu0);
    coldCpuMs = (cpu.user + cpu.system) / 1000;
  } else {
    times.push(ms);
  }
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)] ?? 0;
process.stdout.write(
  `parse only (read + parseConfig, no model, in one process): first run ${coldMs.toFixed(0)} ms (CPU ${coldCpuMs.toFixed(0)} ms), ` +
    `then median ${median.toFixed(0)} ms over ${runs} runs (${statements} top-level statements)\n`,
);
