/** The event sink the notifiers and tracker runners report to: every failure is an event with a code, never an exception. */
import type { ErrorCode } from '../core/errors/index.js';

export type LogLevel = 'info' | 'warn' | 'error';

export interface LogEvent {
  readonly level: LogLevel;
  readonly code: ErrorCode;
  readonly message: string;
  readonly fields?: Readonly<Record<string, string | number | boolean>>;
}

export type LogSink = (event: LogEvent) => void;

/** A sink that keeps events in memory, bounded, for tests and for the API's "recent events". */
export class MemoryLog {
  readonly events: LogEvent[] = [];
  constructor(private readonly maxEvents = 1000) {}
  readonly sink: LogSink = (e) => {
    this.events.push(e);
    if (this.events.length > this.maxEvents) this.events.shift();
  };
  codes(): string[] {
    return this.events.map((e) => e.code);
  }
}
