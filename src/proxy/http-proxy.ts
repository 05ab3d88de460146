/**
 * The L7 HTTP/1.1 proxy on raw `node:net` sockets with halo's own parser (./http1.ts).
 *
 * One client connection runs one exchange at a time (pipelined requests wait in its buffer).
 * Bodies are streamed, never re-framed: chunked bytes pass through as they came, after the
 * framer has checked them. Heads are rebuilt only when they must change, so the common response
 * goes to the client in the very write it came in. Every timeout hangs on the worker's Ticker.
 *
 * nginx behaviours followed: the timeout defaults, `proxy_next_upstream` (see ./passive.ts),
 * "no live upstreams" as 502, 504 on an upstream timeout, 408 on a slow client head, 413 for
 * `client_max_body_size`, `proxy_set_header` templates, `proxy_pass` with a URI part replacing the
 * matched location prefix, and upstream keep-alive with idle and request caps.
 */
import net from 'node:net';
import { attachNodeSocket, nativeFront, type FrontSocket, type ProxySocket, type SocketEvents } from './native-front.js';
import type { Prng } from '../core/prng.js';
import type { ErrorCode } from '../core/errors/index.js';
import type { PickerFactory } from '../balance/picker.js';
import {
  BodyFramer,
  HOP_BY_HOP,
  REJECT_STATUS,
  parseRequestHead,
  parseResponseHead,
  responseFraming,
  type BodyLimits,
  type HeadLimits,
  type RejectReason,
  type RequestHead,
  type ResponseHead,
} from './http1.js';
import { countsAsFailure, failureStatus, shouldRetry, type Outcome } from './passive.js';
import { UpstreamPool, type Ticker, type UpstreamConn, type UpstreamOwner } from './upstream.js';
import { newCounters, type BackendSpec, type PoolSpec, type ProxyCounters, type RetryPolicy, type Route, type RouteSettings, type ServiceSpec } from './types.js';
import { compileRoutes, findRoute, type RouteTable } from './routes.js';
import { compileServerNames, findServer, type ServerNameTable } from './server-names.js';

export type PickerRegistry = (algorithm: string) => PickerFactory | undefined;

/** Log lines carry a catalogued code (src/core/errors/proxy.ts). */
export interface ProxyLog {
  (level: 'info' | 'warn' | 'error', code: ErrorCode, message: string): void;
}

export interface HttpProxyDeps {
  readonly ticker: Ticker;
  readonly counters?: ProxyCounters;
  readonly log?: ProxyLog;
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  405: 'Not Allowed',
  408: 'Request Time-out',
  411: 'Length Required',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Large',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Temporarily Unavailable',
  504: 'Gateway Time-out',
  505: 'HTTP Version Not Supported',
};

function errorResponse(status: number, keepAlive: boolean): string {
  const text = STATUS_TEXT[status] ?? 'Error';
  const body = `<html>\r\n<head><title>${status} ${text}</title></head>\r\n<body>\r\n<center><h1>${status} ${text}</h1></center>\r\n<hr><center>halo</center>\r\n</body>\r\n</html>\r\n`;
  return `HTTP/1.1 ${status} ${text}\r\nContent-Type: text/html\r\nContent-Length: ${body.length}\r\nConnection: ${keepAlive ? 'keep-alive' : 'close'}\r\n\r\n${body}`;
}

/** A compiled `proxy_set_header` value: literal parts and variables. */
type TemplatePart = string | { readonly v: string };

interface CompiledHeader {
  readonly name: string;
  readonly lname: string;
  readonly parts: readonly TemplatePart[];
}

function compileTemplate(value: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  const re = /\$(?:\{([a-z_0-9]+)\}|([a-z_0-9]+))/gi;
  let last = 0;
  for (let m = re.exec(value); m !== null; m = re.exec(value)) {
    if (m.index > last) parts.push(value.slice(last, m.index));
    parts.push({ v: (m[1] ?? m[2] ?? '').toLowerCase() });
    last = m.index + m[0].length;
  }
  if (last < value.length) parts.push(value.slice(last));
  return parts;
}

interface Vars {
  readonly req: RequestHead;
  readonly remoteAddr: string;
  readonly remotePort: number;
  readonly serverPort: number;
  readonly proxyHost: string;
}

function headerValue(req: RequestHead, lname: string): string | undefined {
  for (const h of req.headers) if (h.lname === lname) return h.value;
  return undefined;
}

function expandVar(name: string, v: Vars): string {
  switch (name) {
    case 'remote_addr':
      return v.remoteAddr;
    case 'remote_port':
      return String(v.remotePort);
    case 'server_port':
      return String(v.serverPort);
    case 'scheme':
      return 'http';
    case 'proxy_host':
      return v.proxyHost;
    case 'request_uri':
      return v.req.target;
    case 'request_method':
      return v.req.method;
    case 'host': {
      const h = v.req.host ?? '';
      const i = h.startsWith('[') ? h.indexOf(']') + 1 : h.indexOf(':');
      return (i > 0 ? h.slice(0, i) : h).toLowerCase();
    }
    case 'proxy_add_x_forwarded_for': {
      const x = headerValue(v.req, 'x-forwarded-for');
      return x !== undefined ? `${x}, ${v.remoteAddr}` : v.remoteAddr;
    }
    case 'http_upgrade':
      return v.req.upgrade ?? '';
    default:
      if (name.startsWith('http_')) return headerValue(v.req, name.slice(5).replace(/_/g, '-')) ?? '';
      return '';
  }
}

const keyCache = new Map<string, TemplatePart[]>();

/** The compiled nginx `hash KEY` template of a pool (a handful per config, so the cache stays small). */
function compiledKey(template: string): TemplatePart[] {
  let c = keyCache.get(template);
  if (c === undefined) {
    if (keyCache.size > 1000) keyCache.clear();
    c = compileTemplate(template);
    keyCache.set(template, c);
  }
  return c;
}

