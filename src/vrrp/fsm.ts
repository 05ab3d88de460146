/**
 * The VRRP state machine of one instance, as a pure function:
 *
 *   step(config, state, event, nowMs) → { state, effects }
 *
 * Events are facts in the past tense, already decoded and validated by the runtime (an
 * `AdvertReceived` is for this instance's VRID, family and interface and passed the codec's
 * checks). Effects are orders the runtime carries out in the given order. Deadlines live in the
 * state (`timers`); the runtime only sleeps until them and reports `...Fired` events back, and a
 * fired event that does not match the deadline in the state is ignored (a stale timer cannot act).
 *
 * Behaviour follows RFC 5798 §6.4 (kept by RFC 9568) for both versions, with the keepalived
 * behaviours operators rely on: preempt / nopreempt / preempt_delay, tracker weights and FAULT,
 * lower_prio_no_advert, down_timer_adverts, vrrp_startup_delay and sync groups. Where halo picks
 * one reading of a behaviour, the comment at that branch says which and why.
 */
import type { TrackerConfig, VrrpInstanceConfig, VipConfig } from './config.js';
import { isOwner } from './config.js';
import { compareAddresses } from './address-order.js';
import { evaluateBinding } from './track/weight.js';
import type { TrackerSignal } from './track/types.js';
import {
  advertIntervalMs,
  masterDownIntervalMs,
  skewTimeMs,
  PRIORITY_MAX_NON_OWNER,
  PRIORITY_MIN,
  PRIORITY_OWNER,
  PRIORITY_RELEASE,
  handoverBoundMs,
  HANDOVER_GRACE_MS,
} from './timers.js';

/**
 * RELEASING is halo's make-before-break handover (not an RFC state): the instance has sent
 * priority 0 and stopped advertising, but keeps its VIPs, so clients are still answered, until it
 * hears the new master's advert or the `release` deadline passes (src/vrrp/timers.ts
 * `handoverBoundMs`). Only then are the VIPs removed. See docs/vrrp.md, "Planned handover".
 */
export type VrrpStateName = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT' | 'RELEASING';
export type TimerName = 'masterDown' | 'advert' | 'preemptDelay' | 'startupDelay' | 'release';
export const TIMER_NAMES: readonly TimerName[] = ['masterDown', 'advert', 'preemptDelay', 'startupDelay', 'release'];

/** What a RELEASING instance does once the new master is heard (or the bound passes). */
export interface ReleaseIntent {
  /** STOP: halo is stopping (INIT, not running, notify STOP). BACKUP: an operator's step-down. */
  readonly then: 'STOP' | 'BACKUP';
  readonly startMs: number;
  /** The new master, once heard; the VIPs go `HANDOVER_GRACE_MS` later. */
  readonly heard: HeardMaster | null;
  readonly heardIntervalCs: number | null;
}

/** After a step-down: the instance accepts lower-priority masters (as `nopreempt`) until then. */
export interface StepDownHold {
  /** null: until the new master fails (its Master_Down_Interval runs out) or halo restarts. */
  readonly untilMs: number | null;
}

/** Per-instance counters with keepalived's statistics names. */
export interface VrrpCounters {
  readonly became_master: number;
  readonly released_master: number;
  readonly advert_rcvd: number;
  readonly advert_sent: number;
  readonly pri_zero_rcvd: number;
  readonly pri_zero_sent: number;
  /** v2 adverts whose interval differs from ours (RFC 3768 §7.1 discards them). */
  readonly advert_interval_err: number;
}

export const ZERO_COUNTERS: VrrpCounters = {
  became_master: 0,
  released_master: 0,
  advert_rcvd: 0,
  advert_sent: 0,
  pri_zero_rcvd: 0,
  pri_zero_sent: 0,
  advert_interval_err: 0,
};

export type Timers = Readonly<Record<TimerName, number | null>>;

export interface HeardMaster {
  readonly address: string;
  readonly priority: number;
  readonly atMs: number;
}

