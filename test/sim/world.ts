/**
 * The simulated world: several directors, each running halo's real VrrpRuntime (and so the real
 * state machine and the real packet codec), on one simulated L2 segment, with one global
 * simulated time and a drifting local clock per director.
 *
 * Everything random comes from one SeededPrng, so a run replays exactly from its seed. Events are
 * processed in (time, sequence) order; after every event the invariants are checked (see
 * `checkInvariants`). The network delivers each frame after a seeded delay, may lose, duplicate
 * or reorder frames inside fault windows, and honours symmetric and one-way partitions.
 */
import { SeededPrng } from '../../src/core/prng.js';
import type { Clock } from '../../src/core/clock.js';
import type {
  AddressPort,
  Family,
  LinkEvent,
  LinkPort,
  NeighborAnnouncePort,
  PortResult,
  TakeoverPlan,
  TakeoverPort,
  TakeoverReport,
  VipSpec,
  VrrpDatagram,
  VrrpSendRequest,
  VrrpSocketPort,
} from '../../src/net/ports.js';
import type { VrrpInstanceConfig } from '../../src/vrrp/config.js';
import type { VrrpEvent, VrrpInstanceState, VrrpStateName } from '../../src/vrrp/fsm.js';
import { masterDownIntervalMs, skewTimeMs } from '../../src/vrrp/timers.js';
import { compareAddresses } from '../../src/vrrp/address-order.js';
import { VrrpRuntime, type RuntimeLogRecord } from '../../src/daemon/vrrp-runtime.js';
import type { Waker } from '../../src/daemon/waker.js';

export interface DirectorSpec {
  readonly name: string;
  /** The director's address on the segment (the instances' primary address). */
  readonly address: string;
  readonly instances: readonly VrrpInstanceConfig[];
  /** Local clock rate error in parts per million (positive runs fast). */
  readonly driftPpm?: number;
  /** Local clock offset from global time, ms. */
  readonly clockOffsetMs?: number;
}

export interface NetworkSpec {
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
}

export interface WorldOptions {
  readonly seed: number;
  readonly directors: readonly DirectorSpec[];
  readonly network: NetworkSpec;
  /** Check invariants after every event (default true). */
  readonly checkInvariants?: boolean;
  /** Entries kept in the trace ring (default 4000). */
  readonly traceLimit?: number;
  /** Hard bound on events processed in one run (default 5 million). */
  readonly maxEvents?: number;
}

export interface Transition {
  readonly atMs: number;
  readonly director: string;
  readonly instance: string;
  readonly vrid: number;
  readonly from: VrrpStateName;
  readonly to: VrrpStateName;
  readonly cause: string;
}

export interface Violation {
  readonly atMs: number;
  readonly invariant: string;
  readonly detail: string;
}

export type TraceEntry = readonly [atMs: number, who: string, what: string | (() => string)];

type SimEvent =
  | { kind: 'wake'; director: number; token: number }
  | { kind: 'takeover'; director: number; instance: string }
  | { kind: 'deliver'; to: number; incarnation: number; datagram: VrrpDatagram }
  | { kind: 'action'; name: string; run: () => void | Promise<void> }
  | { kind: 'check'; name: string; run: () => void };

interface Queued {
  readonly atMs: number;
  readonly seq: number;
  readonly event: SimEvent;
}

/** A binary min-heap on (atMs, seq): the world's event queue. */
class EventHeap {
  private readonly items: Queued[] = [];
  get size(): number {
    return this.items.length;
  }
  push(q: Queued): void {
    const a = this.items;
    a.push(q);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pi = a[p] as Queued;
      if (!less(q, pi)) break;
      a[i] = pi;
      i = p;
    }
    a[i] = q;
  }
  peek(): Queued | undefined {
    return this.items[0];
  }
  pop(): Queued | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (top === undefined || last === undefined || a.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      let mv = last;
      const lv = a[l];
      if (lv !== undefined && less(lv, mv)) {
        m = l;
        mv = lv;
      }
      const rv = a[r];
      if (rv !== undefined && less(rv, mv)) {
        m = r;
        mv = rv;
      }
      if (m === i) break;
      a[i] = mv;
      i = m;
    }
    a[i] = last;
    return top;
  }
}

function less(a: Queued, b: Queued): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
}

/** A director's local clock: local = offset + global × (1 + drift). */
class DriftClock implements Clock {
  readonly rate: number;
  constructor(
    private readonly world: SimWorld,
    driftPpm: number,
    private readonly offsetMs: number,
  ) {
    this.rate = 1 + driftPpm / 1e6;
  }
  nowMs(): number {
    return this.offsetMs + this.world.nowMs * this.rate;
  }
  /** The earliest global time at which this clock reads `localMs` or more. */
  /** The global time the clock read `localMs`, past or future (no clamping to now). */
  globalOf(localMs: number): number {
    return (localMs - this.offsetMs) / this.rate;
  }

  globalFor(localMs: number): number {
    let g = (localMs - this.offsetMs) / this.rate;
    for (let i = 0; i < 8 && this.offsetMs + g * this.rate < localMs; i++) g += 1e-9 * Math.max(1, Math.abs(g));
    return Math.max(g, this.world.nowMs);
  }
}