function expand(parts: readonly TemplatePart[], v: Vars): string {
  let s = '';
  for (const p of parts) s += typeof p === 'string' ? p : expandVar(p.v, v);
  return s;
}

function routeTarget(best: Route | undefined, defaultPool: string, target: string): { pool: string; target: string } {
  if (best === undefined) return { pool: defaultPool, target };
  if (best.replaceUri === undefined || best.match === 'regex') return { pool: best.pool, target };
  return { pool: best.pool, target: best.replaceUri + target.slice(best.pathPrefix.length) };
}

/** nginx `location` matching (src/proxy/routes.ts) and `proxy_pass` URI replacement. */
export function routeRequest(routes: readonly Route[], defaultPool: string, target: string): { pool: string; target: string } {
  return routeTarget(findRoute(compileRoutes(routes), target), defaultPool, target);
}

/** The proxy settings one request runs with: the service's, or its location's. */
interface RequestSettings {
  readonly connectMs: number;
  readonly readMs: number;
  readonly sendMs: number;
  readonly retry: RetryPolicy;
  readonly setHeaders: readonly CompiledHeader[];
  readonly setHeaderNames: ReadonlySet<string>;
  readonly upstreamHttpVersion: '1.0' | '1.1';
}

function compileSettings(s: RouteSettings): RequestSettings {
  const setHeaders = s.setHeaders.map((h) => ({ name: h.name, lname: h.name.toLowerCase(), parts: compileTemplate(h.value) }));
  return {
    connectMs: s.connectMs,
    readMs: s.readMs,
    sendMs: s.sendMs,
    retry: s.retry,
    setHeaders,
    setHeaderNames: new Set(setHeaders.map((h) => h.lname)),
    upstreamHttpVersion: s.upstreamHttpVersion,
  };
}

/** A virtual host at run time. */
interface CompiledHost {
  readonly pool: string;
  readonly routes: RouteTable;
  readonly settings: RequestSettings;
}

const enum Phase {
  Idle,
  Head,
  Body, // reading the request body (the response may already be on its way)
  Await, // request sent, waiting for or streaming the response
  Tunnel,
  Closed,
}

/** The service at run time: listener, pools, compiled options. */
export class HttpService {
  readonly server: net.Server;
  readonly counters: ProxyCounters;
  headLimits!: HeadLimits;
  bodyLimits!: BodyLimits;
  /** The service's own proxy settings, and those of the routes that set their own. */
  settings!: RequestSettings;
  routeSettings!: ReadonlyMap<Route, RequestSettings>;
  routeTable!: RouteTable;
  /** The servers sharing the listen, chosen by Host (absent: one server, no lookup). */
  hosts: { readonly names: ServerNameTable; readonly list: readonly CompiledHost[] } | undefined;
  readonly conns = new Set<ClientConn>();
  pools: ReadonlyMap<string, UpstreamPool>;
  private draining = false;
  private boundPort = 0;
  /** The listening fd the client front accepts on, when it took the listener over. */
  private frontFd: number | undefined;
  /** Set while a drain waits for the last connection. */
  private onEmpty: (() => void) | undefined;

  constructor(
    public spec: ServiceSpec,
    pools: ReadonlyMap<string, UpstreamPool>,
    readonly deps: HttpProxyDeps,
  ) {
    this.pools = pools;
    this.counters = deps.counters ?? newCounters();
    // TCP_NODELAY is set per connection on its second write (writeClient), as nginx sets it when
    // a connection goes keep-alive: a one-request connection never needs the syscall.
    this.server = net.createServer({ allowHalfOpen: true }, (sock) => this.accept(sock));
    this.update(spec, pools);
  }

  /**
   * A reload that keeps the listener: new requests see the new spec and pools at once; requests
   * in flight finish on the pool they started with. No connection is refused or dropped.
   */
  update(spec: ServiceSpec, pools: ReadonlyMap<string, UpstreamPool>): void {
    this.spec = spec;
    this.pools = pools;
    const l = spec.limits;
    this.headLimits = { maxHeadBytes: l.maxHeadBytes, maxLineBytes: l.maxLineBytes, maxHeaders: l.maxHeaders };
    this.bodyLimits = { maxBodyBytes: l.maxBodyBytes, maxChunkLineBytes: 4096, maxTrailerBytes: 8192 };
    this.settings = compileSettings({ ...spec.timeouts, retry: spec.retry, setHeaders: spec.setHeaders, upstreamHttpVersion: spec.upstreamHttpVersion });
    const allRoutes = [...spec.routes, ...(spec.vhosts ?? []).flatMap((v) => v.routes)];
    this.routeSettings = new Map(allRoutes.flatMap((r) => (r.settings !== undefined ? [[r, compileSettings(r.settings)] as const] : [])));
    this.routeTable = compileRoutes(spec.routes);
    const vhosts = spec.vhosts ?? [];
    this.hosts =
      vhosts.length < 2
        ? undefined
        : {
            names: compileServerNames(vhosts.map((v) => v.names)),
            list: vhosts.map((v) => ({ pool: v.pool, routes: compileRoutes(v.routes), settings: compileSettings(v.settings) })),
          };
    this.server.maxConnections = l.maxClientConns;
  }

