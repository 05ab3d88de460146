/**
 * The nginx subset halo serves, as a typed model: JSON-serialisable, every node with the position
 * of the directive it came from, nginx's defaults filled in. The proxy layer turns it into services
 * and pools; the pickers come from src/balance/registry.ts by `method.name` and `method.flags`.
 */
import type { SourcePos } from '../../core/diagnostic.js';

export interface NginxModel {
  readonly http: NginxHttp | null;
  readonly stream: NginxStream | null;
}

export interface NginxHttp {
  readonly pos: SourcePos;
  readonly upstreams: readonly NginxUpstream[];
  readonly servers: readonly NginxHttpServer[];
}

export interface NginxStream {
  readonly pos: SourcePos;
  readonly upstreams: readonly NginxUpstream[];
  readonly servers: readonly NginxStreamServer[];
}

/** `least_conn`, `ip_hash`, `hash KEY [consistent]`, `random [two [least_conn]]`, or the default. */
export interface NginxMethod {
  /** A picker name of src/balance/registry.ts. */
  readonly name: 'round_robin' | 'least_conn' | 'ip_hash' | 'hash' | 'random';
  /** Picker flags: `consistent` for hash, `two` for random. */
  readonly flags: readonly string[];
  /** The `hash` key as written (`$request_uri`, `$remote_addr`); the proxy evaluates it. */
  readonly key?: string;
  readonly pos?: SourcePos;
}

export interface NginxUpstream {
  readonly name: string;
  readonly pos: SourcePos;
  readonly method: NginxMethod;
  readonly servers: readonly NginxUpstreamServer[];
  /** `keepalive N`: idle upstream connections cached per worker (null: no cache, nginx's default). */
  readonly keepalive: number | null;
  /** `keepalive_requests` (nginx default 1000). */
  readonly keepaliveRequests: number;
  /** `keepalive_timeout` in the upstream block (nginx default 60s). */
  readonly keepaliveTimeoutMs: number;
}

export interface NginxUpstreamServer {
  /** The server as written (`192.168.0.42`, `10.0.0.1:8080`): nginx's consistent hash uses it. */
  readonly address: string;
  readonly host: string;
  readonly port: number;
  /** Backend id as src/core/backend.ts forms it (`ip:port`, `[v6]:port`). */
  readonly id: string;
  readonly weight: number;
  readonly maxFails: number;
  readonly failTimeoutMs: number;
  readonly backup: boolean;
  readonly down: boolean;
  /** 0 = unlimited. */
  readonly maxConns: number;
  readonly pos: SourcePos;
}

export interface NginxListen {
  /** Address to bind: `0.0.0.0` for `*` or none, `::` for `[::]`. */
  readonly address: string;
  readonly port: number;
  readonly defaultServer: boolean;
  /** Stream `listen ... udp`. */
  readonly udp: boolean;
  /**
   * `ipv6only=on|off` (nginx's default on): a `[::]` listener takes IPv6 only, so `listen [::]:53`
   * beside `listen 53` binds two sockets, as nginx does. Meaningless for IPv4 addresses.
   */
  readonly ipv6Only: boolean;
  readonly pos: SourcePos;
}

export interface NginxHeader {
  readonly name: string;
  /** The value as written, variables unevaluated; an empty value means "do not send". */
  readonly value: string;
  readonly pos?: SourcePos;
}

/** The proxy_* settings in force in a location (inherited http → server → location, as nginx). */
export interface NginxProxySettings {
  /** Request headers to set: nginx's defaults (`Host $proxy_host`, `Connection close`) and the user's. */
  readonly setHeaders: readonly NginxHeader[];
  /** `proxy_next_upstream` conditions (nginx default `error timeout`); `off` gives []. */
  readonly nextUpstream: readonly string[];
  /** 0 = unlimited (nginx's default). */
  readonly nextUpstreamTries: number;
  /** 0 = unlimited (nginx's default). */
  readonly nextUpstreamTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly readTimeoutMs: number;
  readonly sendTimeoutMs: number;
  /** `proxy_http_version`: nginx's default is 1.0 (1.1 is needed for upstream keep-alive). */
  readonly httpVersion: '1.0' | '1.1';
}

export interface NginxProxyPass {
  readonly scheme: 'http' | 'https';
  /** The upstream named, when the host is an upstream's name. */
  readonly upstream: string | null;
  /** The address when it names no upstream. */
  readonly host: string;
  readonly port: number;
  /**
   * The URI part, or null when there is none. With a URI, the part of the request path that
   * matched the location is replaced by it (`location /app/ { proxy_pass http://b/v2/; }` sends
   * `/app/x` as `/v2/x`); without one the request URI goes as the client sent it.
   */
  readonly uri: string | null;
  readonly pos: SourcePos;
}

export interface NginxLocation {
  /**
   * `prefix` (no modifier, or `^~`), `exact` (`=`) or `regex` (`~`, `~*`). nginx's order: an exact
   * match wins; else the longest prefix, which wins at once when it is `^~`; else the first regex
   * in the order written; else that longest prefix.
   */
  readonly match: 'prefix' | 'exact' | 'regex';
  /** The path, or the regular expression's source for `regex`. */
  readonly path: string;
  /** `^~`: when this is the longest matching prefix, regex locations are not tried. */
  readonly noRegex?: boolean;
  /** `~*`: the regex ignores case. */
  readonly caseless?: boolean;
  readonly proxyPass: NginxProxyPass | null;
  readonly proxy: NginxProxySettings;
  readonly pos: SourcePos;
}

export interface NginxHttpServer {
  readonly listen: readonly NginxListen[];
  readonly serverNames: readonly string[];
  readonly locations: readonly NginxLocation[];
  readonly pos: SourcePos;
}

export interface NginxStreamServer {
  readonly listen: readonly NginxListen[];
  readonly proxyPass: { readonly upstream: string | null; readonly host: string; readonly port: number; readonly pos: SourcePos } | null;
  /** nginx stream default 60s. */
  readonly connectTimeoutMs: number;
  /** `proxy_timeout`: idle time between two reads or writes (nginx stream default 10m). */
  readonly timeoutMs: number;
  /** `proxy_next_upstream on|off` (default on). */
  readonly nextUpstream: boolean;
  readonly nextUpstreamTries: number;
  readonly nextUpstreamTimeoutMs: number;
  readonly pos: SourcePos;
}

/** nginx's defaults, in one place (the docs table is written from these). */
export const NGINX_DEFAULTS = {
  weight: 1,
  maxFails: 1,
  failTimeoutMs: 10_000,
  maxConns: 0,
  keepaliveRequests: 1000,
  keepaliveTimeoutMs: 60_000,
  proxyConnectTimeoutMs: 60_000,
  proxyReadTimeoutMs: 60_000,
  proxySendTimeoutMs: 60_000,
  proxyHttpVersion: '1.0',
  proxyNextUpstream: ['error', 'timeout'],
  streamConnectTimeoutMs: 60_000,
  streamProxyTimeoutMs: 600_000,
  listenPort: 80,
  upstreamPort: 80,
} as const;
