/**
 * What the proxy consumes: services and pools, independent of keepalived.conf or nginx.conf.
 * The config loaders translate into these; the worker receives them over IPC, so every type here
 * is plain data (structured-clone safe). Defaults follow nginx where nginx has one.
 */
import type { BackendId } from '../core/backend.js';

export type ServiceProtocol = 'tcp' | 'udp' | 'http';

/** One backend of a pool: an nginx upstream `server` or a keepalived `real_server`. */
export interface BackendSpec {
  readonly id: BackendId;
  readonly address: string;
  readonly port: number;
  readonly weight: number;
  readonly backup: boolean;
  /** nginx `max_conns` (0 = unlimited). */
  readonly maxConns: number;
  /** nginx `max_fails` (default 1; 0 disables passive accounting). */
  readonly maxFails: number;
  /** nginx `fail_timeout` (default 10s). */
  readonly failTimeoutMs: number;
  /** nginx `down`. */
  readonly down: boolean;
}

/** nginx `keepalive` in an upstream block and its companions (per worker). */
export interface UpstreamKeepalive {
  /** Idle connections kept per backend (nginx `keepalive N`; 0 = close after each request). */
  readonly maxIdle: number;
  /** nginx `keepalive_timeout` (default 60s). */
  readonly idleTimeoutMs: number;
  /** nginx `keepalive_requests` (default 1000). */
  readonly maxRequests: number;
  /** nginx `keepalive_time` (default 1h). */
  readonly maxLifetimeMs: number;
}

export interface PoolSpec {
  readonly name: string;
  /** Picker name as `src/balance` registers it (`rr`, `wrr`, `least_conn`, `ip_hash`, ...). */
  readonly algorithm: string;
  readonly flags: readonly string[];
  /** For `hash`: the nginx key template (`$remote_addr`, `$request_uri`, ...). */
  readonly hashKey?: string;
  readonly backends: readonly BackendSpec[];
  readonly keepalive: UpstreamKeepalive;
  /**
   * keepalived `persistence_timeout` with `persistence_granularity`: a client (address masked by
   * the prefix lengths) keeps its backend while it returns within the timeout (src/balance/persistence.ts).
   */
  readonly persistence?: PoolPersistence;
}

export interface PoolPersistence {
  readonly timeoutMs: number;
  readonly ipv4PrefixLen?: number;
  readonly ipv6PrefixLen?: number;
}

/** nginx `proxy_next_upstream` conditions. */
export type NextUpstreamCondition =
  | 'error'
  | 'timeout'
  | 'invalid_header'
  | 'http_500'
  | 'http_502'
  | 'http_503'
  | 'http_504'
  | 'http_403'
  | 'http_404'
  | 'http_429'
  | 'non_idempotent';

export interface RetryPolicy {
  /** Empty = nginx `proxy_next_upstream off`. Default `error timeout`. */
  readonly conditions: readonly NextUpstreamCondition[];
  /** nginx `proxy_next_upstream_tries` (0 = unlimited). */
  readonly tries: number;
  /** nginx `proxy_next_upstream_timeout` (0 = unlimited). */
  readonly timeoutMs: number;
}

export interface Timeouts {
  /** nginx `proxy_connect_timeout` (60s). */
  readonly connectMs: number;
  /** nginx `proxy_read_timeout` (60s): between two reads from the backend. */
  readonly readMs: number;
  /** nginx `proxy_send_timeout` (60s): between two writes to the backend. */
  readonly sendMs: number;
  /** nginx `client_header_timeout` (60s). */
  readonly clientHeaderMs: number;
  /** nginx `client_body_timeout` (60s): between two reads of the request body. */
  readonly clientBodyMs: number;
  /** nginx `send_timeout` (60s): between two writes to the client. */
  readonly clientSendMs: number;
  /** nginx `keepalive_timeout` (75s): an idle client connection between requests. */
  readonly clientKeepaliveMs: number;
  /** L4: nginx stream `proxy_timeout` (10m); UDP: session idle timeout. */
  readonly idleMs: number;
}

export interface Limits {
  readonly maxHeadBytes: number;
  readonly maxLineBytes: number;
  readonly maxHeaders: number;
  /** nginx `client_max_body_size` (1m; 0 = unlimited). */
  readonly maxBodyBytes: number;
  /** nginx `keepalive_requests` on the client side (1000). */
  readonly maxClientRequests: number;
  /** Client connections per worker (nginx `worker_connections`, 512 by default; halo 10000). */
  readonly maxClientConns: number;
  /** UDP: sessions per service per worker. */
  readonly maxUdpSessions: number;
}

/** nginx `proxy_set_header NAME VALUE`: a template with `$remote_addr`, `$host`, ... */
export interface SetHeader {
  readonly name: string;
  readonly value: string;
}

/** A `location` with its `proxy_pass` target. */
export interface Route {
  /** The path (prefix or exact) or, for `regex`, the regular expression's source. */
  readonly pathPrefix: string;
  /** nginx `location` kinds (absent: prefix); see src/proxy/routes.ts for the order they are tried in. */
  readonly match?: 'prefix' | 'exact' | 'regex';
  /** `^~`: this prefix, when it is the longest match, stops the regex search. */
  readonly noRegex?: boolean;
  /** `~*`: the regex ignores case. */
  readonly caseless?: boolean;
  readonly pool: string;
  /** `proxy_pass http://pool/uri`: the matched prefix is replaced by this (nginx semantics). */
  readonly replaceUri?: string;
  /** nginx settings of this `location` where they differ from the service's; absent: the service's. */
  readonly settings?: RouteSettings;
}

