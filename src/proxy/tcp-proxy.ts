/**
 * The L4 TCP proxy (nginx `stream { proxy_pass }`, or a keepalived `virtual_server` when the
 * kernel has no IPVS). Client sockets are accepted paused, so that nothing is read before a
 * backend is connected and a failed connect can go to the next backend (nginx stream
 * `proxy_next_upstream` on by default, `proxy_connect_timeout` 60s). Bytes then flow both ways
 * with backpressure; a FIN from one side is passed on as a FIN (half-close) while the other
 * direction keeps going; `proxy_timeout` (idle, 10m) closes a silent pair.
 *
 * Once both sockets are connected and nothing of either went through JavaScript, the pair is
 * handed to the native splice relay (src/proxy/native-relay.ts, native/relay.c), which moves the
 * bytes in the kernel with the same half-close, backpressure and idle rules and reports when the
 * pair ends; Node keeps owning the sockets and destroys them then. Without the addon, with a full
 * relay table, or with HALO_L4_RELAY=off, the bytes are piped here in JavaScript as before.
 */
import net from 'node:net';
import type { BackendSpec, ProxyCounters, ServiceSpec } from './types.js';
import { newCounters } from './types.js';
import type { Ticker, UpstreamPool } from './upstream.js';
import type { ProxyLog } from './http-proxy.js';
import { processRelay, relayDisabledByEnv, socketFd, untouched, RelayReason, type NativeRelay, type RelayReport } from './native-relay.js';

export interface TcpProxyDeps {
  readonly ticker: Ticker;
  readonly counters?: ProxyCounters;
  readonly log?: ProxyLog;
  /** false keeps the bytes in JavaScript; default: the native relay when it loads. */
  readonly nativeRelay?: boolean;
}

/** Logged once per process: the relay is missing. */
let relayMissingLogged = false;

export class TcpService {
  readonly server: net.Server;
  readonly counters: ProxyCounters;
  readonly pairs = new Set<TcpPair>();
  pools: ReadonlyMap<string, UpstreamPool>;
  /** The process's native relay while this service uses it. */
  relay: NativeRelay | undefined;
  /** Pairs that went to the native relay / stayed in JavaScript (for tests and stats). */
  relayedPairs = 0;
  jsPairs = 0;

  constructor(
    public spec: ServiceSpec,
    pools: ReadonlyMap<string, UpstreamPool>,
    readonly deps: TcpProxyDeps,
  ) {
    this.pools = pools;
    this.counters = deps.counters ?? newCounters();
    this.server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, (sock) => this.accept(sock));
    this.server.maxConnections = spec.limits.maxClientConns;
    if (deps.nativeRelay !== false && !relayDisabledByEnv()) {
      const r = processRelay();
      if (r.ok) {
        this.relay = r.relay;
        r.relay.acquire();
      } else if (!relayMissingLogged) {
        relayMissingLogged = true;
        deps.log?.('warn', 'HALO_RELAY_UNAVAILABLE', r.error);
      }
    }
  }

  /** The relay would not take a pair: logged once per service. */
  private relayFailLogged = false;
  relayFailed(error: string, full: boolean): void {
    if (this.relayFailLogged) return;
    this.relayFailLogged = true;
    this.deps.log?.('warn', full ? 'HALO_RELAY_FULL' : 'HALO_RELAY_START', `${error}: this and later such connections of service ${this.spec.name} go through JavaScript`);
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host: this.spec.listenAddress, port: this.spec.listenPort, exclusive: false, ipv6Only: this.spec.listenAddress.includes(':') && this.spec.ipv6Only !== false }, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  port(): number {
    const a = this.server.address();
    return typeof a === 'object' && a !== null ? a.port : this.spec.listenPort;
  }

  private accept(sock: net.Socket): void {
    this.counters.clientConns++;
    const pool = this.pools.get(this.spec.pool);
    if (pool === undefined) {
      sock.destroy();
      return;
    }
    const pair = new TcpPair(this, pool, sock);
    this.pairs.add(pair);
    this.deps.ticker.add(pair);
    pair.connectNext();
  }

  removed(p: TcpPair): void {
    this.pairs.delete(p);
    this.deps.ticker.delete(p);
  }

  /** Stops accepting; established pairs run to their end (the caller bounds the wait). */
  drain(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Closes the listener and every pair (relayed pairs end when the relay reports, within milliseconds). */
  destroy(): void {
    this.server.close();
    for (const p of this.pairs) p.destroy();
    const r = this.relay;
    this.relay = undefined;
    r?.release();
  }
}

class TcpPair {
  private up: net.Socket | undefined;
  private backend: BackendSpec | undefined;
  private readonly tried = new Set<string>();
  private attempts = 0;
  private connected = false;
  private connectStartMs = 0;
  private active = false;
  private lastMs: number;
  private closed = false;
  private clientClosed = false;
  private upClosed = false;
  /** Set while the native relay moves this pair's bytes. */
  private relayId: number | undefined;
  private relay: NativeRelay | undefined;
  private relayedIn = 0;
  private relayedOut = 0;

  constructor(
    private readonly svc: TcpService,
    private readonly pool: UpstreamPool,
    private readonly client: net.Socket,
  ) {
    this.lastMs = svc.deps.ticker.nowMs;
    client.on('error', () => undefined);
    client.on('close', (hadError) => {
      this.clientClosed = true;
      // a clean close lets bytes still queued for the backend go out first
      if (hadError || !this.connected) this.destroy();
      else if (this.upClosed) this.destroy();
      else this.up?.end();
    });
  }

