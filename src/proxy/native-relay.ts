/**
 * The JavaScript side of the native L4 splice relay (native/relay.c). One relay serves the
 * process: its thread is started on the first pair and stopped when the last L4 service lets go
 * (and its last pair has reported), so processes and tests exit.
 *
 * Ownership: Node keeps owning both sockets. The relay moves bytes on their fds until the pair
 * ends, takes the fds out of its epoll, and only then reports; the caller destroys the two Node
 * sockets in its report callback. `stop()` asks for an early end and the report follows.
 */
import type net from 'node:net';
import { loadNativeModule, type NativeLoad } from '../net/linux/native.js';

/** Why a relayed pair ended; mirrored in native/relay.c. */
export const enum RelayReason {
  /** Both directions passed their FIN. */
  Done = 0,
  /** No byte moved either way for idleMs (nginx stream proxy_timeout). */
  Idle = 1,
  /** A socket error or reset (errno in the report). */
  Error = 2,
  /** stop() was called. */
  Stopped = 3,
  /** The relay was closed. */
  Closed = 4,
}

export interface RelayReport {
  /** Client to backend. */
  readonly bytesIn: number;
  /** Backend to client. */
  readonly bytesOut: number;
  readonly reason: RelayReason;
  readonly errno: number;
}

export interface RelayStats {
  readonly live: number;
  readonly maxPairs: number;
  readonly added: number;
  readonly finished: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly pipesResized: number;
}

type RelayHandle = { readonly __brand: 'halo.relay' };
interface RelayAddon {
  relayCreate(onReport: (id: number, bytesIn: number, bytesOut: number, reason: number, errno: number) => void, maxPairs: number, pipeBytes: number): RelayHandle;
  relayAdd(handle: RelayHandle, id: number, clientFd: number, backendFd: number, idleMs: number): number;
  relayStop(handle: RelayHandle, id: number): boolean;
  relayStats(handle: RelayHandle): RelayStats;
  /** Absent in an addon built before it existed: the counters then move when pairs end. */
  relayPoll?(handle: RelayHandle): Buffer;
  relayClose(handle: RelayHandle): void;
}

/** Pairs relayed at once per process; past it new pairs go through JavaScript. */
export const RELAY_MAX_PAIRS = 16384;
/**
 * Bytes per pipe (F_SETPIPE_SZ); 0 keeps the kernel's default (64 KiB). Measured on 64 MiB
 * transfers, 64 KiB, 256 KiB and 1 MiB pipes were within the noise (docs/performance.md), and
 * larger pipes use up a non-root user's pipe budget (fs.pipe-user-pages-soft) sooner, after which
 * the kernel makes tiny pipes: so the default.
 */
export const RELAY_PIPE_BYTES = 0;
/** How often the byte counters of live pairs are read, so long transfers show in the counters. */
export const RELAY_POLL_MS = 1000;
const POLL_REC = 24;
/** The longest idle timeout the relay takes (its counter is in milliseconds, u32). */
const MAX_IDLE_MS = 0xffffffff;

export type RelayLoad = NativeLoad<RelayAddon>;

export function loadRelayAddon(): RelayLoad {
  return loadNativeModule<RelayAddon>('halo_relay.node', 'the native L4 relay');
}

/**
 * The fd behind a Node socket or server (its libuv handle's `fd`, which Node exposes on Unix), or
 * undefined when there is none. The socket front and the relay both take fds this way.
 */
export function socketFd(sock: net.Socket | net.Server): number | undefined {
  const handle: unknown = (sock as unknown as { _handle?: unknown })._handle;
  if (handle === null || typeof handle !== 'object' || !('fd' in handle)) return undefined;
  const fd = handle.fd;
  return typeof fd === 'number' && Number.isInteger(fd) && fd >= 0 ? fd : undefined;
}

/** True when nothing of the socket's stream went through JavaScript yet (nothing read, nothing queued). */
export function untouched(sock: net.Socket): boolean {
  return sock.readableLength === 0 && sock.writableLength === 0 && sock.bytesRead === 0 && !sock.destroyed && !sock.readableEnded;
}

/** Bytes so far of a live pair (totals, not deltas). */
export type RelayProgress = (bytesIn: number, bytesOut: number) => void;

interface Waiter {
  readonly done: (r: RelayReport) => void;
  readonly progress: RelayProgress | undefined;
}

export type AddResult = { ok: true; id: number } | { ok: false; error: string; full: boolean };

