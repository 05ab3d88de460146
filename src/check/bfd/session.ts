/**
 * One BFD session in asynchronous mode (RFC 5880 §6), as a pure state machine: every function
 * takes the session, an input and `nowMs`, and returns the new session and the effects (send a
 * packet, the state changed). Deadlines (next transmission, detection time) live in the session;
 * only the runtime sleeps, until `nextWakeMs(session)`, then calls `onTimer`.
 *
 * What halo does and does not do:
 * - Asynchronous mode with the Down/Init/Up three-way handshake (§6.2, §6.8.6), AdminDown both
 *   ways (§6.8.16), poll/final sequences for parameter changes (§6.5, §6.8.3), jitter of 75-100 %
 *   of the interval, 75-90 % when the multiplier is 1 (§6.8.7), and the detection time of
 *   asynchronous mode: the remote multiplier × max(our RequiredMinRx, the remote's DesiredMinTx)
 *   (§6.8.4).
 * - Not: Demand mode (halo never sets D and keeps sending if the peer asks for it), the Echo
 *   function (RequiredMinEchoRx is sent as 0), authentication (packets with A are discarded).
 * - keepalived's `idle_tx` is the DesiredMinTx advertised while the session is not Up; the RFC
 *   asks for at least one second there (§6.8.3), which is keepalived's default of 1000 ms.
 */
import type { Prng } from '../../core/prng.js';
import { BFD_DIAG, diagText, type BfdPacket, type BfdPacketFields, type BfdRejectReason, type BfdState } from './packet.js';

export interface BfdSessionConfig {
  /** keepalived `min_tx` (default 10 ms): bfd.DesiredMinTxInterval while Up, µs. */
  readonly desiredMinTxUs: number;
  /** keepalived `min_rx` (default 10 ms): bfd.RequiredMinRxInterval, µs. */
  readonly requiredMinRxUs: number;
  /** keepalived `idle_tx` (default 1000 ms): DesiredMinTx while not Up, µs. */
  readonly idleTxUs: number;
  /** keepalived `multiplier` (default 5): bfd.DetectMult. */
  readonly detectMult: number;
  /** keepalived `passive`: send nothing until the peer has spoken (§6.1). */
  readonly passive: boolean;
}

export interface BfdSession {
  readonly config: BfdSessionConfig;
  readonly state: BfdState;
  readonly remoteState: BfdState;
  readonly localDiscr: number;
  readonly remoteDiscr: number;
  readonly localDiag: number;
  /** What our packets advertise (bfd.DesiredMinTxInterval / bfd.RequiredMinRxInterval), µs. */
  readonly desiredMinTxUs: number;
  readonly requiredMinRxUs: number;
  /** The values in force before the running poll sequence; equal to the advertised ones when none runs. */
  readonly activeDesiredMinTxUs: number;
  readonly activeRequiredMinRxUs: number;
  /** bfd.RemoteMinRxInterval: starts at 1 µs (§6.8.1); 0 stops periodic transmission. */
  readonly remoteMinRxUs: number;
  readonly remoteDesiredMinTxUs: number;
  readonly remoteDetectMult: number;
  readonly pollActive: boolean;
  /** When the next periodic packet is due; undefined = no periodic transmission now. */
  readonly nextTxMs: number | undefined;
  /** When the detection time runs out; set while the peer is known (remoteDiscr ≠ 0). */
  readonly detectDeadlineMs: number | undefined;
  /** AdminDown packets are sent for one detection time of the peer, then no more (§6.8.16). */
  readonly adminDownUntilMs: number | undefined;
}

export type BfdEffect =
  | { readonly type: 'Send'; readonly packet: BfdPacketFields }
  | { readonly type: 'StateChanged'; readonly from: BfdState; readonly to: BfdState; readonly diag: number; readonly cause: string };

export interface BfdStep {
  readonly session: BfdSession;
  readonly effects: readonly BfdEffect[];
  /** Set when a received packet was discarded by the session (it is counted by the caller). */
  readonly rejected?: BfdRejectReason;
}

/** The DesiredMinTx advertised while not Up (§6.8.3: at least 1 s; keepalived's idle_tx). */
function idleTx(config: BfdSessionConfig): number {
  return Math.max(config.desiredMinTxUs, config.idleTxUs);
}

