/**
 * `npm run sim -- --seed S --directors N --vrids M --steps K [--runs R] [--trace]`
 *
 * Replays one seeded run (or R runs from seed S upwards) of the multi-director simulator. On an
 * invariant violation it prints the seed, the replay command and the last events, writes the
 * whole trace to a file and exits 1.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { failureReport, runRandom, type RunParams } from './random-run.js';

function flag(args: readonly string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v < 0) {
    process.stderr.write(`Invalid --${name}: ${String(args[i + 1])}\n`);
    process.exit(2);
  }
  return v;
}

export function traceFile(seed: number): string {
  return join(process.env.HALO_SIM_TRACE_DIR ?? tmpdir(), `halo-sim-${seed}.trace`);
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.includes('--help')) {
    process.stdout.write('usage: npm run sim -- --seed S --directors N --vrids M --steps K [--runs R] [--sync-groups] [--trace]\n');
    return 0;
  }
  const base: RunParams = {
    seed: flag(args, 'seed', 1),
    directors: Math.max(2, flag(args, 'directors', 3)),
    vrids: Math.max(1, flag(args, 'vrids', 2)),
    steps: flag(args, 'steps', 40),
    syncGroups: args.includes('--sync-groups'),
  };
  const runs = Math.max(1, flag(args, 'runs', 1));
  const started = Date.now();
  let failed = 0;
  for (let k = 0; k < runs; k++) {
    const params = { ...base, seed: base.seed + k };
    const r = await runRandom(params);
    if (r.violations.length > 0) {
      failed++;
      const file = traceFile(params.seed);
      writeFileSync(file, [failureReport(r, 0), ...r.world.traceLines()].join('\n') + '\n');
      process.stderr.write(`${failureReport(r)}\ntrace written to ${file}\n`);
      if (runs === 1) return 1;
    } else if (runs === 1 || args.includes('--trace')) {
      process.stdout.write(
        `seed ${params.seed}: ok, ${r.events} events, ${r.framesSent} adverts, ${r.transitions} transitions, ${(r.simulatedMs / 1000).toFixed(1)} s simulated, invariants armed ${((100 * r.world.armedMs) / r.simulatedMs).toFixed(0)}% of it\n`,
      );
      if (args.includes('--trace')) process.stdout.write(r.world.traceLines().join('\n') + '\n');
    }
  }
  process.stdout.write(`${runs} run(s), ${failed} with violations, ${Date.now() - started} ms\n`);
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
