/**
 * The VRRP runtime: the imperative shell around the pure state machine (src/vrrp/fsm.ts).
 *
 * It owns the instances of one director, feeds them events (decoded adverts, fired deadlines,
 * tracker and link changes, start and stop) and carries out the effects they return through the
 * ports of src/net/ports.ts. Everything it touches comes in through its options: a Clock, a
 * Waker, a VRRP socket, an address port, a neighbour-announce port and a link port. The Linux
 * adapters make it real; test/sim makes it simulated. The code is the same in both.
 *
 * Ordering: events are handled one at a time from a FIFO. Effects of one event are carried out
 * before the next event is taken: its adverts first (they must not wait behind slower work), then
 * the others in the order the state machine gave them, and sync group orders
 * are queued behind the event that caused them. Port calls that return promises are started in
 * order and not awaited: the state machine never waits on the kernel, and a failure is logged
 * with its code (the next transition corrects the addresses anyway).
 */
import type { Clock } from '../core/clock.js';
import type { ErrorCode } from '../core/errors/index.js';
import type {
  AddressEvent,
  AddressPort,
  Family,
  LinkPort,
  NeighborAnnouncePort,
  PortResult,
  RoutePort,
  TakeoverPlan,
  TakeoverPort,
  TakeoverReport,
  VrrpDatagram,
  VrrpSendRequest,
  VrrpSocketPort,
} from '../net/ports.js';
import type { VipConfig, VrrpInstanceConfig } from '../vrrp/config.js';
import { newRxCounters, countDecode, type VrrpRxCounters } from '../vrrp/counters.js';
import {
  initialInstanceState,
  step,
  TIMER_NAMES,
  type NotifyState,
  type TimerName,
  type VrrpEffect,
  type VrrpEvent,
  type VrrpInstanceState,
} from '../vrrp/fsm.js';
import { decodeAdvert, encodeAdvert, VRRP_MCAST_V4, VRRP_MCAST_V6, VRRP_TTL, type DecodeExpect } from '../vrrp/packet.js';
import { planReload, reconfigure, type ReconfigureResult } from '../vrrp/reconfigure.js';
import { syncGroupOrders } from '../vrrp/sync-group.js';
import { PRIORITY_RELEASE } from '../vrrp/timers.js';
import type { Waker } from './waker.js';
import { DeadlineQueue } from './deadline-queue.js';

export interface RuntimeLogRecord {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly atMs: number;
  readonly message: string;
  readonly code?: ErrorCode;
  readonly instance?: string;
}

export interface RuntimeNotify {
  readonly instance: string;
  readonly state: NotifyState;
  readonly priority: number;
  readonly cause: string;
  readonly atMs: number;
  /**
   * The instance was removed by a reload. keepalived then reports DELETED to the notifiers (and
   * runs the `notify_deleted` script) when `notify_deleted` is configured, and FAULT otherwise: a
   * notifier maps this STOP accordingly.
   */
  readonly deleted?: boolean;
}

/** What a reload did to the instances (names as in the new config; removed ones as they were). */
export interface RuntimeReloadSummary {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** Matched instances whose config changed, with the names of the fields that changed. */
  readonly changed: ReadonlyArray<{ readonly name: string; readonly fields: readonly string[] }>;
  readonly unchanged: readonly string[];
}

export interface VrrpRuntimeOptions {
  readonly clock: Clock;
  readonly waker: Waker;
  readonly socket: VrrpSocketPort;
  readonly addresses: AddressPort;
  readonly neighbors: NeighborAnnouncePort;
  readonly link?: LinkPort;
  /** `virtual_routes` / `virtual_rules`; absent: instances' routes are not touched. */
  readonly routes?: RoutePort;
  /**
   * Plain delays for gratuitous ARP repeats and refreshes (`garp_master_*`). Absent: one
   * announcement per VIP on takeover. Returns a cancel function.
   */
  readonly schedule?: (delayMs: number, fn: () => void) => () => void;
  readonly instances: readonly VrrpInstanceConfig[];
  readonly log?: (record: RuntimeLogRecord) => void;
  readonly notify?: (notify: RuntimeNotify) => void;
  /** A reload (`reload`) changed, added or removed instances: one line of what it did. */
  readonly onReload?: (summary: RuntimeReloadSummary) => void;
  /** Observes every event an instance handles and the state it left (the simulator's trace). */
  readonly observe?: (instance: string, event: VrrpEvent, before: VrrpInstanceState, after: VrrpInstanceState, atMs: number) => void;
  /** Bound on events handled in one turn (an event plus the sync group orders it causes). */
  readonly maxEventsPerTurn?: number;
  /** Rehearsals of the failover paths at start (see `warmUp`); 0 (the default) in tests and the simulator. */
  readonly rehearsals?: number;
  /** Carries out a backup's takeover at its deadline without the event loop (see `syncTakeovers`); absent: the runtime does. */
  readonly takeover?: TakeoverPort;
}

export interface InstanceSnapshot {
  readonly name: string;
  readonly vrid: number;
  readonly ifname: string;
  readonly family: Family;
  readonly state: VrrpInstanceState;
  readonly rx: Readonly<VrrpRxCounters>;
}

interface Instance {
  /** Replaced in place by a reload (`reload`), the state kept. */
  config: VrrpInstanceConfig;
  state: VrrpInstanceState;
  readonly rx: VrrpRxCounters;
  /** Bumped on every takeover and release: announcement timers of an older epoch do nothing. */
  garpEpoch: number;
  /** Pending announcement timers (bounded: a burst, a delayed burst and a refresh at most). */
  readonly garpTimers: Set<() => void>;
  /** Unicast adverts dropped by `check_unicast_src` (source not a `unicast_peer`). */
  unicastSrcRejected: number;
  /** VIPs someone else deleted while we were MASTER, re-added (keepalived re-adds unless `no_track`). */
  vipsReadded: number;
  /** When the last accepted advert was received (runtime clock): where a takeover's countdown began. */
  lastAdvertMs: number | undefined;
  /** The time of the instance's last step: event times never go back (a packet's receive time can be earlier). */
  lastStepMs: number;
  /** The adverts last encoded, reused while config, priority and interval stay (a master repeats them). */
  adverts: { config: VrrpInstanceConfig; priority: number; advertIntervalCs: number; requests: readonly VrrpSendRequest[] } | undefined;
  /** The instance's takeover in the takeover port (see `syncTakeovers`). */
  readonly takeover: TakeoverArm;
}

/** What was handed to the takeover port for an instance, and for which state and config. */
interface TakeoverArm {
  /** The state and config the last decision (to arm or not) was made for: a new one is decided again. */
  decidedFor: VrrpInstanceState | undefined;
  config: VrrpInstanceConfig | undefined;
  /** The plan the port holds (re-armed without it while it stays the same), and its deadline. */
  plan: TakeoverPlan | undefined;
  deadlineMs: number;
  armed: boolean;
}

/**
 * How long after an armed takeover's deadline the runtime's own Master_Down timer fires: the port
 * has acted by then (its thread wakes within ~0.1 ms), so the timer only catches a takeover the
 * port left undone; it does not hold the event loop for precision meanwhile.
 */
export const TAKEOVER_FALLBACK_MS = 2;

const MASTER_DOWN: VrrpEvent = { type: 'MasterDownTimerFired' };

/** Passes of the failover paths at start in the VRRP process (see `warmUp`): enough for V8 to optimise them. */
export const REHEARSALS = 200;