export class SimDirector {
  runtime: VrrpRuntime | null = null;
  alive = false;
  linkUp = true;
  incarnation = 0;
  wakeToken = 0;
  readonly vips = new Set<string>();
  readonly trackers = new Map<string, boolean>();
  packetHandler: ((d: VrrpDatagram) => void) | null = null;
  linkWatchers: Array<(e: LinkEvent) => void> = [];
  readonly clock: DriftClock;
  announcements = 0;
  /** The takeover port's armed plans by instance (odd-indexed directors have the port, see `portsFor`). */
  readonly takeovers = new Map<string, { plan: TakeoverPlan; token: number; done: TakeoverReport | undefined }>();
  takeoverHandler: ((key: string) => void) | null = null;

  constructor(
    readonly world: SimWorld,
    readonly index: number,
    readonly spec: DirectorSpec,
  ) {
    this.clock = new DriftClock(world, spec.driftPpm ?? 0, spec.clockOffsetMs ?? 0);
    for (const inst of spec.instances) for (const t of inst.trackers) this.trackers.set(t.name, t.initiallyUp);
    for (const inst of spec.instances) this.byVrid.set(inst.vrid, inst.name);
  }

  get name(): string {
    return this.spec.name;
  }

  /** VRID → instance name on this director. */
  readonly byVrid = new Map<number, string>();

  instanceState(name: string): VrrpInstanceState | undefined {
    return this.runtime?.instanceState(name);
  }

  stateOfVrid(vrid: number): VrrpInstanceState | undefined {
    const name = this.byVrid.get(vrid);
    return name === undefined || !this.alive ? undefined : this.runtime?.instanceState(name);
  }
}

/** The simulated ports of one director incarnation. */
function portsFor(world: SimWorld, d: SimDirector, incarnation: number) {
  const live = (): boolean => d.alive && d.incarnation === incarnation;
  const socket: VrrpSocketPort = {
    open: (): Promise<PortResult> => Promise.resolve({ ok: true }),
    send: (req: VrrpSendRequest): PortResult => {
      if (!live()) return { ok: false, error: 'director is down' };
      if (!d.linkUp) return { ok: false, error: 'ENETDOWN' };
      world.transmit(d, req);
      return { ok: true };
    },
    onPacket: (handler) => {
      if (live()) d.packetHandler = handler;
    },
    close: () => {
      if (live()) d.packetHandler = null;
    },
  };
  const key = (vip: VipSpec): string => `${vip.ifname}/${vip.address}/${vip.prefixLength}`;
  const addresses: AddressPort = {
    add: (vip) => {
      if (live()) d.vips.add(key(vip));
      return Promise.resolve({ ok: true });
    },
    remove: (vip) => {
      if (live()) d.vips.delete(key(vip));
      return Promise.resolve({ ok: true });
    },
    list: (ifname) => Promise.resolve([...d.vips].filter((k) => k.startsWith(`${ifname}/`)).map((k) => k.slice(ifname.length + 1))),
  };
  const neighbors: NeighborAnnouncePort = {
    announce: (): PortResult => {
      if (live()) d.announcements++;
      return { ok: true };
    },
  };
  const link: LinkPort = {
    isUp: () => Promise.resolve(d.linkUp),
    watch: (_ifnames, onChange) => {
      if (live()) d.linkWatchers.push(onChange);
      return () => {
        d.linkWatchers = d.linkWatchers.filter((w) => w !== onChange);
      };
    },
  };
  const waker: Waker = {
    wakeAt: (atMs, onWake) => {
      if (!live()) return;
      const token = ++d.wakeToken;
      world.schedule(d.clock.globalFor(atMs), { kind: 'wake', director: d.index, token }, onWake);
    },
    cancel: () => {
      d.wakeToken++;
    },
  };
  // The takeover port of the VRRP process (native/takeover.c) on odd-indexed directors, so every
  // run has runtimes with and without it: at its deadline a still-armed plan is carried out (adverts,
  // VIPs, announcements), and the runtime is told TAKEOVER_TELL_MS later, as by the addon's
  // thread-safe function.
  const takeover: TakeoverPort = {
    arm: (key, inMs, plan) => {
      if (!live()) return false;
      const prev = d.takeovers.get(key);
      const p = plan ?? prev?.plan;
      if (p === undefined || prev?.done !== undefined) return false;
      const slot = { plan: p, token: (prev?.token ?? 0) + 1, done: undefined as TakeoverReport | undefined };
      d.takeovers.set(key, slot);
      const token = slot.token;
      world.schedule(d.clock.globalFor(d.clock.nowMs() + inMs), { kind: 'takeover', director: d.index, instance: key }, () => {
        if (!live() || slot.token !== token || d.takeovers.get(key) !== slot) return;
        slot.token++;
        for (const vip of slot.plan.vips) d.vips.add(vipKey(vip));
        for (const r of slot.plan.adverts) socket.send(r);
        d.announcements += slot.plan.announce.length;
        slot.done = { lateMs: 0, vipsMs: 0, advertMs: 0, announceMs: 0, errors: [] };
        world.schedule(world.nowMs + TAKEOVER_TELL_MS, { kind: 'takeover', director: d.index, instance: key }, () => {
          if (live()) d.takeoverHandler?.(key);
        });
      });
      return true;
    },
    claim: (key, forget) => {
      const slot = d.takeovers.get(key);
      if (slot === undefined) return undefined;
      slot.token++;
      const done = slot.done;
      slot.done = undefined;
      if (forget === true) d.takeovers.delete(key);
      return done;
    },
    onCarriedOut: (handler) => {
      if (live()) d.takeoverHandler = handler;
    },
  };
  return { socket, addresses, neighbors, link, waker, ...(d.index % 2 === 1 ? { takeover } : {}) };
}