export interface VrrpInstanceState {
  readonly state: VrrpStateName;
  /** Between `Started` and `ShutdownRequested`. */
  readonly running: boolean;
  readonly effectivePriority: number;
  /** RFC 5798 §6.1: learned from the master's adverts by a backup (v3); our own otherwise. */
  readonly masterAdverIntervalCs: number;
  readonly trackersUp: Readonly<Record<string, boolean>>;
  /** Latest value of each `track_file` tracker (absent: 0, as keepalived reads a missing file). */
  readonly trackerValues?: Readonly<Record<string, number>>;
  /** Latest cause given by each tracker's runner, for the FAULT cause and the logs. */
  readonly trackerCauses?: Readonly<Record<string, string>>;
  readonly linkUp: boolean;
  /** Another member of our sync group is in FAULT (keepalived puts the whole group there). */
  readonly groupFault: boolean;
  /** Sync group member that would become MASTER and waits for the rest of the group. */
  readonly wantsMaster: boolean;
  /** When the master down timer was last started, and whether it runs Skew_Time only (after priority 0). */
  readonly masterDownStartMs: number | null;
  readonly masterDownSkewOnly: boolean;
  /** preempt_delay: lower-priority masters are accepted until this time. */
  readonly preemptAllowedAtMs: number | null;
  readonly lastMaster: HeardMaster | null;
  /** Set while RELEASING. */
  readonly release: ReleaseIntent | null;
  /** Set by a step-down; cleared when the instance becomes MASTER again. */
  readonly stepDown: StepDownHold | null;
  readonly timers: Timers;
  readonly counters: VrrpCounters;
  /** Why the instance is in its state, for logs, the API and notify scripts. */
  readonly cause: string;
  readonly sinceMs: number;
}

export type VrrpEvent =
  | { readonly type: 'Started' }
  | { readonly type: 'StartupDelayFired' }
  | {
      readonly type: 'AdvertReceived';
      readonly srcIp: string;
      readonly vrid: number;
      readonly priority: number;
      readonly advertIntervalCs: number;
    }
  | { readonly type: 'MasterDownTimerFired' }
  | { readonly type: 'AdvertTimerFired' }
  | { readonly type: 'PreemptDelayFired' }
  /**
   * A tracker's signal changed. `value` is the number a `track_file` read (its delta is value ×
   * weight); `cause` is the runner's reason (`Script chk_nginx failed 3 times (fall 3): exit 1`).
   */
  | { readonly type: 'TrackerChanged'; readonly tracker: string; readonly up: boolean; readonly value?: number; readonly cause?: string }
  | { readonly type: 'LinkChanged'; readonly up: boolean }
  /**
   * `handover`: make before break (halo's stop): a MASTER sends priority 0 but keeps its VIPs
   * while RELEASING. Without it the VIPs go at once (RFC 5798 §6.4.3 read literally; also how a
   * RELEASING instance is cut short when the runtime cannot wait any longer).
   */
  | { readonly type: 'ShutdownRequested'; readonly handover?: boolean }
  /** An operator's step-down: give up mastership make-before-break and stay BACKUP (see StepDownHold). */
  | { readonly type: 'StepDownRequested'; readonly holdMs: number | null }
  | { readonly type: 'ReleaseTimerFired' }
  | { readonly type: 'SyncGroupMasterAllowed' }
  | { readonly type: 'SyncGroupBackupRequired'; readonly member: string }
  | { readonly type: 'SyncGroupFaultChanged'; readonly fault: boolean; readonly member: string };

export type NotifyState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP';

export type VrrpEffect =
  | { readonly type: 'SendAdvert'; readonly priority: number; readonly advertIntervalCs: number }
  | { readonly type: 'AddVips'; readonly vips: readonly VipConfig[] }
  | { readonly type: 'RemoveVips'; readonly vips: readonly VipConfig[] }
  | { readonly type: 'SendGratuitousArp'; readonly vips: readonly VipConfig[] }
  | { readonly type: 'SetTimer'; readonly name: TimerName; readonly atMs: number }
  | { readonly type: 'CancelTimer'; readonly name: TimerName }
  | { readonly type: 'RunNotify'; readonly state: NotifyState; readonly priority: number; readonly cause: string }
  | { readonly type: 'Log'; readonly level: 'info' | 'debug'; readonly cause: string };

export interface StepResult {
  readonly state: VrrpInstanceState;
  readonly effects: readonly VrrpEffect[];
}

const NO_TIMERS: Timers = { masterDown: null, advert: null, preemptDelay: null, startupDelay: null, release: null };

/**
 * The signal of one tracker as the engine last heard it: booleans for scripts, processes and
 * interfaces, the number read for `track_file` (keepalived starts a file tracker at 0).
 */
function trackerSignal(t: TrackerConfig, trackersUp: Readonly<Record<string, boolean>>, trackerValues: Readonly<Record<string, number>> | undefined): TrackerSignal {
  if (t.kind === 'file') return { kind: 'file', value: trackerValues?.[t.name] ?? 0, cause: t.name };
  return { kind: t.kind ?? 'script', up: trackersUp[t.name] ?? t.initiallyUp, cause: t.name };
}

