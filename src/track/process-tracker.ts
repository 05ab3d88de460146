/**
 * `vrrp_track_process` for all trackers at once: one /proc scan per interval reads each process's
 * `stat` (name and state in one read) and, only when some tracker needs it, its `cmdline`; every
 * tracker counts its matches in that one snapshot. No `ps`, no `pgrep` spawned (keepalived.conf(5)
 * explains why those are costly on a busy or swapping system). keepalived listens to the kernel's
 * process connector instead of polling; halo polls (default every second) to stay free of netlink
 * here, and documents the difference (docs/trackers.md).
 *
 * halo extension, `restart_command`: when a tracker loses its quorum, halo runs the command once
 * (bounded by `restart_timeout`), rescans after `restart_grace`, and lets the tracker go down only
 * if the process is still missing. This is the tutorials' "if nginx is down, start it, and if that
 * fails give up the VIP" without a shell script, and the node comes back by itself once the
 * process runs again (a `systemctl stop keepalived` would leave it stopped).
 */
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import type { LogSink } from '../notify/log.js';
import type { RunAs } from '../notify/script-exec.js';
import { runScript } from '../notify/script-exec.js';
import type { ProcessInfo, ProcessTrackerConfig, ProcessTrackerState } from '../vrrp/track/process.js';
import { countMatches, inQuorum, initialProcessState, needsCmdline, processCountObserved, processSignal } from '../vrrp/track/process.js';
import type { TrackerSignal } from '../vrrp/track/types.js';

/** The most processes one scan looks at; pid_max is 4 M but a real host has far fewer. */
const MAX_PIDS_PER_SCAN = 65_536;
/** Processes read between two yields to the event loop. */
const READ_CHUNK = 16;

export interface ScanResult {
  readonly processes: ProcessInfo[];
  readonly scanned: number;
  readonly truncated: boolean;
}

function parseStat(stat: string): { comm: string; state: string } | null {
  // `pid (comm) S ...`: comm may hold spaces and parentheses, so split at the last ')'.
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  return { comm: stat.slice(open + 1, close), state: stat.slice(close + 2, close + 3) };
}

const STAT_BUF_BYTES = 1024;
const CMDLINE_BUF_BYTES = 4096;

function readSmall(path: string, buf: Buffer, encoding: BufferEncoding): string {
  const fd = openSync(path, 'r');
  try {
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.toString(encoding, 0, n);
  } finally {
    closeSync(fd);
  }
}

/**
 * One pass over /proc. Reads are synchronous but done in chunks of READ_CHUNK processes with a
 * yield to the event loop between chunks: /proc reads never touch a disk, and the thread pool's
 * four hops per file (open, stat, read, close) cost more wall time than the reads themselves on a
 * busy machine. Each chunk blocks the loop for well under a millisecond, so a VRRP advert is never
 * held up by a scan. Processes that exit during the scan are simply not counted.
 */
export async function scanProc(withCmdline: boolean, procRoot = '/proc'): Promise<ScanResult> {
  const entries = readdirSync(procRoot).filter((e) => /^[1-9]\d*$/.test(e));
  const truncated = entries.length > MAX_PIDS_PER_SCAN;
  const pids = truncated ? entries.slice(0, MAX_PIDS_PER_SCAN) : entries;
  const processes: ProcessInfo[] = [];
  const statBuf = Buffer.alloc(STAT_BUF_BYTES);
  const cmdBuf = Buffer.alloc(CMDLINE_BUF_BYTES);
  for (let i = 0; i < pids.length; i++) {
    if (i > 0 && i % READ_CHUNK === 0) await new Promise<void>((r) => setImmediate(r));
    const pid = pids[i] as string;
    try {
      const st = parseStat(readSmall(`${procRoot}/${pid}/stat`, statBuf, 'latin1'));
      if (!st) continue;
      let argv: string[] = [];
      if (withCmdline) {
        // The first 4 KiB of the command line is plenty to compare against a configured one.
        argv = readSmall(`${procRoot}/${pid}/cmdline`, cmdBuf, 'utf8').split('\0');
        if (argv.length > 0 && argv[argv.length - 1] === '') argv.pop();
        // A process that rewrote its title into argv[0] with spaces (nginx: "nginx: master
        // process ...") keeps one element; that is what full_command compares against.
      }
      processes.push({ pid: Number(pid), comm: st.comm, argv, state: st.state });
    } catch {
      /* exited meanwhile */
    }
  }
  return { processes, scanned: pids.length, truncated };
}

export interface ProcessTrackerSpec extends ProcessTrackerConfig {
  /** halo extension: run this when the quorum is lost, before declaring the tracker down. */
  readonly restartCommand?: string;
  readonly restartTimeoutMs?: number;
  /** Wait after the restart before looking again; default 2000 ms. */
  readonly restartGraceMs?: number;
  /** At most one restart per this period, so a process that cannot start is not hammered. */
  readonly restartBackoffMs?: number;
  readonly restartRunAs?: RunAs;
}

