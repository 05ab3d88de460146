/**
 * The health policy: from probe outcomes (with their times) to backend health, weights, pool
 * membership and events, each with its cause. Pure and deterministic: time comes in as `nowMs`.
 *
 * keepalived semantics it follows (keepalived.conf(5), check_api/check_* behaviour):
 * - A checker of a live server that fails is retried `retry` times, `delay_before_retry` apart,
 *   and only then declared down: down after `retry + 1` consecutive failures (`fall` overrides).
 *   A failure of a server already down is not retried; the next check is after `delay_loop`.
 * - One success brings a down checker back (`rise`, a halo extension, asks for more).
 * - `alpha`: checkers start failed, so a server is down until its checks pass.
 * - A real server is up only when ALL its checkers are up.
 * - HTTP_GET/SSL_GET while down (or in alpha) check one url per delay_loop; `fast_recovery`
 *   checks them all back to back.
 * - `misc_dynamic`: exit 2..255 sets the weight so that, with one MISC_CHECK, it is code - 2.
 * - Virtual server: quorum lost when live weight < quorum - hysteresis, regained when
 *   live weight >= quorum + hysteresis; while lost the sorry_server replaces the real servers.
 *   `inhibit_on_failure` keeps a failed server in the pool with weight 0.
 * halo extensions: rise/fall, slow start (weight ramps 1 → weight over slowStartMs after a
 * recovery, HAProxy's `slowstart`), causes on every change.
 */
import type { BackendState, Health, StateCause } from '../core/backend.js';
import type { ErrorCode } from '../core/errors/index.js';
import { checkLabel, type CheckSpec, type RealServerSpec, type VirtualServerSpec } from './spec.js';

/** What a probe reports. Probes never throw; they return this. */
export interface ProbeOutcome {
  readonly ok: boolean;
  /** One line: `status 503`, `connect timeout after 3000 ms`, `digest mismatch: got ...`. */
  readonly detail: string;
  readonly durationMs: number;
  /** MISC_CHECK misc_dynamic: the weight the script asks for (exit code - 2). */
  readonly weight?: number;
  /** FILE_CHECK dynamic: value × weight, added to the server's weight. */
  readonly weightDelta?: number;
}

export interface CheckerState {
  readonly up: boolean;
  readonly failStreak: number;
  readonly okStreak: number;
  /** HTTP slow recovery: the next url index to check while down. */
  readonly urlCursor: number;
  readonly dynamicWeight?: number;
  readonly weightDelta?: number;
  readonly lastDetail: string;
  readonly lastChangeMs: number;
}

/** When the next probe of a checker is due: after delay_loop, or after delay_before_retry. */
export type NextProbe = 'loop' | 'retry';

export function initialChecker(spec: CheckSpec, nowMs: number): CheckerState {
  return {
    up: !spec.alpha,
    failStreak: 0,
    okStreak: 0,
    urlCursor: 0,
    lastDetail: spec.alpha ? 'alpha: not checked yet' : 'not checked yet',
    lastChangeMs: nowMs,
  };
}

/** The url indexes the next HTTP probe checks (all of them unless recovering slowly). */
export function urlsToProbe(spec: CheckSpec, state: CheckerState): readonly number[] {
  if (spec.kind !== 'HTTP_GET' && spec.kind !== 'SSL_GET') return [];
  if (state.up || spec.fastRecovery) return spec.urls.map((_, i) => i);
  return [Math.min(state.urlCursor, spec.urls.length - 1)];
}

export interface CheckerStep {
  readonly state: CheckerState;
  /** The checker went up or down with this outcome. */
  readonly changed: boolean;
  readonly next: NextProbe;
  /** The failure is to be logged (state change, or log_all_failures on a live checker). */
  readonly logFailure: boolean;
}

