/**
 * Running operator scripts the way keepalived does: through `/bin/sh -c` (so the tutorials'
 * one-liners such as `killall -0 nginx` or `</dev/tcp/127.0.0.1/80` work), as a chosen user and
 * group, in their own process group (so a timeout stops the script and everything it started),
 * with stdout discarded and a bounded tail of stderr kept for the log.
 *
 * Shared by the tracker runners (src/track) and the notify scripts (this folder).
 */
import { spawn } from 'node:child_process';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, sep } from 'node:path';

export interface RunAs {
  readonly uid: number;
  readonly gid: number;
  readonly user: string;
}

/** Reads /etc/passwd and /etc/group (halo does not spawn `id`; NSS-only users are not seen). */
function readDb(path: string): string[][] {
  try {
    return readFileSync(path, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
  } catch {
    return [];
  }
}

export function lookupUser(user: string, group?: string, files = { passwd: '/etc/passwd', group: '/etc/group' }): RunAs | { error: string } {
  const pw = readDb(files.passwd).find((f) => f[0] === user || (/^\d+$/.test(user) && f[2] === user));
  if (!pw) return { error: `Unknown user: ${user}` };
  let gid = Number(pw[3]);
  if (group !== undefined) {
    const gr = readDb(files.group).find((f) => f[0] === group || (/^\d+$/.test(group) && f[2] === group));
    if (!gr) return { error: `Unknown group: ${group}` };
    gid = Number(gr[2]);
  }
  return { uid: Number(pw[2]), gid, user: pw[0] ?? user };
}

/**
 * keepalived's default script user: `keepalived_script` when that user exists, else the user halo
 * runs as (keepalived.conf(5), `script_user`).
 */
export function defaultScriptUser(files?: { passwd: string; group: string }): RunAs {
  const ks = lookupUser('keepalived_script', undefined, files);
  if (!('error' in ks)) return ks;
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  return { uid, gid, user: String(uid) };
}

/** The program a command line starts: its first word, quotes removed. */
export function firstWord(command: string): string {
  const m = /^\s*(?:"([^"]*)"|'([^']*)'|(\S+))/.exec(command);
  return m ? (m[1] ?? m[2] ?? m[3] ?? '') : '';
}

function resolveProgram(program: string, pathEnv: string): string | null {
  if (program.includes('/')) return program;
  for (const dir of pathEnv.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, program);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      /* not in this directory */
    }
  }
  return null;
}

/**
 * `enable_script_security`: a script run as root must not be replaceable by anyone else. Every
 * component of its real path, from `/` down to the file, must be owned by root and not writable by
 * group or others. A sticky world-writable directory (like /tmp) is accepted because others cannot
 * rename or delete a root-owned entry in it; the entry itself is still checked. Shell builtins and
 * programs not found on PATH have no file to check and pass (the shell resolves them).
 * Returns null when safe, or the reason.
 */
export function scriptSecurityProblem(command: string, pathEnv = '/usr/sbin:/usr/bin:/sbin:/bin'): string | null {
  const program = firstWord(command);
  if (!program || program.startsWith('<')) return null;
  const found = resolveProgram(program, pathEnv);
  if (found === null) return null;
  let real: string;
  try {
    real = realpathSync(isAbsolute(found) ? found : join(process.cwd(), found));
  } catch (e) {
    return `Cannot resolve ${found}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`;
  }
  const parts = real.split(sep).filter(Boolean);
  let path = '/';
  const paths = ['/'];
  for (const p of parts) {
    path = join(path, p);
    paths.push(path);
  }
  for (let i = 0; i < paths.length; i++) {
    const p = paths[i] as string;
    const st = statSync(p);
    const last = i === paths.length - 1;
    if (st.uid !== 0) return `${p} is owned by uid ${st.uid}, not root`;
    const writable = (st.mode & 0o022) !== 0;
    const sticky = (st.mode & 0o1000) !== 0;
    if (writable && !(st.isDirectory() && sticky && !last)) return `${p} is writable by ${st.mode & 0o002 ? 'others' : 'its group'} (mode ${(st.mode & 0o7777).toString(8)})`;
  }
  return null;
}

export interface ScriptRunOptions {
  readonly command: string;
  /** Extra arguments passed to the command as "$@" (the generic `notify` script's four). */
  readonly args?: readonly string[];
  readonly runAs?: RunAs;
  readonly env: Readonly<Record<string, string>>;
  /** 0 or absent: no timeout (notify scripts are never killed by halo). */
  readonly timeoutMs?: number;
  /** Time between SIGTERM and SIGKILL after a timeout; keepalived uses 2 s. */
  readonly killGraceMs?: number;
  readonly stderrTailBytes?: number;
}

