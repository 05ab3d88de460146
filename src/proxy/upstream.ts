/**
 * A pool at run time in one worker: its picker, its passive health, and per backend a stack of
 * idle keep-alive connections (nginx `keepalive N` with `keepalive_timeout`,
 * `keepalive_requests` and `keepalive_time`). Also the coarse ticker every timeout hangs on.
 */
import net from 'node:net';
import type { Picker, PickerFactory } from '../balance/picker.js';
import { withPersistence } from '../balance/persistence.js';
import type { BackendState } from '../core/backend.js';
import type { Prng } from '../core/prng.js';
import { attachNodeSocket, nativeFront, type ProxySocket, type SocketEvents } from './native-front.js';
import { PassiveHealth } from './passive.js';
import type { BackendSpec, PoolSpec } from './types.js';

/**
 * One interval for every timeout of a worker: connections raise an activity flag on I/O (no
 * clock read, no timer re-arm on the hot path) and the tick compares. nginx's timeouts are
 * seconds, so a resolution of 100 ms is plenty.
 */
export class Ticker {
  nowMs = performance.now();
  private readonly watchers = new Set<{ tick(nowMs: number): void }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly resolutionMs = 100) {}

  add(w: { tick(nowMs: number): void }): void {
    this.watchers.add(w);
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.run(), this.resolutionMs);
      this.timer.unref();
    }
  }

  delete(w: { tick(nowMs: number): void }): void {
    this.watchers.delete(w);
  }

  /** A fresh time for decisions that need it (picks, passive health). */
  refresh(): number {
    this.nowMs = performance.now();
    return this.nowMs;
  }

  private run(): void {
    const now = this.refresh();
    for (const w of this.watchers) w.tick(now);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** Callbacks of whoever uses an upstream connection now. */
export interface UpstreamOwner {
  onUpData(d: Buffer): void;
  onUpClose(hadError: boolean, err: Error | undefined): void;
  onUpDrain(): void;
  onUpConnect(): void;
}

/**
 * One TCP connection to a backend: a slot of the native front when the addon is there, else a
 * Node socket (`pool.connect`). Its events follow whoever owns it now.
 */
export class UpstreamConn implements SocketEvents {
  owner: UpstreamOwner | undefined;
  requests = 0;
  idleSinceMs = 0;
  connected = false;
  closed = false;
  /** Set by the pool right after construction (the front needs the event target first). */
  sock!: ProxySocket;

  constructor(
    readonly backend: BackendSpec,
    readonly createdMs: number,
    private readonly pool: UpstreamPool,
  ) {}

  onConnect(): void {
    this.connected = true;
    this.owner?.onUpConnect();
  }

  onData(d: Buffer): void {
    if (this.owner !== undefined) this.owner.onUpData(d);
    else this.sock.destroy(); // an idle connection must not talk: drop it
  }

  /** The backend closed its side: close ours once written, as a Node socket without allowHalfOpen does. */
  onEnd(): void {
    this.sock.destroySoon();
  }

  onDrain(): void {
    this.owner?.onUpDrain();
  }

  onClose(err: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.pool.forget(this);
    const o = this.owner;
    this.owner = undefined;
    o?.onUpClose(err !== undefined, err);
  }

  destroy(): void {
    this.owner = undefined;
    this.sock.destroy();
  }
}

export interface PickRequest {
  readonly clientIp?: string;
  readonly hashKey?: string;
  readonly exclude: ReadonlySet<string>;
  readonly nowMs: number;
}

/** Pickers that read the client address (src/balance: nginx ip_hash, LVS sh and mh). */
const CLIENT_IP_PICKERS: ReadonlySet<string> = new Set(['ip_hash', 'sh', 'mh']);

export class UpstreamPool {
  readonly passive: PassiveHealth;
  /**
   * Whether a pick needs the client address: reading it costs a getpeername per connection,
   * which the new-connection-per-request path would pay for nothing with round robin.
   */
  readonly usesClientIp: boolean;
  private readonly picker: Picker;
  private readonly backends = new Map<string, BackendSpec>();
  private readonly idle = new Map<string, UpstreamConn[]>();
  private idleCount = 0;
  private closed = false;

  constructor(
    readonly spec: PoolSpec,
    factory: PickerFactory,
    prng: Prng,
  ) {
    // LVS persistence wraps whatever algorithm the pool names, as ipvs applies it before the scheduler
    const make = spec.persistence !== undefined ? withPersistence(factory, spec.persistence) : factory;
    this.picker = make(
      spec.backends.map((b) => ({ id: b.id, weight: b.weight, backup: b.backup, maxConns: b.maxConns })),
      { prng, flags: new Set(spec.flags) },
    );
    for (const b of spec.backends) {
      this.backends.set(b.id, b);
      if (b.down) this.picker.setAvailable(b.id, false);
    }
    this.passive = new PassiveHealth(spec.backends);
    this.usesClientIp = spec.persistence !== undefined || CLIENT_IP_PICKERS.has(spec.algorithm);
  }

  backend(id: string): BackendSpec | undefined {
    return this.backends.get(id);
  }

  /** Picks a backend for one attempt; the caller must call `release` once the attempt ends. */
  pick(req: PickRequest): BackendSpec | undefined {
    const out = this.passive.unavailable(req.nowMs);
    let exclude: ReadonlySet<string> = req.exclude;
    if (out !== undefined) {
      for (const id of req.exclude) out.add(id);
      exclude = out;
    }
    const ctx = { nowMs: req.nowMs, exclude, ...(req.clientIp !== undefined ? { clientIp: req.clientIp } : {}), ...(req.hashKey !== undefined ? { hashKey: req.hashKey } : {}) };
    const id = this.picker.pick(ctx);
    if (id === undefined) return undefined;
    const b = this.backends.get(id);
    if (b === undefined) return undefined;
    this.passive.picked(id, req.nowMs);
    this.picker.connectionOpened(id);
    return b;
  }

  release(id: string, failed: boolean, nowMs: number): void {
    this.picker.connectionClosed(id);
    this.passive.finished(id, failed, nowMs);
  }

  /** Health and admin state from checks and the API: only `ready` and not `down` takes traffic. */
  applyState(s: BackendState): void {
    if (!this.backends.has(s.id)) return;
    const spec = this.backends.get(s.id);
    this.picker.setAvailable(s.id, s.health !== 'down' && s.admin === 'ready' && spec?.down !== true);
    this.picker.setWeight(s.id, s.effectiveWeight);
  }

  connect(b: BackendSpec, nowMs: number): UpstreamConn {
    const c = new UpstreamConn(b, nowMs, this);
    const native = nativeFront()?.connect(b.address, b.port, c);
    if (native !== undefined) {
      c.sock = native;
    } else {
      // no addon, HALO_PROXY_FRONT=node, or an address the front does not take (a host name)
      const sock = net.connect({ host: b.address, port: b.port, noDelay: true });
      attachNodeSocket(sock, c);
      c.sock = sock;
    }
    return c;
  }

  /** A kept connection to `id`, most recently used first (warm). */
  takeIdle(id: string): UpstreamConn | undefined {
    const stack = this.idle.get(id);
    const c = stack?.pop();
    if (c !== undefined) this.idleCount--;
    return c;
  }

  /** Keeps `c` for reuse when the pool's keepalive allows it, else closes it. */
  putIdle(c: UpstreamConn, nowMs: number): void {
    const ka = this.spec.keepalive;
    if (this.closed || c.closed || ka.maxIdle === 0 || c.requests >= ka.maxRequests || nowMs - c.createdMs >= ka.maxLifetimeMs) {
      c.destroy();
      return;
    }
    let stack = this.idle.get(c.backend.id);
    if (stack === undefined) {
      stack = [];
      this.idle.set(c.backend.id, stack);
    }
    if (stack.length >= ka.maxIdle) {
      // nginx closes the least recently used connection when the cache is full.
      stack.shift()?.destroy();
      this.idleCount--;
    }
    c.owner = undefined;
    c.idleSinceMs = nowMs;
    stack.push(c);
    this.idleCount++;
  }

  /** Called when an idle connection closes by itself. */
  forget(c: UpstreamConn): void {
    const stack = this.idle.get(c.backend.id);
    if (stack === undefined) return;
    const i = stack.indexOf(c);
    if (i >= 0) {
      stack.splice(i, 1);
      this.idleCount--;
    }
  }

  tick(nowMs: number): void {
    if (this.idleCount === 0) return;
    const ka = this.spec.keepalive;
    for (const stack of this.idle.values()) {
      while (stack.length > 0) {
        const oldest = stack[0];
        if (oldest === undefined || nowMs - oldest.idleSinceMs < ka.idleTimeoutMs) break;
        stack.shift();
        this.idleCount--;
        oldest.destroy();
      }
    }
  }

  idleConnections(): number {
    return this.idleCount;
  }

  close(): void {
    this.closed = true;
    for (const stack of this.idle.values()) for (const c of stack) c.destroy();
    this.idle.clear();
    this.idleCount = 0;
  }
}
