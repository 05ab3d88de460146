/**
 * Runs notify scripts without ever blocking or killing anything.
 *
 * Ordering: keepalived starts each notify script as the transition happens, so two quick
 * transitions can run one script twice at once and finish out of order (the reason keepalived
 * added FIFOs). halo keeps order per script: runs of the same program (first word of the command,
 * whatever its arguments) wait for each other, so
 * `notify_backup` then `notify_master` of one script happen in that order. Different scripts run
 * in parallel, so a slow one delays only its own later runs.
 *
 * Bounds: at most `maxRunning` scripts at once in total, at most `maxQueuedPerScript` runs waiting
 * per script (the oldest waiting run is dropped and logged), and a run that has not finished after
 * `orderWaitMs` stops holding its successors back (it keeps running: halo never kills a notify
 * script, but a hung script must not silence every later notification).
 */
import type { LogSink } from './log.js';
import type { RunAs } from './script-exec.js';
import { firstWord, runScript } from './script-exec.js';

export interface ScriptJob {
  readonly command: string;
  readonly args: readonly string[];
  readonly runAs?: RunAs;
  /** For the log: what this run notifies, e.g. `notify_master of VI_1`. */
  readonly label: string;
}

export interface ScriptQueueOptions {
  readonly env: Readonly<Record<string, string>>;
  readonly maxRunning?: number;
  readonly maxQueuedPerScript?: number;
  readonly orderWaitMs?: number;
  readonly log: LogSink;
}

interface Lane {
  readonly waiting: ScriptJob[];
  busy: boolean;
}

export class ScriptQueue {
  private readonly lanes = new Map<string, Lane>();
  private running = 0;
  private readonly ready: string[] = [];
  readonly counters = { started: 0, failed: 0, dropped: 0, released: 0 };
  private readonly idleWaiters: (() => void)[] = [];

  constructor(private readonly opts: ScriptQueueOptions) {}

  enqueue(job: ScriptJob): void {
    // One lane per program, so `notify_backup "x.sh backup"` and `notify_master "x.sh master"` keep their order.
    const key = firstWord(job.command);
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { waiting: [], busy: false };
      this.lanes.set(key, lane);
    }
    lane.waiting.push(job);
    const max = this.opts.maxQueuedPerScript ?? 32;
    if (lane.waiting.length > max) {
      const dropped = lane.waiting.shift() as ScriptJob;
      this.counters.dropped++;
      this.opts.log({ level: 'warn', code: 'HALO_NTF_QUEUE_FULL', message: `Dropped ${dropped.label}: ${max} runs of ${job.command} already waiting`, fields: { script: job.command } });
    }
    this.pump(key);
  }

  /** Resolves when nothing runs or waits (for tests and for a clean stop). */
  idle(): Promise<void> {
    if (this.running === 0 && [...this.lanes.values()].every((l) => l.waiting.length === 0)) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(key: string): void {
    const command = key;
    const lane = this.lanes.get(command);
    if (!lane || lane.busy || lane.waiting.length === 0) return;
    if (this.running >= (this.opts.maxRunning ?? 16)) {
      if (!this.ready.includes(command)) this.ready.push(command);
      return;
    }
    const job = lane.waiting.shift() as ScriptJob;
    lane.busy = true;
    this.running++;
    this.counters.started++;
    const handle = runScript({ command: job.command, args: job.args, env: this.opts.env, ...(job.runAs ? { runAs: job.runAs } : {}) });
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      lane.busy = false;
      this.pump(command);
    };
    const holdTimer = setTimeout(() => {
      this.counters.released++;
      release();
    }, this.opts.orderWaitMs ?? 30_000);
    holdTimer.unref();
    void handle.done.then((exit) => {
      clearTimeout(holdTimer);
      this.running--;
      if (exit.kind === 'spawn-failed') {
        this.counters.failed++;
        this.opts.log({ level: 'error', code: 'HALO_NTF_SCRIPT_SPAWN', message: `Cannot start ${job.label}: ${job.command}: ${exit.error}`, fields: { script: job.command } });
      } else if (exit.kind === 'signalled' || exit.exitCode !== 0) {
        this.counters.failed++;
        const how = exit.kind === 'signalled' ? `killed by ${exit.signal}` : `exit ${exit.exitCode}`;
        const tail = exit.stderrTail.trim().split('\n').pop() ?? '';
        this.opts.log({ level: 'warn', code: 'HALO_NTF_SCRIPT_FAILED', message: `${job.label} failed: ${job.command}: ${how}${tail ? ` (${tail})` : ''}`, fields: { script: job.command } });
      }
      release();
      const next = this.ready.shift();
      if (next !== undefined) this.pump(next);
      if (this.running === 0 && [...this.lanes.values()].every((l) => l.waiting.length === 0)) {
        for (const w of this.idleWaiters.splice(0)) w();
      }
    });
  }
}