/** A burst has at most this many announcements per VIP, whatever the config says. */
const GARP_REPEAT_MAX = 255;
const GARP_TIMERS_MAX = 8;

type TimerKey = `${string}\u0000${TimerName}`;

const TIMER_EVENTS: Record<TimerName, VrrpEvent> = {
  masterDown: { type: 'MasterDownTimerFired' },
  advert: { type: 'AdvertTimerFired' },
  preemptDelay: { type: 'PreemptDelayFired' },
  startupDelay: { type: 'StartupDelayFired' },
  release: { type: 'ReleaseTimerFired' },
};

/** The answer to an operator's step-down (the control socket passes it on). */
export type StepDownResult =
  | { readonly ok: true; readonly instances: readonly string[] }
  | { readonly ok: false; readonly error: string };

const DEFAULT_MAX_EVENTS_PER_TURN = 4096;

export class VrrpRuntime {
  /** Replaced as a whole by a reload (names may change). */
  private instances = new Map<string, Instance>();
  /** Instances a reload is shutting down: their STOP notification says `deleted`. */
  private readonly deleting = new Set<string>();
  /** (ifname, family, vrid) → instance name, for dispatching received adverts. */
  private readonly byVrid = new Map<string, string>();
  /** Rebuilt from the instances' states by a reload that changes the instance set. */
  private deadlines: DeadlineQueue<TimerKey>;
  /** `atMs`: when the event happened, if before its handling (a packet's kernel receive time). */
  private readonly queue: Array<{ instance: string; event: VrrpEvent; atMs?: number }> = [];
  private draining = false;
  private running = false;
  private unwatchLinks: (() => void) | undefined;
  private unwatchAddresses: (() => void) | undefined;
  /** Adverts for no instance of ours (keepalived counts these as vrid errors of the interface). */
  private unknownVrid = 0;
  private readonly maxEventsPerTurn: number;
  /** Set by `stopWithHandover`: resolved once no instance is running any more. */
  private handoverDone: (() => void) | undefined;
  /** Instances whose priority-0 adverts are armed in the socket's stop fast path, with the config they were built from. */
  private readonly stopArmed = new Map<string, VrrpInstanceConfig>();
  /** The timer being handled by `onWake`: its deadline, when the waker woke for it, and whether the takeover port held it (and left it undone). */
  private firing: { atMs: number; wokeMs: number; heldByPort: boolean } | undefined;

  constructor(private readonly opts: VrrpRuntimeOptions) {
    this.deadlines = new DeadlineQueue<TimerKey>(deadlineCapacity(opts.instances));
    this.maxEventsPerTurn = opts.maxEventsPerTurn ?? DEFAULT_MAX_EVENTS_PER_TURN;
    for (const config of opts.instances) {
      this.instances.set(config.name, newInstance(config, opts.clock.nowMs()));
      this.byVrid.set(vridKey(config.ifname, config.family, config.vrid), config.name);
    }
  }

  /** Opens the sockets, reads link states, then starts every instance. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.opts.socket.onPacket((d) => this.onDatagram(d));
    this.opts.takeover?.onCarriedOut?.((key) => this.onCarriedOut(key));
    const failed = await this.openSockets([...this.instances.values()].map((i) => i.config));
    if (!this.running) return;
    const link = this.opts.link;
    const ifnames = [...new Set([...this.instances.values()].map((i) => i.config.ifname))];
    // track_interface entries are trackers named `interface:NAME` (src/config/keepalived/to-engine.ts).
    const tracked = new Set<string>();
    for (const inst of this.instances.values()) for (const t of inst.config.trackers) if (t.name.startsWith(TRACK_INTERFACE)) tracked.add(t.name.slice(TRACK_INTERFACE.length));
    if (link !== undefined) {
      for (const ifname of ifnames) {
        const up = await link.isUp(ifname);
        if (!up) this.toInterface(ifname, { type: 'LinkChanged', up: false });
      }
      for (const ifname of tracked) {
        if (!(await link.isUp(ifname))) this.toTracker(`${TRACK_INTERFACE}${ifname}`, false);
      }
      this.unwatchLinks = link.watch([...new Set([...ifnames, ...tracked])], (e) => {
        this.toInterface(e.ifname, { type: 'LinkChanged', up: e.up });
        if (tracked.has(e.ifname)) this.toTracker(`${TRACK_INTERFACE}${e.ifname}`, e.up);
        this.drain();
      });
    }
    this.watchAddresses();
    if (!this.running) return;
    this.warmUp();
    // An instance whose socket did not open cannot hear or speak VRRP: hold it in FAULT.
    for (const inst of this.instances.values()) {
      if (failed.has(`${inst.config.ifname}/${inst.config.family}`)) this.enqueue(inst.config.name, { type: 'LinkChanged', up: false });
      this.enqueue(inst.config.name, { type: 'Started' });
    }
    this.drain();
  }

  /**
   * Opens one socket per interface and family with the multicast groups of its instances
   * (idempotent: a reload opens new ones and joins new groups). Returns the `ifname/family` keys
   * that failed.
   */
  private async openSockets(configs: readonly VrrpInstanceConfig[]): Promise<Set<string>> {
    const sockets = new Map<string, { ifname: string; family: Family; groups: Set<string> }>();
    for (const config of configs) {
      const key = `${config.ifname}/${config.family}`;
      const s = sockets.get(key) ?? { ifname: config.ifname, family: config.family, groups: new Set<string>() };
      // Unicast instances join no group (keepalived does not either): they hear only their peers.
      if (config.unicastPeers.length === 0) s.groups.add(mcastGroupOf(config));
      sockets.set(key, s);
    }
    const failed = new Set<string>();
    for (const [key, s] of sockets) {
      const r = await this.opts.socket.open(s.ifname, s.family, [...s.groups]);
      if (!r.ok) {
        failed.add(key);
        this.log('error', `Cannot open VRRP socket on ${s.ifname} (IPv${s.family}): ${r.error}`, 'HALO_VRRP_SOCKET_OPEN_FAILED');
      }
    }
    return failed;
  }

  /**
   * Readies what a failover runs, before it is needed. A shadow runtime with these instances'
   * configs and inert ports (nothing is sent, added or logged) goes through start, a peer's
   * priority 0, the takeover by the Master_Down timer, a higher-priority peer, release and stop,
   * `rehearsals` times (REHEARSALS in the VRRP process); each instance's advert at its configured
   * priority is encoded; the address and announcement ports build their first request and open
   * their sockets. V8 runs a function's first calls without inline caches and optimises only hot
   * code. Measured (a new master's wake to its first gratuitous ARP, one VIP, veth in a
   * namespace): 1-3 ms with no warm-up; 0.7-0.8 ms after one pass of the state machine (step 0.08
   * ms, encoding 0.13, the first netlink add 0.19, the first announcement 0.06); 0.5-0.7 ms with
   * this (the kernel's address add is 0.16-0.35 ms of it). The VRRP process runs with
   * --no-flush-bytecode (src/daemon/supervisor-linux.ts), so the code stays compiled.
   */
  private warmUp(): void {
    const configs = [...this.instances.values()].map((i) => i.config);
    const rehearsals = this.opts.rehearsals ?? 0;
    if (rehearsals > 0) this.rehearse(configs, rehearsals);
    // A takeover's advert at the configured priority is then ready-made.
    for (const inst of this.instances.values()) this.encodedAdverts(inst, inst.config.basePriority, inst.config.advertIntervalCs);
    for (const c of configs) {
      for (const vip of [...c.vips, ...(c.excludedVips ?? [])]) {
        this.opts.addresses.prepare?.(vip);
        this.opts.neighbors.prepare?.(vip.ifname, vip.family, vip.address);
      }
    }
  }

