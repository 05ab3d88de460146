/**
 * Watches one `track_file`. keepalived reads the file whenever it is modified (inotify); halo uses
 * fs.watch on the file's directory (so an editor's write-to-temp-and-rename is seen) and re-reads it
 * every `pollMs` as well, because fs.watch can miss events (network file systems, a directory that
 * appears later). Only the first bytes are read: the value is a number at the start of the file.
 */
import { watch, writeFileSync, existsSync } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { LogSink } from '../notify/log.js';
import type { FileReading } from '../vrrp/track/file.js';
import { fileSignal, TRACK_FILE_MAX_CHARS } from '../vrrp/track/file.js';
import type { TrackerSignal } from '../vrrp/track/types.js';

export interface FileTrackerOptions {
  readonly name: string;
  readonly path: string;
  /** `init_file [VALUE] [overwrite]`: absent means no init_file. */
  readonly initFile?: { readonly value: number; readonly overwrite: boolean };
  /** Fallback re-read period; default 1000 ms. */
  readonly pollMs?: number;
  readonly onSignal: (signal: TrackerSignal) => void;
  readonly log: LogSink;
}

export async function readTrackFile(path: string): Promise<FileReading> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    return code === 'ENOENT' ? { kind: 'missing' } : { kind: 'unreadable', error: code };
  }
  try {
    const buf = Buffer.alloc(TRACK_FILE_MAX_CHARS);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return { kind: 'text', text: buf.subarray(0, bytesRead).toString('utf8') };
  } catch (e) {
    return { kind: 'unreadable', error: (e as NodeJS.ErrnoException).code ?? String(e) };
  } finally {
    await fh.close();
  }
}

export class FileTracker {
  private watcher: FSWatcher | null = null;
  private poll: NodeJS.Timeout | undefined;
  private last: TrackerSignal | null = null;
  private reading = false;
  private again = false;
  private stopped = true;
  private lastErrorKind: string | null = null;

  constructor(private readonly opts: FileTrackerOptions) {}

  /** The latest signal, or null before the first read. */
  signal(): TrackerSignal | null {
    return this.last;
  }

  /** Applies init_file, reads once, then watches. Resolves after the first read. */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    const init = this.opts.initFile;
    if (init && (init.overwrite || !existsSync(this.opts.path))) {
      try {
        writeFileSync(this.opts.path, `${init.value}\n`);
      } catch (e) {
        this.opts.log({ level: 'error', code: 'HALO_TRK_FILE_INIT', message: `Cannot initialise track_file ${this.opts.name}: ${this.opts.path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, fields: { tracker: this.opts.name } });
      }
    }
    try {
      const file = basename(this.opts.path);
      this.watcher = watch(dirname(this.opts.path), { persistent: false }, (_event, changed) => {
        if (changed === null || changed === file) this.reread();
      });
      this.watcher.on('error', () => {
        // The poll keeps the tracker alive when the directory goes away.
        this.watcher?.close();
        this.watcher = null;
      });
    } catch {
      /* the directory does not exist yet: the poll covers it */
    }
    this.poll = setInterval(() => this.reread(), this.opts.pollMs ?? 1000);
    await this.readNow();
  }

  stop(): void {
    this.stopped = true;
    this.watcher?.close();
    this.watcher = null;
    clearInterval(this.poll);
  }

  private reread(): void {
    if (this.stopped) return;
    if (this.reading) {
      this.again = true; // coalesce a burst of events into one more read
      return;
    }
    void this.readNow();
  }

  private async readNow(): Promise<void> {
    this.reading = true;
    try {
      do {
        this.again = false;
        const reading = await readTrackFile(this.opts.path);
        if (reading.kind === 'unreadable' && this.lastErrorKind !== reading.error) {
          this.opts.log({ level: 'warn', code: 'HALO_TRK_FILE_READ', message: `Cannot read track_file ${this.opts.name}: ${this.opts.path}: ${reading.error}`, fields: { tracker: this.opts.name } });
        }
        this.lastErrorKind = reading.kind === 'unreadable' ? reading.error : null;
        const sig = fileSignal(this.opts.name, this.opts.path, reading);
        const prev = this.last;
        if (this.stopped) return;
        if (prev === null || prev.kind !== 'file' || sig.kind !== 'file' || prev.value !== sig.value) {
          this.last = sig;
          if (prev !== null) this.opts.log({ level: 'info', code: 'HALO_TRK_CHANGED', message: `Tracker ${this.opts.name} changed: ${sig.cause}`, fields: { tracker: this.opts.name } });
          this.opts.onSignal(sig);
        }
      } while (this.again && !this.stopped);
    } finally {
      this.reading = false;
    }
  }
}