  tick(nowMs: number): void {
    if (this.active) {
      this.active = false;
      this.lastMs = nowMs;
    }
    const t = this.svc.spec.timeouts;
    if (!this.connected && this.up !== undefined) {
      if (nowMs - this.connectStartMs > t.connectMs) this.failAttempt();
    } else if (this.connected && this.relayId === undefined && nowMs - this.lastMs > t.idleMs) {
      this.destroy();
    }
  }

  connectNext(): void {
    if (this.closed) return;
    const retry = this.svc.spec.retry;
    const now = this.svc.deps.ticker.refresh();
    const maxTries = retry.tries > 0 ? retry.tries : Infinity;
    const b =
      this.attempts < maxTries && (this.attempts === 0 || retry.conditions.length > 0)
        ? this.pool.pick({ clientIp: this.client.remoteAddress ?? '', exclude: this.tried, nowMs: now })
        : undefined;
    if (b === undefined) {
      if (this.attempts === 0) {
        this.svc.counters.noLiveUpstreams++;
        this.svc.deps.log?.('error', 'HALO_PRX_NO_LIVE_UPSTREAMS', `No live upstreams in pool ${this.pool.spec.name}: closing the client connection`);
      }
      this.destroy();
      return;
    }
    this.attempts++;
    if (this.attempts > 1) this.svc.counters.retries++;
    this.svc.counters.upstreamConnects++;
    this.tried.add(b.id);
    this.backend = b;
    this.connectStartMs = now;
    const up = net.connect({ host: b.address, port: b.port, allowHalfOpen: true, noDelay: true });
    this.up = up;
    up.on('error', () => undefined);
    up.once('connect', () => this.onConnected(up));
    up.on('close', (hadError) => {
      if (this.up !== up) return;
      if (!this.connected) {
        this.failAttempt();
        return;
      }
      this.upClosed = true;
      if (hadError || this.clientClosed) this.destroy();
      else this.client.end();
    });
  }

  private failAttempt(): void {
    const up = this.up;
    this.up = undefined;
    up?.destroy();
    if (this.backend !== undefined) {
      this.svc.deps.log?.('warn', 'HALO_PRX_UPSTREAM_FAILED', `Cannot connect to upstream ${this.backend.id}`);
      this.pool.release(this.backend.id, true, this.svc.deps.ticker.refresh());
      this.backend = undefined;
    }
    this.connectNext();
  }

  private onConnected(up: net.Socket): void {
    if (this.closed) {
      up.destroy();
      return;
    }
    // Node reads a connected socket right after 'connect' unless it is paused; the client was
    // accepted paused. Nothing read yet means the pair can go to the native relay.
    up.pause();
    this.connected = true;
    this.active = true;
    if (this.svc.relay !== undefined && this.toRelay(this.svc.relay, up)) {
      this.svc.relayedPairs++;
      return;
    }
    this.svc.jsPairs++;
    const c = this.client;
    const counters = this.svc.counters;
    c.on('data', (d: Buffer) => {
      this.active = true;
      counters.bytesIn += d.length;
      if (!up.write(d)) c.pause();
    });
    up.on('data', (d: Buffer) => {
      this.active = true;
      counters.bytesOut += d.length;
      if (!c.write(d)) up.pause();
    });
    up.on('drain', () => c.resume());
    c.on('drain', () => up.resume());
    // half-close: a FIN is passed on as a FIN, the other direction keeps flowing
    c.on('end', () => up.end());
    up.on('end', () => c.end());
    c.resume();
    up.resume();
  }

  private toRelay(relay: NativeRelay, up: net.Socket): boolean {
    const cfd = socketFd(this.client);
    const ufd = socketFd(up);
    if (cfd === undefined || ufd === undefined || !untouched(this.client) || !untouched(up)) return false;
    const r = relay.add(
      cfd,
      ufd,
      this.svc.spec.timeouts.idleMs,
      (rep) => this.onRelayDone(rep),
      (bytesIn, bytesOut) => this.countRelayed(bytesIn, bytesOut),
    );
    if (!r.ok) {
      this.svc.relayFailed(r.error, r.full);
      return false;
    }
    this.relayId = r.id;
    this.relay = relay;
    return true;
  }

  /** Byte totals of a relayed pair so far: the counters move while a long transfer lives. */
  private countRelayed(bytesIn: number, bytesOut: number): void {
    const counters = this.svc.counters;
    counters.bytesIn += bytesIn - this.relayedIn;
    counters.bytesOut += bytesOut - this.relayedOut;
    this.relayedIn = bytesIn;
    this.relayedOut = bytesOut;
  }

  /** The relay let go of both fds: count its bytes, then Node closes the sockets. */
  private onRelayDone(rep: RelayReport): void {
    this.relayId = undefined;
    this.relay = undefined;
    this.countRelayed(rep.bytesIn, rep.bytesOut);
    if (rep.reason === RelayReason.Error) {
      // as on the JavaScript path a reset ends both sides at once
      this.client.resetAndDestroy();
      up(this.up)?.resetAndDestroy();
    }
    this.destroy();
  }

  destroy(): void {
    if (this.closed) return;
    if (this.relayId !== undefined) {
      // the relay still uses the fds: ask it to end; the report destroys the sockets
      this.relay?.stop(this.relayId);
      return;
    }
    this.closed = true;
    if (this.backend !== undefined) this.pool.release(this.backend.id, false, this.svc.deps.ticker.refresh());
    this.backend = undefined;
    this.up?.destroy();
    this.client.destroy();
    this.svc.removed(this);
  }
}

function up(s: net.Socket | undefined): net.Socket | undefined {
  return s !== undefined && !s.destroyed ? s : undefined;
}