  private rehearse(configs: readonly VrrpInstanceConfig[], rehearsals: number): void {
    // Fractional times and ages, as the real clock and kernel timestamps give: V8 specialises code
    // on the kinds of numbers it saw, and a change of kind later costs a deoptimisation.
    let nowMs = 0.5;
    let wake: (() => void) | undefined;
    let wakeAtMs = 0;
    const done = Promise.resolve<PortResult>({ ok: true });
    const shadow = new VrrpRuntime({
      clock: { nowMs: () => nowMs },
      waker: {
        wakeAt: (atMs, onWake) => {
          wakeAtMs = atMs;
          wake = onWake;
        },
        cancel: () => {
          wake = undefined;
        },
      },
      socket: { open: () => done, send: () => ({ ok: true }), onPacket: () => undefined, close: () => undefined },
      addresses: { add: () => done, remove: () => done, list: () => Promise.resolve([]) },
      neighbors: { announce: () => ({ ok: true }) },
      ...(this.opts.routes !== undefined ? { routes: { add: () => done, remove: () => done } } : {}),
      instances: configs,
    });
    shadow.running = true;
    const fire = (): void => {
      const w = wake;
      wake = undefined;
      nowMs = Math.max(nowMs, wakeAtMs);
      w?.();
    };
    // A peer's adverts are the ones this instance would send with the peer's address as its own.
    const hear = (c: VrrpInstanceConfig, priority: number): void => {
      const peer = rehearsalPeer(c);
      const asPeer: VrrpInstanceConfig = { ...c, primaryAddress: peer, ...(c.unicastPeers.length > 0 && c.primaryAddress !== undefined ? { unicastPeers: [c.primaryAddress] } : {}) };
      const built = advertRequests(asPeer, priority, c.advertIntervalCs);
      if (!built.ok) return;
      for (const r of built.requests) shadow.onDatagram({ ifname: c.ifname, family: c.family, src: peer, dst: r.dst, ttl: r.ttl, payload: r.payload, ageMs: 0.25 });
    };
    const startedMs = this.opts.clock.nowMs();
    let takeovers = 0;
    for (let i = 0; i < rehearsals; i++) {
      for (const c of configs) shadow.enqueue(c.name, { type: 'Started' });
      shadow.drain();
      for (const c of configs) hear(c, PRIORITY_RELEASE);
      for (let w = 0; w < 4 && wake !== undefined; w++) fire();
      for (const inst of shadow.instances.values()) if (inst.state.state === 'MASTER') takeovers++;
      for (const c of configs) hear(c, 255);
      for (const c of configs) shadow.enqueue(c.name, { type: 'ShutdownRequested' });
      shadow.drain();
      nowMs += 3_600_000.5;
    }
    this.log('debug', `Rehearsed the failover paths: ${takeovers} takeovers in ${(this.opts.clock.nowMs() - startedMs).toFixed(1)} ms`);
  }

  /** Watches the interfaces that carry VIPs (again after a reload: the set may have changed). */
  private watchAddresses(): void {
    this.unwatchAddresses?.();
    this.unwatchAddresses = undefined;
    const vipIfnames = new Set<string>();
    for (const inst of this.instances.values()) for (const v of [...inst.config.vips, ...(inst.config.excludedVips ?? [])]) vipIfnames.add(v.ifname);
    if (this.opts.addresses.watch !== undefined && vipIfnames.size > 0) {
      this.unwatchAddresses = this.opts.addresses.watch([...vipIfnames], (e) => this.onAddressEvent(e));
    }
  }

  /**
   * Clean stop, at once: masters send priority 0 and drop their VIPs (RFC 5798 §6.4.3). Instances
   * still RELEASING after `stopWithHandover` drop theirs now.
   */
  stop(): void {
    if (!this.running) return;
    for (const name of this.instances.keys()) this.enqueue(name, { type: 'ShutdownRequested' });
    this.drain();
    this.close();
  }

  /**
   * halo's stop, make before break: masters send priority 0 but keep their VIPs (and so keep
   * answering clients) until each hears its new master or its handover bound passes; then the
   * VIPs go and the runtime closes. Each instance hands over on its own. Resolves when done; the
   * caller may cut it short with `stop()`.
   */
  stopWithHandover(): Promise<void> {
    if (!this.running) return Promise.resolve();
    const done = new Promise<void>((resolve) => {
      this.handoverDone = resolve;
    });
    for (const name of this.instances.keys()) this.enqueue(name, { type: 'ShutdownRequested', handover: true });
    this.drain();
    return done;
  }

  /**
   * An operator's step-down of one instance (with its sync group, which moves together) or of
   * every MASTER instance: make before break, then BACKUP with a hold (`holdMs`, null: until the
   * new master fails). Asking for a named instance that is not MASTER changes nothing.
   */
  stepDown(instance: string | null, holdMs: number | null): StepDownResult {
    if (!this.running) return { ok: false, error: 'VRRP is not running' };
    let names: string[];
    if (instance === null) {
      names = [...this.instances.values()].filter((i) => i.state.state === 'MASTER').map((i) => i.config.name);
    } else {
      const inst = this.instances.get(instance);
      if (inst === undefined) return { ok: false, error: `No instance named ${instance}` };
      if (inst.state.state !== 'MASTER') return { ok: false, error: `Instance ${instance} is ${inst.state.state}, not MASTER` };
      const group = inst.config.syncGroup;
      // A sync group's VIPs must not end up split between two directors: its MASTERs go together.
      names = group === undefined ? [instance] : [...this.instances.values()].filter((i) => i.config.syncGroup === group && i.state.state === 'MASTER').map((i) => i.config.name);
    }
    for (const name of names) this.enqueue(name, { type: 'StepDownRequested', holdMs });
    this.drain();
    return { ok: true, instances: names };
  }

  private close(): void {
    if (!this.running) return;
    this.running = false;
    this.unwatchLinks?.();
    this.unwatchLinks = undefined;
    this.unwatchAddresses?.();
    this.unwatchAddresses = undefined;
    for (const inst of this.instances.values()) this.cancelGarp(inst);
    // Every instance handled its shutdown (which claims), so nothing armed can have been carried out.
    for (const inst of this.instances.values()) {
      inst.takeover.armed = false;
      this.opts.takeover?.claim(inst.config.name, true);
    }
    this.opts.waker.cancel();
    this.deadlines.clear();
    this.syncStopAdverts();
    this.opts.socket.close();
    const done = this.handoverDone;
    this.handoverDone = undefined;
    done?.();
  }