export function stepChecker(spec: CheckSpec, state: CheckerState, outcome: ProbeOutcome, nowMs: number): CheckerStep {
  const dyn = {
    ...(outcome.weight !== undefined ? { dynamicWeight: outcome.weight } : state.dynamicWeight !== undefined ? { dynamicWeight: state.dynamicWeight } : {}),
    ...(outcome.weightDelta !== undefined ? { weightDelta: outcome.weightDelta } : state.weightDelta !== undefined ? { weightDelta: state.weightDelta } : {}),
  };
  if (outcome.ok) {
    if (state.up) {
      // The steady state (a live checker passing again) returns the same object, so that the
      // pool is not copied on every probe: 10,000 servers are mostly in this case.
      const sameWeight = (outcome.weight === undefined || outcome.weight === state.dynamicWeight) && (outcome.weightDelta === undefined || outcome.weightDelta === state.weightDelta);
      if (state.failStreak === 0 && state.urlCursor === 0 && sameWeight && state.lastDetail === outcome.detail) return { state, changed: false, next: 'loop', logFailure: false };
      return { state: { ...state, ...dyn, failStreak: 0, urlCursor: 0, lastDetail: outcome.detail }, changed: false, next: 'loop', logFailure: false };
    }
    const isHttp = spec.kind === 'HTTP_GET' || spec.kind === 'SSL_GET';
    let urlCursor = 0;
    let counted = true;
    if (isHttp && !spec.fastRecovery && spec.urls.length > 1) {
      // keepalived checks one url per delay_loop while recovering; a round counts once all passed.
      urlCursor = state.urlCursor + 1;
      counted = urlCursor >= spec.urls.length;
      if (counted) urlCursor = 0;
    }
    const okStreak = counted ? state.okStreak + 1 : state.okStreak;
    const up = okStreak >= spec.rise;
    const detail = up ? outcome.detail : `${outcome.detail} (${okStreak}/${spec.rise} to rise)`;
    return {
      state: { ...state, ...dyn, up, okStreak, failStreak: 0, urlCursor, lastDetail: detail, lastChangeMs: up ? nowMs : state.lastChangeMs },
      changed: up,
      next: 'loop',
      logFailure: false,
    };
  }
  const failStreak = state.failStreak + 1;
  if (!state.up) {
    return { state: { ...state, failStreak, okStreak: 0, urlCursor: 0, lastDetail: outcome.detail }, changed: false, next: 'loop', logFailure: false };
  }
  if (failStreak >= spec.fall) {
    return {
      state: { ...state, up: false, failStreak, okStreak: 0, urlCursor: 0, lastDetail: outcome.detail, lastChangeMs: nowMs },
      changed: true,
      next: 'loop',
      logFailure: true,
    };
  }
  return {
    state: { ...state, failStreak, okStreak: 0, urlCursor: 0, lastDetail: outcome.detail },
    changed: false,
    next: 'retry',
    logFailure: spec.logAllFailures,
  };
}

// ---- real servers and virtual servers --------------------------------------------------------

export interface ServerState {
  readonly checkers: readonly CheckerState[];
  readonly health: Health;
  /** When the server last came up after being down (slow start runs from here). */
  readonly recoveredAtMs?: number;
  readonly cause: StateCause;
  /** The weight last reported in an event, to report only changes. */
  readonly reportedWeight: number;
}

export interface PoolState {
  readonly servers: readonly ServerState[];
  readonly quorumUp: boolean;
  readonly sorryActive: boolean;
  readonly suspended: boolean;
}

export type CheckEvent =
  | { readonly type: 'checker'; readonly serverId: string; readonly checker: string; readonly up: boolean; readonly detail: string; readonly atMs: number }
  | { readonly type: 'probe-failed'; readonly serverId: string; readonly checker: string; readonly detail: string; readonly atMs: number }
  | { readonly type: 'server'; readonly serverId: string; readonly health: 'up' | 'down'; readonly cause: StateCause; readonly notify?: string }
  | { readonly type: 'weight'; readonly serverId: string; readonly weight: number; readonly cause: StateCause }
  | { readonly type: 'quorum'; readonly vsId: string; readonly up: boolean; readonly liveWeight: number; readonly quorum: number; readonly script?: string; readonly atMs: number }
  | { readonly type: 'sorry-server'; readonly vsId: string; readonly serverId: string; readonly active: boolean; readonly atMs: number };

