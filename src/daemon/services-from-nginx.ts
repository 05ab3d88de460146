/**
 * From the nginx model (src/config/nginx/model.ts) to what the proxy runs (src/proxy/types.ts):
 * one http service per listening address (its servers chosen by server_name), one stream service per stream listen, one pool per
 * upstream (and one per `proxy_pass http://host:port` that names no upstream). Every option the
 * model carries is carried over; what the proxy cannot express comes back as a positioned
 * diagnostic, never silently dropped.
 *
 * Pure: no I/O, no clock.
 */
import type { Diagnostic, SourcePos } from '../core/diagnostic.js';
import { NEXT_UPSTREAM_CONDITIONS } from '../config/keepalived/schema-halo.js';
import type { NginxHttpServer, NginxListen, NginxLocation, NginxModel, NginxProxySettings, NginxUpstream } from '../config/nginx/model.js';
import {
  DEFAULT_KEEPALIVE,
  DEFAULT_LIMITS,
  NGINX_TIMEOUTS,
  backendSpec,
  type BackendSpec,
  type NextUpstreamCondition,
  type PoolSpec,
  type Route,
  type RouteSettings,
  type ServiceSpec,
  type SetHeader,
  type VirtualHost,
} from '../proxy/types.js';

export interface MappedServices {
  readonly services: readonly ServiceSpec[];
  readonly pools: readonly PoolSpec[];
  readonly diagnostics: readonly Diagnostic[];
}

/** Stream upstreams live in their own namespace in nginx: their pools get this prefix. */
export const STREAM_POOL_PREFIX = 'stream:';

// The conditions halo's proxy honours: one list, kept with the keepalived `http_proxy` keywords.
const CONDITIONS: ReadonlySet<string> = new Set<NextUpstreamCondition>(NEXT_UPSTREAM_CONDITIONS);

function upstreamPool(u: NginxUpstream, name: string): PoolSpec {
  const backends: BackendSpec[] = u.servers.map((s) =>
    backendSpec(s.host, s.port, {
      weight: s.weight,
      backup: s.backup,
      maxConns: s.maxConns,
      maxFails: s.maxFails,
      failTimeoutMs: s.failTimeoutMs,
      down: s.down,
    }),
  );
  return {
    name,
    algorithm: u.method.name,
    flags: [...u.method.flags],
    ...(u.method.key !== undefined ? { hashKey: u.method.key } : {}),
    backends,
    keepalive: {
      // nginx keeps no idle upstream connection unless `keepalive N` is set
      maxIdle: u.keepalive ?? 0,
      idleTimeoutMs: u.keepaliveTimeoutMs,
      maxRequests: u.keepaliveRequests,
      maxLifetimeMs: DEFAULT_KEEPALIVE.maxLifetimeMs,
    },
  };
}

/** A `proxy_pass http://host:port` without an upstream: nginx's implicit one-server upstream. */
function directPool(name: string, host: string, port: number): PoolSpec {
  return {
    name,
    algorithm: 'round_robin',
    flags: [],
    backends: [backendSpec(host, port)],
    keepalive: { ...DEFAULT_KEEPALIVE, maxIdle: 0 },
  };
}

/** nginx's `$proxy_host`: the proxy_pass host, with the port when it is not the scheme's default. */
function proxyHostName(host: string, port: number, defaultPort: number): string {
  return port === defaultPort ? host : `${host}:${port}`;
}

function settingsKey(p: NginxProxySettings): string {
  return JSON.stringify({ ...p, setHeaders: p.setHeaders.map((h) => [h.name, h.value]) });
}