  /**
   * A new set of instance configs (SIGHUP reload). src/vrrp/reconfigure.ts decides what each change
   * means: instances matched by VRID + family + interface keep their state and timers and take
   * their new settings in place (a MASTER changes only the VIPs, excluded VIPs and routes that were
   * added or removed, and announces the added VIPs); removed instances shut down as at stop
   * (priority 0 when MASTER, addresses removed, their STOP notification marked `deleted`); new
   * ones start as at boot.
   */
  async reload(next: readonly VrrpInstanceConfig[]): Promise<RuntimeReloadSummary> {
    // Reconfiguring changes states outside `handle`: no takeover may be armed on the old ones.
    for (const inst of this.instances.values()) this.settleTakeover(inst);
    const plan = planReload([...this.instances.values()].map((i) => i.config), next);
    for (const c of plan.removed) {
      this.deleting.add(c.name);
      this.enqueue(c.name, { type: 'ShutdownRequested' });
    }
    this.drain();
    for (const c of plan.removed) {
      const inst = this.instances.get(c.name);
      if (inst !== undefined) this.cancelGarp(inst);
      for (const t of TIMER_NAMES) this.deadlines.cancel(timerKey(c.name, t));
      this.deleting.delete(c.name);
    }
    const nowMs = this.opts.clock.nowMs();
    const before = [...this.instances.keys()];
    const rebuilt = new Map<string, Instance>();
    const changed: Array<{ inst: Instance; result: ReconfigureResult }> = [];
    for (const k of plan.kept) {
      const inst = this.instances.get(k.before.name);
      if (inst === undefined) continue;
      if (k.changes.length > 0) {
        const result = reconfigure(k.before, k.after, inst.state, nowMs);
        inst.state = result.state;
        changed.push({ inst, result });
      }
      inst.config = k.after;
      rebuilt.set(k.after.name, inst);
    }
    for (const c of plan.added) rebuilt.set(c.name, newInstance(c, nowMs));
    this.instances = rebuilt;
    this.byVrid.clear();
    for (const inst of rebuilt.values()) this.byVrid.set(vridKey(inst.config.ifname, inst.config.family, inst.config.vrid), inst.config.name);
    for (const name of before) if (!rebuilt.has(name)) this.opts.takeover?.claim(name, true);
    // Deadlines live in the states (src/vrrp/fsm.ts): the queue is rebuilt from them, under the
    // new names and with room for the new instances.
    this.deadlines = new DeadlineQueue<TimerKey>(deadlineCapacity(next));
    for (const inst of rebuilt.values()) {
      for (const t of TIMER_NAMES) {
        const atMs = inst.state.timers[t];
        if (atMs !== null) this.deadlines.set(timerKey(inst.config.name, t), atMs);
      }
    }
    for (const { inst, result } of changed) this.applyReconfigure(inst, result, nowMs);
    if (this.running) {
      // Opening is idempotent: new interfaces get a socket, new multicast groups are joined.
      const failed = await this.openSockets([...rebuilt.values()].map((i) => i.config));
      this.watchAddresses();
      for (const c of plan.added) {
        if (failed.has(`${c.ifname}/${c.family}`)) this.enqueue(c.name, { type: 'LinkChanged', up: false });
        this.enqueue(c.name, { type: 'Started' });
      }
    }
    this.drain();
    const summary: RuntimeReloadSummary = {
      added: plan.added.map((c) => c.name),
      removed: plan.removed.map((c) => c.name),
      changed: plan.kept.filter((k) => k.changes.length > 0).map((k) => ({ name: k.after.name, fields: k.changes })),
      unchanged: plan.kept.filter((k) => k.changes.length === 0).map((k) => k.after.name),
    };
    this.opts.onReload?.(summary);
    return summary;
  }

  /** Addresses by difference (removals, then additions), announcements of added VIPs, then the engine's effects. */
  private applyReconfigure(inst: Instance, r: ReconfigureResult, nowMs: number): void {
    const c = inst.config;
    const d = r.addresses;
    const routes = this.opts.routes;
    for (const rt of d.routesRemoved) if (routes) this.portResult(routes.remove(rt), c.name, `Cannot remove ${rt.kind} ${rt.args.join(' ')}`);
    for (const v of [...d.vipsRemoved, ...d.excludedRemoved]) this.portResult(this.opts.addresses.remove(v), c.name, `Cannot remove VIP ${v.address}/${v.prefixLength} from ${v.ifname}`);
    for (const v of [...d.vipsAdded, ...d.excludedAdded]) this.portResult(this.opts.addresses.add(v), c.name, `Cannot add VIP ${v.address}/${v.prefixLength} on ${v.ifname}`);
    for (const rt of d.routesAdded) if (routes) this.portResult(routes.add(rt), c.name, `Cannot add ${rt.kind} ${rt.args.join(' ')}`);
    // The refresh (garp_master_refresh) goes on for every VIP; the bursts are for the new ones.
    if (r.announce.length > 0 && this.running) this.takeoverAnnouncements(inst, r.announce, c.vips);
    for (const effect of r.effects) this.apply(inst, effect, nowMs);
  }

  /**
   * A tracker (track_script, track_file, ...) changed: every instance tracking it hears of it.
   * `detail` carries a track_file's value and the runner's cause (src/daemon/trackers.ts).
   */
  trackerChanged(tracker: string, up: boolean, detail?: { readonly value?: number; readonly cause?: string }): void {
    this.toTracker(tracker, up, detail);
    this.drain();
  }

  /** Counters the runtime keeps beside the codec's, by instance. */
  runtimeCounters(name: string): { unicastSrcRejected: number; vipsReadded: number } | undefined {
    const inst = this.instances.get(name);
    return inst === undefined ? undefined : { unicastSrcRejected: inst.unicastSrcRejected, vipsReadded: inst.vipsReadded };
  }

  private toTracker(tracker: string, up: boolean, detail?: { readonly value?: number; readonly cause?: string }): void {
    const extra = { ...(detail?.value !== undefined ? { value: detail.value } : {}), ...(detail?.cause !== undefined ? { cause: detail.cause } : {}) };
    for (const inst of this.instances.values()) {
      if (inst.config.trackers.some((t) => t.name === tracker)) this.enqueue(inst.config.name, { type: 'TrackerChanged', tracker, up, ...extra });
    }
  }

  /**
   * Someone deleted an address: a MASTER re-adds its VIP (keepalived does, unless `no_track`), so
   * clients are not left without the address until the next transition.
   */
  private onAddressEvent(e: AddressEvent): void {
    if (!this.running || e.present) return;
    for (const inst of this.instances.values()) {
      if (inst.state.state !== 'MASTER') continue;
      for (const v of [...inst.config.vips, ...(inst.config.excludedVips ?? [])]) {
        if (v.noTrack === true || v.ifname !== e.ifname || v.address !== e.address || v.prefixLength !== e.prefixLength) continue;
        inst.vipsReadded++;
        this.log('warn', `${inst.config.name}: VIP ${v.address}/${v.prefixLength} was deleted from ${v.ifname} by someone else: adding it again`, undefined, inst.config.name);
        this.portResult(this.opts.addresses.add(v), inst.config.name, `Cannot add VIP ${v.address}/${v.prefixLength} on ${v.ifname}`);
      }
    }
  }

  /** Delivers an event to one instance (for tests and the API's control commands). */
  deliver(instance: string, event: VrrpEvent): void {
    this.enqueue(instance, event);
    this.drain();
  }

  snapshot(): InstanceSnapshot[] {
    return [...this.instances.values()].map((i) => ({
      name: i.config.name,
      vrid: i.config.vrid,
      ifname: i.config.ifname,
      family: i.config.family,
      state: i.state,
      rx: { ...i.rx },
    }));
  }

  /** The current state of one instance, without copying counters (cheap, for hot paths). */
  instanceState(name: string): VrrpInstanceState | undefined {
    return this.instances.get(name)?.state;
  }

  /** Adverts received for a VRID no instance here runs. */
  get unknownVridRcvd(): number {
    return this.unknownVrid;
  }

  isRunning(): boolean {
    return this.running;
  }