/** How long after carrying a takeover out the simulated port tells the runtime. */
const TAKEOVER_TELL_MS = 0.2;

const vipKeys = new WeakMap<VipSpec, string>();
function vipKeyCached(vip: VipSpec): string {
  let k = vipKeys.get(vip);
  if (k === undefined) {
    k = vipKey(vip);
    vipKeys.set(vip, k);
  }
  return k;
}

export function vipKey(vip: VipSpec): string {
  return `${vip.ifname}/${vip.address}/${vip.prefixLength}`;
}

export interface Bounds {
  /** Largest Master_Down_Interval any backup of the VRID can use, ms. */
  readonly masterDownMaxMs: number;
  /** Largest Skew_Time, ms. */
  readonly skewMaxMs: number;
  readonly advertIntervalMaxMs: number;
  /** Slack for clock drift: the longest local wait stretched by the worst rate. */
  readonly driftSlackMs: number;
}

export class SimWorld {
  nowMs = 0;
  readonly directors: SimDirector[];
  readonly transitions: Transition[] = [];
  readonly violations: Violation[] = [];
  readonly logs: RuntimeLogRecord[] = [];
  readonly prng: SeededPrng;
  eventsProcessed = 0;
  framesSent = 0;
  framesDelivered = 0;
  framesLost = 0;
  /** Blocked directed links: `${from}>${to}`. */
  readonly blocked = new Set<string>();
  lossProbability = 0;
  duplicateProbability = 0;
  /** While true, delivery order per link is not kept (frames may overtake each other). */
  reorder = false;
  /** Last time anything happened that the protocol's bounds do not cover (faults, heals, restarts). */
  lastDisturbanceMs = 0;
  readonly network: NetworkSpec;
  private readonly heap = new EventHeap();
  private seq = 0;
  private readonly callbacks = new Map<number, () => void>();
  private readonly trace: TraceEntry[] = [];
  private traceNext = 0;
  private readonly traceLimit: number;
  private readonly maxEvents: number;
  private readonly checking: boolean;
  /** Per link, the time of the last scheduled delivery (FIFO outside reorder windows). */
  private readonly lastDeliveryMs = new Map<string, number>();
  private readonly dualSince = new Map<string, number>();
  private readonly noMasterSince = new Map<string, number>();
  private readonly noMasterKey = new Map<string, string>();
  private readonly byAddress = new Map<string, number>();
  private stopped = false;

  constructor(readonly opts: WorldOptions) {
    this.prng = new SeededPrng(opts.seed);
    this.network = opts.network;
    this.traceLimit = opts.traceLimit ?? 4000;
    this.maxEvents = opts.maxEvents ?? 5_000_000;
    this.checking = opts.checkInvariants ?? true;
    this.directors = opts.directors.map((spec, i) => new SimDirector(this, i, spec));
    this.directors.forEach((d) => this.byAddress.set(d.spec.address, d.index));
  }

  // ---- tracing ----

  note(who: string, what: string | (() => string)): void {
    const entry: TraceEntry = [this.nowMs, who, what];
    if (this.trace.length < this.traceLimit) this.trace.push(entry);
    else this.trace[this.traceNext] = entry;
    this.traceNext = (this.traceNext + 1) % this.traceLimit;
  }

  traceLines(last = Infinity): string[] {
    const ordered = this.trace.length < this.traceLimit ? this.trace : [...this.trace.slice(this.traceNext), ...this.trace.slice(0, this.traceNext)];
    const slice = last === Infinity ? ordered : ordered.slice(-last);
    return slice.map(([t, who, what]) => `${t.toFixed(4).padStart(12)}  ${who.padEnd(10)} ${typeof what === 'function' ? what() : what}`);
  }

  // ---- scheduling ----

  schedule(atMs: number, event: SimEvent, callback?: () => void): void {
    const seq = this.seq++;
    if (callback !== undefined) this.callbacks.set(seq, callback);
    this.heap.push({ atMs: Math.max(atMs, this.nowMs), seq, event });
  }

  /** Runs `run` at global time `atMs` as a scripted action (a fault, a heal, a check). */
  at(atMs: number, name: string, run: () => void | Promise<void>): void {
    this.schedule(atMs, { kind: 'action', name, run });
  }

  checkAt(atMs: number, name: string, run: () => void): void {
    this.schedule(atMs, { kind: 'check', name, run });
  }

