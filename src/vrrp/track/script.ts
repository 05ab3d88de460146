/**
 * `vrrp_script` result policy: rise/fall hysteresis over the exit statuses of the runs
 * (keepalived.conf(5): "<fall> consecutive failures" make it KO, "<rise> consecutive successes"
 * make it OK again). `init_fail` starts it KO; otherwise it starts OK, so a node does not lose
 * priority or go to FAULT before the script has run once.
 */
import type { TrackerSignal } from './types.js';

export interface ScriptTrackerConfig {
  readonly name: string;
  /** `rise`, default 1. */
  readonly riseCount: number;
  /** `fall`, default 1. */
  readonly fallCount: number;
  /** `init_fail`. */
  readonly initFail: boolean;
}

/** The outcome of one run, as the runner saw it. */
export type ScriptOutcome =
  | { readonly kind: 'exited'; readonly exitCode: number }
  | { readonly kind: 'signalled'; readonly signal: string }
  | { readonly kind: 'timed-out'; readonly timeoutMs: number }
  | { readonly kind: 'spawn-failed'; readonly error: string }
  /** The previous run was still going when this one was due: no new evidence either way. */
  | { readonly kind: 'skipped' };

export interface ScriptTrackerState {
  readonly up: boolean;
  readonly consecutiveOk: number;
  readonly consecutiveFail: number;
  readonly lastOutcome: ScriptOutcome | null;
  readonly cause: string;
}

export function initialScriptState(config: ScriptTrackerConfig): ScriptTrackerState {
  return {
    up: !config.initFail,
    consecutiveOk: 0,
    consecutiveFail: 0,
    lastOutcome: null,
    cause: config.initFail ? `Script ${config.name} starts failed (init_fail)` : `Script ${config.name} not run yet`,
  };
}

export function describeOutcome(outcome: ScriptOutcome): string {
  switch (outcome.kind) {
    case 'exited': return `exit ${outcome.exitCode}`;
    case 'signalled': return `killed by ${outcome.signal}`;
    case 'timed-out': return `timed out after ${outcome.timeoutMs} ms`;
    case 'spawn-failed': return `could not start: ${outcome.error}`;
    case 'skipped': return 'skipped (previous run still going)';
  }
}

export interface ScriptStep {
  readonly state: ScriptTrackerState;
  /** The up/down verdict changed: emit a new signal. */
  readonly changed: boolean;
}

/** One run finished (or was skipped). Pure: the runner calls this and emits the signal on change. */
export function scriptOutcomeObserved(config: ScriptTrackerConfig, state: ScriptTrackerState, outcome: ScriptOutcome): ScriptStep {
  if (outcome.kind === 'skipped') return { state: { ...state, lastOutcome: outcome }, changed: false };
  const success = outcome.kind === 'exited' && outcome.exitCode === 0;
  const rise = Math.max(1, config.riseCount);
  const fall = Math.max(1, config.fallCount);
  const consecutiveOk = success ? state.consecutiveOk + 1 : 0;
  const consecutiveFail = success ? 0 : state.consecutiveFail + 1;
  let up = state.up;
  let cause = state.cause;
  if (!up && success && consecutiveOk >= rise) {
    up = true;
    cause = `Script ${config.name} succeeded ${consecutiveOk} time${consecutiveOk === 1 ? '' : 's'} (rise ${rise})`;
  } else if (up && !success && consecutiveFail >= fall) {
    up = false;
    cause = `Script ${config.name} failed ${consecutiveFail} time${consecutiveFail === 1 ? '' : 's'} (fall ${fall}): ${describeOutcome(outcome)}`;
  }
  const changed = up !== state.up;
  return {
    state: { up, consecutiveOk: Math.min(consecutiveOk, rise), consecutiveFail: Math.min(consecutiveFail, fall), lastOutcome: outcome, cause },
    changed,
  };
}

export function scriptSignal(state: ScriptTrackerState): TrackerSignal {
  return { kind: 'script', up: state.up, cause: state.cause };
}
