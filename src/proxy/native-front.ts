/**
 * The socket front of the HTTP proxy: client connections (accepted) and backend connections
 * (opened) held by halo's addon (native/front.c) instead of one Node socket each. A connection
 * then costs an array slot and an fd, not a JS stream object, a libuv handle and a C++ wrap that
 * only the garbage collector frees (docs/architecture.md, "The socket front"). The listening socket stays a Node server (binding,
 * cluster sharing, errors, close); the front only accepts on it.
 *
 * `HALO_PROXY_FRONT=node` in the environment keeps every connection on Node sockets, as does a
 * machine without the addon, and a backend given by host name. Connections Node accepted before
 * the front took the listener over are served on Node sockets too: both kinds go through the same
 * proxy code.
 */
import type net from 'node:net';
import { errnoName, loadAddon } from '../net/linux/native.js';
import { socketFd } from './native-relay.js';

/** What the HTTP proxy needs of a connection; a net.Socket has all of it. */
export interface ProxySocket {
  write(b: Buffer | string): boolean;
  end(): unknown;
  end(b: Buffer | string): unknown;
  destroy(): unknown;
  /** Close once every queued byte is written. */
  destroySoon(): void;
  pause(): unknown;
  resume(): unknown;
  isPaused(): boolean;
  setNoDelay(on?: boolean): unknown;
  cork(): void;
  uncork(): void;
  readonly writableLength: number;
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
}

/** The events of a connection (a client's or a backend's), as the proxy handles them. */
export interface SocketEvents {
  onData(d: Buffer): void;
  /** The peer sent its FIN. */
  onEnd(): void;
  /** Everything written went to the kernel (after a write that returned false). */
  onDrain(): void;
  /** The connection is gone; `err` when it broke (a reset, a failed connect: `code` is the errno name). */
  onClose(err: Error | undefined): void;
  /** An outgoing connection is up. */
  onConnect?(): void;
}

/** Wires a Node socket's events to a handler. */
export function attachNodeSocket(sock: net.Socket, h: SocketEvents): void {
  let err: Error | undefined;
  sock.on('data', (d: Buffer) => h.onData(d));
  sock.on('end', () => h.onEnd());
  sock.on('drain', () => h.onDrain());
  sock.on('error', (e) => (err = e)); // 'close' follows, and is where the connection ends
  sock.on('close', () => h.onClose(err));
  if (h.onConnect !== undefined) sock.on('connect', () => h.onConnect?.());
}

type FrontHandle = { readonly __brand: 'halo.front' };
interface FrontAddon {
  frontOpen(onEvents: (records: Buffer, data: Buffer) => void, maxConnections: number): FrontHandle;
  frontListen(h: FrontHandle, fd: number): number;
  frontUnlisten(h: FrontHandle, fd: number): number;
  frontWrite(h: FrontHandle, slot: number, b: Buffer): number;
  frontEnd(h: FrontHandle, slot: number): number;
  frontCloseConn(h: FrontHandle, slot: number, afterFlush: boolean): number;
  frontRead(h: FrontHandle, slot: number, on: boolean): number;
  frontNoDelay(h: FrontHandle, slot: number): void;
  frontPeer(h: FrontHandle, slot: number): [string, number] | null;
  frontStats(h: FrontHandle): FrontStats;
  frontConnect(h: FrontHandle, ip: string, port: number): number;
}

export interface FrontStats {
  readonly open: number;
  readonly accepted: number;
  /** Outgoing connections opened (frontConnect). */
  readonly connects: number;
  readonly queuedBytes: number;
  readonly listeners: number;
}

const REC = 16;
/** An Error like Node's socket errors: `code` is the errno name. */
function errnoError(errno: number): Error {
  const code = errnoName(errno);
  return Object.assign(new Error(code), { code, errno: -errno });
}
const enum Ev {
  Accept = 1,
  Data = 2,
  Eof = 3,
  Drain = 4,
  Error = 5,
  Closed = 6,
  Connect = 7,
}
/** frontEnd: the FIN went out and the peer's was already in, so the slot is closed. */
const END_CLOSED = 2;
const ENOENT = 2;
/** Turns to wait for libuv to register a new listener before the front can take it over. */
const TAKEOVER_TRIES = 20;