  private onDatagram(d: VrrpDatagram): void {
    if (!this.running) return;
    const vrid = d.payload[1];
    const name = vrid === undefined ? undefined : this.byVrid.get(vridKey(d.ifname, d.family, vrid));
    const inst = name === undefined ? undefined : this.instances.get(name);
    if (inst === undefined) {
      this.unknownVrid++;
      return;
    }
    const c = inst.config;
    // Our own multicast looped back by the kernel is not an advert from a peer.
    if (d.src === c.primaryAddress) return;
    // keepalived check_unicast_src: in unicast mode, only the configured peers may speak.
    if (c.checkUnicastSrc === true && c.unicastPeers.length > 0 && !c.unicastPeers.includes(d.src)) {
      inst.unicastSrcRejected++;
      this.log('debug', `${c.name}: dropped advert from ${d.src}: not a unicast_peer`, undefined, c.name);
      return;
    }
    const result = decodeAdvert(d.payload, { family: d.family, src: d.src, dst: d.dst, ttl: d.ttl }, decodeExpect(c));
    countDecode(inst.rx, result);
    if (!result.ok) {
      this.log('debug', `${c.name}: dropped advert: ${result.detail}`, undefined, c.name);
      return;
    }
    const a = result.advert;
    // The timers an advert starts (Skew_Time after a priority 0, Master_Down_Interval) count from
    // its arrival, as RFC 5798 §6.4.2 says ("If an ADVERTISEMENT is received"): the kernel's
    // receive time, not the moment the event loop got to the packet.
    const atMs = d.ageMs !== undefined && d.ageMs >= 0 ? this.opts.clock.nowMs() - d.ageMs : undefined;
    this.enqueue(c.name, { type: 'AdvertReceived', srcIp: d.src, vrid: a.vrid, priority: a.priority, advertIntervalCs: a.advertIntervalCs }, atMs);
    this.drain();
  }

  private toInterface(ifname: string, event: VrrpEvent): void {
    for (const inst of this.instances.values()) if (inst.config.ifname === ifname) this.enqueue(inst.config.name, event);
  }

