/** What every probe gets and returns. Probes do the I/O; they never throw. */
import type { ProbeOutcome } from '../policy.js';

export type { ProbeOutcome };

/** Where a probe goes: connect_ip/connect_port, or the real server's address and port. */
export interface ProbeTarget {
  readonly address: string;
  readonly port: number;
}

/** A monotonic clock in ms (performance.now by default). */
export type NowMs = () => number;

export function errorText(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; message?: unknown };
    if (e.code === 'ECONNREFUSED') return 'connection refused';
    if (e.code === 'ECONNRESET') return 'connection reset';
    if (e.code === 'EHOSTUNREACH') return 'host unreachable';
    if (e.code === 'ENETUNREACH') return 'network unreachable';
    if (e.code === 'EADDRNOTAVAIL') return 'bindto address not available';
    if (e.code === 'EADDRINUSE') return 'bind_port in use';
    if (typeof e.code === 'string' && typeof e.message === 'string') return `${e.code}: ${e.message}`;
    if (typeof e.message === 'string') return e.message;
  }
  return String(err);
}