export class NativeRelay {
  private handle: RelayHandle | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiter>();
  private users = 0;
  private pollTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly addon: RelayAddon,
    private readonly maxPairs = RELAY_MAX_PAIRS,
    private readonly pipeBytes = RELAY_PIPE_BYTES,
  ) {}

  /** A service starts using the relay. */
  acquire(): void {
    this.users++;
  }

  /** A service stops using the relay; the thread stops once nobody uses it and no pair is live. */
  release(): void {
    if (this.users > 0) this.users--;
    this.maybeClose();
  }

  get livePairs(): number {
    return this.waiting.size;
  }

  get running(): boolean {
    return this.handle !== undefined;
  }

  /**
   * Hands an established pair to the relay. On success the relay owns the bytes (not the fds)
   * until `onDone`; on failure nothing changed and the caller keeps piping in JavaScript.
   */
  add(clientFd: number, backendFd: number, idleMs: number, onDone: (r: RelayReport) => void, onProgress?: RelayProgress): AddResult {
    if (this.handle === undefined) {
      try {
        this.handle = this.addon.relayCreate((id, bytesIn, bytesOut, reason, errno) => this.onReport(id, { bytesIn, bytesOut, reason: reason as RelayReason, errno }), this.maxPairs, this.pipeBytes);
      } catch (err) {
        return { ok: false, full: false, error: err instanceof Error ? err.message : String(err) };
      }
    }
    const id = this.nextId;
    this.nextId = this.nextId >= 0xfffffff0 ? 1 : this.nextId + 1;
    const idle = Math.max(0, Math.min(MAX_IDLE_MS, Math.round(idleMs)));
    const rc = this.addon.relayAdd(this.handle, id, clientFd, backendFd, idle);
    if (rc !== 0) {
      this.maybeClose();
      return { ok: false, full: true, error: `Cannot relay the connection natively: errno ${-rc}` };
    }
    this.waiting.set(id, { done: onDone, progress: onProgress });
    if (this.pollTimer === undefined) {
      this.pollTimer = setInterval(() => this.poll(), RELAY_POLL_MS);
      this.pollTimer.unref();
    }
    return { ok: true, id };
  }

  /** Asks the relay to end a pair early; its report follows. */
  stop(id: number): void {
    if (this.handle !== undefined && this.waiting.has(id)) this.addon.relayStop(this.handle, id);
  }

  stats(): RelayStats | undefined {
    return this.handle !== undefined ? this.addon.relayStats(this.handle) : undefined;
  }

  /** Hands every live pair its byte counts so far (one call into C for all of them). */
  poll(): void {
    if (this.handle === undefined || this.addon.relayPoll === undefined) return;
    const b = this.addon.relayPoll(this.handle);
    for (let off = 0; off + POLL_REC <= b.length; off += POLL_REC) {
      this.waiting.get(b.readUInt32LE(off))?.progress?.(b.readDoubleLE(off + 8), b.readDoubleLE(off + 16));
    }
  }

  private onReport(id: number, r: RelayReport): void {
    const w = this.waiting.get(id);
    this.waiting.delete(id);
    try {
      w?.done(r);
    } finally {
      this.maybeClose();
    }
  }

  private maybeClose(): void {
    if (this.waiting.size === 0 && this.pollTimer !== undefined) {
      clearInterval(this.pollTimer);
      this.pollTimer = undefined;
    }
    if (this.users === 0 && this.waiting.size === 0 && this.handle !== undefined) {
      const h = this.handle;
      this.handle = undefined;
      this.addon.relayClose(h);
    }
  }
}

let shared: NativeRelay | undefined;

/** The process's relay, or why there is none. */
export function processRelay(): { ok: true; relay: NativeRelay } | { ok: false; error: string } {
  if (shared !== undefined) return { ok: true, relay: shared };
  const l = loadRelayAddon();
  if (!l.ok) return l;
  shared = new NativeRelay(l.addon, RELAY_MAX_PAIRS, pipeBytesFromEnv());
  return { ok: true, relay: shared };
}

/** HALO_RELAY_PIPE_BYTES overrides the pipe size (measurements); 0 keeps the kernel's default. */
function pipeBytesFromEnv(): number {
  const v = process.env.HALO_RELAY_PIPE_BYTES;
  const n = v !== undefined && /^[0-9]+$/.test(v) ? Number(v) : NaN;
  return Number.isSafeInteger(n) && n <= 0x7fffffff ? n : RELAY_PIPE_BYTES;
}

/** HALO_L4_RELAY=off keeps every L4 pair on the JavaScript path (comparisons, debugging). */
export function relayDisabledByEnv(): boolean {
  const v = process.env.HALO_L4_RELAY;
  return v === 'off' || v === '0' || v === 'false';
}