class FrontSocket implements ProxySocket {
  handler: SocketEvents | undefined;
  private queued = 0;
  private closed = false;
  private reading = true;
  private corked: Buffer[] | undefined;
  private corkedBytes = 0;
  private peer: [string, number] | null | undefined;

  constructor(
    private readonly front: Front,
    readonly slot: number,
  ) {}

  get writableLength(): number {
    return this.queued + this.corkedBytes;
  }

  get remoteAddress(): string | undefined {
    return this.peerInfo()?.[0];
  }

  get remotePort(): number | undefined {
    return this.peerInfo()?.[1];
  }

  private peerInfo(): [string, number] | null {
    if (this.peer === undefined) this.peer = this.closed ? null : this.front.addon.frontPeer(this.front.handle, this.slot);
    return this.peer;
  }

  write(b: Buffer | string): boolean {
    if (this.closed) return false;
    const buf = typeof b === 'string' ? Buffer.from(b, 'latin1') : b;
    if (this.corked !== undefined) {
      this.corked.push(buf);
      this.corkedBytes += buf.length;
      return true;
    }
    const r = this.front.addon.frontWrite(this.front.handle, this.slot, buf);
    if (r < 0) {
      this.gone();
      return false;
    }
    this.queued = r;
    // false while anything waits in the front: a DRAIN event comes when it is all written
    return r === 0;
  }

  end(b?: Buffer | string): void {
    if (b !== undefined) this.write(b);
    this.uncork(); // as Node's end() does
    if (this.closed) return;
    if (this.front.addon.frontEnd(this.front.handle, this.slot) === END_CLOSED) this.gone();
  }

  destroySoon(): void {
    this.uncork();
    if (this.closed) return;
    // closed now (1), or a CLOSED event once the queue is written (0)
    if (this.front.addon.frontCloseConn(this.front.handle, this.slot, true) === 1) this.closedHere();
  }

  destroy(): void {
    if (this.closed) return;
    this.front.addon.frontCloseConn(this.front.handle, this.slot, false);
    this.closedHere();
  }

  pause(): void {
    this.reading = false;
    if (!this.closed && this.front.addon.frontRead(this.front.handle, this.slot, false) < 0) this.destroy();
  }

  resume(): void {
    this.reading = true;
    if (!this.closed && this.front.addon.frontRead(this.front.handle, this.slot, true) < 0) this.destroy();
  }

  isPaused(): boolean {
    return !this.reading;
  }

  setNoDelay(): void {
    if (!this.closed) this.front.addon.frontNoDelay(this.front.handle, this.slot);
  }

  cork(): void {
    this.corked ??= [];
  }

  uncork(): void {
    const parts = this.corked;
    this.corked = undefined;
    this.corkedBytes = 0;
    if (parts !== undefined && parts.length > 0) this.write(parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts));
  }

  // ---- from the front ----

  drained(): void {
    this.queued = 0;
    this.handler?.onDrain();
  }

  /** The front closed the slot (CLOSED event): only the handler is left to tell. */
  closedThere(): void {
    this.closed = true;
    this.front.forget(this);
    this.handler?.onClose(undefined);
  }

  /** The connection broke (ERROR event): close the slot, then tell the handler why. */
  failed(errno: number): void {
    if (this.closed) return;
    this.front.addon.frontCloseConn(this.front.handle, this.slot, false);
    this.closed = true;
    this.front.forget(this);
    this.handler?.onClose(errnoError(errno));
  }

  /** A call found the connection closed by the front: tell the handler after the caller returns. */
  private gone(): void {
    if (this.closed) return;
    this.closed = true;
    this.front.forget(this);
    process.nextTick(() => this.handler?.onClose(undefined));
  }

  /** Closed by halo: Node emits 'close' after the call returns, and so does the front. */
  private closedHere(): void {
    this.closed = true;
    this.front.forget(this);
    process.nextTick(() => this.handler?.onClose(undefined));
  }
}

