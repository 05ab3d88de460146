/**
 * The proxy plane: halo's data path as the daemon sees it. It runs the proxy workers
 * (src/proxy/workers.ts) for a list of services and pools, passes backend states from the
 * checker process and the API to every worker, reloads a new service list in place (no listener
 * that stays is closed, so no connection is dropped or refused), and stops within a drain bound.
 *
 * Services may come from several files (nginx.conf and keepalived.conf): `mergeServices` joins
 * them and refuses two services on one listening address.
 */
import type { BackendState } from '../core/backend.js';
import type { Diagnostic } from '../core/diagnostic.js';
import type { ProxyLog } from '../proxy/http-proxy.js';
import type { PoolSpec, ProxyCounters, ServiceSpec } from '../proxy/types.js';
import { WorkerPool, type ProxyConfig } from '../proxy/workers.js';
import type { MappedServices } from './services-from-nginx.js';

export interface ProxyPlaneOptions {
  /** Proxy workers (default: one per core). */
  readonly workers?: number;
  /** How long draining workers may keep their connections at stop and roll (default 30s). */
  readonly drainBoundMs?: number;
  /** How long workers may take to bind and apply a config (default 10s). */
  readonly readyTimeoutMs?: number;
  readonly log?: ProxyLog;
}

/** A backend state for one pool (or, without `pool`, for that backend id in every pool). */
export type PoolBackendState = BackendState & { readonly pool?: string };

function listenKey(s: ServiceSpec): string {
  const udp = s.protocol === 'udp' ? 'udp' : 'tcp';
  return `${udp}/${s.listenAddress.includes(':') ? `[${s.listenAddress}]` : s.listenAddress}:${s.listenPort}`;
}

function clashes(a: ServiceSpec, b: ServiceSpec): boolean {
  if ((a.protocol === 'udp') !== (b.protocol === 'udp') || a.listenPort !== b.listenPort) return false;
  if (a.listenAddress === b.listenAddress) return true;
  const v6 = (x: string): boolean => x.includes(':');
  const wild = (x: string): boolean => x === '0.0.0.0' || x === '::';
  // `[::]` with ipv6only=off takes IPv4 too (nginx's default, on, keeps the families apart)
  const dual = (x: ServiceSpec): boolean => x.listenAddress === '::' && x.ipv6Only === false;
  if (dual(a) || dual(b)) return true;
  // a wildcard bind and a specific one of the same family on one port: the second bind fails
  return v6(a.listenAddress) === v6(b.listenAddress) && (wild(a.listenAddress) || wild(b.listenAddress));
}

/**
 * Joins the services of several sources. A service whose listening address clashes with one
 * already taken is left out with an error, as is a service whose pool name another source
 * defines differently.
 */
export function mergeServices(parts: readonly MappedServices[]): MappedServices {
  const services: ServiceSpec[] = [];
  const pools = new Map<string, PoolSpec>();
  const diagnostics: Diagnostic[] = [];
  for (const part of parts) {
    diagnostics.push(...part.diagnostics);
    const localPools = new Map(part.pools.map((p) => [p.name, p]));
    for (const s of part.services) {
      const clash = services.find((t) => clashes(s, t));
      if (clash !== undefined) {
        diagnostics.push({ severity: 'error', code: 'HALO_DPL_NOT_SERVED', message: `Service ${s.name} is left out: ${clash.name} already listens there (${listenKey(clash)})` });
        continue;
      }
      const wanted = [s.pool, ...s.routes.map((r) => r.pool), ...(s.vhosts ?? []).flatMap((v) => [v.pool, ...v.routes.map((r) => r.pool)])].flatMap((n) => {
        const p = localPools.get(n);
        return p !== undefined ? [p] : [];
      });
      const conflict = wanted.find((p) => {
        const existing = pools.get(p.name);
        return existing !== undefined && JSON.stringify(existing) !== JSON.stringify(p);
      });
      if (conflict !== undefined) {
        diagnostics.push({ severity: 'error', code: 'HALO_DPL_NOT_SERVED', message: `Service ${s.name} is left out: another file defines pool ${conflict.name} differently` });
        continue;
      }
      services.push(s);
      for (const p of wanted) pools.set(p.name, p);
    }
  }
  return { services, pools: [...pools.values()], diagnostics };
}

export class ProxyPlane {
  private readonly workers: WorkerPool;
  private running = false;

  constructor(opts: ProxyPlaneOptions = {}) {
    this.workers = new WorkerPool({
      ...(opts.workers !== undefined ? { count: opts.workers } : {}),
      ...(opts.drainBoundMs !== undefined ? { drainBoundMs: opts.drainBoundMs } : {}),
      ...(opts.readyTimeoutMs !== undefined ? { readyTimeoutMs: opts.readyTimeoutMs } : {}),
      ...(opts.log !== undefined ? { log: opts.log } : {}),
    });
  }

  /** Forks the workers and resolves once every one listens on every service. */
  async start(config: ProxyConfig): Promise<void> {
    if (this.running) throw new Error('Proxy plane is already running');
    this.running = true;
    await this.workers.start(config);
  }

  /** A new service list, applied in place by every worker. */
  async reload(config: ProxyConfig): Promise<void> {
    await this.workers.reload(config);
  }

  /** Replaces the workers (new ones first; the old ones drain within the bound). */
  async roll(): Promise<void> {
    await this.workers.roll();
  }

  /**
   * Health, admin state and weights from the checker process or the API. Every worker gets them
   * and new workers get the latest state of every backend when they start.
   */
  setStates(states: readonly PoolBackendState[]): void {
    if (states.length > 0) this.workers.setStates(states);
  }

  counters(): ProxyCounters {
    return this.workers.counters();
  }

  /** Bound ports by service name (for services configured with port 0). */
  ports(): Record<string, number> {
    return this.workers.ports();
  }

  /** The services of `config` that no worker listens for (their bind failed: logged by the worker). */
  notListening(config: ProxyConfig): string[] {
    const ports = this.workers.ports();
    return config.services.filter((s) => ports[s.name] === undefined).map((s) => s.name);
  }

  workerPids(): number[] {
    return this.workers.workerPids();
  }

  /** Drains every worker within the bound and resolves once they are gone. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.workers.stop();
  }
}
