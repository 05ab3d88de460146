/**
 * Times the keepalived model layer alone on a parsed tree: build (keyword tables, defaults,
 * inheritance) and validate (cross-section checks), after a warm-up, separately from parsing.
 *
 *   node dist/bench/config/model-build.js FILE [RUNS]
 */
import { performance } from 'node:perf_hooks';
import { resolve } from 'node:path';
import { parseConfig } from '../../src/config/parse.js';
import { buildKeepalivedModel } from '../../src/config/keepalived/build.js';
import { keepalivedShape } from '../../src/config/keepalived/shape.js';
import { validateKeepalivedModel } from '../../src/config/keepalived/validate.js';
import { fileConfigSource } from '../../src/daemon/config-source.js';

const file = resolve(process.argv[2] ?? 'big.conf');
const runs = Math.min(Math.max(Number(process.argv[3] ?? '5'), 1), 100);
const parsed = parseConfig(file, fileConfigSource(), { configId: 'bench', shape: keepalivedShape });
const build: number[] = [];
const check: number[] = [];
const buildCpu: number[] = [];
let services = 0;
let diagnostics = 0;
for (let r = 0; r <= runs; r++) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const built = buildKeepalivedModel(parsed.nodes);
  const t1 = performance.now();
  const c1 = process.cpuUsage(c0);
  const checks = validateKeepalivedModel(built.model);
  const t2 = performance.now();
  services = built.model.virtualServers.length;
  diagnostics = built.diagnostics.length + checks.length;
  if (r > 0) { build.push(t1 - t0); check.push(t2 - t1); buildCpu.push((c1.user + c1.system) / 1000); } // run 0 warms the JIT up
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
process.stdout.write(`model build: median ${median(build).toFixed(1)} ms (CPU ${median(buildCpu).toFixed(1)} ms, all threads incl. GC), validate: median ${median(check).toFixed(1)} ms over ${runs} runs (${services} virtual servers, ${diagnostics} diagnostics)\n`);
