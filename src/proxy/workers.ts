/**
 * The supervisor's side of the proxy workers: one worker per core by default (nginx
 * `worker_processes auto`), forked with node:cluster in SCHED_NONE mode, so the listening handle
 * is shared and each worker accepts by itself (the kernel spreads connections; the primary's
 * round-robin hand-off would cost a process hop per connection).
 *
 * - `reload(config)` sends the new config to every worker, which applies it in place (see
 *   ./worker.ts): nothing is refused or dropped.
 * - `roll()` replaces the workers (new code, leaked memory): new workers start and are ready
 *   before the old ones are told to drain, and those are killed after `drainBoundMs` at the latest.
 *   The shared listening handle stays open throughout, so no connection is refused.
 * - A worker that dies is restarted (bounded: at most `maxRestartsPerMinute`).
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { BackendState } from '../core/backend.js';
import { addCounters, decodeFromWorker, type FromWorker, type ToWorker } from './ipc.js';
import { newCounters, type PoolSpec, type ProxyCounters, type ServiceSpec } from './types.js';
import type { ProxyLog } from './http-proxy.js';

export interface WorkerPoolOptions {
  /** Workers to run (default: one per core). */
  readonly count?: number;
  /** How long old workers may take to finish their connections (default 30s). */
  readonly drainBoundMs?: number;
  readonly maxRestartsPerMinute?: number;
  readonly log?: ProxyLog;
  /** How long to wait for a worker to apply a config (default 10s). */
  readonly readyTimeoutMs?: number;
}

export interface ProxyConfig {
  readonly services: readonly ServiceSpec[];
  readonly pools: readonly PoolSpec[];
}

interface Slot {
  worker: Worker;
  gen: number;
  ports: Record<string, number>;
  counters: ProxyCounters;
  retiring: boolean;
}

