/**
 * Ordered delivery of notify lines through a FIFO (`notify_fifo`, `vrrp_notify_fifo`,
 * `lvs_notify_fifo`), the way keepalived recommends for anyone who needs events in order.
 *
 * - The FIFO is created when missing (mode 0600 unless told otherwise) and opened O_WRONLY |
 *   O_NONBLOCK: halo never blocks on it. Without a reader the open fails with ENXIO; lines then
 *   wait in a bounded buffer and the open is retried every `reopenMs`, so a reader that appears
 *   later gets them in order. A reader that goes away (EPIPE) is handled the same way.
 * - A full pipe (EAGAIN) keeps the rest in the buffer and retries; lines are at most PIPE_BUF
 *   bytes, so each write is atomic and never split.
 * - The buffer keeps the newest `maxBufferedLines`; dropping the oldest is logged with a count.
 */
import { closeSync, constants, fstatSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';
import type { LogSink } from './log.js';

/** Linux PIPE_BUF: writes up to this size are atomic on a pipe. */
const PIPE_BUF = 4096;

export interface FifoWriterOptions {
  readonly path: string;
  readonly maxBufferedLines?: number;
  readonly reopenMs?: number;
  readonly log: LogSink;
}

export class FifoWriter {
  private fd: number | null = null;
  private readonly buffer: string[] = [];
  private retry: NodeJS.Timeout | undefined;
  private dropped = 0;
  private openError: string | null = null;
  private closed = false;
  readonly counters = { written: 0, dropped: 0, reopens: 0 };

  constructor(private readonly opts: FifoWriterOptions) {}

  /** Makes sure the FIFO exists; halo creates it like keepalived does. */
  ensure(): boolean {
    try {
      const st = statSync(this.opts.path);
      if (st.isFIFO()) return true;
      this.reportOpen(`${this.opts.path} exists and is not a FIFO`);
      return false;
    } catch {
      /* missing: create below */
    }
    try {
      mkdirSync(dirname(this.opts.path), { recursive: true });
      // Node has no mkfifo; the coreutils command is on every Linux halo runs on.
      const r = spawnSync('mkfifo', ['-m', '0600', this.opts.path], { stdio: 'ignore', timeout: 5000 });
      if (r.status !== 0) {
        this.reportOpen(`mkfifo ${this.opts.path} failed`);
        return false;
      }
      return true;
    } catch (e) {
      this.reportOpen(`Cannot create ${this.opts.path}: ${String(e)}`);
      return false;
    }
  }

  write(line: string): void {
    if (this.closed) return;
    const bounded = Buffer.byteLength(line) > PIPE_BUF ? `${line.slice(0, PIPE_BUF - 2)}\n` : line;
    this.buffer.push(bounded);
    const max = this.opts.maxBufferedLines ?? 1000;
    while (this.buffer.length > max) {
      this.buffer.shift();
      this.dropped++;
      this.counters.dropped++;
    }
    this.flush();
  }

  /** Lines waiting for a reader. */
  pending(): number {
    return this.buffer.length;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private reportOpen(message: string): void {
    if (this.openError === message) return; // once per distinct problem, not once per retry
    this.openError = message;
    this.opts.log({ level: 'warn', code: 'HALO_NTF_FIFO_OPEN', message: `Cannot open notify FIFO: ${message}`, fields: { fifo: this.opts.path } });
  }

  private open(): boolean {
    if (this.fd !== null) return true;
    try {
      // libuv adds O_CLOEXEC itself, so scripts halo starts do not inherit the FIFO.
      const fd = openSync(this.opts.path, constants.O_WRONLY | constants.O_NONBLOCK);
      if (!fstatSync(fd).isFIFO()) {
        // Never write notify lines over a regular file someone put at the FIFO's path.
        closeSync(fd);
        this.reportOpen(`${this.opts.path} exists and is not a FIFO`);
        return false;
      }
      this.fd = fd;
      this.counters.reopens++;
      this.openError = null;
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') this.ensure();
      // ENXIO is the normal "no reader yet": not worth a log line each time.
      else if (code !== 'ENXIO') this.reportOpen(`${this.opts.path}: ${code ?? String(e)}`);
      return false;
    }
  }

  private flush(): void {
    clearTimeout(this.retry);
    this.retry = undefined;
    if (this.closed) return;
    if (this.dropped > 0) {
      this.opts.log({ level: 'warn', code: 'HALO_NTF_FIFO_OVERFLOW', message: `Dropped ${this.dropped} line${this.dropped === 1 ? '' : 's'} for notify FIFO ${this.opts.path}: no reader drained it`, fields: { fifo: this.opts.path } });
      this.dropped = 0;
    }
    while (this.buffer.length > 0) {
      if (!this.open()) break;
      const line = this.buffer[0] as string;
      try {
        writeSync(this.fd as number, line);
        this.buffer.shift();
        this.counters.written++;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'EAGAIN') {
          // EPIPE: the reader left. Reopen when one comes back; the line stays first in line.
          try {
            closeSync(this.fd as number);
          } catch {
            /* already closed */
          }
          this.fd = null;
        }
        break;
      }
    }
    if (this.buffer.length > 0) {
      this.retry = setTimeout(() => this.flush(), this.opts.reopenMs ?? 200);
      this.retry.unref();
    }
  }
}