  private enqueue(instance: string, event: VrrpEvent, atMs?: number): void {
    this.queue.push(atMs === undefined ? { instance, event } : { instance, event, atMs });
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      let handled = 0;
      while (this.queue.length > 0) {
        if (handled++ >= this.maxEventsPerTurn) {
          this.log('error', `VRRP runtime handled ${this.maxEventsPerTurn} events in one turn: dropping ${this.queue.length} more`, 'HALO_VRRP_EVENT_BOUND');
          this.queue.length = 0;
          break;
        }
        const next = this.queue.shift();
        if (next === undefined) break;
        this.handle(next.instance, next.event, next.atMs);
      }
    } finally {
      this.draining = false;
    }
    this.syncStopAdverts();
    this.syncTakeovers();
    if (this.handoverDone !== undefined && [...this.instances.values()].every((i) => !i.state.running)) {
      this.close();
      return;
    }
    this.rearm();
  }

  /**
   * One event of one instance. An armed takeover is claimed first: if the port already carried it
   * out, the instance takes that step (as of its deadline, `done` saying the wire part is done)
   * before this event, which came later.
   */
  private handle(name: string, event: VrrpEvent, atMs?: number, done?: TakeoverReport): void {
    const inst = this.instances.get(name);
    if (inst === undefined) return;
    if (done === undefined && this.settleTakeover(inst) && event.type === 'MasterDownTimerFired') return;
    const handledMs = this.opts.clock.nowMs();
    const nowMs = atMs === undefined ? handledMs : Math.min(handledMs, Math.max(atMs, inst.lastStepMs));
    inst.lastStepMs = nowMs;
    const before = inst.state;
    const r = step(inst.config, before, event, nowMs);
    inst.state = r.state;
    // Wire first: adverts (a takeover's first advert, a stop's priority 0), then a takeover's
    // VIPs (one synchronous netlink request each) and its first gratuitous ARPs, all before
    // anything that can take milliseconds: the observer's IPC report and log line, the log
    // effects. keepalived likewise sends its advert, adds the VIPs and sends its gratuitous ARPs
    // in one go. Measured in the failover lab before this order: the report and log line put 1-5
    // ms between the new master's advert and its gratuitous ARP. A step that also removes VIPs
    // keeps the state machine's order for them. The other effects keep that order too.
    const removes = r.effects.some((e) => e.type === 'RemoveVips');
    const wire = (e: VrrpEffect): boolean => e.type === 'SendAdvert' || (!removes && (e.type === 'AddVips' || e.type === 'SendGratuitousArp'));
    // A takeover by the Master_Down timer times its wire effects (the log line after them).
    const timing = event.type === 'MasterDownTimerFired' && before.state !== 'MASTER' && r.state.state === 'MASTER' ? new Map<string, number>() : undefined;
    if (done === undefined) {
      for (const effect of r.effects) if (effect.type === 'SendAdvert') this.apply(inst, effect, nowMs);
      timing?.set('SendAdvert', this.opts.clock.nowMs());
    }
    for (const effect of r.effects) {
      if (effect.type === 'SendAdvert' || !wire(effect)) continue;
      if (done === undefined) this.apply(inst, effect, nowMs);
      else this.applyCarriedOut(inst, effect);
      timing?.set(effect.type, this.opts.clock.nowMs());
    }
    this.opts.observe?.(name, event, before, r.state, nowMs);
    if (event.type === 'AdvertReceived') inst.lastAdvertMs = nowMs;
    if (done !== undefined) this.logCarriedOut(inst, done, handledMs);
    else if (timing !== undefined) this.logTakeoverTiming(inst, handledMs, timing);
    for (const effect of r.effects) if (!wire(effect)) this.apply(inst, effect, nowMs);
    const group = inst.config.syncGroup;
    if (group !== undefined) {
      const members = [...this.instances.values()].filter((i) => i.config.syncGroup === group);
      for (const order of syncGroupOrders(members.map((m) => ({ config: m.config, state: m.state })))) this.enqueue(order.member, order.event);
    }
  }

  /**
   * One line per takeover by the Master_Down timer, in milliseconds: how late the waker woke
   * after the deadline, when the advert, the VIPs and the first gratuitous ARP were done after
   * the wake, and how long before the deadline the last advert was heard (Skew_Time after a
   * priority 0, Master_Down_Interval after a silent master). keepalived does not show this; it
   * is where a failover's own milliseconds go (docs/vrrp.md, "Failover on real networks").
   */
  private logTakeoverTiming(inst: Instance, wokeMs: number, timing: ReadonlyMap<string, number>): void {
    const f = this.firing;
    const ms = (x: number): string => x.toFixed(2);
    const after = (k: string): string => {
      const t = timing.get(k);
      return t === undefined ? '-' : `+${ms(t - wokeMs)}`;
    };
    const late = f === undefined ? '' : `woke ${ms(f.wokeMs - f.atMs)} ms after the deadline${f.heldByPort ? ' (the takeover thread had not acted)' : ''}; `;
    const heard = f !== undefined && inst.lastAdvertMs !== undefined ? `; last advert heard ${ms(f.atMs - inst.lastAdvertMs)} ms before the deadline` : '';
    this.log('info', `Takeover timing: ${late}advert ${after('SendAdvert')}, VIPs ${after('AddVips')}, gratuitous ARP ${after('SendGratuitousArp')} ms after the wake${heard}`, undefined, inst.config.name);
  }

  /** The rest of a wire effect whose packets and addresses the takeover port already sent and added. */
  private applyCarriedOut(inst: Instance, effect: VrrpEffect): void {
    const c = inst.config;
    if (effect.type === 'AddVips') {
      for (const r of c.routes ?? []) if (this.opts.routes) this.portResult(this.opts.routes.add(r), c.name, `Cannot add ${r.kind} ${r.args.join(' ')}`);
    } else if (effect.type === 'SendGratuitousArp') {
      this.takeoverAnnouncements(inst, effect.vips, effect.vips, true);
    }
  }

  /** The Takeover timing line of a takeover the port carried out, and its failures as the runtime's own would be logged. */
  private logCarriedOut(inst: Instance, done: TakeoverReport, handledMs: number): void {
    const c = inst.config;
    const t = inst.takeover;
    const ms = (x: number): string => x.toFixed(2);
    const heard = inst.lastAdvertMs !== undefined ? `; last advert heard ${ms(t.deadlineMs - inst.lastAdvertMs)} ms before the deadline` : '';
    this.log(
      'info',
      `Takeover timing: the takeover thread started ${ms(done.lateMs)} ms after the deadline; VIPs +${ms(done.vipsMs)}, advert +${ms(done.advertMs)}, gratuitous ARP +${ms(done.announceMs)} ms after its start; the state machine followed ${ms(handledMs - t.deadlineMs)} ms after the deadline${heard}`,
      undefined,
      c.name,
    );
    for (const e of done.errors) {
      if (e.part === 'advert') this.log('warn', `Cannot send advert of ${c.name} to ${t.plan?.adverts[e.index]?.dst ?? '?'}: ${e.error}`, 'HALO_VRRP_SEND_FAILED', c.name);
      else if (e.part === 'vip') {
        const v = t.plan?.vips[e.index];
        this.log('error', `Cannot add VIP ${v?.address ?? '?'}/${v?.prefixLength ?? '?'} on ${v?.ifname ?? '?'}: ${e.error}`, 'HALO_VRRP_VIP_FAILED', c.name);
      } else {
        const a = t.plan?.announce[e.index];
        this.log('warn', `Cannot announce ${a?.address ?? '?'} on ${a?.ifname ?? '?'}: ${e.error}`, undefined, c.name);
      }
    }
  }

  private apply(inst: Instance, effect: VrrpEffect, nowMs: number): void {
    const c = inst.config;
    switch (effect.type) {
      case 'SendAdvert':
        this.sendAdvert(inst, effect.priority, effect.advertIntervalCs);
        return;
      case 'AddVips':
        // Excluded VIPs and routes follow the VIPs (keepalived adds them in this order too).
        for (const vip of [...effect.vips, ...(c.excludedVips ?? [])]) this.portResult(this.opts.addresses.add(vip), c.name, `Cannot add VIP ${vip.address}/${vip.prefixLength} on ${vip.ifname}`);
        for (const r of c.routes ?? []) if (this.opts.routes) this.portResult(this.opts.routes.add(r), c.name, `Cannot add ${r.kind} ${r.args.join(' ')}`);
        return;
      case 'RemoveVips':
        this.cancelGarp(inst);
        for (const r of c.routes ?? []) if (this.opts.routes) this.portResult(this.opts.routes.remove(r), c.name, `Cannot remove ${r.kind} ${r.args.join(' ')}`);
        for (const vip of [...effect.vips, ...(c.excludedVips ?? [])]) this.portResult(this.opts.addresses.remove(vip), c.name, `Cannot remove VIP ${vip.address}/${vip.prefixLength} from ${vip.ifname}`);
        return;
      case 'SendGratuitousArp':
        this.takeoverAnnouncements(inst, effect.vips);
        return;
      case 'SetTimer':
        if (!this.deadlines.set(timerKey(c.name, effect.name), effect.atMs)) {
          this.log('error', `Cannot set timer ${effect.name} of ${c.name}: deadline queue full (${this.deadlines.capacity})`, 'HALO_VRRP_TIMER_BOUND', c.name);
        }
        return;
      case 'CancelTimer':
        this.deadlines.cancel(timerKey(c.name, effect.name));
        return;
      case 'RunNotify':
        this.opts.notify?.({ instance: c.name, state: effect.state, priority: effect.priority, cause: effect.cause, atMs: nowMs, ...(this.deleting.has(c.name) ? { deleted: true } : {}) });
        return;
      case 'Log':
        this.log(effect.level, effect.cause, undefined, c.name);
        return;
    }
  }

  private sendAdvert(inst: Instance, priority: number, advertIntervalCs: number): void {
    const c = inst.config;
    const requests = this.encodedAdverts(inst, priority, advertIntervalCs);
    if (requests === undefined) return;
    for (const request of requests) {
      const r = this.opts.socket.send(request);
      if (!r.ok) this.log('warn', `Cannot send advert of ${c.name} to ${request.dst}: ${r.error}`, 'HALO_VRRP_SEND_FAILED', c.name);
    }
  }

  /** The instance's adverts at `priority`, encoded once per config, priority and interval. */
  private encodedAdverts(inst: Instance, priority: number, advertIntervalCs: number): readonly VrrpSendRequest[] | undefined {
    const c = inst.config;
    const memo = inst.adverts;
    if (memo !== undefined && memo.config === c && memo.priority === priority && memo.advertIntervalCs === advertIntervalCs) return memo.requests;
    const built = advertRequests(c, priority, advertIntervalCs);
    if (!built.ok) {
      this.log('error', `Cannot encode advert of ${c.name}: ${built.detail}`, 'HALO_VRRP_ENCODE_FAILED', c.name);
      return undefined;
    }
    inst.adverts = { config: c, priority, advertIntervalCs, requests: built.requests };
    return built.requests;
  }

  /**
   * Keeps the socket's stop fast path in step with the instances: each MASTER has its priority-0
   * adverts armed (the same packets the state machine's ShutdownRequested would send: RFC 5798
   * §6.4.3), re-armed when its config changes (a reload: VIPs, peers, source); an instance that
   * is no longer MASTER, or gone, is disarmed, since a priority 0 from a backup would make the
   * other backups take over from the real master.
   */
  private syncStopAdverts(): void {
    const socket = this.opts.socket;
    if (socket.armStopAdverts === undefined) return;
    for (const [name, inst] of this.instances) {
      const want = this.running && inst.state.running && inst.state.state === 'MASTER' ? inst.config : undefined;
      if (this.stopArmed.get(name) === want) continue;
      let requests: readonly VrrpSendRequest[] = [];
      if (want !== undefined) {
        const built = advertRequests(want, PRIORITY_RELEASE, want.advertIntervalCs);
        if (built.ok) requests = built.requests;
      }
      socket.armStopAdverts(name, requests);
      if (want === undefined) this.stopArmed.delete(name);
      else this.stopArmed.set(name, want);
    }
    for (const name of [...this.stopArmed.keys()]) {
      if (this.instances.has(name) && this.running) continue;
      socket.armStopAdverts(name, []);
      this.stopArmed.delete(name);
    }
  }

  /**
   * Keeps each backup's takeover armed in the takeover port. The state machine is pure, so what a
   * BACKUP's Master_Down expiry will do is known as soon as its timer is set: the runtime works out
   * that step now, as of the deadline, and hands its wire part (the advert, the VIPs, the first
   * announcements) to the port, which carries it out at the deadline without waiting for the event
   * loop (src/net/linux/takeover.ts; measured in the failover lab, the event loop's wake and turn
   * put 0.5-3 ms between the deadline and the gratuitous ARP). Any event of the instance claims
   * the takeover first (`handle`), so whatever comes before the deadline wins, and a takeover
   * carried out is stepped as of its deadline. The runtime's own timer stays as a fallback,
   * TAKEOVER_FALLBACK_MS later. Sync group members are left to the runtime (their takeover
   * depends on the group).
   */
  private syncTakeovers(): void {
    const port = this.opts.takeover;
    if (port === undefined) return;
    for (const inst of this.instances.values()) {
      const t = inst.takeover;
      if (t.decidedFor === inst.state && t.config === inst.config) continue;
      if (t.armed) this.settleTakeover(inst);
      t.decidedFor = inst.state;
      t.config = inst.config;
      const next = this.running ? this.plannedTakeover(inst) : undefined;
      if (next !== undefined) {
        const same = t.plan !== undefined && samePlan(t.plan, next.plan);
        t.armed = port.arm(inst.config.name, next.deadlineMs - this.opts.clock.nowMs(), same ? undefined : next.plan);
        t.plan = t.armed ? next.plan : undefined;
        t.deadlineMs = next.deadlineMs;
      }
      // The runtime's own timer: at the deadline, or as the fallback behind an armed takeover.
      const masterDown = inst.state.timers.masterDown;
      if (masterDown !== null && this.running) this.deadlines.set(timerKey(inst.config.name, 'masterDown'), t.armed ? masterDown + TAKEOVER_FALLBACK_MS : masterDown);
    }
  }

  /** What the instance's Master_Down expiry would send and add, if it is a plain takeover. */
  private plannedTakeover(inst: Instance): { deadlineMs: number; plan: TakeoverPlan } | undefined {
    const c = inst.config;
    const s = inst.state;
    const deadlineMs = s.timers.masterDown;
    if (s.state !== 'BACKUP' || deadlineMs === null || c.syncGroup !== undefined) return undefined;
    const r = step(c, s, MASTER_DOWN, deadlineMs);
    if (r.state.state !== 'MASTER') return undefined;
    let adverts: readonly VrrpSendRequest[] | undefined;
    let vips: readonly VipConfig[] = [];
    let announced: readonly VipConfig[] = [];
    for (const e of r.effects) {
      if (e.type === 'RemoveVips') return undefined;
      if (e.type === 'SendAdvert') adverts = this.encodedAdverts(inst, e.priority, e.advertIntervalCs);
      else if (e.type === 'AddVips') vips = [...e.vips, ...(c.excludedVips ?? [])];
      else if (e.type === 'SendGratuitousArp') announced = e.vips;
    }
    if (adverts === undefined) return undefined;
    return { deadlineMs, plan: { adverts, vips, announce: this.firstAnnouncements(inst, announced) } };
  }

  /**
   * Claims the instance's armed takeover; if the port carried it out, the instance takes the step
   * now, as of the deadline. Returns whether it had been carried out.
   */
  private settleTakeover(inst: Instance): boolean {
    const t = inst.takeover;
    if (!t.armed) return false;
    t.armed = false;
    t.decidedFor = undefined;
    const done = this.opts.takeover?.claim(inst.config.name);
    if (done === undefined) return false;
    // The timer has fired (in the port), whether or not the runtime's fallback has popped it yet.
    this.deadlines.cancel(timerKey(inst.config.name, 'masterDown'));
    this.handle(inst.config.name, MASTER_DOWN, t.deadlineMs, done);
    return true;
  }

  /** The port carried out a takeover: the state machine follows now rather than at the fallback timer. */
  private onCarriedOut(key: string): void {
    const inst = this.instances.get(key);
    if (!this.running || inst === undefined || !inst.takeover.armed) return;
    this.settleTakeover(inst);
    this.drain();
  }

  /** Whether `key` is the Master_Down timer of an instance whose takeover the port holds. */
  private heldByTakeoverPort(key: TimerKey): boolean {
    const sep = key.lastIndexOf('\u0000');
    return key.slice(sep + 1) === 'masterDown' && this.instances.get(key.slice(0, sep))?.takeover.armed === true;
  }

  /**
   * Announcements after a takeover, as keepalived sends them: a burst of `garp_master_repeat` per
   * VIP spaced by `vrrp_garp_interval` / `vrrp_gna_interval`, a second burst after
   * `garp_master_delay`, and a refresh burst every `garp_master_refresh` while MASTER. Without a
   * `schedule` option (the simulator), one announcement per VIP.
   */
  private takeoverAnnouncements(inst: Instance, vips: readonly VipConfig[], refreshVips: readonly VipConfig[] = vips, firstSent = false): void {
    this.cancelGarp(inst);
    const g = inst.config.garp;
    const schedule = this.opts.schedule;
    if (g === undefined || schedule === undefined) {
      if (!firstSent) this.announce(inst, vips);
      return;
    }
    const epoch = inst.garpEpoch;
    this.burst(inst, vips, Math.min(Math.max(1, g.masterRepeat), GARP_REPEAT_MAX), epoch, firstSent);
    if (g.masterDelayMs > 0) this.later(inst, g.masterDelayMs, epoch, () => this.burst(inst, vips, Math.min(Math.max(1, g.masterRepeat), GARP_REPEAT_MAX), epoch));
    if (g.masterRefreshMs > 0) {
      const refresh = (): void => {
        this.burst(inst, refreshVips, Math.min(Math.max(1, g.masterRefreshRepeat), GARP_REPEAT_MAX), epoch);
        this.later(inst, g.masterRefreshMs, epoch, refresh);
      };
      this.later(inst, g.masterRefreshMs, epoch, refresh);
    }
  }

  /**
   * `count` announcements per VIP, one message per task: IPv4 ones spaced by `vrrp_garp_interval`,
   * IPv6 ones by `vrrp_gna_interval` (keepalived spaces single messages), and never two in one
   * turn of the event loop even with no interval, so that adverts never wait behind a whole
   * burst (the Linux adapter keeps its packet sockets open, so one message costs a system call).
   */
  private burst(inst: Instance, vips: readonly VipConfig[], count: number, epoch: number, firstSent = false): void {
    const g = inst.config.garp;
    for (const family of [4, 6] as const) {
      const mine = vips.filter((v) => v.family === family);
      if (mine.length === 0) continue;
      const gapMs = g === undefined ? 0 : Math.max(0, family === 4 ? g.intervalMs4 : g.intervalMs6);
      const total = count * mine.length;
      let i = 0;
      const next = (): void => {
        const vip = mine[i % mine.length];
        if (vip !== undefined) this.announce(inst, [vip]);
        if (++i < total) this.later(inst, gapMs, epoch, next);
      };
      if (!firstSent) next();
      else if (++i < total) this.later(inst, gapMs, epoch, next);
    }
  }

  /** The announcements a takeover sends at once (`takeoverAnnouncements`): the first of each family's burst, or all without bursts. */
  private firstAnnouncements(inst: Instance, vips: readonly VipConfig[]): readonly VipConfig[] {
    if (inst.config.garp === undefined || this.opts.schedule === undefined) return vips;
    const first: VipConfig[] = [];
    for (const family of [4, 6] as const) {
      const vip = vips.find((v) => v.family === family);
      if (vip !== undefined) first.push(vip);
    }
    return first;
  }

  private later(inst: Instance, delayMs: number, epoch: number, fn: () => void): void {
    const schedule = this.opts.schedule;
    if (schedule === undefined || inst.garpTimers.size >= GARP_TIMERS_MAX) return;
    const cancel = schedule(delayMs, () => {
      inst.garpTimers.delete(cancel);
      if (!this.running || inst.garpEpoch !== epoch || inst.state.state !== 'MASTER') return;
      fn();
    });
    inst.garpTimers.add(cancel);
  }

  private cancelGarp(inst: Instance): void {
    inst.garpEpoch++;
    for (const cancel of inst.garpTimers) cancel();
    inst.garpTimers.clear();
  }

  private announce(inst: Instance, vips: readonly VipConfig[]): void {
    for (const vip of vips) {
      const r = this.opts.neighbors.announce(vip.ifname, vip.family, vip.address);
      if (!r.ok) this.log('warn', `Cannot announce ${vip.address} on ${vip.ifname}: ${r.error}`, undefined, inst.config.name);
    }
  }

  private portResult(p: Promise<PortResult>, instance: string, what: string): void {
    p.then(
      (r) => {
        if (!r.ok) this.log('error', `${what}: ${r.error}`, 'HALO_VRRP_VIP_FAILED', instance);
      },
      (e: unknown) => this.log('error', `${what}: ${String(e)}`, 'HALO_VRRP_VIP_FAILED', instance),
    );
  }

  /** Sleeps until the earliest deadline; on waking, fires every due timer in deadline order. */
  private rearm(): void {
    if (!this.running) return;
    const first = this.deadlines.peek();
    if (first === undefined) {
      this.opts.waker.cancel();
      return;
    }
    this.opts.waker.wakeAt(first.atMs, () => this.onWake(), this.heldByTakeoverPort(first.key));
  }

  private onWake(): void {
    if (!this.running) return;
    const nowMs = this.opts.clock.nowMs();
    for (let d = this.deadlines.popDue(nowMs); d !== undefined; d = this.deadlines.popDue(nowMs)) {
      const sep = d.key.lastIndexOf('\u0000');
      const name = d.key.slice(0, sep);
      const timer = d.key.slice(sep + 1) as TimerName;
      if (!TIMER_NAMES.includes(timer)) continue;
      this.enqueue(name, TIMER_EVENTS[timer]);
      // Handle each timer before taking the next, so a timer cancelled by an earlier one stays cancelled.
      // A takeover the port held and left undone is late from its own deadline, not the fallback's.
      const held = timer === 'masterDown' ? this.instances.get(name)?.takeover : undefined;
      this.firing = held?.armed === true ? { atMs: held.deadlineMs, wokeMs: nowMs, heldByPort: true } : { atMs: d.atMs, wokeMs: nowMs, heldByPort: false };
      this.drain();
      this.firing = undefined;
    }
    this.rearm();
  }

  private log(level: RuntimeLogRecord['level'], message: string, code?: ErrorCode, instance?: string): void {
    const sink = this.opts.log;
    if (sink === undefined) return;
    sink({
      level,
      atMs: this.opts.clock.nowMs(),
      message,
      ...(code === undefined ? {} : { code }),
      ...(instance === undefined ? {} : { instance }),
    });
  }
}