  listen(handle?: unknown): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      const done = (): void => {
        this.server.off('error', reject);
        resolve();
      };
      if (handle !== undefined) this.server.listen(handle as net.Server, done);
      else this.server.listen({ host: this.spec.listenAddress, port: this.spec.listenPort, exclusive: false, ipv6Only: this.spec.listenAddress.includes(':') && this.spec.ipv6Only !== false }, done);
    }).then(() => this.takeOverAccept());
  }

  /** Lets the client front accept on the listener (see ./native-front.ts); Node keeps it otherwise. */
  private async takeOverAccept(): Promise<void> {
    const f = nativeFront();
    if (f === null) return;
    this.port(); // remembered now: the server's address is what tests and logs ask for
    const fd = await f.takeOver(this.server, (s) => this.acceptFront(s));
    if (fd === undefined) return;
    if (this.draining || !this.server.listening) f.release(fd);
    else this.frontFd = fd;
  }

  private releaseFront(): void {
    if (this.frontFd === undefined) return;
    nativeFront()?.release(this.frontFd);
    this.frontFd = undefined;
  }

  port(): number {
    if (this.boundPort !== 0) return this.boundPort;
    const a = this.server.address();
    const p = typeof a === 'object' && a !== null ? a.port : this.spec.listenPort;
    this.boundPort = p;
    return p;
  }

  private accept(sock: net.Socket): void {
    attachNodeSocket(sock, this.admit(sock));
  }

  private acceptFront(s: FrontSocket): void {
    if (this.conns.size >= this.spec.limits.maxClientConns) {
      // as a Node server past maxConnections does: accepted, then closed
      s.destroy();
      return;
    }
    this.counters.frontConns++;
    s.handler = this.admit(s);
  }

  private admit(sock: ProxySocket): ClientConn {
    this.counters.clientConns++;
    const c = new ClientConn(this, sock);
    this.conns.add(c);
    this.deps.ticker.add(c);
    return c;
  }

  removed(c: ClientConn): void {
    this.conns.delete(c);
    this.deps.ticker.delete(c);
    if (this.onEmpty !== undefined) this.checkEmpty();
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /**
   * Stops accepting. Busy clients get `Connection: close` on their current response. Idle
   * keep-alive clients are closed only after DRAIN_IDLE_GRACE_MS of silence: closing them at once
   * (as nginx does) races with a request the client may be sending on that connection right then,
   * which the client then sees as a reset; a request arriving in the grace is served and answered
   * with `Connection: close` instead.
   */
  drain(): Promise<void> {
    this.draining = true;
    this.releaseFront();
    // Node's close callback counts only the connections Node accepted; the drain ends when the
    // front's are gone too
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const empty = new Promise<void>((resolve) => {
      this.onEmpty = resolve;
      this.checkEmpty();
    });
    for (const c of this.conns) c.closeIfIdle();
    return Promise.all([closed, empty]).then(() => undefined);
  }

  private checkEmpty(): void {
    if (this.conns.size === 0 && this.onEmpty !== undefined) {
      const done = this.onEmpty;
      this.onEmpty = undefined;
      done();
    }
  }

  /** Closes everything now (after a drain bound passed). */
  destroy(): void {
    this.releaseFront();
    this.server.close();
    for (const c of this.conns) c.destroy();
  }
}

/** See HttpService.drain. */
const DRAIN_IDLE_GRACE_MS = 1000;
const CONTINUE_100 = 'HTTP/1.1 100 Continue\r\n\r\n';
/** Request bytes kept to resend on a retry (nginx buffers the body; halo streams and keeps this much). */
const REPLAY_CAP_BYTES = 1024 * 1024;

/** One client connection and its current exchange. */
class ClientConn implements UpstreamOwner, SocketEvents {
  private phase: Phase = Phase.Idle;
  /** The settings of the current request (its location's, or the service's). */
  private rs: RequestSettings;
  private buf: Buffer | undefined;
  private requests = 0;
  private clientEnded = false;
  private clientActive = false;
  private upActive = false;
  private lastClientMs: number;
  private lastUpMs: number;
  private headStartMs = 0;
  private connectStartMs = 0;
  private paused = false;
  /** The peer address, read on first use: getpeername is a syscall most requests never need. */
  private peerAddr: string | undefined;
  private peerPort = 0;

  // the exchange
  private req: RequestHead | undefined;
  private reqFramer: BodyFramer | undefined;
  private reqDone = false;
  private upHead = '';
  private replay: Buffer[] = [];
  private replayBytes = 0;
  private replayable = true;
  private pool: UpstreamPool | undefined;
  private backend: BackendSpec | undefined;
  private up: UpstreamConn | undefined;
  private reused = false;
  private requestSent = false;
  private attempts = 0;
  private tried = new Set<string>();
  private startedMs = 0;
  private resBuf: Buffer | undefined;
  private res: ResponseHead | undefined;
  private resFramer: BodyFramer | undefined;
  private dechunk = false;
  private clientBytesSent = false;
  private clientKeep = true;
  /** The current (or last) request asked for the connection to close. */
  private closeAsked = false;
  /** Writes to the client so far, up to 2 (TCP_NODELAY goes on before the second). */
  private clientWrites = 0;
  private upKeep = true;
  private outcome: Outcome = { kind: 'error' };
  private upPaused = false;

  constructor(
    private readonly svc: HttpService,
    private readonly sock: ProxySocket,
  ) {
    this.rs = svc.settings;
    const now = svc.deps.ticker.nowMs;
    this.lastClientMs = now;
    this.lastUpMs = now;
  }

  private get remoteAddr(): string {
    if (this.peerAddr === undefined) {
      this.peerAddr = this.sock.remoteAddress ?? '';
      this.peerPort = this.sock.remotePort ?? 0;
    }
    return this.peerAddr;
  }

  private get remotePort(): number {
    if (this.peerAddr === undefined) void this.remoteAddr;
    return this.peerPort;
  }

  // ---- timeouts -------------------------------------------------------------------------------

