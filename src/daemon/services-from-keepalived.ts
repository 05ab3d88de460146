/**
 * From keepalived `virtual_server`s (src/config/keepalived/model.ts) to what halo's proxy runs
 * (src/proxy/types.ts). There is no IPVS here (containers, this machine): halo serves
 * `virtual_server IP PORT` itself, so `lb_kind` NAT, DR and TUN all behave as a full proxy, and
 * the mapping says so once. `http_proxy { }` (a halo extension) makes a virtual server L7.
 *
 * Pure: no I/O, no clock.
 */
import type { Diagnostic, SourcePos } from '../core/diagnostic.js';
import type { KeepalivedModel, VirtualServer } from '../config/keepalived/model.js';
import { parseGranularity } from '../balance/persistence.js';
import { LVS_DEFAULT_PICKER, PICKERS } from '../balance/registry.js';
import {
  DEFAULT_KEEPALIVE,
  DEFAULT_LIMITS,
  DEFAULT_RETRY,
  NGINX_TIMEOUTS,
  backendSpec,
  type BackendSpec,
  type NextUpstreamCondition,
  type PoolPersistence,
  type PoolSpec,
  type ServiceSpec,
  type Timeouts,
} from '../proxy/types.js';
import type { MappedServices } from './services-from-nginx.js';

/** IPVS's own idle timeouts (`ipvsadm --set 900 120 300`): tcp established and udp. */
export const IPVS_TCP_IDLE_MS = 900_000;
export const IPVS_UDP_IDLE_MS = 300_000;

/**
 * Header values in `http_proxy` write nginx variables as `%name` (`$name` is keepalived's macro
 * syntax); `%%` is a literal percent sign. The proxy's templates use `$name`.
 */
export function headerTemplate(value: string): string {
  return value.replace(/%(%|[A-Za-z_][A-Za-z0-9_]*)/g, (_m, name: string) => (name === '%' ? '%' : `$${name}`));
}

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function persistenceOf(vs: VirtualServer): PoolPersistence | undefined {
  if (vs.persistenceTimeoutS === undefined || vs.persistenceTimeoutS <= 0) return undefined;
  const g = vs.persistenceGranularity !== undefined ? parseGranularity(vs.persistenceGranularity) : undefined;
  return {
    timeoutMs: vs.persistenceTimeoutS * 1000,
    ...(g?.ipv4PrefixLen !== undefined ? { ipv4PrefixLen: g.ipv4PrefixLen } : {}),
    ...(g?.ipv6PrefixLen !== undefined ? { ipv6PrefixLen: g.ipv6PrefixLen } : {}),
  };
}

