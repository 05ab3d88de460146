/**
 * The JavaScript side of the native batch prober (native/prober.c): probes are queued as 64-byte
 * records and handed to C once per event-loop turn; results come back in batches as records plus
 * the bytes read. One prober serves the process; it is made on first use.
 *
 * Record layouts (little-endian), shared with native/prober.c:
 *   probe  (64 B): id u32 | family u8 (4/6) | mode u8 (0 TCP, 1 HTTP) | flags u8 (1 no body,
 *                  2 bind) | - | port u16 | bindPort u16 | timeoutMs u32 | maxRead u32 |
 *                  requestIndex i32 | address 16 B | bind address 16 B | - 8 B
 *   result (32 B): id u32 | status u8 | phase u8 | - | errno i32 | dataOffset u32 | dataLength u32 |
 *                  connectUs u32 (0xffffffff: never connected) | totalUs u32 | -
 */
import { isIP } from 'node:net';
import { constants } from 'node:os';
import { loadAddon, messageOf } from '../../net/linux/native.js';

export const enum NativeStatus {
  Connected = 0,
  Eof = 1,
  Limit = 2,
  Complete = 3,
  Refused = 4,
  Timeout = 5,
  Reset = 6,
  Error = 7,
}

/** Where the probe was when it ended (the timeout detail needs it). */
export const enum NativePhase {
  Connecting = 1,
  Sending = 2,
  Reading = 3,
}

export interface NativeProbe {
  readonly address: string;
  readonly port: number;
  readonly timeoutMs: number;
  /** HTTP: the request to write; absent for a TCP connect. */
  readonly request?: Buffer;
  /** HTTP: the most bytes to read. */
  readonly maxReadBytes?: number;
  /** HTTP: the response has no body (HEAD). */
  readonly noBody?: boolean;
  readonly bindTo?: string | undefined;
  readonly bindPort?: number | undefined;
}

export interface NativeResult {
  readonly status: NativeStatus;
  readonly phase: number;
  readonly errno: number;
  readonly data: Buffer;
  /** Microseconds to the connect, or undefined when it never connected. */
  readonly connectUs: number | undefined;
  readonly totalUs: number;
}

type ProberHandle = { readonly __brand: 'halo.prober' };
interface ProberAddon {
  proberCreate(onResults: (records: Buffer, data: Buffer) => void, maxInFlight: number): ProberHandle;
  proberSubmit(handle: ProberHandle, records: Buffer, requests: Buffer[]): number;
  proberStats(handle: ProberHandle): { inFlight: number; slots: number; submitted: number; finished: number; nofileSoft: number; nofileHard: number };
  proberClose(handle: ProberHandle): void;
  proberAddr(ip: string): Buffer | null;
  raiseNofile(): { before: number; after: number };
}

const PROBE_REC = 64;
const RESULT_REC = 32;
/** Probes in flight in C at once: each holds one fd while it runs. */
export const NATIVE_MAX_IN_FLIGHT = 16384;
/** Probes waiting in JavaScript for a free slot; past this a probe fails at once. */
const MAX_QUEUED = 65536;
/** Parsed addresses kept (one per target); cleared when full. */
const ADDRESS_CACHE_MAX = 65536;

export class NativeProber {
  private readonly handle: ProberHandle;
  private nextId = 1;
  private readonly waiting = new Map<number, (r: NativeResult) => void>();
  /** Records not yet in C (written, not yet submitted or waiting for a free slot). */
  private queue = Buffer.alloc(PROBE_REC * 256);
  private queued = 0;
  private requests: Buffer[] = [];
  private flushScheduled = false;
  private readonly addresses = new Map<string, Buffer | null>();
  private closed = false;

  constructor(
    private readonly addon: ProberAddon,
    maxInFlight = NATIVE_MAX_IN_FLIGHT,
  ) {
    this.handle = addon.proberCreate((records, data) => this.onResults(records, data), maxInFlight);
  }

