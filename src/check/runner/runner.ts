/**
 * The check runner: runs the schedule with real timers, calls the probes, feeds the pure policy
 * and emits what changed. It is meant for the checker process (never the VRRP process); the
 * process wiring comes later, so it is a plain class with an event emitter.
 *
 * One timer serves all checkers: deadlines sit in a heap (schedule.DueQueue), and the timer is
 * armed for the earliest. In-flight probes are bounded (`maxInFlight`); a checker whose turn
 * comes while the bound is reached waits for a free slot. Each checker has at most one probe in
 * flight and one deadline, so memory is bounded by the number of checkers.
 *
 * Events (all synchronous, after the policy has decided):
 *   'check'   (vsId, CheckEvent)        every policy event: checker/server up/down, weight, quorum, sorry
 *   'backend' (vsId, BackendState)      a backend's health or effective weight changed
 *   'pool'    (vsId, PoolEntry[])       what the data plane should now carry for that service
 *   'probe'   (ProbeRecord)             every finished probe, for statistics and logs
 */
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { BackendState } from '../../core/backend.js';
import { SeededPrng, type Prng } from '../../core/prng.js';
import {
  applyProbe,
  backendStates,
  initialPool,
  nextTickMs,
  poolView,
  setSuspended,
  shutdownEvents,
  tick,
  urlsToProbe,
  type PoolEntry,
  type PoolState,
  type ProbeOutcome,
} from '../policy.js';
import { runProbe, type ProbeContext } from '../probes/index.js';
import { carryPool, type CarriedHealth } from '../carry.js';
import { DueQueue, initialDelayMs, nextDelayMs, type SpreadMode } from '../schedule.js';
import type { CheckSpec, VirtualServerSpec } from '../spec.js';

export type ProbeFn = (spec: CheckSpec, ctx: ProbeContext) => Promise<ProbeOutcome>;

export interface RunnerOptions {
  readonly prng?: Prng;
  /** `even` (default) spreads first checks evenly over the warmup window; `random` is keepalived's. */
  readonly spread?: SpreadMode;
  /** Most probes in flight at once (default 4096). */
  readonly maxInFlight?: number;
  /** Replaces the real probes (tests, simulations). */
  readonly probe?: ProbeFn;
  /** Monotonic milliseconds (default performance.now). */
  readonly nowMs?: () => number;
  /** Health judged before a reload, by virtual server and real server id (src/check/carry.ts). */
  readonly carried?: (vsId: string, serverId: string) => CarriedHealth | undefined;
}

export interface ProbeRecord {
  readonly vsId: string;
  readonly serverId: string;
  readonly checker: number;
  readonly dueMs: number;
  readonly startedMs: number;
  readonly outcome: ProbeOutcome;
}

interface Slot {
  readonly vs: number;
  readonly rs: number;
  readonly ck: number;
  dueMs: number;
  inFlight: boolean;
}

export interface RunnerStats {
  probes: number;
  failures: number;
  inFlight: number;
  /** Probes that started later than due because maxInFlight was reached. */
  deferred: number;
}

export class CheckRunner extends EventEmitter {
  private readonly services: readonly VirtualServerSpec[];
  private readonly states: PoolState[] = [];
  private readonly pools: string[] = [];
  private readonly backendKeys: Map<string, string>[] = [];
  private readonly slots: Slot[] = [];
  private readonly queue = new DueQueue();
  private readonly waiting: number[] = [];
  private readonly tickTimers: (NodeJS.Timeout | undefined)[] = [];
  private readonly prng: Prng;
  private readonly spread: SpreadMode;
  private readonly maxInFlight: number;
  private readonly probe: ProbeFn;
  private readonly now: () => number;
  private readonly heloName = hostname();
  private timer: NodeJS.Timeout | undefined;
  private timerAtMs = Infinity;
  private running = false;
  private readonly carried: RunnerOptions['carried'];
  private readonly inFlight = new Set<Promise<void>>();
  readonly stats: RunnerStats = { probes: 0, failures: 0, inFlight: 0, deferred: 0 };