  /** Processes events up to and including `untilMs`, then sets the time to `untilMs`. */
  async runUntil(untilMs: number): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const next = this.heap.peek();
      if (next === undefined || next.atMs > untilMs) break;
      this.heap.pop();
      this.accountArmed(next.atMs);
      this.nowMs = next.atMs;
      if (++this.eventsProcessed > this.maxEvents) {
        this.violation('bounded-run', `More than ${this.maxEvents} events: the run does not settle`);
        this.stopped = true;
        return;
      }
      await this.handle(next);
      if (this.checking) this.checkInvariants();
    }
    this.nowMs = Math.max(this.nowMs, untilMs);
  }

  private async handle(q: Queued): Promise<void> {
    const e = q.event;
    const cb = this.callbacks.get(q.seq);
    if (cb !== undefined) this.callbacks.delete(q.seq);
    switch (e.kind) {
      case 'wake': {
        const d = this.directors[e.director];
        if (d === undefined || !d.alive || d.wakeToken !== e.token) return;
        cb?.();
        return;
      }
      case 'takeover': {
        const d = this.directors[e.director];
        if (d === undefined || !d.alive) return;
        cb?.();
        this.dirty = true;
        return;
      }
      case 'deliver': {
        const d = this.directors[e.to];
        if (d === undefined || !d.alive || d.incarnation !== e.incarnation || !d.linkUp || d.packetHandler === null) return;
        this.framesDelivered++;
        d.packetHandler(e.datagram);
        return;
      }
      case 'action':
        this.note('world', e.name);
        await e.run();
        this.topology = undefined;
        this.dirty = true;
        return;
      case 'check':
        e.run();
        return;
    }
  }

  /** Simulated time during which the timing invariants were armed (no fault for a full bound). */
  armedMs = 0;
  private armedBoundMs: number | undefined;

  private accountArmed(toMs: number): void {
    if (this.armedBoundMs === undefined) {
      this.armedBoundMs = 0;
      for (const v of this.vrids()) {
        const b = this.bounds(v);
        this.armedBoundMs = Math.max(this.armedBoundMs, b.masterDownMaxMs + this.network.maxDelayMs + b.driftSlackMs);
      }
    }
    if (this.lossProbability > 0 || this.reorder) return;
    const from = Math.max(this.nowMs, this.lastDisturbanceMs + this.armedBoundMs);
    if (toMs > from) this.armedMs += toMs - from;
  }

  // ---- the network ----

  transmit(from: SimDirector, req: VrrpSendRequest): void {
    this.framesSent++;
    const priority = req.payload[2] ?? -1;
    const vrid = req.payload[1] ?? -1;
    this.note(from.name, () => `send vrid ${vrid} prio ${priority} -> ${req.dst}`);
    if (priority === 0) this.onPriorityZero(from, vrid);
    const unicastTo = this.byAddress.get(req.dst);
    for (const to of this.directors) {
      if (to === from) continue;
      if (unicastTo !== undefined && unicastTo !== to.index) continue;
      if (this.blocked.has(`${from.index}>${to.index}`)) continue;
      if (this.lossProbability > 0 && this.prng.nextFloat() < this.lossProbability) {
        this.framesLost++;
        continue;
      }
      const copies = this.duplicateProbability > 0 && this.prng.nextFloat() < this.duplicateProbability ? 2 : 1;
      for (let c = 0; c < copies; c++) {
        const { minDelayMs, maxDelayMs } = this.network;
        let atMs = this.nowMs + minDelayMs + this.prng.nextFloat() * (maxDelayMs - minDelayMs);
        const linkKey = `${from.index}>${to.index}`;
        if (!this.reorder) atMs = Math.max(atMs, this.lastDeliveryMs.get(linkKey) ?? 0);
        this.lastDeliveryMs.set(linkKey, atMs);
        const datagram: VrrpDatagram = { ifname: req.ifname, family: req.family, src: req.src ?? from.spec.address, dst: req.dst, ttl: req.ttl, payload: req.payload };
        this.schedule(atMs, { kind: 'deliver', to: to.index, incarnation: to.incarnation, datagram });
      }
    }
  }

  // ---- faults and repairs (each is a disturbance the protocol bounds do not cover) ----

  disturb(): void {
    this.lastDisturbanceMs = this.nowMs;
    this.topology = undefined;
  }

  /** Components and one-way flag, recomputed only after a disturbance (every topology change is one). */
  private topology: { parts: number[][]; oneWay: boolean; partKeys: string[] } | undefined;

  private currentTopology(): { parts: number[][]; oneWay: boolean; partKeys: string[] } {
    if (this.topology !== undefined) return this.topology;
    const oneWay = [...this.blocked].some((k) => {
      const [a, b] = k.split('>');
      return !this.blocked.has(`${b}>${a}`);
    });
    const parts = this.components();
    this.topology = { parts, oneWay, partKeys: parts.map((p) => p.join(',')) };
    return this.topology;
  }

  async startDirector(i: number): Promise<void> {
    const d = this.dir(i);
    if (d.alive) return;
    this.disturb();
    d.alive = true;
    d.incarnation++;
    d.vips.clear();
    d.packetHandler = null;
    d.linkWatchers = [];
    d.takeovers.clear();
    d.takeoverHandler = null;
    const ports = portsFor(this, d, d.incarnation);
    const runtime = new VrrpRuntime({
      clock: d.clock,
      ...ports,
      instances: d.spec.instances,
      log: (r) => {
        if (r.level !== 'debug') this.note(d.name, r.message);
        if (r.level === 'error') this.logs.push(r);
      },
      observe: (instance, event, before, after, localMs) => this.observe(d, instance, event, before, after, localMs),
    });
    d.runtime = runtime;
    // The tracked things kept their state while the director was down: tell the runtime before it starts.
    for (const [name, up] of d.trackers) {
      const initial = d.spec.instances.flatMap((x) => x.trackers).find((t) => t.name === name)?.initiallyUp ?? true;
      if (up !== initial) runtime.trackerChanged(name, up);
    }
    await runtime.start();
  }

  /** Power loss: no priority 0, VIPs gone with the machine, frames in flight to it dropped. */
  crashDirector(i: number): void {
    const d = this.dir(i);
    if (!d.alive) return;
    this.disturb();
    d.alive = false;
    d.runtime = null;
    d.vips.clear();
    d.packetHandler = null;
    d.wakeToken++;
  }

  /** Clean stop: the runtime sends priority 0 for its masters and removes its VIPs. */
  stopDirector(i: number): void {
    const d = this.dir(i);
    if (!d.alive) return;
    this.disturb();
    d.runtime?.stop();
    d.alive = false;
    d.runtime = null;
    d.wakeToken++;
  }

  /** An operator's step-down on a director (`halo step-down`): make before break, then BACKUP. */
  stepDownDirector(i: number, instance: string | null = null, holdMs: number | null = null): void {
    const d = this.dir(i);
    if (!d.alive || d.runtime === null) return;
    this.disturb();
    d.runtime.stepDown(instance, holdMs);
  }

  setTracker(i: number, tracker: string, up: boolean): void {
    const d = this.dir(i);
    this.disturb();
    d.trackers.set(tracker, up);
    d.runtime?.trackerChanged(tracker, up);
  }

  setLink(i: number, up: boolean): void {
    const d = this.dir(i);
    if (d.linkUp === up) return;
    this.disturb();
    d.linkUp = up;
    if (d.alive) for (const w of d.linkWatchers) w({ ifname: 'eth0', up });
  }

  /** Splits the segment into groups that cannot hear each other (both directions). */
  partition(groups: readonly (readonly number[])[]): void {
    this.disturb();
    this.blocked.clear();
    const groupOf = new Map<number, number>();
    groups.forEach((g, gi) => g.forEach((i) => groupOf.set(i, gi)));
    for (const a of this.directors) for (const b of this.directors) {
      if (a !== b && groupOf.get(a.index) !== groupOf.get(b.index)) this.blocked.add(`${a.index}>${b.index}`);
    }
  }

  /** `to` stops hearing `from` (one-way partition). */
  blockOneWay(from: number, to: number): void {
    this.disturb();
    this.blocked.add(`${from}>${to}`);
  }

  healNetwork(): void {
    this.disturb();
    this.blocked.clear();
    this.lossProbability = 0;
    this.duplicateProbability = 0;
    this.reorder = false;
  }

  setImpairment(loss: number, duplicate: number, reorder: boolean): void {
    this.disturb();
    this.lossProbability = loss;
    this.duplicateProbability = duplicate;
    this.reorder = reorder;
  }

  private dir(i: number): SimDirector {
    const d = this.directors[i];
    if (d === undefined) throw new RangeError(`No director ${i}`);
    return d;
  }

  // ---- observation ----

  /** Some instance changed state (or running/wantsMaster) since the last invariant check. */
  private dirty = true;

  /** `localMs`: the step's time on the director's clock, earlier than now for a takeover the port carried out (dated at its deadline). */
  private observe(d: SimDirector, instance: string, event: VrrpEvent, before: VrrpInstanceState, after: VrrpInstanceState, localMs: number): void {
    if (before.state !== after.state || before.running !== after.running || before.wantsMaster !== after.wantsMaster || before.effectivePriority !== after.effectivePriority) this.dirty = true;
    if (event.type !== 'AdvertTimerFired') this.note(d.name, () => `${instance} ${describeEvent(event)}: ${before.state}/${before.effectivePriority} -> ${after.state}/${after.effectivePriority}`);
    if (before.state !== after.state) {
      const cfg = d.spec.instances.find((x) => x.name === instance);
      const atMs = localMs < d.clock.nowMs() ? d.clock.globalOf(localMs) : this.nowMs;
      this.transitions.push({ atMs, director: d.name, instance, vrid: cfg?.vrid ?? -1, from: before.state, to: after.state, cause: after.cause });
    }
  }

  /** Current state of one instance on one director (INIT when the director is down). */
  stateOf(director: number, instance: string): VrrpStateName {
    const d = this.dir(director);
    if (!d.alive) return 'INIT';
    return d.instanceState(instance)?.state ?? 'INIT';
  }

  mastersOf(vrid: number): string[] {
    const out: string[] = [];
    for (const d of this.directors) {
      if (!d.alive || d.runtime === null) continue;
      for (const s of d.runtime.snapshot()) if (s.vrid === vrid && s.state.state === 'MASTER') out.push(d.name);
    }
    return out;
  }

  private vridList: number[] | undefined;

  vrids(): number[] {
    if (this.vridList !== undefined) return this.vridList;
    const set = new Set<number>();
    for (const d of this.directors) for (const i of d.spec.instances) set.add(i.vrid);
    this.vridList = [...set].sort((a, b) => a - b);
    return this.vridList;
  }

  // ---- invariants ----

  violation(invariant: string, detail: string): void {
    this.violations.push({ atMs: this.nowMs, invariant, detail });
    this.note('VIOLATION', `${invariant}: ${detail}`);
  }

  /** Protocol bounds for one VRID from every director's config (worst case over tracker states). */
  private readonly boundsCache = new Map<number, Bounds>();

  bounds(vrid: number): Bounds {
    const cached = this.boundsCache.get(vrid);
    if (cached !== undefined) return cached;
    const computed = this.computeBounds(vrid);
    this.boundsCache.set(vrid, computed);
    return computed;
  }

  private computeBounds(vrid: number): Bounds {
    let mdi = 0;
    let skew = 0;
    let advert = 0;
    let longest = 0;
    let maxRateError = 0;
    for (const d of this.directors) {
      maxRateError = Math.max(maxRateError, Math.abs(d.clock.rate - 1));
      for (const c of d.spec.instances) {
        if (c.vrid !== vrid) continue;
        const negative = c.trackers.reduce((sum, t) => sum + Math.min(0, t.weight), 0);
        const low = c.basePriority === 255 ? 255 : Math.max(1, c.basePriority + negative);
        // Any master's interval may be learned (v3), so take the largest configured for the VRID.
        for (const other of this.directors.flatMap((x) => x.spec.instances).filter((x) => x.vrid === vrid)) {
          mdi = Math.max(mdi, masterDownIntervalMs(c.version, low, other.advertIntervalCs, c.downTimerAdverts));
          skew = Math.max(skew, skewTimeMs(c.version, low, other.advertIntervalCs));
        }
        advert = Math.max(advert, c.advertIntervalCs * 10);
        longest = Math.max(longest, mdi, c.preemptDelayMs, c.startupDelayMs);
      }
    }
    return { masterDownMaxMs: mdi, skewMaxMs: skew, advertIntervalMaxMs: advert, driftSlackMs: 1 + 2 * longest * maxRateError };
  }

  /** Directors that hear each other both ways, as connected parts (only live, linked directors). */
  components(): number[][] {
    const live = this.directors.filter((d) => d.alive && d.linkUp).map((d) => d.index);
    const seen = new Set<number>();
    const parts: number[][] = [];
    for (const start of live) {
      if (seen.has(start)) continue;
      const part: number[] = [];
      const stack = [start];
      seen.add(start);
      while (stack.length > 0) {
        const a = stack.pop() as number;
        part.push(a);
        for (const b of live) {
          if (seen.has(b) || this.blocked.has(`${a}>${b}`) || this.blocked.has(`${b}>${a}`)) continue;
          seen.add(b);
          stack.push(b);
        }
      }
      parts.push(part.sort((x, y) => x - y));
    }
    return parts;
  }

  private stateIn(d: SimDirector, vrid: number): VrrpInstanceState | undefined {
    return d.stateOfVrid(vrid);
  }

  /**
   * After every event:
   * - VIPs are held exactly by MASTER and RELEASING instances (the runtime adds and removes them in
   *   the same step);
   * - within a connected part, two MASTERs of one VRID last no longer than Master_Down_Interval plus
   *   the maximum delay after the last disturbance;
   * - within a connected part with an eligible instance and no one-way partition, a MASTER exists
   *   within Master_Down_Interval plus the maximum delay after the last disturbance.
   */
  checkInvariants(): void {
    // Memoised: with no state change (VIPs change only with the state, in the same step), no
    // topology change and no pending bound, the answer cannot differ from the previous event's.
    if (!this.dirty && this.dualSince.size === 0 && this.noMasterSince.size === 0 && this.topology !== undefined) return;
    this.dirty = false;
    for (const d of this.directors) {
      if (!d.alive || d.runtime === null) continue;
      for (const cfg of d.spec.instances) {
        const st = d.runtime.instanceState(cfg.name);
        if (st === undefined) continue;
        // A takeover the port carried out is MASTER on the wire; the state machine follows when told.
        const carriedOut = st.state === 'BACKUP' && d.takeovers.get(cfg.name)?.done !== undefined;
        for (const vip of cfg.vips) {
          const held = d.vips.has(vipKeyCached(vip));
          // RELEASING (make-before-break handover) keeps the VIPs until the new master is heard.
          if (held !== (st.state === 'MASTER' || st.state === 'RELEASING' || carriedOut)) this.violation('vips-only-on-master', `${d.name} ${cfg.name} is ${st.state} and ${held ? 'holds' : 'lacks'} ${vip.address}`);
        }
      }
    }
    const { parts, oneWay, partKeys } = this.currentTopology();
    const impaired = this.lossProbability > 0 || this.reorder;
    for (const vrid of this.vrids()) {
      const b = this.bounds(vrid);
      const boundMs = b.masterDownMaxMs + this.network.maxDelayMs + b.driftSlackMs;
      const seenPairs = new Set<string>();
      for (let pi = 0; pi < parts.length; pi++) {
        const part = parts[pi] ?? [];
        const key = `${vrid}:${partKeys[pi] ?? ''}`;
        const states = part.map((i) => ({ d: this.dir(i), s: this.stateIn(this.dir(i), vrid) }));
        const masters = states.filter((x) => x.s?.state === 'MASTER');
        // Hearing is not transitive (d1 and d2 may both hear d3 but not each other), so the bound
        // applies to each pair of masters that hear each other both ways.
        for (let i = 0; i < masters.length; i++) {
          for (let j = i + 1; j < masters.length; j++) {
            const a = masters[i];
            const c = masters[j];
            if (a === undefined || c === undefined) continue;
            const pairKey = `${vrid}:${a.d.index}-${c.d.index}`;
            if (this.blocked.has(`${a.d.index}>${c.d.index}`) || this.blocked.has(`${c.d.index}>${a.d.index}`)) {
              this.dualSince.delete(pairKey);
              continue;
            }
            const since = this.dualSince.get(pairKey) ?? this.nowMs;
            this.dualSince.set(pairKey, since);
            const from = Math.max(since, this.lastDisturbanceMs);
            if (!impaired && this.nowMs - from > boundMs) {
              this.violation('one-master', `VRID ${vrid}: ${a.d.name}, ${c.d.name} MASTER together for ${(this.nowMs - from).toFixed(3)} ms > ${boundMs.toFixed(3)} ms`);
              this.dualSince.set(pairKey, this.nowMs);
            }
          }
        }
        for (const m of masters) for (const o of masters) if (m.d.index < o.d.index) seenPairs.add(`${vrid}:${m.d.index}-${o.d.index}`);
        const eligible = states.filter((x) => x.s !== undefined && x.s.running && (x.s.state === 'BACKUP' || x.s.state === 'MASTER'));
        if (masters.length === 0 && eligible.length > 0 && !oneWay) {
          const eligibleKey = eligible.map((x) => x.d.index).join(',');
          if (this.noMasterKey.get(key) !== eligibleKey) {
            this.noMasterKey.set(key, eligibleKey);
            this.noMasterSince.set(key, this.nowMs);
          }
          const since = this.noMasterSince.get(key) ?? this.nowMs;
          const from = Math.max(since, this.lastDisturbanceMs);
          // Sync groups: the group takes over when its slowest member times out, so the bound is the
          // largest of its VRIDs; groups that rank directors differently flap by design (skipped).
          let liveBoundMs = boundMs;
          let skip = false;
          const groupVrids = new Set<number>();
          for (const x of eligible) for (const c of x.d.spec.instances) if (c.syncGroup !== undefined) groupVrids.add(c.vrid);
          if (groupVrids.size > 0) {
            skip = !this.consistentRanking(eligible.map((x) => x.d.index), [...groupVrids]);
            for (const v of groupVrids) {
              const gb = this.bounds(v);
              liveBoundMs = Math.max(liveBoundMs, gb.masterDownMaxMs + this.network.maxDelayMs + gb.driftSlackMs);
            }
          }
          if (!impaired && !skip && this.nowMs - from > liveBoundMs) {
            this.violation('some-master', `VRID ${vrid}: no MASTER among ${eligible.map((x) => x.d.name).join(', ')} for ${(this.nowMs - from).toFixed(3)} ms > ${liveBoundMs.toFixed(3)} ms`);
            this.noMasterSince.set(key, this.nowMs);
          }
        } else {
          this.noMasterKey.delete(key);
          this.noMasterSince.delete(key);
        }
      }
      for (const pairKey of this.dualSince.keys()) {
        if (pairKey.startsWith(`${vrid}:`) && !seenPairs.has(pairKey)) this.dualSince.delete(pairKey);
      }
    }
  }

  /**
   * A master sent priority 0 (stop or FAULT): if nothing else goes wrong, a backup of its connected
   * part must be MASTER within Skew_Time plus the maximum delay (RFC 5798 §6.4.2).
   */
  private onPriorityZero(from: SimDirector, vrid: number): void {
    if (this.lossProbability > 0 || this.reorder) return;
    const sentMs = this.nowMs;
    const part = this.components().find((p) => p.includes(from.index)) ?? [from.index];
    // Only backups the priority 0 reaches: a one-way block leaves a director in the sender's part
    // (connected through others) that never hears it, and it takes over at Master_Down_Interval.
    const backups = part.filter(
      (i) => i !== from.index && !this.blocked.has(`${from.index}>${i}`) && this.stateIn(this.dir(i), vrid)?.state === 'BACKUP' && this.stateIn(this.dir(i), vrid)?.running === true,
    );
    if (backups.length === 0) return;
    let b = this.bounds(vrid);
    const group = from.spec.instances.find((x) => x.vrid === vrid)?.syncGroup;
    if (group !== undefined) {
      // A group takes over when its slowest member is ready: the largest skew of the group's VRIDs.
      // With members ranking the directors differently the groups flap by design (each hears a
      // better master in some VRID), so the bound only holds for consistent rankings.
      const groupVrids = from.spec.instances.filter((x) => x.syncGroup === group).map((x) => x.vrid);
      if (!this.consistentRanking(backups, groupVrids)) return;
      for (const v of groupVrids) {
        const gb = this.bounds(v);
        if (gb.skewMaxMs > b.skewMaxMs || gb.driftSlackMs > b.driftSlackMs) b = { ...b, skewMaxMs: Math.max(b.skewMaxMs, gb.skewMaxMs), driftSlackMs: Math.max(b.driftSlackMs, gb.driftSlackMs) };
      }
    }
    const deadline = sentMs + b.skewMaxMs + this.network.maxDelayMs + b.driftSlackMs;
    this.checkAt(deadline, `check takeover of VRID ${vrid} after priority 0 from ${from.name}`, () => {
      if (this.lastDisturbanceMs > sentMs || this.lossProbability > 0 || this.reorder) return;
      const stillEligible = backups.filter((i) => {
        const s = this.stateIn(this.dir(i), vrid);
        return s !== undefined && s.running && (s.state === 'BACKUP' || s.state === 'MASTER') && s.wantsMaster !== true;
      });
      if (stillEligible.length === 0) return;
      const masters = this.mastersOf(vrid).filter((n) => n !== from.name);
      if (masters.length === 0) this.violation('takeover-after-priority-0', `VRID ${vrid}: no backup took over ${(deadline - sentMs).toFixed(3)} ms after ${from.name} sent priority 0`);
    });
  }

  /** Every pair of directors is ranked the same way (effective priority, then address) in every VRID. */
  private consistentRanking(directors: readonly number[], vrids: readonly number[]): boolean {
    for (const a of directors) {
      for (const c of directors) {
        if (a >= c) continue;
        let sign = 0;
        for (const v of vrids) {
          const da = this.dir(a);
          const dc = this.dir(c);
          const pa = this.stateIn(da, v)?.effectivePriority ?? 0;
          const pc = this.stateIn(dc, v)?.effectivePriority ?? 0;
          // RFC 5798 §6.4.3: equal priorities are ranked by the primary address.
          const addrA = da.spec.instances.find((x) => x.vrid === v)?.primaryAddress ?? '';
          const addrC = dc.spec.instances.find((x) => x.vrid === v)?.primaryAddress ?? '';
          const s = pa !== pc ? Math.sign(pa - pc) : Math.sign(compareAddresses(addrA, addrC));
          if (s === 0 || (sign !== 0 && s !== sign)) return false;
          sign = s;
        }
      }
    }
    return true;
  }

  /** Final check after a quiet period: one master per VRID; with preempt, the best one; groups whole. */
  checkConverged(): void {
    for (const d of this.directors) {
      if (!d.alive || d.runtime === null) continue;
      const groups = new Map<string, string[]>();
      for (const c of d.spec.instances) {
        const st = d.runtime.instanceState(c.name);
        if (c.syncGroup === undefined || st === undefined) continue;
        groups.set(c.syncGroup, [...(groups.get(c.syncGroup) ?? []), `${c.name}:${st.state}`]);
      }
      for (const [g, members] of groups) {
        const states = new Set(members.map((m) => m.split(':')[1]));
        if (states.size > 1) this.violation('sync-group-together', `${d.name} group ${g} is split: ${members.join(' ')}`);
      }
    }
    for (const vrid of this.vrids()) {
      for (const part of this.components()) {
        const entries = part
          .map((i) => {
            const d = this.dir(i);
            const s = this.stateIn(d, vrid);
            const c = d.spec.instances.find((x) => x.vrid === vrid);
            return s === undefined || c === undefined ? undefined : { d, s, c };
          })
          .filter((x): x is NonNullable<typeof x> => x !== undefined && x.s.running && x.s.state !== 'FAULT');
        if (entries.length === 0) continue;
        const masters = entries.filter((x) => x.s.state === 'MASTER');
        const groupVrids = [...new Set(entries.flatMap((x) => x.d.spec.instances.filter((c) => c.syncGroup !== undefined && c.syncGroup === x.c.syncGroup).map((c) => c.vrid)))];
        if (groupVrids.length > 0 && !this.consistentRanking(entries.map((x) => x.d.index), groupVrids)) {
          // Sync groups ranking the directors differently flap by design (see docs/vrrp.md).
          this.note('world', `VRID ${vrid}: sync groups rank the directors differently: convergence not required`);
          continue;
        }
        if (masters.length !== 1) {
          this.violation('converged-one-master', `VRID ${vrid}: ${masters.length} MASTERs after the quiet period (${masters.map((m) => m.d.name).join(', ')})`);
          continue;
        }
        // A sync group moves all its VRIDs together, so the best director of one VRID may rightly
        // stay BACKUP of it; the group property is checked below instead.
        if (!entries.every((x) => x.c.preempt && x.c.syncGroup === undefined)) continue;
        const best = Math.max(...entries.map((x) => x.s.effectivePriority));
        const m = masters[0];
        // RFC 5798 §6.4.2: a backup accepts an equal priority, so among equals the sitting master stays.
        if (m !== undefined && m.s.effectivePriority !== best) {
          this.violation('preempt-best-master', `VRID ${vrid}: ${m.d.name} is MASTER with priority ${m.s.effectivePriority}, best is ${best}`);
        }
      }
    }
  }
}

function describeEvent(e: VrrpEvent): string {
  switch (e.type) {
    case 'AdvertReceived':
      return `advert from ${e.srcIp} prio ${e.priority}`;
    case 'TrackerChanged':
      return `tracker ${e.tracker} ${e.up ? 'up' : 'down'}`;
    case 'LinkChanged':
      return `link ${e.up ? 'up' : 'down'}`;
    default:
      return e.type;
  }
}

export type { Family };