/**
 * keepalived's rules (src/vrrp/track/weight.ts, the one place they live): a positive weight counts
 * while up, a negative one while down, `reverse` negates, `track_file` adds value × weight; clamp
 * 1..254; an address owner stays 255.
 */
export function effectivePriority(config: VrrpInstanceConfig, trackersUp: Readonly<Record<string, boolean>>, trackerValues?: Readonly<Record<string, number>>): number {
  if (isOwner(config)) return PRIORITY_OWNER;
  let priority = config.basePriority;
  for (const t of config.trackers) {
    priority += evaluateBinding(bindingOf(t), trackerSignal(t, trackersUp, trackerValues)).weightDelta;
  }
  return Math.min(Math.max(priority, PRIORITY_MIN), PRIORITY_MAX_NON_OWNER);
}

function bindingOf(t: TrackerConfig): { trackerName: string; kind: NonNullable<TrackerConfig['kind']>; weight: number; reverse: boolean } {
  return { trackerName: t.name, kind: t.kind ?? 'script', weight: t.weight, reverse: t.reverse === true };
}

/** A fault of the instance itself (not one copied from its sync group). */
export function ownFault(config: VrrpInstanceConfig, state: Pick<VrrpInstanceState, 'linkUp' | 'trackersUp'> & Partial<Pick<VrrpInstanceState, 'trackerValues' | 'trackerCauses'>>): string | null {
  if (!state.linkUp) return `Interface ${config.ifname} is down`;
  for (const t of config.trackers) {
    const status = evaluateBinding(bindingOf(t), trackerSignal(t, state.trackersUp, state.trackerValues));
    if (status.fault) {
      const why = state.trackerCauses?.[t.name];
      return `Tracker ${t.name} failed${why !== undefined ? `: ${why}` : ''}`;
    }
  }
  return null;
}