/** What an nginx `location` may set for itself (proxy_* directives inherited or overridden). */
export interface RouteSettings {
  readonly connectMs: number;
  readonly readMs: number;
  readonly sendMs: number;
  readonly retry: RetryPolicy;
  readonly setHeaders: readonly SetHeader[];
  readonly upstreamHttpVersion: '1.0' | '1.1';
}

/**
 * One nginx `server` among several on the same listen, chosen by the request's Host as nginx
 * chooses by `server_name` (src/proxy/server-names.ts).
 */
export interface VirtualHost {
  /** `server_name` entries as written (`example.com`, `*.example.com`, `.example.com`, `www.*`, `~regex`). */
  readonly names: readonly string[];
  /** The pool when no route matches. */
  readonly pool: string;
  readonly routes: readonly Route[];
  /** The server's own proxy settings (its `location /`, or its first proxying location). */
  readonly settings: RouteSettings;
}

export interface ServiceSpec {
  readonly name: string;
  readonly protocol: ServiceProtocol;
  readonly listenAddress: string;
  readonly listenPort: number;
  /** For `::`: take IPv6 only (nginx `ipv6only=on`, the default; absent = true). */
  readonly ipv6Only?: boolean;
  /**
   * http: the servers sharing this listen, in config order. A request goes to the one whose
   * names match its Host; when none does, to the service's own pool, routes and settings (the
   * default server, which is also listed here so a name match on it is found in nginx's order).
   */
  readonly vhosts?: readonly VirtualHost[];
  /** tcp/udp: the pool. http: the pool when no route matches (and for a service without routes). */
  readonly pool: string;
  readonly routes: readonly Route[];
  readonly timeouts: Timeouts;
  readonly limits: Limits;
  readonly retry: RetryPolicy;
  /** Headers set on the request to the backend; empty value removes (nginx semantics). */
  readonly setHeaders: readonly SetHeader[];
  /** `proxy_http_version` (halo default 1.1 so upstream keep-alive works). */
  readonly upstreamHttpVersion: '1.0' | '1.1';
}

export const NGINX_TIMEOUTS: Timeouts = {
  connectMs: 60_000,
  readMs: 60_000,
  sendMs: 60_000,
  clientHeaderMs: 60_000,
  clientBodyMs: 60_000,
  clientSendMs: 60_000,
  clientKeepaliveMs: 75_000,
  idleMs: 600_000,
};

export const DEFAULT_LIMITS: Limits = {
  maxHeadBytes: 32 * 1024,
  maxLineBytes: 8 * 1024,
  maxHeaders: 100,
  maxBodyBytes: 1024 * 1024,
  maxClientRequests: 1000,
  maxClientConns: 10_000,
  maxUdpSessions: 10_000,
};

export const DEFAULT_RETRY: RetryPolicy = { conditions: ['error', 'timeout'], tries: 0, timeoutMs: 0 };

export const DEFAULT_KEEPALIVE: UpstreamKeepalive = { maxIdle: 32, idleTimeoutMs: 60_000, maxRequests: 1000, maxLifetimeMs: 3_600_000 };

export function backendSpec(address: string, port: number, over: Partial<Omit<BackendSpec, 'address' | 'port'>> = {}): BackendSpec {
  return {
    id: address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`,
    address,
    port,
    weight: 1,
    backup: false,
    maxConns: 0,
    maxFails: 1,
    failTimeoutMs: 10_000,
    down: false,
    ...over,
  };
}

export function serviceSpec(over: Partial<ServiceSpec> & Pick<ServiceSpec, 'name' | 'pool' | 'listenPort'>): ServiceSpec {
  return {
    protocol: 'http',
    listenAddress: '127.0.0.1',
    routes: [],
    timeouts: NGINX_TIMEOUTS,
    limits: DEFAULT_LIMITS,
    retry: DEFAULT_RETRY,
    setHeaders: [],
    upstreamHttpVersion: '1.1',
    ...over,
  };
}

export function poolSpec(name: string, backends: readonly BackendSpec[], over: Partial<PoolSpec> = {}): PoolSpec {
  return { name, algorithm: 'rr', flags: [], backends, keepalive: DEFAULT_KEEPALIVE, ...over };
}

/** Counters a worker reports (summed by the supervisor). */
export interface ProxyCounters {
  requests: number;
  responses: number;
  clientConns: number;
  /** Of clientConns, those accepted by the client front (src/proxy/native-front.ts). */
  frontConns: number;
  upstreamConnects: number;
  upstreamReuses: number;
  retries: number;
  noLiveUpstreams: number;
  rejected: Record<string, number>;
  bytesIn: number;
  bytesOut: number;
  udpSessions: number;
  udpDropped: number;
}

export function newCounters(): ProxyCounters {
  return {
    requests: 0,
    responses: 0,
    clientConns: 0,
    frontConns: 0,
    upstreamConnects: 0,
    upstreamReuses: 0,
    retries: 0,
    noLiveUpstreams: 0,
    rejected: {},
    bytesIn: 0,
    bytesOut: 0,
    udpSessions: 0,
    udpDropped: 0,
  };
}