export interface PoolStep {
  readonly state: PoolState;
  readonly events: readonly CheckEvent[];
  /** For applyProbe: when the checker is probed next. */
  readonly next: NextProbe;
}

function serverHealth(checkers: readonly CheckerState[]): Health {
  return checkers.every((c) => c.up) ? 'up' : 'down';
}

/** The weight a live server asks for: configured, adjusted by misc_dynamic and FILE_CHECK dynamic. */
export function targetWeight(rs: RealServerSpec, server: ServerState): number {
  let weight = rs.weight;
  rs.checkers.forEach((spec, i) => {
    const c = server.checkers[i];
    if (!c) return;
    if (spec.kind === 'MISC_CHECK' && spec.miscDynamic && c.dynamicWeight !== undefined) weight += c.dynamicWeight - rs.weight;
    if (spec.kind === 'FILE_CHECK' && spec.dynamic && c.weightDelta !== undefined) weight += c.weightDelta;
  });
  return Math.max(0, Math.min(65_535, weight));
}

/** The weight in force now: 0 when down, ramping during slow start, else the target weight. */
export function effectiveWeight(rs: RealServerSpec, server: ServerState, nowMs: number): number {
  if (server.health !== 'up') return 0;
  const target = targetWeight(rs, server);
  if (rs.slowStartMs > 0 && server.recoveredAtMs !== undefined && target > 0) {
    const elapsedMs = nowMs - server.recoveredAtMs;
    if (elapsedMs < rs.slowStartMs) return Math.max(1, Math.ceil((target * Math.max(0, elapsedMs)) / rs.slowStartMs));
  }
  return target;
}

function liveWeight(vs: VirtualServerSpec, servers: readonly ServerState[]): number {
  let sum = 0;
  vs.realServers.forEach((rs, i) => {
    const s = servers[i];
    if (s && s.health === 'up') sum += targetWeight(rs, s);
  });
  return sum;
}

function firstDownCause(rs: RealServerSpec, checkers: readonly CheckerState[]): string {
  const i = checkers.findIndex((c) => !c.up);
  const spec = rs.checkers[i];
  const c = checkers[i];
  return spec && c ? `${checkLabel(spec)}: ${c.lastDetail}` : 'no checker';
}

export function initialPool(vs: VirtualServerSpec, nowMs: number): { state: PoolState; events: readonly CheckEvent[] } {
  const servers: ServerState[] = vs.realServers.map((rs) => {
    const checkers = rs.checkers.map((c) => initialChecker(c, nowMs));
    const health = serverHealth(checkers);
    const detail = health === 'up' ? (checkers.length === 0 ? 'no checkers: always up' : 'starting up (not alpha)') : firstDownCause(rs, checkers);
    const s: ServerState = { checkers, health, cause: { source: 'check', detail, atMs: nowMs }, reportedWeight: 0 };
    return { ...s, reportedWeight: effectiveWeight(rs, s, nowMs) };
  });
  const quorumUp = liveWeight(vs, servers) >= vs.quorum;
  const events: CheckEvent[] = [];
  const sorryActive = !quorumUp && vs.sorryServer !== undefined;
  if (sorryActive && vs.sorryServer !== undefined) events.push({ type: 'sorry-server', vsId: vs.id, serverId: vs.sorryServer, active: true, atMs: nowMs });
  return { state: { servers, quorumUp, sorryActive, suspended: false }, events };
}