  constructor(services: readonly VirtualServerSpec[], options: RunnerOptions = {}) {
    super();
    this.services = services;
    this.prng = options.prng ?? new SeededPrng((Date.now() ^ process.pid) >>> 0);
    this.spread = options.spread ?? 'even';
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 4096);
    this.probe = options.probe ?? runProbe;
    this.now = options.nowMs ?? (() => performance.now());
    this.carried = options.carried;
    services.forEach((vs, v) => vs.realServers.forEach((rs, r) => rs.checkers.forEach((_c, k) => this.slots.push({ vs: v, rs: r, ck: k, dueMs: 0, inFlight: false }))));
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const nowMs = this.now();
    this.services.forEach((vs, v) => {
      const carried = this.carried;
      const init = carried === undefined ? initialPool(vs, nowMs) : carryPool(vs, initialPool(vs, nowMs), (id) => carried(vs.id, id), nowMs);
      this.states[v] = init.state;
      this.backendKeys[v] = new Map();
      for (const e of init.events) this.emit('check', vs.id, e);
      this.publish(v, nowMs);
    });
    const count = this.slots.length;
    this.slots.forEach((slot, i) => {
      const spec = this.specOf(slot);
      slot.dueMs = nowMs + initialDelayMs(spec, this.prng, this.spread, i, count);
      this.queue.set(i, slot.dueMs);
    });
    this.arm();
  }

  /** Stops the timers, waits for probes in flight, and emits omega's shutdown events. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const t of this.tickTimers) if (t) clearTimeout(t);
    await Promise.all([...this.inFlight]);
    const nowMs = this.now();
    this.services.forEach((vs, v) => {
      const st = this.states[v];
      if (st) for (const e of shutdownEvents(vs, st, nowMs)) this.emit('check', vs.id, e);
    });
  }

  /** ha_suspend: tell the runner whether the service address is on this director. */
  setAddressPresent(vsId: string, present: boolean): void {
    const v = this.services.findIndex((s) => s.id === vsId);
    const vs = this.services[v];
    const st = this.states[v];
    if (!vs || !st || !vs.haSuspend) return;
    this.states[v] = setSuspended(st, !present);
  }

  /**
   * Makes every checker whose spec matches due now (BFD_CHECK when its session changes state):
   * event-driven checkers do not wait for their delay_loop. A probe in flight is left alone.
   */
  recheckNow(matches: (spec: CheckSpec) => boolean): number {
    if (!this.running) return 0;
    const nowMs = this.now();
    let count = 0;
    this.slots.forEach((slot, i) => {
      if (slot.inFlight || !matches(this.specOf(slot))) return;
      slot.dueMs = nowMs;
      this.queue.set(i, nowMs);
      count++;
    });
    if (count > 0) {
      // The timer may be armed for later than now: re-arm for the new earliest deadline.
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.timerAtMs = Infinity;
      this.arm();
    }
    return count;
  }

  pool(vsId: string): readonly PoolEntry[] {
    const v = this.services.findIndex((s) => s.id === vsId);
    const vs = this.services[v];
    const st = this.states[v];
    return vs && st ? poolView(vs, st, this.now()) : [];
  }

  backends(vsId: string): readonly BackendState[] {
    const v = this.services.findIndex((s) => s.id === vsId);
    const vs = this.services[v];
    const st = this.states[v];
    return vs && st ? backendStates(vs, st, this.now()) : [];
  }

  private specOf(slot: Slot): CheckSpec {
    return this.services[slot.vs]!.realServers[slot.rs]!.checkers[slot.ck]!;
  }

  private arm(): void {
    if (!this.running) return;
    const due = this.queue.peekDueMs();
    if (due === undefined) return;
    if (this.timer && due >= this.timerAtMs) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAtMs = due;
    this.timer = setTimeout(() => this.fire(), Math.max(0, due - this.now()));
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAtMs = Infinity;
    if (!this.running) return;
    const nowMs = this.now();
    // Bounded batch per wake-up so one turn of the event loop stays short.
    for (const i of this.queue.popDue(nowMs, 1024)) {
      if (this.stats.inFlight + this.waiting.length >= this.maxInFlight) this.stats.deferred++;
      this.waiting.push(i);
    }
    this.drain();
    this.arm();
  }

  private drain(): void {
    while (this.waiting.length > 0 && this.stats.inFlight < this.maxInFlight) {
      const i = this.waiting.shift() as number;
      this.launch(i);
    }
  }

  private launch(i: number): void {
    const slot = this.slots[i];
    if (!slot || slot.inFlight) return;
    const vs = this.services[slot.vs]!;
    const rs = vs.realServers[slot.rs]!;
    const spec = this.specOf(slot);
    const st = this.states[slot.vs]!;
    const startedMs = this.now();
    if (st.suspended) {
      slot.dueMs = startedMs + spec.delayLoopMs;
      this.queue.set(i, slot.dueMs);
      return;
    }
    const checker = st.servers[slot.rs]!.checkers[slot.ck]!;
    const ctx: ProbeContext = {
      server: { address: rs.address, port: rs.port },
      urlIndexes: urlsToProbe(spec, checker),
      heloName: this.heloName,
      ...(vs.virtualhost !== undefined ? { virtualhost: vs.virtualhost } : {}),
    };
    slot.inFlight = true;
    this.stats.inFlight++;
    const dueMs = slot.dueMs;
    const p = this.probe(spec, ctx).then(
      (outcome) => this.finish(i, dueMs, startedMs, outcome),
      (err: unknown) => this.finish(i, dueMs, startedMs, { ok: false, detail: `probe error: ${String(err)}`, durationMs: 0 }),
    );
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private finish(i: number, dueMs: number, startedMs: number, outcome: ProbeOutcome): void {
    const slot = this.slots[i]!;
    slot.inFlight = false;
    this.stats.inFlight--;
    this.stats.probes++;
    if (!outcome.ok) this.stats.failures++;
    const vs = this.services[slot.vs]!;
    const nowMs = this.now();
    this.emit('probe', { vsId: vs.id, serverId: vs.realServers[slot.rs]!.id, checker: slot.ck, dueMs, startedMs, outcome } satisfies ProbeRecord);
    if (!this.running) return;
    const step = applyProbe(vs, this.states[slot.vs]!, slot.rs, slot.ck, outcome, nowMs);
    this.states[slot.vs] = step.state;
    for (const e of step.events) this.emit('check', vs.id, e);
    if (step.events.length > 0) this.schedulePublish(slot.vs);
    // Keep each checker's phase (and so the spread): the next check is due one delay_loop after
    // this one was due. A check that ran past that point waits a full delay_loop from its end,
    // as keepalived does, and retries always count from the end of the failed check.
    const delayMs = nextDelayMs(this.specOf(slot), step.next, this.prng);
    slot.dueMs = step.next === 'loop' && dueMs + delayMs > nowMs ? dueMs + delayMs : nowMs + delayMs;
    this.queue.set(i, slot.dueMs);
    this.drain();
    this.arm();
  }

  private readonly publishPending = new Set<number>();

  /**
   * Coalesces publishing: when many servers change in one burst (a switch dies under 10,000
   * servers), the pool is rebuilt once per event-loop turn instead of once per server.
   */
  private schedulePublish(v: number): void {
    if (this.publishPending.has(v)) return;
    this.publishPending.add(v);
    setImmediate(() => {
      this.publishPending.delete(v);
      if (this.running) this.publish(v, this.now());
    });
  }

  /** Emits backend states and the pool when they changed, and arms the slow-start tick. */
  private publish(v: number, nowMs: number): void {
    const vs = this.services[v]!;
    const st = this.states[v]!;
    const keys = this.backendKeys[v]!;
    for (const b of backendStates(vs, st, nowMs)) {
      const key = `${b.health}/${b.effectiveWeight}`;
      if (keys.get(b.id) !== key) {
        keys.set(b.id, key);
        this.emit('backend', vs.id, b);
      }
    }
    const pool = poolView(vs, st, nowMs);
    const poolKey = JSON.stringify(pool);
    if (this.pools[v] !== poolKey) {
      this.pools[v] = poolKey;
      this.emit('pool', vs.id, pool);
    }
    const at = nextTickMs(vs, st, nowMs);
    const old = this.tickTimers[v];
    if (old) clearTimeout(old);
    this.tickTimers[v] = undefined;
    if (at !== undefined && this.running) {
      this.tickTimers[v] = setTimeout(() => {
        this.tickTimers[v] = undefined;
        const t = this.now();
        const r = tick(vs, this.states[v]!, t);
        this.states[v] = r.state;
        for (const e of r.events) this.emit('check', vs.id, e);
        this.publish(v, t);
      }, Math.max(0, at - nowMs));
    }
  }
}