  /** True when the prober can take this probe (an IP literal of a known family). */
  canProbe(address: string, bindTo?: string): boolean {
    return isIP(address) !== 0 && (bindTo === undefined || isIP(bindTo) === isIP(address));
  }

  probe(p: NativeProbe): Promise<NativeResult> {
    return new Promise((resolve) => {
      const family = isIP(p.address);
      const addr = this.addr(p.address);
      const bind = p.bindTo !== undefined ? this.addr(p.bindTo) : undefined;
      if (this.closed || family === 0 || addr === null || bind === null || this.queued + this.waiting.size >= MAX_QUEUED + NATIVE_MAX_IN_FLIGHT) {
        resolve({ status: NativeStatus.Error, phase: 0, errno: this.closed ? constants.errno.EBADF : constants.errno.ENOBUFS, data: Buffer.alloc(0), connectUs: undefined, totalUs: 0 });
        return;
      }
      const id = this.nextId;
      this.nextId = this.nextId >= 0xfffffff0 ? 1 : this.nextId + 1;
      this.waiting.set(id, resolve);
      if ((this.queued + 1) * PROBE_REC > this.queue.length) {
        const bigger = Buffer.alloc(this.queue.length * 2);
        this.queue.copy(bigger, 0, 0, this.queued * PROBE_REC);
        this.queue = bigger;
      }
      const r = this.queue.subarray(this.queued * PROBE_REC, (this.queued + 1) * PROBE_REC);
      r.fill(0);
      r.writeUInt32LE(id, 0);
      r[4] = family;
      r[5] = p.request !== undefined ? 1 : 0;
      r[6] = (p.noBody === true ? 1 : 0) | (p.bindTo !== undefined || p.bindPort !== undefined ? 2 : 0);
      r.writeUInt16LE(p.port, 8);
      r.writeUInt16LE(p.bindPort ?? 0, 10);
      r.writeUInt32LE(Math.max(1, Math.min(0xffffffff, Math.round(p.timeoutMs))), 12);
      r.writeUInt32LE(p.maxReadBytes ?? 0, 16);
      if (p.request !== undefined) {
        r.writeInt32LE(this.requests.length, 20);
        this.requests.push(p.request);
      } else r.writeInt32LE(-1, 20);
      addr.copy(r, 24);
      bind?.copy(r, 40);
      this.queued++;
      this.scheduleFlush();
    });
  }

  stats(): ReturnType<ProberAddon['proberStats']> & { queued: number } {
    return { ...this.addon.proberStats(this.handle), queued: this.queued };
  }