function newInstance(config: VrrpInstanceConfig, nowMs: number): Instance {
  return { config, state: initialInstanceState(config, nowMs), rx: newRxCounters(), garpEpoch: 0, garpTimers: new Set(), unicastSrcRejected: 0, vipsReadded: 0, lastAdvertMs: undefined, lastStepMs: nowMs, adverts: undefined, takeover: { decidedFor: undefined, config: undefined, plan: undefined, deadlineMs: 0, armed: false } };
}

const TRACK_INTERFACE = 'interface:';

/** The peer a rehearsal hears (never contacted): a configured unicast peer, else a documentation address. */
function rehearsalPeer(c: VrrpInstanceConfig): string {
  const peer = c.unicastPeers[0];
  if (peer !== undefined) return peer;
  const [a, b] = c.family === 4 ? ['192.0.2.1', '192.0.2.2'] : ['fe80::db8:1', 'fe80::db8:2'];
  return c.primaryAddress === a ? b : a;
}

function mcastGroupOf(c: VrrpInstanceConfig): string {
  return c.mcastGroup ?? (c.family === 4 ? VRRP_MCAST_V4 : VRRP_MCAST_V6);
}

function vridKey(ifname: string, family: Family, vrid: number): string {
  return `${ifname}/${family}/${vrid}`;
}

