/**
 * Runs one `vrrp_script` every `interval` and turns its exit statuses into a tracker signal with
 * the pure rise/fall policy (src/vrrp/track/script.ts).
 *
 * keepalived behaviours kept here:
 * - the script runs through `/bin/sh -c`, as `user`/`group` (default `script_user`, then
 *   `keepalived_script` when it exists);
 * - `timeout`: SIGTERM to the script's process group, SIGKILL two seconds later; the run is a failure;
 * - a run still going when the next is due is skipped and counted, never doubled.
 * halo adds: the compat PATH and HALO_PID in the environment (see compat.ts and docs/trackers.md).
 */
import type { RunAs } from '../notify/script-exec.js';
import { runScript, scriptSecurityProblem } from '../notify/script-exec.js';
import type { LogSink } from '../notify/log.js';
import { compatRequestIn } from './compat.js';
import type { ScriptOutcome, ScriptTrackerConfig, ScriptTrackerState } from '../vrrp/track/script.js';
import { describeOutcome, initialScriptState, scriptOutcomeObserved, scriptSignal } from '../vrrp/track/script.js';
import type { TrackerSignal } from '../vrrp/track/types.js';

export interface ScriptTrackerOptions extends ScriptTrackerConfig {
  readonly script: string;
  /** `interval` (keepalived default 1 s). */
  readonly intervalMs: number;
  /** `timeout`; 0 means none (keepalived then waits for the script however long it takes). */
  readonly timeoutMs: number;
  readonly killGraceMs?: number;
  readonly runAs?: RunAs;
  readonly env: Readonly<Record<string, string>>;
  /** `enable_script_security`: refuse the script when it would run as root from an unsafe path. */
  readonly scriptSecurity: boolean;
  readonly onSignal: (signal: TrackerSignal) => void;
  readonly log: LogSink;
}

export interface ScriptTrackerCounters {
  runs: number;
  successes: number;
  failures: number;
  timeouts: number;
  skipped: number;
}

export class ScriptTracker {
  private state: ScriptTrackerState;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = true;
  private refused: string | null = null;
  readonly counters: ScriptTrackerCounters = { runs: 0, successes: 0, failures: 0, timeouts: 0, skipped: 0 };

  constructor(private readonly opts: ScriptTrackerOptions) {
    this.state = initialScriptState(opts);
  }

  signal(): TrackerSignal {
    return scriptSignal(this.state);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const runsAsRoot = (this.opts.runAs?.uid ?? process.getuid?.() ?? 0) === 0;
    if (this.opts.scriptSecurity && runsAsRoot) {
      this.refused = scriptSecurityProblem(this.opts.script, this.opts.env.PATH ?? undefined);
      if (this.refused) {
        this.opts.log({ level: 'error', code: 'HALO_TRK_SCRIPT_UNSAFE', message: `Refusing vrrp_script ${this.opts.name}: ${this.refused}`, fields: { tracker: this.opts.name } });
      }
    }
    this.tick();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.tick(), this.opts.intervalMs);
  }

  private tick(): void {
    if (this.stopped) return;
    this.schedule();
    if (this.refused) {
      // keepalived disables an unsafe script; it then counts as failed so weight 0 still means FAULT.
      this.observe({ kind: 'spawn-failed', error: `refused by enable_script_security: ${this.refused}` });
      return;
    }
    if (this.running) {
      this.counters.skipped++;
      this.opts.log({ level: 'warn', code: 'HALO_TRK_SCRIPT_SKIPPED', message: `Skipping vrrp_script ${this.opts.name}: previous run still going after ${this.opts.intervalMs} ms`, fields: { tracker: this.opts.name, skipped: this.counters.skipped } });
      this.observe({ kind: 'skipped' });
      return;
    }
    this.running = true;
    this.counters.runs++;
    const handle = runScript({
      command: this.opts.script,
      env: this.opts.env,
      timeoutMs: this.opts.timeoutMs,
      killGraceMs: this.opts.killGraceMs ?? 2000,
      ...(this.opts.runAs ? { runAs: this.opts.runAs } : {}),
    });
    let timedOutReported = false;
    handle.onTimeout(() => {
      // The verdict is a failure now; the process may take up to the kill grace to go away, and
      // until it does the next run is skipped rather than doubled.
      timedOutReported = true;
      this.counters.timeouts++;
      this.opts.log({ level: 'warn', code: 'HALO_TRK_SCRIPT_TIMEOUT', message: `vrrp_script ${this.opts.name} timed out after ${this.opts.timeoutMs} ms: sent SIGTERM`, fields: { tracker: this.opts.name } });
      this.observe({ kind: 'timed-out', timeoutMs: this.opts.timeoutMs });
    });
    void handle.done.then((exit) => {
      this.running = false;
      let outcome: ScriptOutcome;
      if (exit.kind === 'spawn-failed') {
        outcome = { kind: 'spawn-failed', error: exit.error };
        this.opts.log({ level: 'error', code: 'HALO_TRK_SCRIPT_SPAWN', message: `Cannot start vrrp_script ${this.opts.name}: ${exit.error}`, fields: { tracker: this.opts.name } });
      } else {
        // Logged even while halo stops: the request is usually why it stops.
        const request = compatRequestIn(exit.stderrTail);
        if (request) this.opts.log({ level: 'warn', code: 'HALO_TRK_COMPAT_STOP', message: `vrrp_script ${this.opts.name} asked halo to stop: ${request}`, fields: { tracker: this.opts.name } });
        outcome = exit.kind === 'signalled' ? { kind: 'signalled', signal: exit.signal } : { kind: 'exited', exitCode: exit.exitCode };
      }
      if (!timedOutReported && !this.stopped) this.observe(outcome);
    });
  }

  private observe(outcome: ScriptOutcome): void {
    if (outcome.kind === 'exited' && outcome.exitCode === 0) this.counters.successes++;
    else if (outcome.kind !== 'skipped') this.counters.failures++;
    const step = scriptOutcomeObserved(this.opts, this.state, outcome);
    this.state = step.state;
    if (step.changed) {
      this.opts.log({ level: step.state.up ? 'info' : 'warn', code: 'HALO_TRK_CHANGED', message: `Tracker ${this.opts.name} ${step.state.up ? 'up' : 'down'}: ${step.state.cause}`, fields: { tracker: this.opts.name, last: describeOutcome(outcome) } });
      this.opts.onSignal(scriptSignal(this.state));
    }
  }
}