  tick(nowMs: number): void {
    if (this.clientActive) {
      this.clientActive = false;
      this.lastClientMs = nowMs;
    }
    if (this.upActive) {
      this.upActive = false;
      this.lastUpMs = nowMs;
    }
    const t = this.svc.spec.timeouts;
    const rs = this.rs;
    switch (this.phase) {
      case Phase.Idle:
        if (nowMs - this.lastClientMs > (this.svc.isDraining ? Math.min(DRAIN_IDLE_GRACE_MS, t.clientKeepaliveMs) : t.clientKeepaliveMs)) this.destroy();
        break;
      case Phase.Head:
        // nginx client_header_timeout: the whole head must arrive in time; 408 then close.
        if (nowMs - this.headStartMs > t.clientHeaderMs) this.reject(408, 'client-header-timeout');
        break;
      case Phase.Body:
      case Phase.Await:
        if (this.up !== undefined && !this.up.connected) {
          if (nowMs - this.connectStartMs > rs.connectMs) this.attemptFailed({ kind: 'timeout' });
        } else if (this.phase === Phase.Body && !this.reqDone && this.res === undefined && nowMs - this.lastClientMs > t.clientBodyMs) {
          this.reject(408, 'client-body-timeout');
        } else if (this.up !== undefined && nowMs - this.lastUpMs > (this.reqDone ? rs.readMs : rs.sendMs)) {
          if (this.paused || this.upPaused) {
            // the client does not read: nginx send_timeout
            if (nowMs - this.lastClientMs > t.clientSendMs) this.destroy();
          } else {
            this.attemptFailed({ kind: 'timeout' });
          }
        }
        break;
      case Phase.Tunnel:
        if (nowMs - Math.max(this.lastUpMs, this.lastClientMs) > t.readMs) this.destroy();
        break;
      default:
        break;
    }
  }

  // ---- client side ----------------------------------------------------------------------------

  onData(d: Buffer): void {
    this.clientActive = true;
    this.svc.counters.bytesIn += d.length;
    switch (this.phase) {
      case Phase.Tunnel:
        if (this.up !== undefined && !this.up.sock.write(d)) this.pauseClient();
        return;
      case Phase.Body:
        this.feedRequestBody(d, 0);
        return;
      case Phase.Closed:
        return;
      default:
        break;
    }
    this.buf = this.buf === undefined || this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    if (this.phase === Phase.Idle || this.phase === Phase.Head) this.parseNext();
    else if (this.buf.length > this.svc.headLimits.maxHeadBytes) this.pauseClient(); // pipelined backlog bound
  }

  private parseNext(): void {
    const b = this.buf;
    if (b === undefined || b.length === 0) {
      this.phase = Phase.Idle;
      if (this.clientEnded) this.endClient();
      return;
    }
    const r = parseRequestHead(b, 0, this.svc.headLimits);
    if (r.kind === 'incomplete') {
      if (this.phase !== Phase.Head) {
        this.phase = Phase.Head;
        this.headStartMs = this.svc.deps.ticker.nowMs;
      }
      if (this.clientEnded) this.reject(400, 'bad-request-line');
      return;
    }
    if (r.kind === 'error') {
      this.reject(REJECT_STATUS[r.reason], r.reason);
      return;
    }
    this.buf = r.head.headBytes === b.length ? undefined : b.subarray(r.head.headBytes);
    this.begin(r.head);
  }

  private begin(req: RequestHead): void {
    const svc = this.svc;
    svc.counters.requests++;
    this.requests++;
    this.req = req;
    this.res = undefined;
    this.resBuf = undefined;
    this.resFramer = undefined;
    this.reqDone = false;
    this.replay = [];
    this.replayBytes = 0;
    this.replayable = true;
    this.requestSent = false;
    this.attempts = 0;
    if (this.tried.size > 0) this.tried.clear(); // clear() reallocates the table even when empty
    this.clientBytesSent = false;
    this.startedMs = svc.deps.ticker.refresh();
    this.closeAsked = !req.keepAlive;
    this.clientKeep = req.keepAlive && !svc.isDraining && this.requests < svc.spec.limits.maxClientRequests;
    if (req.method === 'CONNECT') {
      this.reject(405, 'connect-method');
      return;
    }
    const maxBody = svc.spec.limits.maxBodyBytes;
    if (maxBody > 0 && req.contentLength > maxBody) {
      // nginx answers 413 from Content-Length before reading the body.
      this.reject(413, 'body-too-large');
      return;
    }
    const path = originForm(req.target);
    let table = svc.routeTable;
    let hostPool = svc.spec.pool;
    let base = svc.settings;
    if (svc.hosts !== undefined) {
      // nginx picks the server by server_name before it looks at locations
      // an absolute-form target names the host itself and wins over Host (RFC 9112 section 3.2.2)
      const h = svc.hosts.list[findServer(svc.hosts.names, req.target.charCodeAt(0) === 47 ? req.host : (targetAuthority(req.target) ?? req.host))];
      if (h !== undefined) {
        table = h.routes;
        hostPool = h.pool;
        base = h.settings;
      }
    }
    const matched = findRoute(table, path);
    this.rs = (matched !== undefined ? svc.routeSettings.get(matched) : undefined) ?? base;
    if (req.framing.kind === 'chunked' && this.rs.upstreamHttpVersion === '1.0') {
      // an HTTP/1.0 backend cannot take a chunked body and halo streams instead of buffering;
      // nginx answers 411 in the same case (proxy_request_buffering off)
      this.reject(411, 'chunked-to-http10');
      return;
    }
    const route = routeTarget(matched, hostPool, path);
    const pool = svc.pools.get(route.pool);
    if (pool === undefined) {
      this.respondError(502, 'unknown-pool');
      return;
    }
    this.pool = pool;
    this.upHead = this.buildUpstreamHead(req, route.target, pool);
    this.replay.push(Buffer.from(this.upHead, 'latin1'));
    this.reqFramer = new BodyFramer(req.framing, svc.bodyLimits);
    this.phase = Phase.Body;
    if (req.expectContinue && req.framing.kind !== 'none' && req.versionMinor === 1) {
      // halo reads the body itself, as nginx does, so it answers the 100 and drops the Expect.
      this.sendToClient(CONTINUE_100);
    }
    if (req.framing.kind === 'none') {
      this.reqDone = true;
    } else if (this.buf !== undefined) {
      const rest = this.buf;
      this.buf = undefined;
      this.feedRequestBody(rest, 0);
    }
    if ((this.phase as Phase) === Phase.Closed) return;
    if (this.reqDone) this.phase = Phase.Await;
    this.attempt();
  }

