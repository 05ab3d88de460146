/**
 * halo's log lines: one line per record in logfmt (`key=value`, values quoted when they hold
 * spaces), on stderr, so journald or a file keeps them as they are and a grep finds them:
 *
 *   ts=2026-11-22T00:50:01.123Z level=info proc=vrrp instance=VI_1 from=BACKUP to=MASTER msg="No advert within Master_Down_Interval"
 */
import type { ErrorCode } from '../core/errors/index.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogLine {
  readonly level: LogLevel;
  readonly msg: string;
  readonly code?: ErrorCode;
  readonly fields?: Readonly<Record<string, string | number | boolean | undefined>>;
}

export function logfmtValue(v: string | number | boolean): string {
  const s = String(v);
  return s === '' || /[\s"=\\]/.test(s) ? JSON.stringify(s) : s;
}

export function formatLogLine(proc: string, line: LogLine, now: Date = new Date()): string {
  const parts = [`ts=${now.toISOString()}`, `level=${line.level}`, `proc=${proc}`];
  for (const [k, v] of Object.entries(line.fields ?? {})) if (v !== undefined) parts.push(`${k}=${logfmtValue(v)}`);
  if (line.code !== undefined) parts.push(`code=${line.code}`);
  parts.push(`msg=${logfmtValue(line.msg)}`);
  return parts.join(' ') + '\n';
}

export type Logger = (line: LogLine) => void;

/** A logger writing to stderr (or `write`); `debug` lines only with `detail` (`-D`). */
export function stderrLogger(proc: string, detail: boolean, write: (text: string) => void = (t) => void process.stderr.write(t)): Logger {
  return (line) => {
    if (line.level === 'debug' && !detail) return;
    write(formatLogLine(proc, line));
  };
}

/**
 * A daemon must not die because its log reader went away (journald restarted, a pipe closed):
 * an EPIPE on stderr/stdout would otherwise be an unhandled 'error' event. Lines are lost
 * until a reader is back; VRRP goes on.
 */
export function survivePipeErrors(): void {
  for (const stream of [process.stderr, process.stdout]) {
    if (stream.listenerCount('error') === 0) stream.on('error', () => {});
  }
}