export function initialInstanceState(config: VrrpInstanceConfig, nowMs = 0): VrrpInstanceState {
  const trackersUp: Record<string, boolean> = {};
  for (const t of config.trackers) trackersUp[t.name] = t.initiallyUp;
  return {
    state: 'INIT',
    running: false,
    effectivePriority: effectivePriority(config, trackersUp),
    masterAdverIntervalCs: config.advertIntervalCs,
    trackersUp,
    linkUp: true,
    groupFault: false,
    wantsMaster: false,
    masterDownStartMs: null,
    masterDownSkewOnly: false,
    preemptAllowedAtMs: null,
    lastMaster: null,
    release: null,
    stepDown: null,
    timers: NO_TIMERS,
    counters: ZERO_COUNTERS,
    cause: 'Not started',
    sinceMs: nowMs,
  };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** One step's working copy: the state being built and the effects ordered so far. */
class Step {
  readonly s: Mutable<VrrpInstanceState>;
  readonly timers: Mutable<Timers>;
  readonly counters: Mutable<VrrpCounters>;
  readonly effects: VrrpEffect[] = [];

  constructor(
    readonly config: VrrpInstanceConfig,
    state: VrrpInstanceState,
    readonly nowMs: number,
  ) {
    this.s = { ...state };
    this.timers = { ...state.timers };
    this.counters = { ...state.counters };
  }

  result(): StepResult {
    return { state: { ...this.s, timers: { ...this.timers }, counters: { ...this.counters } }, effects: this.effects };
  }

  setTimer(name: TimerName, atMs: number): void {
    this.timers[name] = atMs;
    this.effects.push({ type: 'SetTimer', name, atMs });
  }

  cancelTimer(name: TimerName): void {
    if (this.timers[name] === null) return;
    this.timers[name] = null;
    this.effects.push({ type: 'CancelTimer', name });
  }

  cancelAllTimers(): void {
    for (const name of TIMER_NAMES) this.cancelTimer(name);
  }

  log(cause: string, level: 'info' | 'debug' = 'info'): void {
    this.effects.push({ type: 'Log', level, cause });
  }

  sendAdvert(priority: number): void {
    this.effects.push({ type: 'SendAdvert', priority, advertIntervalCs: this.config.advertIntervalCs });
    this.counters.advert_sent++;
    if (priority === PRIORITY_RELEASE) this.counters.pri_zero_sent++;
  }

  moveTo(state: VrrpStateName, cause: string): void {
    const from = this.s.state;
    this.s.state = state;
    this.s.cause = cause;
    this.s.sinceMs = this.nowMs;
    this.log(`${this.config.name}: ${from} -> ${state}: ${cause}`);
  }

  notify(state: NotifyState, cause: string): void {
    this.effects.push({ type: 'RunNotify', state, priority: this.s.effectivePriority, cause });
  }

  masterDownMs(): number {
    const c = this.config;
    if (this.s.masterDownSkewOnly) return skewTimeMs(c.version, this.s.effectivePriority, this.s.masterAdverIntervalCs);
    return masterDownIntervalMs(c.version, this.s.effectivePriority, this.s.masterAdverIntervalCs, c.downTimerAdverts);
  }

  /** (Re)starts the master down timer from now: full interval, or Skew_Time after priority 0. */
  startMasterDown(skewOnly: boolean): void {
    this.s.masterDownStartMs = this.nowMs;
    this.s.masterDownSkewOnly = skewOnly;
    this.setTimer('masterDown', this.nowMs + this.masterDownMs());
  }

  /** Leaves MASTER: VIPs go first so they are never held by a non-master. */
  releaseMaster(): void {
    this.cancelTimer('advert');
    this.effects.push({ type: 'RemoveVips', vips: this.config.vips });
    this.counters.released_master++;
  }

  enterBackup(cause: string): void {
    const wasMaster = this.s.state === 'MASTER';
    if (wasMaster) this.releaseMaster();
    this.cancelTimer('startupDelay');
    this.s.wantsMaster = false;
    this.moveTo('BACKUP', cause);
    this.startMasterDown(false);
    this.notify('BACKUP', cause);
  }

  /**
   * Becomes MASTER (RFC 5798 §6.4.1 / §6.4.2 on Master_Down_Timer): send an advert, take the
   * VIPs, announce them, start the advert timer. A sync group member only marks that it wants to
   * and waits for `SyncGroupMasterAllowed`.
   */
  becomeMaster(cause: string, groupAllowed = false): void {
    if (this.config.syncGroup !== undefined && !groupAllowed) {
      this.cancelTimer('masterDown');
      this.cancelTimer('preemptDelay');
      // Waiting happens in BACKUP: an owner starting from INIT must not stay there, or the group
      // (which only counts BACKUP members that want MASTER) would never agree. Found by the
      // simulator, seed 5020 with sync groups.
      if (this.s.state !== 'BACKUP') {
        this.cancelTimer('startupDelay');
        this.moveTo('BACKUP', cause);
        this.notify('BACKUP', cause);
      }
      if (!this.s.wantsMaster) this.log(`${this.config.name}: wants MASTER (${cause}), waiting for sync group ${this.config.syncGroup}`);
      this.s.wantsMaster = true;
      this.s.cause = cause;
      return;
    }
    this.cancelTimer('masterDown');
    this.cancelTimer('preemptDelay');
    this.cancelTimer('startupDelay');
    this.s.wantsMaster = false;
    this.s.masterDownStartMs = null;
    this.s.preemptAllowedAtMs = null;
    this.s.lastMaster = null;
    this.s.stepDown = null;
    // RFC 5798 §6.1: Master_Adver_Interval is our own while we are the master.
    this.s.masterAdverIntervalCs = this.config.advertIntervalCs;
    this.moveTo('MASTER', cause);
    this.effects.push({ type: 'AddVips', vips: this.config.vips });
    this.sendAdvert(this.s.effectivePriority);
    this.effects.push({ type: 'SendGratuitousArp', vips: this.config.vips });
    this.setTimer('advert', this.nowMs + advertIntervalMs(this.config.advertIntervalCs));
    this.counters.became_master++;
    this.notify('MASTER', cause);
  }

  /** FAULT: a master hands over at once with priority 0 (RFC 5798 §6.4.3 on shutdown). */
  enterFault(cause: string): void {
    if (this.s.state === 'MASTER') {
      this.sendAdvert(PRIORITY_RELEASE);
      this.releaseMaster();
    }
    // A fault ends a handover at once: an instance that cannot hear or speak VRRP must not hold VIPs.
    if (this.s.state === 'RELEASING') this.dropReleasedVips();
    this.s.release = null;
    this.cancelAllTimers();
    this.s.wantsMaster = false;
    this.s.masterDownStartMs = null;
    this.s.lastMaster = null;
    this.moveTo('FAULT', cause);
    this.notify('FAULT', cause);
  }

  /** RFC 5798 §6.4.1 Initialize, also used when leaving FAULT. */
  initialize(cause: string): void {
    this.s.masterAdverIntervalCs = this.config.advertIntervalCs;
    this.s.lastMaster = null;
    const fault = this.faultCause();
    if (fault !== null) {
      this.enterFault(fault);
      return;
    }
    // keepalived preempt_delay: "seconds after startup ... until preemption".
    this.s.preemptAllowedAtMs = null;
    if (this.config.preempt && this.config.preemptDelayMs > 0) {
      this.s.preemptAllowedAtMs = this.nowMs + this.config.preemptDelayMs;
      this.setTimer('preemptDelay', this.s.preemptAllowedAtMs);
    }
    if (isOwner(this.config) && this.config.initialState === 'MASTER') {
      this.becomeMaster(`${cause}: address owner (priority 255) starts as MASTER`);
      return;
    }
    this.enterBackup(cause);
  }

  faultCause(): string | null {
    const own = ownFault(this.config, this.s);
    if (own !== null) return own;
    if (this.s.groupFault) return `Sync group ${this.config.syncGroup ?? ''} is in FAULT`;
    return null;
  }

  /**
   * Make before break: priority 0 goes out so a backup takes over after its Skew_Time, but the
   * VIPs stay until `finishRelease` (the new master is heard, or the bound passes). No adverts are
   * sent while RELEASING: one with our priority would make the backups accept us again.
   */
  startRelease(then: ReleaseIntent['then'], cause: string): void {
    this.sendAdvert(PRIORITY_RELEASE);
    this.cancelAllTimers();
    this.s.wantsMaster = false;
    this.s.masterDownStartMs = null;
    this.s.release = { then, startMs: this.nowMs, heard: null, heardIntervalCs: null };
    this.moveTo('RELEASING', cause);
    this.setTimer('release', this.nowMs + handoverBoundMs(this.config.version, this.config.advertIntervalCs));
  }

  /** The VIPs of a RELEASING instance go (they are no longer announced: GARPs stop with MASTER). */
  dropReleasedVips(): void {
    this.cancelTimer('release');
    this.effects.push({ type: 'RemoveVips', vips: this.config.vips });
    this.counters.released_master++;
  }

  /** Leaves RELEASING: `heard` is the new master, or null when the bound passed without one. */
  finishRelease(heard: HeardMaster | null, advertIntervalCs: number | null): void {
    const r = this.s.release;
    if (r === null) return;
    const tookMs = (heard?.atMs ?? this.nowMs) - r.startMs;
    if (r.then === 'BACKUP' && heard === null) {
      // Nobody took over within the bound: removing the VIPs now would leave clients with no
      // one to answer. The step-down fails and the instance stays MASTER (logged; the operator
      // can stop halo if the director must go anyway).
      this.s.release = null;
      this.s.stepDown = null;
      this.cancelTimer('release');
      this.moveTo('MASTER', `Step-down failed: no other router took over within ${tookMs} ms, staying MASTER`);
      this.sendAdvert(this.s.effectivePriority);
      this.effects.push({ type: 'SendGratuitousArp', vips: this.config.vips });
      this.setTimer('advert', this.nowMs + advertIntervalMs(this.config.advertIntervalCs));
      return;
    }
    this.dropReleasedVips();
    this.s.release = null;
    const how = heard === null ? `no new master heard within ${tookMs} ms` : `new master ${heard.address} (priority ${heard.priority}) heard after ${tookMs} ms`;
    if (r.then === 'STOP') {
      this.cancelAllTimers();
      this.s.running = false;
      this.s.lastMaster = null;
      this.moveTo('INIT', `Shutdown requested: handed over, ${how}`);
      this.notify('STOP', 'Shutdown requested');
      return;
    }
    if (heard !== null) {
      if (this.config.version === 3 && advertIntervalCs !== null) this.s.masterAdverIntervalCs = advertIntervalCs;
      this.s.lastMaster = heard;
    }
    this.enterBackup(`Stepped down: ${how}`);
  }

  /** A step-down hold is in force: lower-priority masters are accepted (nopreempt). */
  yielding(): boolean {
    const h = this.s.stepDown;
    return h !== null && (h.untilMs === null || this.nowMs < h.untilMs);
  }

  /** A valid master was heard by a backup: learn its interval and restart the down timer. */
  acceptMaster(srcIp: string, priority: number, advertIntervalCs: number): void {
    if (this.config.version === 3) this.s.masterAdverIntervalCs = advertIntervalCs;
    this.s.lastMaster = { address: srcIp, priority, atMs: this.nowMs };
    if (this.s.wantsMaster) this.log(`${this.config.name}: gives up wanting MASTER: heard ${srcIp} priority ${priority}`, 'debug');
    this.s.wantsMaster = false;
    this.startMasterDown(false);
  }

  /** After a priority change: a backup's down timer is re-timed from its start (keepalived does so at once). */
  retimeMasterDown(): void {
    if (this.s.state !== 'BACKUP' || this.s.masterDownStartMs === null || this.timers.masterDown === null) return;
    const atMs = Math.max(this.nowMs, this.s.masterDownStartMs + this.masterDownMs());
    if (atMs !== this.timers.masterDown) this.setTimer('masterDown', atMs);
  }
}

function timerDue(state: VrrpInstanceState, name: TimerName, nowMs: number): boolean {
  const at = state.timers[name];
  return at !== null && nowMs >= at;
}

/** The state machine. Never throws on any event; events that do not apply are ignored. */
export function step(config: VrrpInstanceConfig, state: VrrpInstanceState, event: VrrpEvent, nowMs: number): StepResult {
  const st = new Step(config, state, nowMs);
  const s = st.s;
  switch (event.type) {
    case 'Started': {
      if (s.running) return st.result();
      s.running = true;
      s.stepDown = null;
      if (config.startupDelayMs > 0) {
        // keepalived vrrp_startup_delay: hold the protocol back while the host settles.
        st.setTimer('startupDelay', nowMs + config.startupDelayMs);
        st.log(`${config.name}: startup delay ${config.startupDelayMs} ms`, 'debug');
        return st.result();
      }
      st.initialize('Started');
      return st.result();
    }
    case 'StartupDelayFired': {
      if (!s.running || s.state !== 'INIT' || !timerDue(state, 'startupDelay', nowMs)) return st.result();
      st.timers.startupDelay = null;
      st.initialize('Startup delay over');
      return st.result();
    }
    case 'AdvertReceived':
      onAdvert(st, event);
      return st.result();
    case 'MasterDownTimerFired': {
      if (s.state !== 'BACKUP' || !timerDue(state, 'masterDown', nowMs)) return st.result();
      st.timers.masterDown = null;
      st.becomeMaster(s.masterDownSkewOnly ? 'Master released (priority 0), Skew_Time over' : 'No advert within Master_Down_Interval');
      return st.result();
    }
    case 'AdvertTimerFired': {
      if (s.state !== 'MASTER' || !timerDue(state, 'advert', nowMs)) return st.result();
      st.sendAdvert(s.effectivePriority);
      st.setTimer('advert', nowMs + advertIntervalMs(config.advertIntervalCs));
      return st.result();
    }
    case 'PreemptDelayFired': {
      if (!timerDue(state, 'preemptDelay', nowMs)) return st.result();
      st.timers.preemptDelay = null;
      // The delay is over: a backup still hearing a lower-priority master takes over now.
      const heard = s.lastMaster;
      if (s.state === 'BACKUP' && config.preempt && !st.yielding() && heard !== null && heard.priority < s.effectivePriority) {
        st.becomeMaster(`Preempt delay over: ${heard.address} advertises priority ${heard.priority} < ${s.effectivePriority}`);
      }
      return st.result();
    }
    case 'TrackerChanged': {
      if (!config.trackers.some((t) => t.name === event.tracker)) return st.result();
      s.trackersUp = { ...s.trackersUp, [event.tracker]: event.up };
      if (event.value !== undefined) s.trackerValues = { ...s.trackerValues, [event.tracker]: event.value };
      if (event.cause !== undefined) s.trackerCauses = { ...s.trackerCauses, [event.tracker]: event.cause };
      const what = event.value !== undefined ? `reads ${event.value}` : event.up ? 'up' : 'down';
      onConditionsChanged(st, `Tracker ${event.tracker} ${what}${event.cause !== undefined ? ` (${event.cause})` : ''}`);
      return st.result();
    }
    case 'LinkChanged': {
      if (s.linkUp === event.up) return st.result();
      s.linkUp = event.up;
      onConditionsChanged(st, `Interface ${config.ifname} ${event.up ? 'up' : 'down'}`);
      return st.result();
    }
    case 'SyncGroupFaultChanged': {
      if (s.groupFault === event.fault) return st.result();
      s.groupFault = event.fault;
      onConditionsChanged(st, `Sync group member ${event.member} ${event.fault ? 'in FAULT' : 'left FAULT'}`);
      return st.result();
    }
    case 'SyncGroupMasterAllowed': {
      if (s.state === 'BACKUP' && s.wantsMaster) st.becomeMaster(`${s.cause} (sync group ${config.syncGroup ?? ''} agrees)`, true);
      return st.result();
    }
    case 'SyncGroupBackupRequired': {
      if (s.state === 'MASTER') st.enterBackup(`Sync group member ${event.member} is BACKUP`);
      return st.result();
    }
    case 'ShutdownRequested': {
      if (!s.running) return st.result();
      if (event.handover === true && s.state === 'MASTER') {
        st.startRelease('STOP', 'Shutdown requested: priority 0 sent, VIPs kept until the new master is heard');
        return st.result();
      }
      if (s.state === 'RELEASING') {
        // Already handing over: a stop waits for the same new master; a forced stop ends it now.
        if (event.handover === true) {
          s.release = { then: 'STOP', startMs: s.release?.startMs ?? nowMs, heard: s.release?.heard ?? null, heardIntervalCs: s.release?.heardIntervalCs ?? null };
          st.log(`${config.name}: stop requested while RELEASING: halo stops once the handover ends`);
          return st.result();
        }
        st.dropReleasedVips();
        s.release = null;
      }
      // RFC 5798 §6.4.3: a master that shuts down sends priority 0 so a backup takes over after Skew_Time.
      if (s.state === 'MASTER') {
        st.sendAdvert(PRIORITY_RELEASE);
        st.releaseMaster();
      }
      st.cancelAllTimers();
      s.running = false;
      s.wantsMaster = false;
      s.masterDownStartMs = null;
      s.lastMaster = null;
      s.stepDown = null;
      st.moveTo('INIT', 'Shutdown requested');
      st.notify('STOP', 'Shutdown requested');
      return st.result();
    }
    case 'StepDownRequested': {
      // Only a MASTER has something to hand over; the runtime answers the operator for the rest.
      if (!s.running || s.state !== 'MASTER') return st.result();
      s.stepDown = { untilMs: event.holdMs === null ? null : nowMs + Math.max(0, event.holdMs) };
      st.startRelease('BACKUP', 'Step-down requested: priority 0 sent, VIPs kept until the new master is heard');
      return st.result();
    }
    case 'ReleaseTimerFired': {
      if (s.state !== 'RELEASING' || !timerDue(state, 'release', nowMs)) return st.result();
      st.timers.release = null;
      st.finishRelease(s.release?.heard ?? null, s.release?.heardIntervalCs ?? null);
      return st.result();
    }
  }
}

function onAdvert(st: Step, event: Extract<VrrpEvent, { type: 'AdvertReceived' }>): void {
  const { config, s, counters, nowMs } = st;
  if (event.vrid !== config.vrid) return;
  counters.advert_rcvd++;
  if (event.priority === PRIORITY_RELEASE) counters.pri_zero_rcvd++;
  // RFC 3768 §7.1: a v2 advert with another interval is discarded (and counted).
  if (config.version === 2 && event.advertIntervalCs !== config.advertIntervalCs) {
    counters.advert_interval_err++;
    return;
  }
  if (s.state === 'RELEASING') {
    // Any router advertising a real priority for our VRID has taken over (or was already
    // there): clients can move to it, so the VIPs go now. Priority 0 (another router leaving)
    // and our own looped-back adverts do not count.
    // The VIPs go HANDOVER_GRACE_MS later: the new master sends its gratuitous ARP after its
    // advert, so we hear the advert before the clients hear the ARP and must still answer them.
    const r = s.release;
    if (r !== null && r.heard === null && event.priority !== PRIORITY_RELEASE && event.srcIp !== config.primaryAddress) {
      s.release = { ...r, heard: { address: event.srcIp, priority: event.priority, atMs: nowMs }, heardIntervalCs: event.advertIntervalCs };
      st.setTimer('release', Math.min(st.timers.release ?? Infinity, nowMs + HANDOVER_GRACE_MS));
      st.log(`${config.name}: new master ${event.srcIp} (priority ${event.priority}) heard: VIPs go in ${HANDOVER_GRACE_MS} ms`);
    }
    return;
  }
  if (s.state === 'BACKUP') {
    if (event.priority === PRIORITY_RELEASE) {
      // RFC 5798 §6.4.2: the master is leaving; take over after Skew_Time only.
      st.cancelTimer('masterDown');
      st.startMasterDown(true);
      return;
    }
    const mine = s.effectivePriority;
    const lower = event.priority < mine;
    if (st.yielding()) {
      // After a step-down: stay BACKUP behind the new master even if ours is higher.
      st.acceptMaster(event.srcIp, event.priority, event.advertIntervalCs);
      return;
    }
    if (lower && config.preempt && config.preemptDelayMs > 0) {
      // keepalived preempt_delay: a lower master is accepted until the delay (counted from start,
      // or from first seeing a lower master) is over; then halo takes over at once.
      if (s.preemptAllowedAtMs === null) {
        s.preemptAllowedAtMs = nowMs + config.preemptDelayMs;
        st.setTimer('preemptDelay', s.preemptAllowedAtMs);
      }
      if (nowMs < s.preemptAllowedAtMs) {
        st.acceptMaster(event.srcIp, event.priority, event.advertIntervalCs);
        return;
      }
    }
    // RFC 5798 §6.4.2: accept if not preempting or the advert's priority is >= ours; else discard
    // so the down timer runs out and we preempt.
    if (!config.preempt || !lower) st.acceptMaster(event.srcIp, event.priority, event.advertIntervalCs);
    return;
  }
  if (s.state !== 'MASTER') return;
  if (event.priority === PRIORITY_RELEASE) {
    // RFC 5798 §6.4.3: a master hearing priority 0 re-advertises at once and resets its timer.
    st.sendAdvert(s.effectivePriority);
    st.setTimer('advert', nowMs + advertIntervalMs(config.advertIntervalCs));
    return;
  }
  const mine = s.effectivePriority;
  const ipOrder = compareAddresses(event.srcIp, config.primaryAddress);
  if (event.priority === mine && ipOrder === 0) return; // our own advert looped back
  const theyWin = event.priority > mine || (event.priority === mine && ipOrder > 0);
  // The owner (255) keeps the addresses whatever it hears (RFC 5798 §6.4.3 only lets a higher
  // priority or a higher address at equal priority win; nothing outranks 255 + itself).
  if (theyWin && !isOwner(config)) {
    if (config.version === 3) s.masterAdverIntervalCs = event.advertIntervalCs;
    s.lastMaster = { address: event.srcIp, priority: event.priority, atMs: nowMs };
    st.enterBackup(`Heard ${event.srcIp} with priority ${event.priority} (ours ${mine})`);
    return;
  }
  // RFC 9568 / keepalived: answer a lower-priority master at once so it steps down without
  // waiting for our next advert; `lower_prio_no_advert` keeps quiet instead.
  if (!config.lowerPrioNoAdvert) st.sendAdvert(mine);
}

/** Trackers, link or group fault changed: FAULT in or out, or a new priority. */
function onConditionsChanged(st: Step, cause: string): void {
  const { config, s } = st;
  const before = s.effectivePriority;
  s.effectivePriority = effectivePriority(config, s.trackersUp, s.trackerValues);
  if (!s.running || (s.state === 'INIT' && st.timers.startupDelay !== null)) return;
  const fault = st.faultCause();
  if (fault !== null) {
    if (s.state === 'RELEASING' && s.release?.then === 'STOP') {
      // Stopping anyway: finish the stop now rather than pass through FAULT.
      st.log(`${config.name}: ${fault} while handing over: releasing at once`);
      st.finishRelease(null, null);
      return;
    }
    if (s.state !== 'FAULT') st.enterFault(fault);
    return;
  }
  if (s.state === 'FAULT') {
    st.initialize(`${cause}: leaving FAULT`);
    return;
  }
  if (s.effectivePriority === before) return;
  st.log(`${config.name}: priority ${before} -> ${s.effectivePriority}: ${cause}`);
  if (s.state === 'MASTER') {
    // Tell the backups at once so a preempting one can act on the new priority.
    st.sendAdvert(s.effectivePriority);
    return;
  }
  st.retimeMasterDown();
}

/**
 * A reload gave the instance a new config (src/vrrp/reconfigure.ts): priority, FAULT and the
 * master down timer follow exactly as after a tracker change, so a reload is never an election
 * of its own (a MASTER whose priority changed tells the backups at once, nothing more).
 */
export function conditionsChanged(config: VrrpInstanceConfig, state: VrrpInstanceState, cause: string, nowMs: number): StepResult {
  const st = new Step(config, state, nowMs);
  onConditionsChanged(st, cause);
  return st.result();
}
