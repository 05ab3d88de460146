import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialScriptState, scriptOutcomeObserved } from './script.js';
import type { ScriptOutcome, ScriptTrackerConfig } from './script.js';

const ok: ScriptOutcome = { kind: 'exited', exitCode: 0 };
const bad: ScriptOutcome = { kind: 'exited', exitCode: 1 };

function run(config: ScriptTrackerConfig, outcomes: ScriptOutcome[]): boolean[] {
  let s = initialScriptState(config);
  return outcomes.map((o) => (s = scriptOutcomeObserved(config, s, o).state).up);
}

test('starts up unless init_fail', () => {
  assert.equal(initialScriptState({ name: 'c', riseCount: 1, fallCount: 1, initFail: false }).up, true);
  assert.equal(initialScriptState({ name: 'c', riseCount: 1, fallCount: 1, initFail: true }).up, false);
});

test('fall 3: goes down on the third consecutive failure only; a success in between resets', () => {
  const c = { name: 'c', riseCount: 2, fallCount: 3, initFail: false };
  assert.deepEqual(run(c, [bad, bad, ok, bad, bad, bad]), [true, true, true, true, true, false]);
});

test('rise 2: comes back after two consecutive successes', () => {
  const c = { name: 'c', riseCount: 2, fallCount: 1, initFail: true };
  assert.deepEqual(run(c, [ok, bad, ok, ok, ok]), [false, false, false, true, true]);
});

test('timeouts, signals and spawn failures count as failures; skipped runs count as nothing', () => {
  const c = { name: 'c', riseCount: 1, fallCount: 2, initFail: false };
  assert.deepEqual(run(c, [{ kind: 'timed-out', timeoutMs: 100 }, { kind: 'skipped' }, { kind: 'signalled', signal: 'SIGKILL' }]), [true, true, false]);
  assert.deepEqual(run(c, [{ kind: 'spawn-failed', error: 'ENOENT' }, { kind: 'spawn-failed', error: 'ENOENT' }]), [true, false]);
});

test('the change is reported once, with a cause naming the script and the outcome', () => {
  const c = { name: 'chk_nginx', riseCount: 1, fallCount: 1, initFail: false };
  const s0 = initialScriptState(c);
  const s1 = scriptOutcomeObserved(c, s0, bad);
  assert.equal(s1.changed, true);
  assert.match(s1.state.cause, /chk_nginx failed 1 time .*exit 1/);
  assert.equal(scriptOutcomeObserved(c, s1.state, bad).changed, false);
});