export type ScriptExit =
  | { readonly kind: 'exited'; readonly exitCode: number; readonly stderrTail: string; readonly durationMs: number }
  | { readonly kind: 'signalled'; readonly signal: string; readonly stderrTail: string; readonly durationMs: number; readonly timedOut: boolean }
  | { readonly kind: 'spawn-failed'; readonly error: string; readonly durationMs: number };

export interface ScriptHandle {
  readonly pid: number | undefined;
  /** Settles when the process has exited (never rejects). */
  readonly done: Promise<ScriptExit>;
  /** Called once when the timeout fires (before the process has necessarily exited). */
  onTimeout(handler: () => void): void;
  /** Signals the script's process group (for long-running readers such as notify_fifo_script). */
  signal(signal: NodeJS.Signals): void;
}

const DEFAULT_STDERR_TAIL = 512;

export function runScript(opts: ScriptRunOptions): ScriptHandle {
  const started = performance.now();
  const args = opts.args ?? [];
  // "$@" passes the extra arguments through the shell unchanged, whatever they contain.
  const shellCommand = args.length > 0 ? `${opts.command} "$@"` : opts.command;
  const spawnOpts: Parameters<typeof spawn>[2] = {
    env: { ...opts.env },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
    ...(opts.runAs ? { uid: opts.runAs.uid, gid: opts.runAs.gid } : {}),
  };
  let timeoutHandler: (() => void) | null = null;
  let timedOut = false;
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn('/bin/sh', ['-c', shellCommand, 'halo-script', ...args], spawnOpts);
  } catch (e) {
    const error = (e as NodeJS.ErrnoException).code ?? String(e);
    return { pid: undefined, done: Promise.resolve({ kind: 'spawn-failed', error, durationMs: 0 }), onTimeout: () => undefined, signal: () => undefined };
  }
  const tailMax = opts.stderrTailBytes ?? DEFAULT_STDERR_TAIL;
  let tail = Buffer.alloc(0);
  child.stderr?.on('data', (chunk: Buffer) => {
    tail = Buffer.concat([tail, chunk]);
    if (tail.length > tailMax) tail = tail.subarray(tail.length - tailMax);
  });
  const killGroup = (signal: NodeJS.Signals): void => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      /* already gone */
    }
  };
  const groupAlive = (): boolean => {
    if (child.pid === undefined) return false;
    try {
      process.kill(-child.pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  let termTimer: NodeJS.Timeout | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  if (opts.timeoutMs && opts.timeoutMs > 0) {
    termTimer = setTimeout(() => {
      timedOut = true;
      timeoutHandler?.();
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), opts.killGraceMs ?? 2000);
      killTimer.unref();
    }, opts.timeoutMs);
    termTimer.unref();
  }
  const done = new Promise<ScriptExit>((resolve) => {
    let settled = false;
    const finish = (r: ScriptExit): void => {
      if (settled) return;
      settled = true;
      clearTimeout(termTimer);
      // The group is gone: do not signal a process group id the kernel may hand out again.
      if (!groupAlive()) clearTimeout(killTimer);
      resolve(r);
    };
    child.on('error', (e: NodeJS.ErrnoException) => finish({ kind: 'spawn-failed', error: e.code ?? e.message, durationMs: performance.now() - started }));
    // 'exit', not 'close': a grandchild that keeps stderr open must not hold the run open.
    child.on('exit', (code, signal) => {
      const report = (): void => {
        const durationMs = performance.now() - started;
        const stderrTail = tail.toString('utf8');
        if (signal) finish({ kind: 'signalled', signal, stderrTail, durationMs, timedOut });
        else finish({ kind: 'exited', exitCode: code ?? 0, stderrTail, durationMs });
      };
      if (!timedOut) return report();
      // After a timeout the shell may die on SIGTERM while the script it started ignores it: the
      // run is over only when the whole process group is gone (at the latest after SIGKILL).
      const poll = setInterval(() => {
        if (!groupAlive()) {
          clearInterval(poll);
          report();
        }
      }, 50);
    });
  });
  return {
    pid: child.pid,
    done,
    onTimeout(handler) {
      timeoutHandler = handler;
    },
    signal(sig) {
      if (groupAlive()) killGroup(sig);
    },
  };
}