  private feedRequestBody(d: Buffer, off: number): void {
    const framer = this.reqFramer;
    if (framer === undefined) return;
    const st = framer.feed(d, off);
    if (st.error !== undefined) {
      this.reject(REJECT_STATUS[st.error], st.error);
      return;
    }
    const used = st.used;
    const done = st.done;
    if (used > 0) {
      const piece = off === 0 && used === d.length ? d : d.subarray(off, off + used);
      const up = this.up;
      const sent = this.requestSent && up !== undefined;
      if (!sent || this.replayable) {
        this.replay.push(piece);
        this.replayBytes += piece.length;
      }
      if (sent) {
        this.upActive = true; // sending counts as activity for proxy_send_timeout
        if (!up.sock.write(piece)) this.pauseClient();
        if (this.replayable && this.replayBytes > REPLAY_CAP_BYTES) {
          this.replayable = false;
          this.replay = [];
        }
      } else if (this.replayBytes > REPLAY_CAP_BYTES) {
        this.pauseClient(); // bounded queue until the backend connection is up
      }
    }
    if (done) {
      this.reqDone = true;
      const restStart = off + used;
      if (restStart < d.length) this.buf = d.subarray(restStart);
      if (this.phase === Phase.Body) this.phase = Phase.Await;
    }
  }

  onEnd(): void {
    this.clientEnded = true;
    if (this.phase === Phase.Idle && (this.buf === undefined || this.buf.length === 0)) this.endClient();
    else if (this.phase === Phase.Head) this.parseNext();
    else if (this.phase === Phase.Tunnel) this.up?.sock.end();
    else if (this.phase === Phase.Body && !this.reqDone) this.destroy();
  }

  onDrain(): void {
    this.clientActive = true;
    if (this.upPaused && this.up !== undefined) {
      this.upPaused = false;
      this.up.sock.resume();
    }
  }

  onClose(): void {
    if (this.phase !== Phase.Closed) this.cleanup();
    this.svc.removed(this);
  }

  private pauseClient(): void {
    if (!this.paused) {
      this.paused = true;
      this.sock.pause();
    }
  }

  private resumeClient(): void {
    if (this.paused) {
      this.paused = false;
      this.sock.resume();
    }
  }

  // ---- upstream side --------------------------------------------------------------------------

  private buildUpstreamHead(req: RequestHead, target: string, pool: UpstreamPool): string {
    const rs = this.rs;
    const v11 = rs.upstreamHttpVersion === '1.1';
    let h = `${req.method} ${target} HTTP/${v11 ? '1.1' : '1.0'}\r\n`;
    const conn = req.connectionTokens;
    const setNames = rs.setHeaderNames;
    let hasHost = false;
    for (const f of req.headers) {
      const n = f.lname;
      if (HOP_BY_HOP.has(n) || n === 'expect' || (conn.length > 0 && conn.includes(n)) || (setNames.size > 0 && setNames.has(n))) continue;
      if (n === 'host') hasHost = true;
      h += `${f.name}: ${f.value}\r\n`;
    }
    if (!hasHost && !setNames.has('host')) h += `Host: ${pool.spec.name}\r\n`;
    if (req.framing.kind === 'chunked') h += 'Transfer-Encoding: chunked\r\n';
    if (req.upgrade !== undefined) h += `Upgrade: ${req.upgrade}\r\nConnection: upgrade\r\n`;
    else if (!v11 || pool.spec.keepalive.maxIdle === 0) h += 'Connection: close\r\n';
    if (rs.setHeaders.length > 0) {
      const vars = this.vars(req, pool);
      for (const s of rs.setHeaders) {
        const value = expand(s.parts, vars);
        // nginx: a header whose value is empty is not passed
        if (value !== '') h += `${s.name}: ${value}\r\n`;
      }
    }
    return `${h}\r\n`;
  }

  private vars(req: RequestHead, pool: UpstreamPool): Vars {
    return { req, remoteAddr: this.remoteAddr, remotePort: this.remotePort, serverPort: this.svc.port(), proxyHost: pool.spec.name };
  }

  private attempt(): void {
    const pool = this.pool;
    const req = this.req;
    if (pool === undefined || req === undefined) return;
    const now = this.svc.deps.ticker.refresh();
    const hashTemplate = pool.spec.hashKey;
    const b =
      hashTemplate !== undefined
        ? pool.pick({ clientIp: this.remoteAddr, hashKey: expand(compiledKey(hashTemplate), this.vars(req, pool)), exclude: this.tried, nowMs: now })
        : pool.usesClientIp
          ? pool.pick({ clientIp: this.remoteAddr, exclude: this.tried, nowMs: now })
          : pool.pick({ exclude: this.tried, nowMs: now });
    if (b === undefined) {
      if (this.attempts === 0) {
        this.svc.counters.noLiveUpstreams++;
        this.svc.deps.log?.('error', 'HALO_PRX_NO_LIVE_UPSTREAMS', `No live upstreams in pool ${pool.spec.name}: answering 502`);
        this.respondError(502, 'no-live-upstreams');
      } else {
        this.respondError(failureStatus(this.outcome), 'upstream-failed');
      }
      return;
    }
    this.attempts++;
    if (this.attempts > 1) this.svc.counters.retries++;
    this.tried.add(b.id);
    this.backend = b;
    this.res = undefined;
    this.resBuf = undefined;
    const idle = pool.takeIdle(b.id);
    if (idle !== undefined) {
      this.svc.counters.upstreamReuses++;
      this.useConn(idle, true);
      this.sendRequest();
    } else {
      this.svc.counters.upstreamConnects++;
      this.connectStartMs = now;
      this.useConn(pool.connect(b, now), false);
    }
  }