export function servicesFromKeepalived(model: KeepalivedModel): MappedServices {
  const diagnostics: Diagnostic[] = [];
  const note = (severity: Diagnostic['severity'], code: Diagnostic['code'], message: string, pos: SourcePos | undefined): void => {
    diagnostics.push({ severity, code, message, ...(pos !== undefined ? { pos } : {}) });
  };
  const services: ServiceSpec[] = [];
  const pools: PoolSpec[] = [];
  const fullProxy: { vs: VirtualServer; name: string }[] = [];

  for (const vs of model.virtualServers) {
    if (vs.key.kind !== 'address') {
      const what = vs.key.kind === 'fwmark' ? `fwmark ${vs.key.fwmark}` : `group ${vs.key.group}`;
      note('warning', 'HALO_DPL_NOT_SERVED', `Virtual server is left out: ${what} needs IPVS (halo's proxy serves IP PORT virtual servers)`, vs.pos);
      continue;
    }
    const { address } = vs.key;
    const port = vs.key.port ?? 0;
    const http = vs.httpProxy;
    // keepalived defaults `protocol` to UDP; an HTTP service without one is meant as TCP
    const protocol = vs.keywordPos['protocol'] === undefined && http !== undefined ? 'TCP' : vs.protocol;
    const name = `${protocol === 'UDP' ? 'udp' : 'tcp'}/${hostPort(address, port)}`;
    if (protocol === 'SCTP') {
      note('warning', 'HALO_DPL_NOT_SERVED', `Virtual server ${hostPort(address, port)} is left out: the proxy serves TCP and UDP, not SCTP`, vs.pos);
      continue;
    }
    if (http !== undefined && protocol === 'UDP') {
      note('error', 'HALO_DPL_NOT_SERVED', `Virtual server ${hostPort(address, port)} is left out: http_proxy needs protocol TCP`, http.pos);
      continue;
    }
    if (port === 0) {
      note('warning', 'HALO_DPL_NOT_SERVED', `Virtual server ${address} is left out: it names no port (all ports needs IPVS)`, vs.pos);
      continue;
    }

    let algorithm: string = vs.lvsSched;
    if (!Object.prototype.hasOwnProperty.call(PICKERS, algorithm)) {
      note('warning', 'HALO_DPL_SCHEDULER', `Scheduler ${vs.lvsSched} is served as ${LVS_DEFAULT_PICKER}`, vs.keywordPos['lvs_sched'] ?? vs.pos);
      algorithm = LVS_DEFAULT_PICKER;
    }
    const known = PICKERS[algorithm]?.flags ?? [];
    const flags = vs.schedFlags.filter((f) => known.includes(f));

    const backends: BackendSpec[] = vs.realServers.map((rs) =>
      backendSpec(rs.address, rs.port ?? port, {
        weight: rs.weight,
        // LVS u-threshold: no new connections above it, as nginx max_conns
        maxConns: rs.uthreshold ?? 0,
        // health comes from the checkers, as with IPVS; no passive accounting by default
        maxFails: 0,
      }),
    );
    if (vs.sorryServer !== undefined) {
      // keepalived sends traffic to the sorry server when every real server is out: a backup
      backends.push(backendSpec(vs.sorryServer.address, vs.sorryServer.port ?? port, { backup: true, maxFails: 0 }));
    }
    const persistence = persistenceOf(vs);
    const pool: PoolSpec = {
      name,
      algorithm,
      flags,
      backends,
      keepalive: http !== undefined ? { ...DEFAULT_KEEPALIVE, ...(http.keepalive !== undefined ? { maxIdle: http.keepalive } : {}) } : DEFAULT_KEEPALIVE,
      ...(persistence !== undefined ? { persistence } : {}),
    };
    pools.push(pool);

    let timeouts: Timeouts = { ...NGINX_TIMEOUTS, idleMs: protocol === 'UDP' ? IPVS_UDP_IDLE_MS : IPVS_TCP_IDLE_MS };
    if (http !== undefined) {
      timeouts = {
        ...timeouts,
        ...(http.connectTimeoutMs !== undefined ? { connectMs: http.connectTimeoutMs } : {}),
        ...(http.readTimeoutMs !== undefined ? { readMs: http.readTimeoutMs } : {}),
        ...(http.sendTimeoutMs !== undefined ? { sendMs: http.sendTimeoutMs } : {}),
      };
    }
    services.push({
      name,
      protocol: http !== undefined ? 'http' : protocol === 'UDP' ? 'udp' : 'tcp',
      listenAddress: address,
      listenPort: port,
      pool: name,
      routes: [],
      timeouts,
      limits: DEFAULT_LIMITS,
      retry:
        http === undefined
          ? DEFAULT_RETRY
          : {
              conditions: (http.nextUpstream ?? DEFAULT_RETRY.conditions) as NextUpstreamCondition[],
              tries: http.nextUpstreamTries ?? 0,
              timeoutMs: http.nextUpstreamTimeoutMs ?? 0,
            },
      setHeaders: http === undefined ? [] : http.setHeaders.map((h) => ({ name: h.name, value: headerTemplate(h.value) })),
      upstreamHttpVersion: http?.httpVersion ?? '1.1',
    });
    fullProxy.push({ vs, name });
  }

  const first = fullProxy[0];
  if (first !== undefined) {
    // said once for the whole file, not per virtual server (the log would repeat it at every reload)
    const kinds = [...new Set(fullProxy.map((f) => f.vs.lvsMethod.method))].sort().join('/');
    const more = fullProxy.length > 1 ? ` and ${fullProxy.length - 1} more` : '';
    note(
      'info',
      'HALO_DPL_FULL_PROXY',
      `Virtual servers are served by the halo proxy, not IPVS: lb_kind ${kinds} behaves as a full proxy (${first.name}${more})`,
      first.vs.keywordPos['lvs_method'] ?? first.vs.pos,
    );
  }
  return { services, pools, diagnostics };
}