function quorumStep(vs: VirtualServerSpec, state: PoolState, nowMs: number, events: CheckEvent[]): PoolState {
  const live = liveWeight(vs, state.servers);
  let { quorumUp, sorryActive } = state;
  if (quorumUp && live < vs.quorum - vs.hysteresis) {
    quorumUp = false;
    events.push({ type: 'quorum', vsId: vs.id, up: false, liveWeight: live, quorum: vs.quorum, atMs: nowMs, ...(vs.quorumDown !== undefined ? { script: vs.quorumDown } : {}) });
  } else if (!quorumUp && live >= vs.quorum + vs.hysteresis) {
    quorumUp = true;
    events.push({ type: 'quorum', vsId: vs.id, up: true, liveWeight: live, quorum: vs.quorum, atMs: nowMs, ...(vs.quorumUp !== undefined ? { script: vs.quorumUp } : {}) });
  }
  const wantSorry = !quorumUp && vs.sorryServer !== undefined;
  if (wantSorry !== sorryActive && vs.sorryServer !== undefined) {
    sorryActive = wantSorry;
    events.push({ type: 'sorry-server', vsId: vs.id, serverId: vs.sorryServer, active: wantSorry, atMs: nowMs });
  }
  return { ...state, quorumUp, sorryActive };
}

function weightEvent(rs: RealServerSpec, s: ServerState, nowMs: number, events: CheckEvent[], source: string): ServerState {
  const w = effectiveWeight(rs, s, nowMs);
  if (w === s.reportedWeight) return s;
  if (s.health === 'up') {
    const why = rs.slowStartMs > 0 && s.recoveredAtMs !== undefined && nowMs - s.recoveredAtMs < rs.slowStartMs ? 'slow start' : source;
    events.push({ type: 'weight', serverId: rs.id, weight: w, cause: { source: why, detail: `weight ${s.reportedWeight} -> ${w}`, atMs: nowMs } });
  }
  return { ...s, reportedWeight: w };
}

function weightEvents(vs: VirtualServerSpec, servers: readonly ServerState[], nowMs: number, events: CheckEvent[], source: string): ServerState[] {
  return servers.map((s, i) => {
    const rs = vs.realServers[i];
    return rs ? weightEvent(rs, s, nowMs, events, source) : s;
  });
}

/** Feeds one probe outcome of checker `checkerIndex` of real server `serverIndex`. */
export function applyProbe(
  vs: VirtualServerSpec,
  state: PoolState,
  serverIndex: number,
  checkerIndex: number,
  outcome: ProbeOutcome,
  nowMs: number,
): PoolStep {
  const rs = vs.realServers[serverIndex];
  const server = state.servers[serverIndex];
  const spec = rs?.checkers[checkerIndex];
  const checker = server?.checkers[checkerIndex];
  if (!rs || !server || !spec || !checker || state.suspended) return { state, events: [], next: 'loop' };
  const step = stepChecker(spec, checker, outcome, nowMs);
  if (step.state === checker) return { state, events: [], next: step.next };
  const events: CheckEvent[] = [];
  const label = checkLabel(spec);
  if (step.logFailure) events.push({ type: 'probe-failed', serverId: rs.id, checker: label, detail: outcome.detail, atMs: nowMs });
  if (step.changed) events.push({ type: 'checker', serverId: rs.id, checker: label, up: step.state.up, detail: outcome.detail, atMs: nowMs });
  const checkers = server.checkers.map((c, i) => (i === checkerIndex ? step.state : c));
  const health = serverHealth(checkers);
  let next: ServerState = { ...server, checkers };
  if (health !== server.health) {
    const detail = health === 'down' ? `${label}: ${outcome.detail}` : step.changed ? `${label}: ${outcome.detail}` : 'all checks pass';
    const cause: StateCause = { source: spec.kind, detail, atMs: nowMs };
    next = {
      ...next,
      health,
      cause,
      ...(health === 'up' ? { recoveredAtMs: nowMs } : {}),
    };
    const notify = health === 'up' ? rs.notifyUp : rs.notifyDown;
    events.push({ type: 'server', serverId: rs.id, health: health === 'up' ? 'up' : 'down', cause, ...(notify !== undefined ? { notify } : {}) });
  } else if (health === 'down' && step.changed) {
    // Still down for another checker; keep the cause pointing at a checker that is failing.
    next = { ...next, cause: { source: 'check', detail: firstDownCause(rs, checkers), atMs: nowMs } };
  }
  const before = targetWeight(rs, server);
  next = weightEvent(rs, next, nowMs, events, spec.kind);
  const servers = state.servers.slice();
  servers[serverIndex] = next;
  // Quorum can only move when this server's health or weight moved (keeps a probe O(1) otherwise).
  const moved = next.health !== server.health || targetWeight(rs, next) !== before;
  const pool = moved ? quorumStep(vs, { ...state, servers }, nowMs, events) : { ...state, servers };
  return { state: pool, events, next: step.next };
}