  private useConn(c: UpstreamConn, reused: boolean): void {
    this.up = c;
    this.reused = reused;
    c.owner = this;
    c.requests++;
    this.upActive = true;
    if (c.sock.isPaused()) c.sock.resume();
  }

  onUpConnect(): void {
    this.upActive = true;
    this.sendRequest();
  }

  private sendRequest(): void {
    const up = this.up;
    if (up === undefined) return;
    this.requestSent = true;
    const parts = this.replay;
    const ok = up.sock.write(parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts));
    if (this.replayBytes > REPLAY_CAP_BYTES) {
      this.replayable = false;
      this.replay = [];
    }
    if (!ok) this.pauseClient();
    else if (!this.reqDone) this.resumeClient();
  }

  onUpDrain(): void {
    this.upActive = true;
    if (this.phase === Phase.Body || this.phase === Phase.Tunnel) this.resumeClient();
  }

  onUpData(d: Buffer): void {
    this.upActive = true;
    if (this.phase === Phase.Tunnel) {
      this.svc.counters.bytesOut += d.length;
      if (!this.sendToClient(d)) this.pauseUp();
      return;
    }
    if (this.res === undefined) {
      this.resBuf = this.resBuf === undefined ? d : Buffer.concat([this.resBuf, d]);
      this.parseResponse();
      return;
    }
    this.forwardBody(d, 0);
  }

  private parseResponse(): void {
    const req = this.req;
    let b = this.resBuf;
    if (req === undefined || b === undefined) return;
    for (;;) {
      const r = parseResponseHead(b, 0, this.svc.headLimits);
      if (r.kind === 'incomplete') {
        this.resBuf = b;
        return;
      }
      if (r.kind === 'error') {
        this.svc.deps.log?.('warn', 'HALO_PRX_UPSTREAM_FAILED', `Upstream ${this.backend?.id ?? '?'} sent an invalid response head: ${r.reason}`);
        this.attemptFailed({ kind: 'invalid_header' });
        return;
      }
      const head = r.head;
      if (head.status >= 100 && head.status < 200 && !(head.status === 101 && req.upgrade !== undefined)) {
        // interim responses: halo answered 100 itself, others are dropped (nginx does the same)
        b = b.subarray(head.headBytes);
        if (b.length === 0) {
          this.resBuf = undefined;
          return;
        }
        continue;
      }
      this.resBuf = undefined;
      this.onResponseHead(head, b);
      return;
    }
  }

  private onResponseHead(head: ResponseHead, b: Buffer): void {
    const req = this.req as RequestHead;
    const svc = this.svc;
    const outcome: Outcome = { kind: 'ok', status: head.status };
    this.outcome = outcome;
    if (head.status >= 400 && this.canRetry(outcome)) {
      this.retryAfter(outcome);
      return;
    }
    this.res = head;
    if (head.status === 101) {
      this.startTunnel(head, b);
      return;
    }
    const framing = responseFraming(req.method, head);
    const client11 = req.versionMinor === 1;
    this.dechunk = framing.kind === 'chunked' && !client11;
    if (framing.kind === 'close' || this.dechunk || !this.reqDone) this.clientKeep = false;
    this.upKeep = head.keepAlive && framing.kind !== 'close' && this.reqDone && head.versionMinor === 1;
    this.resFramer = new BodyFramer(framing);
    svc.counters.responses++;
    const needRewrite = !client11 || head.versionMinor !== 1 || !this.clientKeep || hasResponseHopByHop(head);
    let headOut: string | undefined;
    if (needRewrite) headOut = this.buildClientHead(head, framing.kind === 'chunked' && !this.dechunk);
    const bodyStart = head.headBytes;
    if (headOut !== undefined && !this.dechunk) {
      // the rewritten head and the first body bytes leave in one write (one buffer, no writev)
      const st = this.resFramer.feed(b, bodyStart);
      if (st.error !== undefined) {
        this.attemptFailed({ kind: 'invalid_header' });
        return;
      }
      const headLen = Buffer.byteLength(headOut, 'latin1');
      const out = Buffer.allocUnsafe(headLen + st.used);
      out.write(headOut, 0, 'latin1');
      b.copy(out, headLen, bodyStart, bodyStart + st.used);
      this.writeClient(out);
      if (st.done) this.responseDone(bodyStart + st.used < b.length);
      return;
    }
    if (this.dechunk) {
      // head and first body bytes leave in one writev
      this.sock.cork();
      if (headOut !== undefined) {
        this.clientBytesSent = true;
        this.writeClient(Buffer.from(headOut, 'latin1'));
      }
      this.forwardBody(b, bodyStart);
      this.sock.uncork();
      return;
    }
    // fast path: the head goes out unchanged, in the same write as the first body bytes
    const st = this.resFramer.feed(b, bodyStart);
    if (st.error !== undefined) {
      this.attemptFailed({ kind: 'invalid_header' });
      return;
    }
    const end = bodyStart + st.used;
    this.clientBytesSent = true;
    this.writeClient(end === b.length ? b : b.subarray(0, end));
    if (st.done) this.responseDone(end < b.length);
  }

  private buildClientHead(head: ResponseHead, keepTe: boolean): string {
    let h = `HTTP/1.1 ${head.status} ${head.reason}\r\n`;
    const conn = head.connectionTokens;
    for (const f of head.headers) {
      const n = f.lname;
      if (n === 'transfer-encoding' && keepTe) {
        h += `${f.name}: ${f.value}\r\n`;
        continue;
      }
      if (HOP_BY_HOP.has(n) || (conn.length > 0 && conn.includes(n))) continue;
      h += `${f.name}: ${f.value}\r\n`;
    }
    if (!this.clientKeep) h += 'Connection: close\r\n';
    else if ((this.req as RequestHead).versionMinor === 0) h += 'Connection: keep-alive\r\n';
    return `${h}\r\n`;
  }

  private forwardBody(d: Buffer, off: number): void {
    const framer = this.resFramer;
    if (framer === undefined) return;
    let st;
    if (this.dechunk) {
      st = framer.feed(d, off, (s, e) => this.writeClient(d.subarray(s, e)));
    } else {
      st = framer.feed(d, off);
      if (st.used > 0) this.writeClient(off === 0 && st.used === d.length ? d : d.subarray(off, off + st.used));
    }
    if (st.error !== undefined) {
      // the response broke its framing after bytes went out: all halo can do is cut both sides
      this.svc.deps.log?.('warn', 'HALO_PRX_UPSTREAM_FAILED', `Upstream ${this.backend?.id ?? '?'} broke its response framing: ${st.error}`);
      this.finishAttempt(true);
      this.upKeep = false;
      this.destroy();
      return;
    }
    if (st.done) this.responseDone(off + st.used < d.length);
  }

  private writeClient(b: Buffer): void {
    this.clientBytesSent = true;
    this.svc.counters.bytesOut += b.length;
    if (!this.sendToClient(b)) this.pauseUp();
  }

  /** Every write to the client goes here: TCP_NODELAY goes on before the second one. */
  private sendToClient(b: Buffer | string): boolean {
    if (this.clientWrites < 2 && ++this.clientWrites === 2) this.sock.setNoDelay(true);
    return this.sock.write(b);
  }

  private pauseUp(): void {
    if (!this.upPaused && this.up !== undefined) {
      this.upPaused = true;
      this.up.sock.pause();
    }
  }

  private startTunnel(head: ResponseHead, b: Buffer): void {
    let h = `HTTP/1.1 101 ${head.reason}\r\n`;
    for (const f of head.headers) {
      if (f.lname === 'connection' || f.lname === 'keep-alive' || f.lname === 'proxy-connection') continue;
      h += `${f.name}: ${f.value}\r\n`;
    }
    h += 'Connection: upgrade\r\n\r\n';
    this.phase = Phase.Tunnel;
    this.clientKeep = false;
    this.upKeep = false;
    this.writeClient(Buffer.from(h, 'latin1'));
    if (b.length > head.headBytes) this.writeClient(b.subarray(head.headBytes));
    if (this.buf !== undefined && this.buf.length > 0 && this.up !== undefined) {
      this.up.sock.write(this.buf);
      this.buf = undefined;
    }
    this.finishAttempt(false);
    this.resumeClient();
  }

  /** The response is complete (`extra` when the upstream sent bytes past its end). */
  private responseDone(extra: boolean): void {
    if (extra) this.upKeep = false;
    if (!this.reqDone) {
      // the backend answered before the body ended (e.g. its own 413): the rest of the request
      // cannot be framed any more, so both connections close after this response
      this.clientKeep = false;
      this.upKeep = false;
    }
    this.finishExchange();
  }

  private finishAttempt(failed: boolean): void {
    const b = this.backend;
    if (b !== undefined && this.pool !== undefined) this.pool.release(b.id, failed, this.svc.deps.ticker.refresh());
    this.backend = undefined;
  }

  private finishExchange(): void {
    const outcome = this.outcome;
    this.finishAttempt(countsAsFailure(outcome, this.rs.retry.conditions));
    const up = this.up;
    this.up = undefined;
    if (up !== undefined) {
      if (this.upPaused) up.sock.resume();
      this.upPaused = false;
      if (this.upKeep && this.pool !== undefined) this.pool.putIdle(up, this.svc.deps.ticker.nowMs);
      else up.destroy();
    }
    this.req = undefined;
    this.res = undefined;
    this.resFramer = undefined;
    this.reqFramer = undefined;
    this.replay = [];
    this.clientBytesSent = false; // the next request on this connection starts clean
    this.clientActive = true; // keepalive_timeout counts from the end of this exchange
    if (!this.clientKeep) {
      this.endClient();
      return;
    }
    this.phase = Phase.Idle;
    this.resumeClient();
    if (this.buf !== undefined && this.buf.length > 0) this.parseNext();
    else if (this.clientEnded) this.endClient();
  }

  onUpClose(_hadError: boolean, err: Error | undefined): void {
    this.upActive = true;
    const up = this.up;
    this.up = undefined;
    this.upPaused = false;
    if (up === undefined) return;
    if (this.phase === Phase.Tunnel) {
      this.sock.end(); // queued bytes still go out first
      return;
    }
    if (this.res === undefined) {
      if (this.reused && this.resBuf === undefined && this.backend !== undefined && this.replayable && !this.clientBytesSent) {
        // a kept connection the backend had closed: try again on a fresh one, as nginx does,
        // without counting a failure
        const b = this.backend;
        this.requestSent = false;
        this.svc.counters.upstreamConnects++;
        this.connectStartMs = this.svc.deps.ticker.refresh();
        this.useConn((this.pool as UpstreamPool).connect(b, this.connectStartMs), false);
        return;
      }
      const connectFailed = !up.connected;
      if (connectFailed && err !== undefined) {
        this.svc.deps.log?.('warn', 'HALO_PRX_UPSTREAM_FAILED', `Cannot connect to upstream ${up.backend.id}: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
      }
      this.upFailed({ kind: 'error' }, connectFailed);
      return;
    }
    const framer = this.resFramer;
    if (framer !== undefined && framer.framing.kind === 'close') {
      this.upKeep = false;
      this.clientKeep = false;
      this.finishExchange();
      return;
    }
    if (framer !== undefined && framer.done) return;
    // truncated response after bytes went out: cut the client too (nginx does the same)
    this.finishAttempt(true);
    this.destroy();
  }

  private canRetry(outcome: Outcome): boolean {
    const req = this.req;
    if (req === undefined) return false;
    const retry = this.rs.retry;
    return shouldRetry(outcome, {
      conditions: retry.conditions,
      method: req.method,
      requestSent: this.requestSent,
      clientBytesSent: this.clientBytesSent,
      replayable: this.replayable,
      attempts: this.attempts,
      maxTries: retry.tries,
      startedMs: this.startedMs,
      timeoutMs: retry.timeoutMs,
      nowMs: this.svc.deps.ticker.refresh(),
    });
  }

  private retryAfter(outcome: Outcome): void {
    this.finishAttempt(countsAsFailure(outcome, this.rs.retry.conditions));
    const up = this.up;
    this.up = undefined;
    up?.destroy();
    this.res = undefined;
    this.resBuf = undefined;
    this.requestSent = false;
    this.attempt();
  }

  /** An attempt ended without a usable response: retry or answer the client. */
  private attemptFailed(outcome: Outcome): void {
    const up = this.up;
    this.up = undefined;
    up?.destroy();
    this.upFailed(outcome, up !== undefined && !up.connected);
  }

  private upFailed(outcome: Outcome, beforeSend: boolean): void {
    this.outcome = outcome;
    if (this.clientBytesSent) {
      this.finishAttempt(true);
      this.destroy();
      return;
    }
    if (beforeSend) this.requestSent = false;
    if (this.canRetry(outcome)) {
      this.retryAfter(outcome);
      return;
    }
    this.finishAttempt(countsAsFailure(outcome, this.rs.retry.conditions));
    this.respondError(failureStatus(outcome), outcome.kind);
  }

  // ---- answers and endings --------------------------------------------------------------------

  /** A refusal of the client's request: counted by reason, answered, connection closed. */
  private reject(status: number, reason: RejectReason | string): void {
    const rej = this.svc.counters.rejected;
    rej[reason] = (rej[reason] ?? 0) + 1;
    this.clientKeep = false;
    if (this.up !== undefined || this.backend !== undefined) {
      this.finishAttempt(false);
      this.up?.destroy();
      this.up = undefined;
    }
    if (this.clientBytesSent) {
      this.destroy();
      return;
    }
    this.phase = Phase.Closed;
    this.sock.end(errorResponse(status, false));
    this.sock.destroySoon();
  }

  /** An error answer for a request that was read fully (keep-alive survives, as in nginx). */
  private respondError(status: number, why: string): void {
    if (status >= 500) {
      const rej = this.svc.counters.rejected;
      rej[why] = (rej[why] ?? 0) + 1;
    }
    const keep = this.clientKeep && this.reqDone;
    this.clientKeep = keep;
    this.upKeep = false;
    this.clientBytesSent = true;
    this.sendToClient(errorResponse(status, keep));
    this.res = undefined;
    this.outcome = { kind: 'ok', status: 200 }; // already accounted
    this.backend = undefined;
    this.finishExchange();
  }

  /**
   * Closes the client side after the last response. When the client asked for the close itself
   * (`Connection: close`, or HTTP/1.0 without keep-alive), its request was read whole, nothing
   * more arrived and the kernel took every byte, the socket is closed at once: the kernel sends
   * the rest and the FIN, as nginx does without lingering close. Otherwise halo sends its FIN and
   * waits for the client's, so that late client bytes never turn the close into a reset that
   * could destroy the response in flight.
   */
  private endClient(): void {
    const quick = this.req === undefined && this.reqDone && (this.clientEnded || this.closeAsked) && (this.buf === undefined || this.buf.length === 0) && this.sock.writableLength === 0;
    this.phase = Phase.Closed;
    if (quick) this.sock.destroy();
    else this.sock.end();
  }

  closeIfIdle(): void {
    // an idle connection is closed by tick() after the drain grace; a busy one after its exchange
    if (this.phase !== Phase.Idle) this.clientKeep = false;
  }

  private cleanup(): void {
    this.phase = Phase.Closed;
    if (this.backend !== undefined) this.finishAttempt(false);
    if (this.up !== undefined) {
      this.up.destroy();
      this.up = undefined;
    }
  }

  destroy(): void {
    this.cleanup();
    this.sock.destroy();
  }
}

/**
 * Whether a response head must be rebuilt before it goes to a keep-alive HTTP/1.1 client. A lone
 * `Connection: keep-alive` may pass: it is hop-by-hop, but it states exactly what halo does on the
 * client's connection, and passing it keeps the common response on the zero-copy path.
 */
function hasResponseHopByHop(head: ResponseHead): boolean {
  for (const t of head.connectionTokens) if (t !== 'keep-alive') return true;
  for (const f of head.headers) {
    const n = f.lname;
    if (n === 'transfer-encoding' || n === 'connection') continue;
    if (HOP_BY_HOP.has(n)) return true;
  }
  return false;
}

/** absolute-form targets (RFC 9112 section 3.2.2) go to the backend in origin-form. */
/** The authority of an absolute-form target (`http://host:port/path`), or undefined. */
function targetAuthority(target: string): string | undefined {
  const m = /^https?:\/\/([^/?#]*)/i.exec(target);
  return m?.[1] === undefined || m[1] === '' ? undefined : m[1];
}

function originForm(target: string): string {
  if (target.charCodeAt(0) === 47) return target;
  const m = /^https?:\/\/[^/?#]*/i.exec(target);
  if (m === null) return target;
  const rest = target.slice(m[0].length);
  return rest === '' ? '/' : rest;
}

/** Builds the run-time pools of a config, with the picker each names. */
export function buildPools(
  specs: readonly PoolSpec[],
  pickers: PickerRegistry,
  prng: Prng,
): { pools: Map<string, UpstreamPool>; errors: string[] } {
  const pools = new Map<string, UpstreamPool>();
  const errors: string[] = [];
  for (const s of specs) {
    const f = pickers(s.algorithm);
    if (f === undefined) {
      errors.push(`Unknown balancing algorithm in pool ${s.name}: ${s.algorithm}`);
      continue;
    }
    pools.set(s.name, new UpstreamPool(s, f, prng));
  }
  return { pools, errors };
}
