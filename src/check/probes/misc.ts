/**
 * MISC_CHECK: runs `misc_path` as a child process (no shell: the command line is split on
 * spaces, quoted parts kept whole, as keepalived does) and maps its exit status:
 * 0 = up; 1 = down; 2..255 = up, and with misc_dynamic the weight becomes status - 2
 * (keepalived.conf(5)); without misc_dynamic any non-zero status is a failure.
 * Past misc_timeout the script's process group gets SIGTERM, then SIGKILL after a grace period,
 * and the check fails.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { MiscCheckSpec } from '../spec.js';
import { errorText, type ProbeOutcome } from './types.js';

/** Splits a command line into words: "a 'b c' \"d e\"" → [a, b c, d e]. Pure. */
export function splitCommand(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: string | undefined;
  for (const ch of line) {
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/** Looks a user (and group) up in /etc/passwd and /etc/group; numbers are taken as they are. */
export function resolveUser(user: string, group?: string): { uid: number; gid: number } | string {
  const read = (path: string): string[][] => {
    try {
      return readFileSync(path, 'utf8').split('\n').map((l) => l.split(':'));
    } catch {
      return [];
    }
  };
  const passwd = read('/etc/passwd');
  const u = /^\d+$/.test(user) ? passwd.find((p) => p[2] === user) ?? [user, 'x', user, user] : passwd.find((p) => p[0] === user);
  if (!u || u[2] === undefined || u[3] === undefined) return `unknown user ${user}`;
  let gid = Number(u[3]);
  if (group !== undefined) {
    const g = /^\d+$/.test(group) ? [group, 'x', group] : read('/etc/group').find((p) => p[0] === group);
    if (!g || g[2] === undefined) return `unknown group ${group}`;
    gid = Number(g[2]);
  }
  return { uid: Number(u[2]), gid };
}

export const KILL_GRACE_MS = 1000;

export function probeMisc(spec: Pick<MiscCheckSpec, 'miscPath' | 'miscTimeoutMs' | 'miscDynamic' | 'user' | 'group'>, env?: Record<string, string>): Promise<ProbeOutcome> {
  const startMs = performance.now();
  const words = splitCommand(spec.miscPath);
  const done = (ok: boolean, detail: string, weight?: number): ProbeOutcome => ({
    ok,
    detail,
    durationMs: Math.round(performance.now() - startMs),
    ...(weight !== undefined ? { weight } : {}),
  });
  const [cmd, ...args] = words;
  if (cmd === undefined) return Promise.resolve(done(false, 'empty misc_path'));
  let ids: { uid: number; gid: number } | undefined;
  if (spec.user !== undefined) {
    const r = resolveUser(spec.user, spec.group);
    if (typeof r === 'string') return Promise.resolve(done(false, r));
    ids = r;
  }
  return new Promise((resolve) => {
    let timedOut = false;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const settle = (o: ProbeOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      resolve(o);
    };
    // Own process group, so that the timeout reaches what the script started too (a `sleep`
    // inside a shell script would otherwise outlive the kill).
    const child = spawn(cmd, args, {
      stdio: 'ignore',
      detached: true,
      ...(env !== undefined ? { env } : {}),
      ...(ids !== undefined ? { uid: ids.uid, gid: ids.gid } : {}),
    });
    const killGroup = (signal: NodeJS.Signals): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        child.kill(signal); // the group is gone already, or the child never started one
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), Math.min(KILL_GRACE_MS, spec.miscTimeoutMs));
    }, spec.miscTimeoutMs);
    child.once('error', (err) => settle(done(false, `cannot run ${cmd}: ${errorText(err)}`)));
    child.once('exit', (code, signal) => {
      if (timedOut) return settle(done(false, `timeout after ${spec.miscTimeoutMs} ms (killed by ${signal ?? 'exit'})`));
      if (code === null) return settle(done(false, `killed by ${signal ?? 'a signal'}`));
      if (code === 0) return settle(done(true, 'exit 0'));
      if (code >= 2 && spec.miscDynamic) return settle(done(true, `exit ${code}: weight ${code - 2}`, code - 2));
      settle(done(false, `exit ${code}`));
    });
  });
}