/** The interval our periodic packets use, µs (§6.8.7), or 0 when none may be sent. */
export function txIntervalUs(s: BfdSession): number {
  if (s.remoteMinRxUs === 0) return 0;
  // §6.8.3: an increase of DesiredMinTx takes effect only when the poll completes; a decrease
  // may at once. Either way the smaller of the two is in force during the poll.
  const desired = s.pollActive ? Math.min(s.activeDesiredMinTxUs, s.desiredMinTxUs) : s.desiredMinTxUs;
  return Math.max(desired, s.remoteMinRxUs);
}

/** Detection time of asynchronous mode, µs (§6.8.4). */
export function detectionTimeUs(s: BfdSession): number {
  // §6.8.3: a reduced RequiredMinRx counts only once the poll completes; the larger is in force.
  const rx = s.pollActive ? Math.max(s.activeRequiredMinRxUs, s.requiredMinRxUs) : s.requiredMinRxUs;
  return s.remoteDetectMult * Math.max(rx, s.remoteDesiredMinTxUs);
}

/** §6.8.7: each interval is 75-100 % of the nominal one, 75-90 % when DetectMult is 1. */
export function jitteredMs(intervalUs: number, detectMult: number, prng: Prng): number {
  const span = detectMult === 1 ? 0.15 : 0.25;
  return (intervalUs * (0.75 + span * prng.nextFloat())) / 1000;
}