/** Advances time without a probe: slow-start ramps. */
export function tick(vs: VirtualServerSpec, state: PoolState, nowMs: number): { state: PoolState; events: readonly CheckEvent[] } {
  const events: CheckEvent[] = [];
  const servers = weightEvents(vs, state.servers, nowMs, events, 'slow start');
  if (events.length === 0) return { state, events };
  return { state: { ...state, servers }, events };
}

/** When `tick` next has something to do (a slow-start ramp step), or undefined. */
export function nextTickMs(vs: VirtualServerSpec, state: PoolState, nowMs: number): number | undefined {
  let soonest: number | undefined;
  vs.realServers.forEach((rs, i) => {
    const s = state.servers[i];
    if (!s || s.health !== 'up' || rs.slowStartMs <= 0 || s.recoveredAtMs === undefined) return;
    const endMs = s.recoveredAtMs + rs.slowStartMs;
    if (nowMs >= endMs) return;
    const target = targetWeight(rs, s);
    // Next time the ramp crosses an integer step: ceil(target * elapsed / slow) increases.
    const w = effectiveWeight(rs, s, nowMs);
    const atMs = Math.min(endMs, s.recoveredAtMs + Math.floor((w * rs.slowStartMs) / Math.max(1, target)) + 1);
    soonest = soonest === undefined ? atMs : Math.min(soonest, atMs);
  });
  return soonest;
}

/** ha_suspend: checks stop while the service address is not on this director. */
export function setSuspended(state: PoolState, suspended: boolean): PoolState {
  return state.suspended === suspended ? state : { ...state, suspended };
}

/** What the data plane is told: the servers in the pool and their weights. */
export interface PoolEntry {
  readonly id: string;
  readonly weight: number;
  readonly sorry: boolean;
}

export function poolView(vs: VirtualServerSpec, state: PoolState, nowMs: number): readonly PoolEntry[] {
  if (state.sorryActive && vs.sorryServer !== undefined) return [{ id: vs.sorryServer, weight: 1, sorry: true }];
  const out: PoolEntry[] = [];
  vs.realServers.forEach((rs, i) => {
    const s = state.servers[i];
    if (!s) return;
    if (s.health === 'up') out.push({ id: rs.id, weight: effectiveWeight(rs, s, nowMs), sorry: false });
    else if (rs.inhibitOnFailure) out.push({ id: rs.id, weight: 0, sorry: false });
  });
  return out;
}

/** The backends' states as core/backend.ts shares them (admin state belongs to the API: ready). */
export function backendStates(vs: VirtualServerSpec, state: PoolState, nowMs: number): readonly BackendState[] {
  return vs.realServers.map((rs, i) => {
    const s = state.servers[i];
    return {
      id: rs.id,
      health: s?.health ?? 'unknown',
      admin: 'ready',
      weight: rs.weight,
      effectiveWeight: s ? effectiveWeight(rs, s, nowMs) : 0,
      cause: s?.cause ?? { source: 'check', detail: 'unknown server', atMs: nowMs },
    };
  });
}