export interface ProcessWatcherOptions {
  readonly trackers: readonly ProcessTrackerSpec[];
  /** Scan period; default 1000 ms. */
  readonly intervalMs?: number;
  readonly env: Readonly<Record<string, string>>;
  readonly procRoot?: string;
  readonly onSignal: (trackerName: string, signal: TrackerSignal) => void;
  readonly log: LogSink;
  readonly nowMs?: () => number;
}

interface Entry {
  readonly spec: ProcessTrackerSpec;
  state: ProcessTrackerState;
  scanned: boolean;
  restartingUntilMs: number | null;
  lastRestartMs: number | null;
}

export class ProcessWatcher {
  private readonly entries: Entry[];
  private readonly withCmdline: boolean;
  private timer: NodeJS.Timeout | undefined;
  private scanning = false;
  private stopped = true;
  private scanFailing = false;
  readonly counters = { scans: 0, scanErrors: 0, restarts: 0, restartFailures: 0 };

  constructor(private readonly opts: ProcessWatcherOptions) {
    this.entries = opts.trackers.map((spec) => ({ spec, state: initialProcessState(spec), scanned: false, restartingUntilMs: null, lastRestartMs: null }));
    this.withCmdline = opts.trackers.some(needsCmdline);
  }

  private now(): number {
    return this.opts.nowMs ? this.opts.nowMs() : performance.now();
  }

  signal(name: string): TrackerSignal | null {
    const e = this.entries.find((x) => x.spec.name === name);
    return e && e.scanned ? processSignal(e.state) : null;
  }

  /** Scans once, then every interval. Resolves after the first scan. */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    await this.scanOnce();
    this.timer = setInterval(() => void this.scanOnce(), this.opts.intervalMs ?? 1000);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  async scanOnce(): Promise<void> {
    if (this.scanning || this.stopped) return; // one scan at a time; a slow scan skips a tick
    this.scanning = true;
    try {
      let snapshot: ScanResult;
      try {
        snapshot = await scanProc(this.withCmdline, this.opts.procRoot);
        this.scanFailing = false;
      } catch (e) {
        this.counters.scanErrors++;
        if (!this.scanFailing) this.opts.log({ level: 'error', code: 'HALO_TRK_PROC_SCAN', message: `Cannot scan /proc: ${(e as NodeJS.ErrnoException).code ?? String(e)}` });
        this.scanFailing = true;
        return;
      }
      this.counters.scans++;
      const nowMs = this.now();
      for (const e of this.entries) this.apply(e, countMatches(e.spec, snapshot.processes), nowMs);
    } finally {
      this.scanning = false;
    }
  }

  private apply(e: Entry, count: number, nowMs: number): void {
    const spec = e.spec;
    const quorate = inQuorum(spec, count);
    if (e.restartingUntilMs !== null) {
      if (nowMs < e.restartingUntilMs && !quorate) return; // give the restart its grace
      if (!quorate) {
        this.counters.restartFailures++;
        this.opts.log({ level: 'error', code: 'HALO_TRK_RESTART_FAILED', message: `Process tracker ${spec.name}: restart_command did not bring ${spec.process.join(' ')} back (${count} running)`, fields: { tracker: spec.name } });
      }
      e.restartingUntilMs = null;
    } else if (!quorate && e.state.up && spec.restartCommand && count < spec.quorum && this.mayRestart(e, nowMs)) {
      this.restart(e, nowMs);
      return;
    }
    const step = processCountObserved(spec, e.state, count, nowMs, !e.scanned);
    const first = !e.scanned;
    e.state = step.state;
    e.scanned = true;
    if (step.changed || first) {
      if (!first) this.opts.log({ level: e.state.up ? 'info' : 'warn', code: 'HALO_TRK_CHANGED', message: `Tracker ${spec.name} ${e.state.up ? 'up' : 'down'}: ${e.state.cause}`, fields: { tracker: spec.name } });
      this.opts.onSignal(spec.name, processSignal(e.state));
    }
  }

  private mayRestart(e: Entry, nowMs: number): boolean {
    return e.lastRestartMs === null || nowMs - e.lastRestartMs >= (e.spec.restartBackoffMs ?? 30_000);
  }

  private restart(e: Entry, nowMs: number): void {
    const spec = e.spec;
    this.counters.restarts++;
    e.lastRestartMs = nowMs;
    e.restartingUntilMs = nowMs + (spec.restartGraceMs ?? 2000);
    this.opts.log({ level: 'warn', code: 'HALO_TRK_CHANGED', message: `Process tracker ${spec.name}: ${spec.process.join(' ')} not running, running restart_command`, fields: { tracker: spec.name } });
    const handle = runScript({
      command: spec.restartCommand as string,
      env: this.opts.env,
      timeoutMs: spec.restartTimeoutMs ?? 10_000,
      ...(spec.restartRunAs ? { runAs: spec.restartRunAs } : {}),
    });
    void handle.done.then(() => {
      // Look again soon after the command returns rather than waiting for the next tick.
      setTimeout(() => void this.scanOnce(), Math.min(spec.restartGraceMs ?? 2000, 200)).unref();
    });
  }
}
