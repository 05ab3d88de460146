/**
 * The simulator's seed budget for CI: random seeds for a time budget (env HALO_SIM_BUDGET_MS,
 * default 75 s per budget file; two files run in parallel on CI's two cores). The base seed comes
 * from HALO_SEED when set, so a failing budget replays; each failure prints its own seed and
 * replay command and writes its trace file.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { failureReport, runRandom, type RunParams, type RunResult } from './random-run.js';

export const DEFAULT_BUDGET_MS = 75_000;

/** The shape of run k: mostly small groups, sometimes four directors and three VRIDs. */
export function paramsFor(seed: number): RunParams {
  const r = (seed * 2654435761) >>> 0;
  const directors = [2, 2, 3, 3, 3, 4][r % 6] ?? 3;
  const vrids = [1, 2, 2, 3][(r >>> 8) % 4] ?? 2;
  return { seed, directors, vrids, steps: 20, syncGroups: true };
}

export function writeTrace(r: RunResult): string {
  const file = join(process.env.HALO_SIM_TRACE_DIR ?? tmpdir(), `halo-sim-${r.params.seed}.trace`);
  writeFileSync(file, [failureReport(r, 0), ...r.world.traceLines()].join('\n') + '\n');
  return file;
}

export async function assertSeedPasses(params: RunParams): Promise<RunResult> {
  const r = await runRandom(params);
  if (r.violations.length > 0) {
    const file = writeTrace(r);
    assert.fail(`${failureReport(r)}\ntrace written to ${file}`);
  }
  return r;
}

export async function runBudget(lane: number, lanes: number, log: (line: string) => void): Promise<void> {
  const budgetMs = Number(process.env.HALO_SIM_BUDGET_MS ?? DEFAULT_BUDGET_MS);
  const base = process.env.HALO_SEED === undefined ? Date.now() % 1_000_000_000 : Number(process.env.HALO_SEED);
  log(`sim budget lane ${lane}: base seed ${base} (HALO_SEED=${base} replays), budget ${budgetMs} ms`);
  const started = Date.now();
  let runs = 0;
  let events = 0;
  let simulatedMs = 0;
  for (let k = 0; Date.now() - started < budgetMs; k++) {
    const seed = base + k * lanes + lane;
    const r = await assertSeedPasses(paramsFor(seed));
    runs++;
    events += r.events;
    simulatedMs += r.simulatedMs;
  }
  log(`sim budget lane ${lane}: ${runs} runs, 0 invariant violations, ${events} events, ${(simulatedMs / 3_600_000).toFixed(1)} h simulated in ${Date.now() - started} ms`);
  assert.ok(runs > 0);
}