/** `omega`: on shutdown, the notify_down of live servers and quorum_down are run. */
export function shutdownEvents(vs: VirtualServerSpec, state: PoolState, nowMs: number): readonly CheckEvent[] {
  if (!vs.omega) return [];
  const events: CheckEvent[] = [];
  vs.realServers.forEach((rs, i) => {
    const s = state.servers[i];
    if (s && s.health === 'up') {
      events.push({ type: 'server', serverId: rs.id, health: 'down', cause: { source: 'shutdown', detail: 'halo is stopping (omega)', atMs: nowMs }, ...(rs.notifyDown !== undefined ? { notify: rs.notifyDown } : {}) });
    }
  });
  if (state.quorumUp) events.push({ type: 'quorum', vsId: vs.id, up: false, liveWeight: 0, quorum: vs.quorum, atMs: nowMs, ...(vs.quorumDown !== undefined ? { script: vs.quorumDown } : {}) });
  return events;
}

function fifoAddr(address: string, proto: string, port: number): string {
  return `[${address}]:${proto}:${port}`;
}

/**
 * keepalived's lvs_notify_fifo line for an event, without the newline:
 * `VS [192.168.201.15]:tcp:80 UP`, `RS [1.2.3.4]:tcp:80 [192.168.201.15]:tcp:80 DOWN`.
 */
export function fifoLine(vs: VirtualServerSpec, event: CheckEvent): string | undefined {
  const vsPart = fifoAddr(vs.address, vs.protocol, vs.port);
  if (event.type === 'quorum') return `VS ${vsPart} ${event.up ? 'UP' : 'DOWN'}`;
  if (event.type === 'server') {
    const rs = vs.realServers.find((r) => r.id === event.serverId);
    if (!rs) return undefined;
    return `RS ${fifoAddr(rs.address, vs.protocol, rs.port)} ${vsPart} ${event.health === 'up' ? 'UP' : 'DOWN'}`;
  }
  return undefined;
}

/** How the daemon logs an event: severity, catalogued code (for warnings) and one message line. */
export interface EventLog {
  readonly severity: 'info' | 'warning';
  readonly code?: ErrorCode;
  readonly message: string;
}

export function eventLog(vsId: string, event: CheckEvent): EventLog {
  switch (event.type) {
    case 'probe-failed': {
      const script = event.checker.startsWith('MISC_CHECK') && event.detail.startsWith('timeout after');
      return { severity: 'warning', code: script ? 'HALO_CHK_SCRIPT_TIMEOUT' : 'HALO_CHK_PROBE_FAILED', message: `Check of ${event.serverId} failed: ${event.checker}: ${event.detail}` };
    }
    case 'checker':
      return { severity: 'info', message: `Checker ${event.checker} of ${event.serverId} is ${event.up ? 'up' : 'down'}: ${event.detail}` };
    case 'server':
      return event.health === 'down'
        ? { severity: 'warning', code: 'HALO_CHK_SERVER_DOWN', message: `Real server ${event.serverId} of ${vsId} is down: ${event.cause.detail}` }
        : { severity: 'info', message: `Real server ${event.serverId} of ${vsId} is up: ${event.cause.detail}` };
    case 'weight':
      return { severity: 'info', message: `Real server ${event.serverId} weight ${event.weight}: ${event.cause.source}` };
    case 'quorum':
      return event.up
        ? { severity: 'info', message: `Virtual server ${vsId} has its quorum: live weight ${event.liveWeight} of ${event.quorum}` }
        : { severity: 'warning', code: 'HALO_CHK_QUORUM_LOST', message: `Virtual server ${vsId} lost its quorum: live weight ${event.liveWeight} of ${event.quorum}` };
    case 'sorry-server':
      return { severity: 'info', message: `Sorry server ${event.serverId} ${event.active ? 'takes' : 'leaves'} the traffic of ${vsId}` };
  }
}
