#!/usr/bin/env node
// Runs halo's test suites from dist/ with node's test runner and prints one closing line for all.
//   node scripts/run-tests.mjs [--only unit,sim,integration,netns,interop]
// Suites run one after the other; inside a suite, files run in parallel except for the network
// suites (netns, interop), whose files share the machine's network stack and timing.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const SUITES = [
  { name: 'unit', dirs: ['dist/src', 'dist/scripts'], concurrency: 4 },
  { name: 'sim', dirs: ['dist/test/sim'], concurrency: 2 },
  { name: 'integration', dirs: ['dist/test/integration'], concurrency: 2 },
  { name: 'netns', dirs: ['dist/test/netns'], concurrency: 1 },
  { name: 'interop', dirs: ['dist/test/interop'], concurrency: 1 },
];

const args = process.argv.slice(2);
const onlyIdx = args.indexOf('--only');
const only = onlyIdx >= 0 ? new Set((args[onlyIdx + 1] ?? '').split(',')) : null;

function findTests(dir) {
  let out = [];
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out = out.concat(findTests(p));
    else if (e.endsWith('.test.js')) out.push(p);
  }
  return out.sort();
}

const totals = { pass: 0, fail: 0, skipped: 0, todo: 0, cancelled: 0 };
const tapDir = mkdtempSync(join(tmpdir(), 'halo-tests-'));
let failedSuites = [];
for (const suite of SUITES) {
  if (only && !only.has(suite.name)) continue;
  const files = suite.dirs.flatMap(findTests);
  if (files.length === 0) {
    console.log(`[${suite.name}] no test files`);
    continue;
  }
  console.log(`\n[${suite.name}] ${files.length} files`);
  const tapFile = join(tapDir, `${suite.name}.tap`);
  const r = spawnSync(process.execPath, [
    '--enable-source-maps',
    '--test',
    `--test-concurrency=${suite.concurrency}`,
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tapFile}`,
    ...files,
  ], { stdio: 'inherit', env: { ...process.env, HALO_TEST_SUITE: suite.name } });
  let tap = '';
  try {
    tap = readFileSync(tapFile, 'utf8');
  } catch {
    /* the runner died before writing: counted as a failure below */
  }
  for (const key of Object.keys(totals)) {
    const m = tap.match(new RegExp(`^# ${key} (\\d+)$`, 'm'));
    if (m) totals[key] += Number(m[1]);
  }
  if (r.status !== 0) failedSuites.push(suite.name);
}
rmSync(tapDir, { recursive: true, force: true });
console.log(`\nsuites failed: ${failedSuites.length ? failedSuites.join(', ') : 'none'}`);
console.log(`tests: ${totals.pass} passed, ${totals.fail + totals.cancelled} failed, ${totals.skipped} skipped`);
process.exit(failedSuites.length ? 1 : 0);
