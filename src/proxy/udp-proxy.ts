/**
 * The L4 UDP proxy (nginx stream `listen ... udp`, LVS UDP services). A session is one client
 * address:port; it gets its own connected socket to the backend it was given, so replies find
 * their way back. Sessions end after `timeouts.idleMs` of silence (nginx `proxy_timeout`), and the
 * table is bounded (`limits.maxUdpSessions`): datagrams from new clients beyond it are dropped and
 * counted. A backend that answers with ICMP port unreachable (ECONNREFUSED on the connected
 * socket) counts as a failure for passive health and ends the session.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { BackendSpec, ProxyCounters, ServiceSpec } from './types.js';
import { newCounters } from './types.js';
import type { Ticker, UpstreamPool } from './upstream.js';
import type { ProxyLog } from './http-proxy.js';

export interface UdpProxyDeps {
  readonly ticker: Ticker;
  readonly counters?: ProxyCounters;
  readonly log?: ProxyLog;
}

interface Session {
  readonly key: string;
  readonly clientAddress: string;
  readonly clientPort: number;
  readonly backend: BackendSpec;
  readonly pool: UpstreamPool;
  readonly sock: dgram.Socket;
  ready: boolean;
  /** Datagrams waiting for the connect of the session socket (bounded). */
  queue: Buffer[];
  active: boolean;
  lastMs: number;
  failed: boolean;
}

const QUEUE_MAX = 64;

export class UdpService {
  readonly socket: dgram.Socket;
  readonly counters: ProxyCounters;
  private readonly sessions = new Map<string, Session>();
  pools: ReadonlyMap<string, UpstreamPool>;
  private closed = false;

  constructor(
    public spec: ServiceSpec,
    pools: ReadonlyMap<string, UpstreamPool>,
    readonly deps: UdpProxyDeps,
  ) {
    this.pools = pools;
    this.counters = deps.counters ?? newCounters();
    // nginx's ipv6only=on default: `listen [::]:53 udp` takes IPv6 datagrams only, so a `listen 53 udp`
    // beside it binds its own IPv4 socket instead of failing or sharing
    const v6 = net.isIPv6(spec.listenAddress);
    this.socket = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', reuseAddr: true, ...(v6 ? { ipv6Only: spec.ipv6Only !== false } : {}) });
    this.socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
    this.socket.on('error', (e) => this.deps.log?.('error', 'HALO_PRX_LISTEN_FAILED', `UDP service ${spec.name}: ${e.message}`));
    deps.ticker.add(this);
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.bind({ address: this.spec.listenAddress, port: this.spec.listenPort, exclusive: false }, () => {
        this.socket.off('error', reject);
        resolve();
      });
    });
  }

  port(): number {
    return this.socket.address().port;
  }

  sessionCount(): number {
    return this.sessions.size;
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const key = `${rinfo.address}|${rinfo.port}`;
    let s = this.sessions.get(key);
    if (s === undefined) {
      if (this.sessions.size >= this.spec.limits.maxUdpSessions) {
        this.counters.udpDropped++;
        return;
      }
      const created = this.newSession(key, rinfo);
      if (created === undefined) {
        this.counters.udpDropped++;
        return;
      }
      s = created;
    }
    s.active = true;
    this.counters.bytesIn += msg.length;
    if (s.ready) s.sock.send(msg);
    else if (s.queue.length < QUEUE_MAX) s.queue.push(msg);
    else this.counters.udpDropped++;
  }

  private newSession(key: string, rinfo: dgram.RemoteInfo): Session | undefined {
    const pool = this.pools.get(this.spec.pool);
    if (pool === undefined) return undefined;
    const now = this.deps.ticker.refresh();
    const b = pool.pick({ clientIp: rinfo.address, exclude: new Set(), nowMs: now });
    if (b === undefined) {
      this.counters.noLiveUpstreams++;
      return undefined;
    }
    const sock = dgram.createSocket(net.isIPv6(b.address) ? 'udp6' : 'udp4');
    const s: Session = { key, clientAddress: rinfo.address, clientPort: rinfo.port, backend: b, pool, sock, ready: false, queue: [], active: true, lastMs: now, failed: false };
    this.sessions.set(key, s);
    this.counters.udpSessions++;
    sock.on('message', (reply) => {
      s.active = true;
      this.counters.bytesOut += reply.length;
      this.socket.send(reply, s.clientPort, s.clientAddress);
    });
    sock.on('error', () => {
      // ECONNREFUSED: the backend's host answered port unreachable
      s.failed = true;
      this.end(s);
    });
    sock.connect(b.port, b.address, () => {
      s.ready = true;
      for (const m of s.queue) sock.send(m);
      s.queue = [];
    });
    return s;
  }

  private end(s: Session): void {
    if (this.sessions.get(s.key) !== s) return;
    this.sessions.delete(s.key);
    s.pool.release(s.backend.id, s.failed, this.deps.ticker.nowMs);
    try {
      s.sock.close();
    } catch {
      /* already closed */
    }
  }

  tick(nowMs: number): void {
    for (const s of this.sessions.values()) {
      if (s.active) {
        s.active = false;
        s.lastMs = nowMs;
      } else if (nowMs - s.lastMs > this.spec.timeouts.idleMs) {
        this.end(s);
      }
    }
  }

  drain(): Promise<void> {
    this.destroy();
    return Promise.resolve();
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.deps.ticker.delete(this);
    for (const s of [...this.sessions.values()]) this.end(s);
    this.socket.close();
  }
}
