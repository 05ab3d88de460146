/**
 * FOR THE LEAD: a minimal notify-script runner and FIFO writer for the checker process, because
 * src/notify (branch track-notify: script-exec.ts runScript, fifo.ts FifoWriter) is not merged
 * yet. When it is, replace `ScriptQueue.spawnOne` with notify/script-exec.ts `runScript` (it adds
 * enable_script_security and the default script user) and `LineFifo` with notify/fifo.ts
 * `FifoWriter`; the checker process uses only `run`, `idle`, `write` and the counters below.
 *
 * Scripts run as keepalived runs notify_up/notify_down/quorum_up/quorum_down: `/bin/sh -c COMMAND`,
 * without extra arguments, as the configured user, not killed (keepalived sets no timeout on
 * them). They run in their own process group so that a stop signal to halo does not reach them.
 * At most `maxRunning` run at once; up to `maxQueued` wait; beyond that a script is dropped and
 * reported, so a flapping pool of 10,000 servers cannot fork 10,000 shells at once.
 */
import { spawn } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';

export interface ScriptJob {
  readonly command: string;
  readonly user?: string;
  readonly group?: string;
}

export type ScriptProblem = (message: string) => void;

/** uid/gid of a user (and group) from /etc/passwd and /etc/group; an error text when unknown. */
export function lookupIds(user: string, group: string | undefined, files = { passwd: '/etc/passwd', group: '/etc/group' }): { uid: number; gid: number } | string {
  let passwd: string;
  try {
    passwd = readFileSync(files.passwd, 'utf8');
  } catch (e) {
    return `cannot read ${files.passwd}: ${String(e)}`;
  }
  const line = passwd.split('\n').find((l) => l.split(':')[0] === user);
  if (line === undefined) return `unknown user ${user}`;
  const f = line.split(':');
  const uid = Number(f[2]);
  let gid = Number(f[3]);
  if (group !== undefined) {
    let groups = '';
    try {
      groups = readFileSync(files.group, 'utf8');
    } catch (e) {
      return `cannot read ${files.group}: ${String(e)}`;
    }
    const gl = groups.split('\n').find((l) => l.split(':')[0] === group);
    if (gl === undefined) return `unknown group ${group}`;
    gid = Number(gl.split(':')[2]);
  }
  return { uid, gid };
}

export class ScriptQueue {
  private running = 0;
  private readonly queue: ScriptJob[] = [];
  private readonly idleWaiters: (() => void)[] = [];
  readonly counters = { run: 0, failed: 0, dropped: 0 };

  constructor(
    private readonly problem: ScriptProblem,
    private readonly maxRunning = 16,
    private readonly maxQueued = 1024,
  ) {}

  run(job: ScriptJob): void {
    if (this.running < this.maxRunning) this.spawnOne(job);
    else if (this.queue.length < this.maxQueued) this.queue.push(job);
    else {
      this.counters.dropped++;
      this.problem(`Script not run: ${job.command}: ${this.maxQueued} scripts already wait`);
    }
  }

  /** Resolves when no script runs or waits, or after `limitMs`; true when idle. */
  idle(limitMs: number): Promise<boolean> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), limitMs);
      this.idleWaiters.push(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  private spawnOne(job: ScriptJob): void {
    let ids: { uid: number; gid: number } | undefined;
    if (job.user !== undefined) {
      const r = lookupIds(job.user, job.group);
      if (typeof r === 'string') {
        this.counters.failed++;
        this.problem(`Cannot run ${job.command}: ${r}`);
        return;
      }
      ids = r;
    }
    this.running++;
    this.counters.run++;
    let stderr = '';
    const done = (why: string | null): void => {
      this.running--;
      if (why !== null) {
        this.counters.failed++;
        this.problem(`Script ${job.command} failed: ${why}${stderr !== '' ? `: ${stderr.trim().slice(-200)}` : ''}`);
      }
      const next = this.queue.shift();
      if (next) this.spawnOne(next);
      if (this.running === 0 && this.queue.length === 0) for (const w of this.idleWaiters.splice(0)) w();
    };
    try {
      const child = spawn('/bin/sh', ['-c', job.command], { detached: true, stdio: ['ignore', 'ignore', 'pipe'], ...(ids ? ids : {}) });
      child.stderr?.on('data', (d: Buffer) => {
        if (stderr.length < 4096) stderr += d.toString();
      });
      child.once('error', (e) => done(e.message));
      child.once('exit', (code, signal) => done(code === 0 ? null : signal !== null ? `killed by ${signal}` : `exit ${String(code)}`));
    } catch (e) {
      done(e instanceof Error ? e.message : String(e));
    }
  }
}

/**
 * Writes keepalived's notify FIFO lines. Never blocks: the FIFO is opened non-blocking for writing;
 * with no reader yet (ENXIO) or a full pipe (EAGAIN) the line is dropped and counted, and the next
 * line tries again. keepalived creates the FIFO when it is missing; so does halo (mkfifo). A
 * regular file at the path is appended to (handy for tests and for a log).
 */
export class LineFifo {
  private fd: number | null = null;
  private reported = false;
  readonly counters = { written: 0, dropped: 0 };

  constructor(
    readonly path: string,
    private readonly problem: ScriptProblem,
  ) {
    try {
      statSync(path);
    } catch {
      try {
        mkdirSync(dirname(path), { recursive: true });
        spawnSync('mkfifo', ['-m', '0600', path], { stdio: 'ignore', timeout: 5000 });
      } catch {
        /* reported at the first write */
      }
    }
  }

  write(line: string): void {
    if (this.fd === null) {
      try {
        this.fd = openSync(this.path, constants.O_WRONLY | constants.O_NONBLOCK | constants.O_APPEND);
        this.reported = false;
      } catch (e) {
        this.drop(`Cannot open ${this.path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
        return;
      }
    }
    try {
      // Lines are far below PIPE_BUF (4096), so each write is atomic on a pipe.
      writeSync(this.fd, line + '\n');
      this.counters.written++;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') this.close();
      this.drop(`Cannot write to ${this.path}: ${code ?? String(e)}`);
    }
  }

  close(): void {
    if (this.fd !== null) {
      try {
        closeSync(this.fd);
      } catch {
        /* already closed */
      }
    }
    this.fd = null;
  }

  private drop(why: string): void {
    this.counters.dropped++;
    // Report once per outage, not once per line.
    if (!this.reported) this.problem(why);
    this.reported = true;
  }
}
