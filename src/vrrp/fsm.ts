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
import type { VrrpInstanceConfig, VipConfig } from './config.js';
import { isOwner } from './config.js';
import { compareAddresses } from './address-order.js';
import {
  advertIntervalMs,
  masterDownIntervalMs,
  skewTimeMs,
  PRIORITY_MAX_NON_OWNER,
  PRIORITY_MIN,
  PRIORITY_OWNER,
  PRIORITY_RELEASE,
} from './timers.js';

export type VrrpStateName = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT';
export type TimerName = 'masterDown' | 'advert' | 'preemptDelay' | 'startupDelay';
export const TIMER_NAMES: readonly TimerName[] = ['masterDown', 'advert', 'preemptDelay', 'startupDelay'];

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
  | { readonly type: 'TrackerChanged'; readonly tracker: string; readonly up: boolean }
  | { readonly type: 'LinkChanged'; readonly up: boolean }
  | { readonly type: 'ShutdownRequested' }
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

const NO_TIMERS: Timers = { masterDown: null, advert: null, preemptDelay: null, startupDelay: null };

/** keepalived: a positive weight counts while up, a negative one while down; clamp 1..254; owner 255. */
export function effectivePriority(config: VrrpInstanceConfig, trackersUp: Readonly<Record<string, boolean>>): number {
  if (isOwner(config)) return PRIORITY_OWNER;
  let priority = config.basePriority;
  for (const t of config.trackers) {
    const up = trackersUp[t.name] ?? t.initiallyUp;
    if (t.weight > 0 && up) priority += t.weight;
    if (t.weight < 0 && !up) priority += t.weight;
  }
  return Math.min(Math.max(priority, PRIORITY_MIN), PRIORITY_MAX_NON_OWNER);
}

/** A fault of the instance itself (not one copied from its sync group). */
export function ownFault(config: VrrpInstanceConfig, state: Pick<VrrpInstanceState, 'linkUp' | 'trackersUp'>): string | null {
  if (!state.linkUp) return `Interface ${config.ifname} is down`;
  for (const t of config.trackers) {
    if (t.weight === 0 && !(state.trackersUp[t.name] ?? t.initiallyUp)) return `Tracker ${t.name} failed`;
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
      if (s.state === 'BACKUP' && config.preempt && heard !== null && heard.priority < s.effectivePriority) {
        st.becomeMaster(`Preempt delay over: ${heard.address} advertises priority ${heard.priority} < ${s.effectivePriority}`);
      }
      return st.result();
    }
    case 'TrackerChanged': {
      if (!config.trackers.some((t) => t.name === event.tracker)) return st.result();
      s.trackersUp = { ...s.trackersUp, [event.tracker]: event.up };
      onConditionsChanged(st, `Tracker ${event.tracker} ${event.up ? 'up' : 'down'}`);
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
      st.moveTo('INIT', 'Shutdown requested');
      st.notify('STOP', 'Shutdown requested');
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
  if (s.state === 'BACKUP') {
    if (event.priority === PRIORITY_RELEASE) {
      // RFC 5798 §6.4.2: the master is leaving; take over after Skew_Time only.
      st.cancelTimer('masterDown');
      st.startMasterDown(true);
      return;
    }
    const mine = s.effectivePriority;
    const lower = event.priority < mine;
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
  s.effectivePriority = effectivePriority(config, s.trackersUp);
  if (!s.running || (s.state === 'INIT' && st.timers.startupDelay !== null)) return;
  const fault = st.faultCause();
  if (fault !== null) {
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