export class WorkerPool {
  private readonly slots = new Map<number, Slot>();
  /** Counters of workers that are gone, so totals never go back. */
  private retired: ProxyCounters = newCounters();
  private config: ProxyConfig = { services: [], pools: [] };
  private gen = 0;
  private states: Array<BackendState & { readonly pool?: string }> = [];
  private stopping = false;
  private restarts: number[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(private readonly opts: WorkerPoolOptions = {}) {}

  get count(): number {
    return this.opts.count ?? availableParallelism();
  }

  async start(config: ProxyConfig): Promise<void> {
    this.config = config;
    this.gen++;
    // must be set before the first fork (node docs: cluster.schedulingPolicy)
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    cluster.setupPrimary({ exec: fileURLToPath(new URL('./worker-main.js', import.meta.url)), silent: false });
    for (let i = 0; i < this.count; i++) this.fork();
    await this.waitReady(this.gen);
  }

  private fork(): Slot {
    const worker = cluster.fork({ HALO_ROLE: 'proxy-worker' });
    const slot: Slot = { worker, gen: 0, ports: {}, counters: newCounters(), retiring: false };
    this.slots.set(worker.id, slot);
    worker.on('message', (raw: unknown) => {
      const d = decodeFromWorker(raw);
      if (!d.ok) {
        this.opts.log?.('error', 'HALO_PRX_IPC_BAD_MESSAGE', `Proxy supervisor refused a message from worker ${worker.process.pid ?? '?'}: ${d.reason}`);
        return;
      }
      this.onMessage(slot, d.msg);
    });
    worker.on('exit', (code, signal) => this.onExit(slot, code, signal));
    return slot;
  }

  private onMessage(slot: Slot, m: FromWorker): void {
    switch (m.t) {
      case 'hello':
        this.sendTo(slot, { t: 'config', gen: this.gen, services: this.config.services, pools: this.config.pools });
        if (this.states.length > 0) this.sendTo(slot, { t: 'states', states: this.states });
        break;
      case 'ready':
        slot.gen = m.gen;
        slot.ports = { ...m.ports };
        break;
      case 'counters':
        slot.counters = m.counters;
        break;
      case 'log':
        this.opts.log?.(m.level, m.code, m.message);
        break;
      case 'drained':
        break;
    }
    for (const w of this.waiters) w();
  }

  private onExit(slot: Slot, code: number | null, signal: string | null): void {
    this.slots.delete(slot.worker.id);
    this.retired = addCounters(this.retired, slot.counters);
    for (const w of this.waiters) w();
    if (slot.retiring || this.stopping) return;
    this.opts.log?.('error', 'HALO_PRX_WORKER_EXITED', `Proxy worker ${slot.worker.process.pid ?? '?'} exited: ${signal ?? `status ${code ?? '?'}`}`);
    const now = Date.now();
    this.restarts = this.restarts.filter((t) => now - t < 60_000);
    if (this.restarts.length >= (this.opts.maxRestartsPerMinute ?? 10)) {
      this.opts.log?.('error', 'HALO_PRX_WORKER_EXITED', 'Proxy workers keep exiting: not restarting for now');
      return;
    }
    this.restarts.push(now);
    setTimeout(() => {
      if (!this.stopping) this.fork();
    }, 200).unref();
  }

  private sendTo(slot: Slot, m: ToWorker): void {
    if (slot.worker.isConnected()) slot.worker.send(m);
  }

  /** Resolves when every live, non-retiring worker runs config `gen` (bounded). */
  private waitReady(gen: number): Promise<void> {
    const timeoutMs = this.opts.readyTimeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const live = [...this.slots.values()].filter((s) => !s.retiring);
        if (live.length >= this.count && live.every((s) => s.gen >= gen)) {
          this.waiters.delete(check);
          clearTimeout(timer);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`Proxy workers did not apply config ${gen} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /** Applies a new config in every worker, in place (no listener is closed if it stays). */
  async reload(config: ProxyConfig): Promise<void> {
    this.config = config;
    this.gen++;
    for (const s of this.slots.values()) if (!s.retiring) this.sendTo(s, { t: 'config', gen: this.gen, services: config.services, pools: config.pools });
    await this.waitReady(this.gen);
  }

  /** Replaces every worker: new ones first, then the old ones drain within the bound. */
  async roll(): Promise<void> {
    const old = [...this.slots.values()];
    for (const s of old) s.retiring = true;
    for (let i = 0; i < this.count; i++) this.fork();
    await this.waitReady(this.gen);
    await Promise.all(old.map((s) => this.retire(s)));
  }

  private retire(s: Slot): Promise<void> {
    const bound = this.opts.drainBoundMs ?? 30_000;
    return new Promise((resolve) => {
      if (s.worker.isDead()) return resolve();
      const timer = setTimeout(() => s.worker.process.kill('SIGKILL'), bound + 1000);
      s.worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      s.retiring = true;
      this.sendTo(s, { t: 'drain', deadlineMs: bound });
    });
  }

  setStates(states: ReadonlyArray<BackendState & { readonly pool?: string }>): void {
    const byKey = new Map(this.states.map((s) => [`${s.pool ?? ''}|${s.id}`, s]));
    for (const s of states) byKey.set(`${s.pool ?? ''}|${s.id}`, s);
    this.states = [...byKey.values()];
    for (const s of this.slots.values()) this.sendTo(s, { t: 'states', states });
  }

  /** Totals over every worker, past and present (refreshed by workers once a second). */
  counters(): ProxyCounters {
    let c = this.retired;
    for (const s of this.slots.values()) c = addCounters(c, s.counters);
    return c;
  }

  ports(): Record<string, number> {
    for (const s of this.slots.values()) if (!s.retiring) return { ...s.ports };
    return {};
  }

  workerPids(): number[] {
    return [...this.slots.values()].filter((s) => !s.retiring).map((s) => s.worker.process.pid ?? 0);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.slots.values()].map((s) => this.retire(s)));
  }
}