class Front {
  private readonly socks: Array<FrontSocket | undefined> = [];
  private readonly listeners = new Map<number, (s: FrontSocket) => void>();

  readonly handle: FrontHandle;

  constructor(readonly addon: FrontAddon) {
    this.handle = addon.frontOpen((rec, data) => this.onEvents(rec, data), 0);
  }

  onEvents(rec: Buffer, data: Buffer): void {
    for (let o = 0; o + REC <= rec.length; o += REC) {
      const kind = rec[o] as Ev;
      const slot = rec.readUInt32LE(o + 4);
      const a = rec.readUInt32LE(o + 8);
      switch (kind) {
        case Ev.Accept: {
          const s = new FrontSocket(this, slot);
          this.socks[slot] = s;
          const onConn = this.listeners.get(a);
          if (onConn !== undefined) onConn(s);
          else s.destroy();
          break;
        }
        case Ev.Data:
          this.socks[slot]?.handler?.onData(data.subarray(a, a + rec.readUInt32LE(o + 12)));
          break;
        case Ev.Eof:
          this.socks[slot]?.handler?.onEnd();
          break;
        case Ev.Drain:
          this.socks[slot]?.drained();
          break;
        case Ev.Error:
          this.socks[slot]?.failed(a);
          break;
        case Ev.Connect:
          this.socks[slot]?.handler?.onConnect?.();
          break;
        case Ev.Closed:
          this.socks[slot]?.closedThere();
          break;
        default:
          break;
      }
    }
  }

  /** A connection to a backend, or undefined when the front cannot open one (the caller uses Node). */
  connect(ip: string, port: number, events: SocketEvents): FrontSocket | undefined {
    const slot = this.addon.frontConnect(this.handle, ip, port);
    if (slot < 0) return undefined;
    const s = new FrontSocket(this, slot);
    s.handler = events;
    this.socks[slot] = s;
    return s;
  }

  forget(s: FrontSocket): void {
    if (this.socks[s.slot] === s) this.socks[s.slot] = undefined;
  }

  /**
   * Takes over accepting on a listening Node server. libuv registers a new listener on its next
   * poll, so the takeover waits for that (a few loop turns at most); connections Node accepts
   * before then take the Node-socket path. Resolves with the fd taken, or undefined.
   */
  async takeOver(server: net.Server, onConn: (s: FrontSocket) => void): Promise<number | undefined> {
    const fd = socketFd(server);
    if (fd === undefined) return undefined;
    for (let i = 0; i < TAKEOVER_TRIES; i++) {
      await new Promise((r) => setImmediate(r));
      if (!server.listening) return undefined;
      const rc = this.addon.frontListen(this.handle, fd);
      if (rc === 0) {
        this.listeners.set(fd, onConn);
        return fd;
      }
      if (rc !== -ENOENT) return undefined;
    }
    return undefined;
  }

  /** Stops accepting on `fd`; call before Node closes the server. */
  release(fd: number): void {
    if (this.listeners.delete(fd)) this.addon.frontUnlisten(this.handle, fd);
  }

  stats(): FrontStats {
    return this.addon.frontStats(this.handle);
  }
}

let front: Front | null | undefined;

/** The process's socket front, or null when the addon is missing or HALO_PROXY_FRONT=node. */
export function nativeFront(): Front | null {
  if (front !== undefined) return front;
  front = null;
  if (process.env['HALO_PROXY_FRONT'] === 'node') return front;
  const a = loadAddon();
  if (!a.ok) return front;
  const addon = a.addon as unknown as Partial<FrontAddon>;
  if (typeof addon.frontOpen !== 'function') return front;
  front = new Front(addon as FrontAddon);
  return front;
}

export type { Front, FrontSocket };