  /** Ends every probe; those not finished resolve as errors (EBADF). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.addon.proberClose(this.handle);
    const gone = [...this.waiting.values()];
    this.waiting.clear();
    this.queued = 0;
    this.requests = [];
    for (const resolve of gone) resolve({ status: NativeStatus.Error, phase: 0, errno: constants.errno.EBADF, data: Buffer.alloc(0), connectUs: undefined, totalUs: 0 });
  }

  private addr(ip: string): Buffer | null {
    let b = this.addresses.get(ip);
    if (b === undefined) {
      b = this.addon.proberAddr(ip);
      if (this.addresses.size >= ADDRESS_CACHE_MAX) this.addresses.clear();
      this.addresses.set(ip, b);
    }
    return b;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // Every probe started in this turn (one runner timer callback starts many) goes in one call.
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.closed || this.queued === 0) return;
    const accepted = this.addon.proberSubmit(this.handle, this.queue.subarray(0, this.queued * PROBE_REC), this.requests);
    if (accepted >= this.queued) {
      this.queued = 0;
      this.requests = [];
      return;
    }
    // C is full: keep the rest, renumbering their request indexes, until results free slots.
    const rest = this.queue.subarray(accepted * PROBE_REC, this.queued * PROBE_REC);
    const requests: Buffer[] = [];
    for (let i = 0; i < this.queued - accepted; i++) {
      const at = i * PROBE_REC + 20;
      const idx = rest.readInt32LE(at);
      if (idx >= 0) {
        rest.writeInt32LE(requests.length, at);
        requests.push(this.requests[idx]!);
      }
    }
    rest.copy(this.queue, 0);
    this.queued -= accepted;
    this.requests = requests;
  }

  private onResults(records: Buffer, data: Buffer): void {
    for (let off = 0; off + RESULT_REC <= records.length; off += RESULT_REC) {
      const id = records.readUInt32LE(off);
      const resolve = this.waiting.get(id);
      if (resolve === undefined) continue;
      this.waiting.delete(id);
      const dataOffset = records.readUInt32LE(off + 12);
      const dataLength = records.readUInt32LE(off + 16);
      const connectUs = records.readUInt32LE(off + 20);
      resolve({
        status: records[off + 4] as NativeStatus,
        phase: records[off + 5] ?? 0,
        errno: records.readInt32LE(off + 8),
        data: data.subarray(dataOffset, dataOffset + dataLength),
        connectUs: connectUs === 0xffffffff ? undefined : connectUs,
        totalUs: records.readUInt32LE(off + 24),
      });
    }
    // Slots were freed: hand C what was waiting for them.
    if (this.queued > 0) this.scheduleFlush();
  }
}

export type NativeProberLoad = { readonly ok: true; readonly prober: NativeProber; readonly nofile: { before: number; after: number } } | { readonly ok: false; readonly error: string };

let shared: NativeProberLoad | undefined;

/**
 * The process's prober, made on first call: loads the addon, raises RLIMIT_NOFILE's soft limit to
 * the hard one (each probe in flight holds an fd), and creates the prober. The result is kept, so a
 * missing addon is found once. HALO_CHECK_PROBER=node turns the native path off.
 */
export function nativeProber(): NativeProberLoad {
  if (shared) return shared;
  if (process.env.HALO_CHECK_PROBER === 'node') {
    shared = { ok: false, error: 'Native prober turned off: HALO_CHECK_PROBER=node' };
    return shared;
  }
  const load = loadAddon();
  if (!load.ok) {
    shared = { ok: false, error: load.error };
    return shared;
  }
  const addon = load.addon as unknown as Partial<ProberAddon>;
  if (typeof addon.proberCreate !== 'function' || typeof addon.raiseNofile !== 'function') {
    shared = { ok: false, error: 'Cannot use the native prober: the addon is older than this halo (run npm ci or node scripts/build-native.mjs)' };
    return shared;
  }
  try {
    const nofile = addon.raiseNofile();
    shared = { ok: true, prober: new NativeProber(addon as ProberAddon), nofile };
  } catch (err) {
    shared = { ok: false, error: `Cannot create the native prober: ${messageOf(err)}` };
  }
  return shared;
}

/**
 * What the checker process says once at start about its probe path: nothing when the native
 * prober runs with enough file descriptors for `checks` probes in flight; otherwise one warning
 * (the Node fallback, or an fd limit that stays below what the checks can need).
 */
export function nativeProberNotice(checks: number): { readonly code: 'HALO_NET_NATIVE_MISSING'; readonly message: string } | undefined {
  const load = nativeProber();
  if (!load.ok) return { code: 'HALO_NET_NATIVE_MISSING', message: `Checking TCP_CHECK and HTTP_GET with Node sockets (slower, about 10 times the CPU per check): ${load.error}` };
  const need = Math.min(checks, NATIVE_MAX_IN_FLIGHT) + 1024;
  if (load.nofile.after >= 0 && load.nofile.after < need) {
    return { code: 'HALO_NET_NATIVE_MISSING', message: `Checks may fail with EMFILE: the fd limit is ${load.nofile.after} (raised from ${load.nofile.before}, the hard limit), ${checks} checks can need ${need}` };
  }
  return undefined;
}