export function nextWakeMs(s: BfdSession): number | undefined {
  const a = s.nextTxMs;
  const b = s.detectDeadlineMs;
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

function mayTransmit(s: BfdSession, nowMs: number): boolean {
  // §6.8.7: a passive system sends nothing until it knows the peer's discriminator.
  if (s.config.passive && s.remoteDiscr === 0) return false;
  if (s.state === 'AdminDown' && s.adminDownUntilMs !== undefined && nowMs >= s.adminDownUntilMs) return false;
  return true;
}

export function packetOf(s: BfdSession, final: boolean): BfdPacketFields {
  return {
    diag: s.localDiag,
    state: s.state,
    // §6.8.7: Poll and Final are never set in the same packet.
    poll: s.pollActive && !final,
    final,
    detectMult: s.config.detectMult,
    myDiscr: s.localDiscr,
    yourDiscr: s.remoteDiscr,
    desiredMinTxUs: s.desiredMinTxUs,
    requiredMinRxUs: s.requiredMinRxUs,
    requiredMinEchoRxUs: 0,
  };
}

/** Sends one packet now (when allowed) and arms the next periodic one. */
function transmit(s: BfdSession, nowMs: number, prng: Prng, effects: BfdEffect[], final = false): BfdSession {
  if (mayTransmit(s, nowMs)) effects.push({ type: 'Send', packet: packetOf(s, final) });
  return schedule(s, nowMs, prng);
}

function schedule(s: BfdSession, nowMs: number, prng: Prng): BfdSession {
  const intervalUs = txIntervalUs(s);
  const periodic = intervalUs > 0 && mayTransmit(s, nowMs);
  return { ...s, nextTxMs: periodic ? nowMs + jitteredMs(intervalUs, s.config.detectMult, prng) : undefined };
}

export function createSession(config: BfdSessionConfig, localDiscr: number, nowMs: number, prng: Prng): BfdStep {
  const tx = idleTx(config);
  const s: BfdSession = {
    config,
    state: 'Down',
    remoteState: 'Down',
    localDiscr: localDiscr >>> 0,
    remoteDiscr: 0,
    localDiag: BFD_DIAG.none,
    desiredMinTxUs: tx,
    requiredMinRxUs: config.requiredMinRxUs,
    activeDesiredMinTxUs: tx,
    activeRequiredMinRxUs: config.requiredMinRxUs,
    remoteMinRxUs: 1,
    remoteDesiredMinTxUs: 0,
    remoteDetectMult: 0,
    pollActive: false,
    nextTxMs: undefined,
    detectDeadlineMs: undefined,
    adminDownUntilMs: undefined,
  };
  const effects: BfdEffect[] = [];
  return { session: transmit(s, nowMs, prng, effects), effects };
}

function changeState(s: BfdSession, to: BfdState, diag: number, cause: string, effects: BfdEffect[]): BfdSession {
  if (s.state === to) return s;
  effects.push({ type: 'StateChanged', from: s.state, to, diag, cause });
  let next: BfdSession = { ...s, state: to, localDiag: diag };
  if (to === 'Up') {
    // Leaving idle pace: the new DesiredMinTx is a parameter change while Up, announced by a
    // poll sequence (§6.8.3); until the Final comes back the idle interval stays in force.
    const fast = next.config.desiredMinTxUs;
    if (fast !== next.desiredMinTxUs) next = { ...next, activeDesiredMinTxUs: next.desiredMinTxUs, desiredMinTxUs: fast, pollActive: true };
  } else {
    // Not Up: back to the idle rate; no poll is needed outside Up.
    const tx = idleTx(next.config);
    next = { ...next, desiredMinTxUs: tx, activeDesiredMinTxUs: tx, activeRequiredMinRxUs: next.requiredMinRxUs, pollActive: false };
  }
  return next;
}

/** The peer went silent: §6.8.1 resets RemoteDiscr, §6.8.4 takes Init/Up sessions Down. */
function detectionExpired(s: BfdSession, effects: BfdEffect[]): BfdSession {
  let next = s;
  if (s.state === 'Init' || s.state === 'Up') {
    const ms = Math.round(detectionTimeUs(s) / 1000);
    next = changeState(s, 'Down', BFD_DIAG.controlDetectionTimeExpired, `no BFD packet from the neighbor for ${ms} ms (detection time)`, effects);
  }
  return { ...next, remoteDiscr: 0, remoteState: 'Down', remoteMinRxUs: 1, remoteDesiredMinTxUs: 0, remoteDetectMult: 0, detectDeadlineMs: undefined };
}

export function onTimer(s0: BfdSession, nowMs: number, prng: Prng): BfdStep {
  const effects: BfdEffect[] = [];
  let s = s0;
  if (s.detectDeadlineMs !== undefined && nowMs >= s.detectDeadlineMs) s = detectionExpired(s, effects);
  if (s.nextTxMs !== undefined && nowMs >= s.nextTxMs) s = transmit(s, nowMs, prng, effects);
  else if (s.nextTxMs === undefined && s !== s0) s = schedule(s, nowMs, prng);
  return { session: s, effects };
}

/** A packet that passed `decodeBfd` and was matched to this session (RFC 5880 §6.8.6). */
export function onPacket(s0: BfdSession, p: BfdPacket, nowMs: number, prng: Prng): BfdStep {
  if (p.yourDiscr !== 0 && p.yourDiscr !== s0.localDiscr) return { session: s0, effects: [], rejected: 'unknown_session' };
  if (s0.state === 'AdminDown') return { session: s0, effects: [], rejected: 'admin_down_local' };
  const effects: BfdEffect[] = [];
  let s: BfdSession = {
    ...s0,
    remoteDiscr: p.myDiscr,
    remoteState: p.state,
    remoteMinRxUs: p.requiredMinRxUs,
    remoteDesiredMinTxUs: p.desiredMinTxUs,
    remoteDetectMult: p.detectMult,
  };
  // §6.8.6: "If the Final (F) bit is set ... the Poll Sequence MUST be terminated": the
  // advertised values are now in force.
  if (p.final && s.pollActive) s = { ...s, pollActive: false, activeDesiredMinTxUs: s.desiredMinTxUs, activeRequiredMinRxUs: s.requiredMinRxUs };

  const from = s.state;
  if (p.state === 'AdminDown') {
    if (s.state !== 'Down') s = changeState(s, 'Down', BFD_DIAG.neighborSignaledSessionDown, 'the neighbor set its session AdminDown', effects);
  } else if (s.state === 'Down') {
    if (p.state === 'Down') s = changeState(s, 'Init', BFD_DIAG.none, 'the neighbor is Down: three-way handshake started', effects);
    else if (p.state === 'Init') s = changeState(s, 'Up', BFD_DIAG.none, 'the neighbor is Init: three-way handshake done', effects);
  } else if (s.state === 'Init') {
    if (p.state === 'Init' || p.state === 'Up') s = changeState(s, 'Up', BFD_DIAG.none, `the neighbor is ${p.state}: three-way handshake done`, effects);
  } else if (p.state === 'Down') {
    s = changeState(s, 'Down', BFD_DIAG.neighborSignaledSessionDown, `the neighbor signaled Down (${diagText(p.diag)})`, effects);
  }

  // The packet counts as received for the detection time (end of §6.8.6).
  s = { ...s, detectDeadlineMs: nowMs + detectionTimeUs(s) / 1000 };

  if (p.poll) {
    // §6.8.6: a Poll is answered at once with a Final, outside the periodic schedule.
    s = transmit(s, nowMs, prng, effects, true);
  } else if (s.state !== from) {
    // Answer a state change at once so the handshake does not wait for the idle interval.
    s = transmit(s, nowMs, prng, effects);
  } else {
    const intervalUs = txIntervalUs(s);
    // Start sending (passive side that just heard the peer), stop (RemoteMinRx 0), or pull in
    // a transmission that the peer's new, shorter interval no longer allows to wait for.
    if (s.nextTxMs === undefined || intervalUs === 0 || s.nextTxMs > nowMs + intervalUs / 1000) s = schedule(s, nowMs, prng);
  }
  return { session: s, effects };
}

/** §6.8.16: the operator takes the session down; the peer is told with AdminDown packets. */
export function adminDown(s0: BfdSession, nowMs: number, prng: Prng): BfdStep {
  if (s0.state === 'AdminDown') return { session: s0, effects: [] };
  const effects: BfdEffect[] = [];
  let s = changeState(s0, 'AdminDown', BFD_DIAG.administrativelyDown, 'taken down by the operator', effects);
  // The peer notices within its detection time of us: our multiplier × the interval we send at.
  const peerDetectMs = (s.config.detectMult * Math.max(txIntervalUs(s), 1)) / 1000;
  s = { ...s, adminDownUntilMs: nowMs + peerDetectMs, detectDeadlineMs: undefined };
  return { session: transmit(s, nowMs, prng, effects), effects };
}

export function adminUp(s0: BfdSession, nowMs: number, prng: Prng): BfdStep {
  if (s0.state !== 'AdminDown') return { session: s0, effects: [] };
  const effects: BfdEffect[] = [];
  let s = changeState(s0, 'Down', BFD_DIAG.none, 'enabled by the operator', effects);
  s = { ...s, adminDownUntilMs: undefined, remoteDiscr: 0, remoteState: 'Down', remoteMinRxUs: 1 };
  return { session: transmit(s, nowMs, prng, effects), effects };
}

/**
 * New timers or multiplier (a reload). While Up, a change of DesiredMinTx or RequiredMinRx is
 * announced with a poll sequence and the old values stay in force until the Final (§6.8.3).
 */
export function changeConfig(s0: BfdSession, config: BfdSessionConfig, nowMs: number, prng: Prng): BfdStep {
  const effects: BfdEffect[] = [];
  let s: BfdSession = { ...s0, config };
  if (s.state === 'Up') {
    const tx = config.desiredMinTxUs;
    const rx = config.requiredMinRxUs;
    if (tx !== s.desiredMinTxUs || rx !== s.requiredMinRxUs) {
      // A poll already running keeps the values that were in force before it.
      const activeTx = s.pollActive ? s.activeDesiredMinTxUs : s.desiredMinTxUs;
      const activeRx = s.pollActive ? s.activeRequiredMinRxUs : s.requiredMinRxUs;
      s = { ...s, desiredMinTxUs: tx, requiredMinRxUs: rx, activeDesiredMinTxUs: activeTx, activeRequiredMinRxUs: activeRx, pollActive: true };
    }
  } else {
    const tx = idleTx(config);
    s = { ...s, desiredMinTxUs: tx, activeDesiredMinTxUs: tx, requiredMinRxUs: config.requiredMinRxUs, activeRequiredMinRxUs: config.requiredMinRxUs };
  }
  if (s.state === 'AdminDown') return { session: s, effects };
  return { session: transmit(s, nowMs, prng, effects), effects };
}
