/**
 * One proxy worker's run time, independent of how it is hosted (a cluster worker in production,
 * in-process in tests). It applies configs and backend states from the supervisor, reports
 * counters back, and drains on request.
 *
 * A reload keeps every listener whose protocol, address and port stay the same: the service gets
 * its new spec and pools in place, requests in flight finish on the pools they started with, so
 * no connection is refused or dropped. Listeners that disappear drain; new ones start.
 */
import type { BackendState } from '../core/backend.js';
import type { Prng } from '../core/prng.js';
import { buildPools, HttpService, type PickerRegistry, type ProxyLog } from './http-proxy.js';
import type { FromWorker, ToWorker } from './ipc.js';
import { TcpService } from './tcp-proxy.js';
import { newCounters, type PoolSpec, type ProxyCounters, type ServiceSpec } from './types.js';
import { UdpService } from './udp-proxy.js';
import { Ticker, type UpstreamPool } from './upstream.js';

type AnyService = HttpService | TcpService | UdpService;

function listenKey(s: ServiceSpec): string {
  return `${s.protocol}|${s.listenAddress}|${s.listenPort}|${s.ipv6Only === false ? 'dual' : 'v6only'}`;
}

export class ProxyWorker {
  readonly ticker: Ticker;
  readonly counters: ProxyCounters = newCounters();
  private readonly services = new Map<string, { spec: ServiceSpec; svc: AnyService }>();
  private pools = new Map<string, UpstreamPool>();
  private readonly states = new Map<string, BackendState & { readonly pool?: string }>();
  private readonly log: ProxyLog;
  private draining = false;

  constructor(
    private readonly pickers: PickerRegistry,
    private readonly prng: Prng,
    private readonly send: (m: FromWorker) => void,
    resolutionMs = 100,
  ) {
    this.ticker = new Ticker(resolutionMs);
    this.ticker.add({ tick: (now) => this.pools.forEach((p) => p.tick(now)) });
    this.log = (level, code, message) => this.send({ t: 'log', level, code, message });
  }

  async handle(m: ToWorker): Promise<void> {
    switch (m.t) {
      case 'config':
        await this.applyConfig(m.gen, m.services, m.pools);
        break;
      case 'states':
        for (const s of m.states) {
          this.states.set(s.pool !== undefined ? `${s.pool}|${s.id}` : s.id, s);
          this.applyState(s);
        }
        break;
      case 'drain':
        await this.drain(m.deadlineMs);
        break;
    }
  }

  private applyState(s: BackendState & { readonly pool?: string }): void {
    for (const [name, p] of this.pools) if (s.pool === undefined || s.pool === name) p.applyState(s);
  }

  async applyConfig(gen: number, services: readonly ServiceSpec[], poolSpecs: readonly PoolSpec[]): Promise<void> {
    const { pools, errors } = buildPools(poolSpecs, this.pickers, this.prng);
    for (const e of errors) this.log('error', 'HALO_PRX_UNKNOWN_PICKER', e);
    const oldPools = this.pools;
    this.pools = pools;
    for (const s of this.states.values()) this.applyState(s);
    const wanted = new Map(services.map((s) => [listenKey(s), s]));
    const deps = { ticker: this.ticker, counters: this.counters, log: this.log };
    for (const [key, cur] of this.services) {
      if (wanted.has(key)) continue;
      this.services.delete(key);
      void this.retire(cur.svc, 30_000);
    }
    for (const [key, spec] of wanted) {
      if (!pools.has(spec.pool)) this.log('error', 'HALO_PRX_UNKNOWN_POOL', `Service ${spec.name} names an unknown pool: ${spec.pool}`);
      const cur = this.services.get(key);
      if (cur !== undefined) {
        if (cur.svc instanceof HttpService) cur.svc.update(spec, pools);
        else {
          cur.svc.spec = spec;
          cur.svc.pools = pools;
        }
        cur.spec = spec;
        continue;
      }
      const svc = spec.protocol === 'http' ? new HttpService(spec, pools, deps) : spec.protocol === 'tcp' ? new TcpService(spec, pools, deps) : new UdpService(spec, pools, deps);
      try {
        await svc.listen();
        this.services.set(key, { spec, svc });
      } catch (e) {
        this.log('error', 'HALO_PRX_LISTEN_FAILED', `Cannot listen for service ${spec.name} on ${spec.listenAddress}:${spec.listenPort}: ${(e as Error).message}`);
      }
    }
    // kept connections of the old pools close; in-flight ones close when their exchange ends
    for (const p of oldPools.values()) p.close();
    const ports: Record<string, number> = {};
    for (const { spec, svc } of this.services.values()) ports[spec.name] = svc.port();
    this.send({ t: 'ready', gen, ports });
  }

  private async retire(svc: AnyService, boundMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([svc.drain(), new Promise<void>((r) => (timer = setTimeout(r, boundMs)))]);
    if (timer !== undefined) clearTimeout(timer);
    svc.destroy();
  }

  /** Stops accepting everywhere, lets in-flight work finish within `deadlineMs`, then closes all. */
  async drain(deadlineMs: number): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    await Promise.all([...this.services.values()].map(({ svc }) => this.retire(svc, deadlineMs)));
    this.services.clear();
    for (const p of this.pools.values()) p.close();
    this.ticker.stop();
    this.send({ t: 'counters', counters: this.counters });
    this.send({ t: 'drained' });
  }

  reportCounters(): void {
    this.send({ t: 'counters', counters: this.counters });
  }
}
