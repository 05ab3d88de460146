/**
 * One long-running `ip monitor OBJECT` child (iproute2), read line by line. iproute2 prints a line
 * per netlink notification as the kernel sends it, so changes arrive in milliseconds. If the child
 * dies it is restarted after a delay (doubling up to a maximum) and `onStart` runs again, so the
 * owner can re-read the state it may have missed while no monitor ran.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface IpMonitorOptions {
  readonly ipPath?: string;
  /** `link`, `address`, `route`, ... */
  readonly object: string;
  readonly onLine: (line: string) => void;
  /** Runs each time a monitor process is up (first start and every restart). */
  readonly onStart: () => void;
  /** Told when the monitor stopped unexpectedly; it is restarted after `delayMs`. */
  readonly onDied: (why: string, delayMs: number) => void;
  readonly restartMinMs?: number;
  readonly restartMaxMs?: number;
}

/** Bytes of a partial line kept between chunks; a monitor line is far shorter. */
const PARTIAL_LINE_MAX = 64 * 1024;

export class IpMonitor {
  private child: ChildProcess | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private restartDelayMs: number;
  private partial = '';
  private running = false;
  /** Restarts so far (for tests and status). */
  restarts = 0;

  constructor(private readonly options: IpMonitorOptions) {
    this.restartDelayMs = options.restartMinMs ?? 200;
  }

  get active(): boolean {
    return this.running;
  }

  pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.spawnChild();
  }

  stop(): void {
    this.running = false;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  }

  private spawnChild(): void {
    const child = spawn(this.options.ipPath ?? 'ip', ['monitor', this.options.object], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.partial = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => this.onChunk(chunk));
    child.stderr?.resume();
    // The state is read after the monitor is listening, so a change in between is seen by one or
    // the other.
    child.once('spawn', () => {
      this.restartDelayMs = this.options.restartMinMs ?? 200;
      this.options.onStart();
    });
    let handled = false;
    const died = (why: string): void => {
      if (handled || this.child !== child) return;
      handled = true;
      this.child = undefined;
      if (!this.running) return;
      const delayMs = this.restartDelayMs;
      this.options.onDied(why, delayMs);
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        this.restarts += 1;
        if (this.running) this.spawnChild();
      }, delayMs);
      this.restartDelayMs = Math.min(delayMs * 2, this.options.restartMaxMs ?? 5000);
    };
    child.once('error', (err) => died(err.message));
    child.once('exit', (code, signal) => died(signal ? `killed by ${signal}` : `exit status ${code}`));
  }

  private onChunk(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = (lines.pop() ?? '').slice(-PARTIAL_LINE_MAX);
    for (const line of lines) this.options.onLine(line);
  }
}