function listenKey(l: NginxListen): string {
  return l.address.includes(':') ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`;
}

/**
 * The headers to set. nginx's default `Connection: close` is left out when the proxy writes that
 * header itself (HTTP/1.0 upstream or no upstream keep-alive), so it is not sent twice.
 */
function setHeadersOf(p: NginxProxySettings, poolKeepsAlive: boolean): SetHeader[] {
  const proxyClosesItself = p.httpVersion === '1.0' || !poolKeepsAlive;
  return p.setHeaders
    .filter((h) => !(proxyClosesItself && h.name.toLowerCase() === 'connection' && h.value.toLowerCase() === 'close'))
    .map((h) => ({ name: h.name, value: h.value }));
}

/** A location's proxy settings as the proxy takes them (service-wide or per route). */
function settingsOf(p: NginxProxySettings, poolKeepsAlive: boolean): RouteSettings {
  return {
    connectMs: p.connectTimeoutMs,
    readMs: p.readTimeoutMs,
    sendMs: p.sendTimeoutMs,
    retry: {
      conditions: p.nextUpstream.filter((c): c is NextUpstreamCondition => CONDITIONS.has(c)),
      tries: p.nextUpstreamTries,
      timeoutMs: p.nextUpstreamTimeoutMs,
    },
    setHeaders: setHeadersOf(p, poolKeepsAlive),
    upstreamHttpVersion: p.httpVersion,
  };
}

export function servicesFromNginx(model: NginxModel): MappedServices {
  const diagnostics: Diagnostic[] = [];
  const note = (severity: Diagnostic['severity'], code: Diagnostic['code'], message: string, pos: SourcePos | undefined): void => {
    diagnostics.push({ severity, code, message, ...(pos !== undefined ? { pos } : {}) });
  };
  const pools = new Map<string, PoolSpec>();
  const services: ServiceSpec[] = [];

  if (model.http !== null) {
    const httpUpstreams = new Map(model.http.upstreams.map((u) => [u.name, u]));
    for (const u of model.http.upstreams) pools.set(u.name, upstreamPool(u, u.name));

    const poolFor = (l: NginxLocation): string | null => {
      const pass = l.proxyPass;
      if (pass === null) return null;
      if (pass.scheme !== 'http') {
        note('warning', 'HALO_DPL_NOT_SERVED', `Location is left out: proxy_pass to ${pass.scheme} backends is not supported`, pass.pos);
        return null;
      }
      if (pass.upstream !== null && httpUpstreams.has(pass.upstream)) return pass.upstream;
      const name = proxyHostName(pass.host, pass.port, 80);
      if (!pools.has(name)) pools.set(name, directPool(name, pass.host, pass.port));
      return name;
    };

    /** One server's routing: its pool for unmatched paths, its locations, its own settings. */
    const mapServer = (server: NginxHttpServer, key: string): VirtualHost | null => {
      const routes: Route[] = [];
      const routeLocations: NginxLocation[] = [];
      let defaultPool = '';
      for (const l of server.locations) {
        const pool = poolFor(l);
        if (pool === null) continue;
        routeLocations.push(l);
        const uri = l.proxyPass?.uri ?? null;
        routes.push({
          pathPrefix: l.path,
          pool,
          ...(l.match !== 'prefix' ? { match: l.match } : {}),
          ...(l.noRegex === true ? { noRegex: true } : {}),
          ...(l.caseless === true ? { caseless: true } : {}),
          ...(uri !== null ? { replaceUri: uri } : {}),
        });
        if (l.path === '/' && l.match === 'prefix' && uri === null) defaultPool = pool;
      }
      // the settings of `location /`, or of the first location that proxies
      const passing = server.locations.filter((l) => l.proxyPass !== null);
      const mainLoc = passing.find((l) => l.path === '/' && l.match === 'prefix') ?? passing[0];
      if (mainLoc === undefined) {
        note('warning', 'HALO_DPL_NOT_SERVED', `Server on ${key} is left out: none of its locations has a proxy_pass`, server.pos);
        return null;
      }
      // a location whose proxy settings differ from the server's carries its own
      for (const [i, l] of routeLocations.entries()) {
        const r = routes[i];
        if (r === undefined || l === mainLoc || settingsKey(l.proxy) === settingsKey(mainLoc.proxy)) continue;
        routes[i] = { ...r, settings: settingsOf(l.proxy, (pools.get(r.pool)?.keepalive.maxIdle ?? 0) > 0) };
      }
      if (defaultPool === '') {
        note('warning', 'HALO_DPL_NOT_SERVED', `Server on ${key} has no location / with a plain proxy_pass: requests outside its locations get 502 (nginx would serve files)`, server.pos);
      }
      const mainRoute = routes[routeLocations.indexOf(mainLoc)];
      const mainPool = pools.get(mainRoute?.pool ?? defaultPool);
      return {
        names: server.serverNames,
        pool: defaultPool,
        // a lone `location /` without URI needs no routing table
        routes: routes.length === 1 && routes[0]?.pathPrefix === '/' && routes[0].match === undefined && routes[0].replaceUri === undefined ? [] : routes,
        settings: settingsOf(mainLoc.proxy, (mainPool?.keepalive.maxIdle ?? 0) > 0),
      };
    };

    // the servers of each listening address, in config order, and its default server: the one
    // marked default_server there, else the first (nginx, "How nginx processes a request")
    const byListen = new Map<string, { listen: NginxListen; servers: NginxHttpServer[]; defaultServer: NginxHttpServer }>();
    for (const server of model.http.servers) {
      for (const listen of server.listen) {
        const key = listenKey(listen);
        const had = byListen.get(key);
        if (had === undefined) byListen.set(key, { listen, servers: [server], defaultServer: server });
        else {
          had.servers.push(server);
          if (listen.defaultServer) {
            had.defaultServer = server;
            had.listen = listen;
          }
        }
      }
    }

    for (const [key, { listen, servers, defaultServer }] of byListen) {
      const mapped = servers.map((s) => ({ server: s, vhost: mapServer(s, key) }));
      const vhosts = mapped.flatMap((m) => (m.vhost !== null ? [m.vhost] : []));
      let main = mapped.find((m) => m.server === defaultServer)?.vhost ?? null;
      if (main === null) {
        // the default server proxies nothing (already reported): the first server that does
        // takes the requests no name matches, rather than losing the named ones too
        main = vhosts[0] ?? null;
        if (main === null) continue;
        note('warning', 'HALO_DPL_NOT_SERVED', `Default server on ${key} proxies nothing: requests for other names go to server_name ${main.names.join(' ') || '""'}`, defaultServer.pos);
      }
      services.push({
        name: `http/${key}`,
        protocol: 'http',
        listenAddress: listen.address,
        listenPort: listen.port,
        ...(listen.address.includes(':') && !listen.ipv6Only ? { ipv6Only: false } : {}),
        ...(vhosts.length > 1 ? { vhosts } : {}),
        pool: main.pool,
        routes: main.routes,
        timeouts: { ...NGINX_TIMEOUTS, connectMs: main.settings.connectMs, readMs: main.settings.readMs, sendMs: main.settings.sendMs },
        limits: DEFAULT_LIMITS,
        retry: main.settings.retry,
        setHeaders: main.settings.setHeaders,
        upstreamHttpVersion: main.settings.upstreamHttpVersion,
      });
    }
  }

  if (model.stream !== null) {
    const streamUpstreams = new Map(model.stream.upstreams.map((u) => [u.name, u]));
    for (const u of model.stream.upstreams) pools.set(STREAM_POOL_PREFIX + u.name, upstreamPool(u, STREAM_POOL_PREFIX + u.name));
    for (const server of model.stream.servers) {
      const pass = server.proxyPass;
      if (pass === null) continue; // the loader already warned
      let pool: string;
      if (pass.upstream !== null && streamUpstreams.has(pass.upstream)) pool = STREAM_POOL_PREFIX + pass.upstream;
      else {
        pool = `${STREAM_POOL_PREFIX}${pass.host}:${pass.port}`;
        if (!pools.has(pool)) pools.set(pool, directPool(pool, pass.host, pass.port));
      }
      for (const listen of server.listen) {
        const protocol = listen.udp ? 'udp' : 'tcp';
        services.push({
          name: `${protocol}/${listenKey(listen)}`,
          protocol,
          listenAddress: listen.address,
          listenPort: listen.port,
          ...(listen.address.includes(':') && !listen.ipv6Only ? { ipv6Only: false } : {}),
          pool,
          routes: [],
          timeouts: { ...NGINX_TIMEOUTS, connectMs: server.connectTimeoutMs, idleMs: server.timeoutMs },
          limits: DEFAULT_LIMITS,
          retry: {
            conditions: server.nextUpstream ? ['error', 'timeout'] : [],
            tries: server.nextUpstreamTries,
            timeoutMs: server.nextUpstreamTimeoutMs,
          },
          setHeaders: [],
          upstreamHttpVersion: '1.1',
        });
      }
    }
  }

  return { services, pools: [...pools.values()], diagnostics };
}