function timerKey(instance: string, timer: TimerName): TimerKey {
  return `${instance}\u0000${timer}`;
}

/** The adverts of one instance at `priority`: one per unicast peer, or one to its multicast group. */
export function advertRequests(c: VrrpInstanceConfig, priority: number, advertIntervalCs: number): { ok: true; requests: VrrpSendRequest[] } | { ok: false; detail: string } {
  const src = c.primaryAddress;
  const unicast = c.unicastPeers.length > 0;
  const dsts = unicast ? c.unicastPeers : [mcastGroupOf(c)];
  // RFC 5798 §5.1.1.3: TTL 255; keepalived's `unicast_ttl` may lower it for unicast peers.
  const ttl = unicast ? (c.unicastTtl ?? VRRP_TTL) : VRRP_TTL;
  const addresses = c.vips.filter((v) => v.family === c.family).map((v) => v.address);
  const requests: VrrpSendRequest[] = [];
  for (const dst of dsts) {
    const enc = encodeAdvert(
      {
        version: c.version,
        vrid: c.vrid,
        priority,
        advertIntervalCs,
        authType: c.version === 2 && c.authPass !== undefined ? 1 : 0,
        ...(c.version === 2 && c.authPass !== undefined ? { authData: c.authPass } : {}),
        addresses,
        family: c.family,
      },
      { src, dst, checksumMode: c.v3ChecksumAsV2 === true ? 'v2-style' : 'pseudo-header' },
    );
    if (!enc.ok) return { ok: false, detail: enc.detail };
    requests.push({ ifname: c.ifname, family: c.family, ...(src !== undefined ? { src } : {}), dst, ttl, payload: enc.bytes });
  }
  return { ok: true, requests };
}

/** What the codec checks on receive for one instance (RFC 3768 §7.1, RFC 5798 §7.1). */
export function decodeExpect(c: VrrpInstanceConfig): DecodeExpect {
  return {
    version: c.version,
    vrid: c.vrid,
    ...(c.version === 2 ? { authType: c.authPass === undefined ? (0 as const) : (1 as const), advertIntervalCs: c.advertIntervalCs } : {}),
    ...(c.version === 2 && c.authPass !== undefined ? { authData: c.authPass } : {}),
    checksumMode: c.v3ChecksumAsV2 === true ? 'v2-style' : 'pseudo-header',
    multicast: c.unicastPeers.length === 0,
  };
}

/** Deadline capacity for a set of instances: every timer of every instance, nothing more. */
export function deadlineCapacity(instances: readonly VrrpInstanceConfig[]): number {
  return Math.max(1, instances.length * TIMER_NAMES.length);
}

/** Same plan entries, by identity (the runtime reuses its encoded adverts and its configs' VIPs). */
function samePlan(a: TakeoverPlan, b: TakeoverPlan): boolean {
  const same = <T>(x: readonly T[], y: readonly T[]): boolean => x.length === y.length && x.every((v, i) => v === y[i]);
  return same(a.adverts, b.adverts) && same(a.vips, b.vips) && same(a.announce, b.announce);
}
