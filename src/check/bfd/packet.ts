/**
 * BFD Control packet codec (RFC 5880 §4.1, mandatory section; §4.2 authentication section is
 * recognised only to be refused, halo runs BFD without authentication like keepalived).
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  |Vers |  Diag   |Sta|P|F|C|A|D|M|  Detect Mult  |    Length     |
 *  |                       My Discriminator                        |
 *  |                      Your Discriminator                       |
 *  |                    Desired Min TX Interval                    |
 *  |                   Required Min RX Interval                    |
 *  |                 Required Min Echo RX Interval                 |
 *
 * Pure. `decodeBfd` never throws: it returns the packet or a named reason, and every reason has a
 * counter (`BfdCounters`), as the VRRP decoder does.
 */

export type BfdState = 'AdminDown' | 'Down' | 'Init' | 'Up';
export const BFD_STATES: readonly BfdState[] = ['AdminDown', 'Down', 'Init', 'Up'];

/** RFC 5880 §4.1 diagnostic codes. */
export const BFD_DIAG = {
  none: 0,
  controlDetectionTimeExpired: 1,
  echoFunctionFailed: 2,
  neighborSignaledSessionDown: 3,
  forwardingPlaneReset: 4,
  pathDown: 5,
  concatenatedPathDown: 6,
  administrativelyDown: 7,
  reverseConcatenatedPathDown: 8,
} as const;

export const BFD_DIAG_TEXT: readonly string[] = [
  'no diagnostic',
  'control detection time expired',
  'echo function failed',
  'neighbor signaled session down',
  'forwarding plane reset',
  'path down',
  'concatenated path down',
  'administratively down',
  'reverse concatenated path down',
];

export function diagText(diag: number): string {
  return BFD_DIAG_TEXT[diag] ?? `diagnostic ${diag}`;
}

export interface BfdPacket {
  readonly version: number;
  readonly diag: number;
  readonly state: BfdState;
  readonly poll: boolean;
  readonly final: boolean;
  /** C: the sender's BFD does not share fate with its control plane. halo sends 0. */
  readonly cpi: boolean;
  readonly auth: boolean;
  readonly demand: boolean;
  readonly multipoint: boolean;
  readonly detectMult: number;
  readonly myDiscr: number;
  readonly yourDiscr: number;
  readonly desiredMinTxUs: number;
  readonly requiredMinRxUs: number;
  readonly requiredMinEchoRxUs: number;
}

export const BFD_VERSION = 1;
export const BFD_HEADER_BYTES = 24;
/** RFC 5881 §4: single-hop control packets go to UDP port 3784; RFC 5883 multi-hop to 4784. */
export const BFD_PORT = 3784;
export const BFD_MULTIHOP_PORT = 4784;
/** RFC 5881 §4: the source port is in 49152..65535. */
export const BFD_SOURCE_PORT_MIN = 49152;
export const BFD_SOURCE_PORT_MAX = 65535;

/** Why a received packet was discarded (RFC 5880 §6.8.6 reception checks, in their order). */
export type BfdRejectReason =
  | 'too_short'
  | 'bad_version'
  | 'bad_length'
  | 'length_exceeds_payload'
  | 'zero_detect_mult'
  | 'multipoint_set'
  | 'zero_my_discr'
  | 'zero_your_discr_bad_state'
  | 'auth_not_supported'
  | 'bad_ttl'
  | 'unknown_session'
  | 'admin_down_local';

export const BFD_REJECT_REASONS: readonly BfdRejectReason[] = [
  'too_short',
  'bad_version',
  'bad_length',
  'length_exceeds_payload',
  'zero_detect_mult',
  'multipoint_set',
  'zero_my_discr',
  'zero_your_discr_bad_state',
  'auth_not_supported',
  'bad_ttl',
  'unknown_session',
  'admin_down_local',
];

export type BfdCounters = Record<BfdRejectReason | 'received' | 'accepted' | 'sent', number>;

export function newBfdCounters(): BfdCounters {
  const c = { received: 0, accepted: 0, sent: 0 } as BfdCounters;
  for (const r of BFD_REJECT_REASONS) c[r] = 0;
  return c;
}

export type DecodeResult = { readonly ok: true; readonly packet: BfdPacket } | { readonly ok: false; readonly reason: BfdRejectReason };

function u32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

function putU32(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 24) & 0xff;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

/**
 * Decodes and applies the packet-only reception checks of RFC 5880 §6.8.6 (the ones that need
 * a session, "Your Discriminator selects the session", are the session table's job).
 */
export function decodeBfd(bytes: Uint8Array): DecodeResult {
  if (bytes.length < BFD_HEADER_BYTES) return { ok: false, reason: 'too_short' };
  const b0 = bytes[0]!;
  const b1 = bytes[1]!;
  const version = b0 >>> 5;
  if (version !== BFD_VERSION) return { ok: false, reason: 'bad_version' };
  const auth = (b1 & 0x04) !== 0;
  const length = bytes[3]!;
  // "If the A bit is set and the Length field is less than 26 ... discarded"; without A, 24.
  if (length < (auth ? BFD_HEADER_BYTES + 2 : BFD_HEADER_BYTES)) return { ok: false, reason: 'bad_length' };
  if (length > bytes.length) return { ok: false, reason: 'length_exceeds_payload' };
  const detectMult = bytes[2]!;
  if (detectMult === 0) return { ok: false, reason: 'zero_detect_mult' };
  const multipoint = (b1 & 0x01) !== 0;
  if (multipoint) return { ok: false, reason: 'multipoint_set' };
  const myDiscr = u32(bytes, 4);
  if (myDiscr === 0) return { ok: false, reason: 'zero_my_discr' };
  const yourDiscr = u32(bytes, 8);
  const state = BFD_STATES[b1 >>> 6] as BfdState;
  if (yourDiscr === 0 && state !== 'Down' && state !== 'AdminDown') return { ok: false, reason: 'zero_your_discr_bad_state' };
  // "If the A bit is set and no authentication is in use (bfd.AuthType is zero), the packet
  // MUST be discarded." halo never uses authentication.
  if (auth) return { ok: false, reason: 'auth_not_supported' };
  return {
    ok: true,
    packet: {
      version,
      diag: b0 & 0x1f,
      state,
      poll: (b1 & 0x20) !== 0,
      final: (b1 & 0x10) !== 0,
      cpi: (b1 & 0x08) !== 0,
      auth,
      demand: (b1 & 0x02) !== 0,
      multipoint,
      detectMult,
      myDiscr,
      yourDiscr,
      desiredMinTxUs: u32(bytes, 12),
      requiredMinRxUs: u32(bytes, 16),
      requiredMinEchoRxUs: u32(bytes, 20),
    },
  };
}

/** What a sender chooses; the rest (version 1, A/D/M clear, length 24) is fixed for halo. */
export interface BfdPacketFields {
  readonly diag: number;
  readonly state: BfdState;
  readonly poll: boolean;
  readonly final: boolean;
  readonly detectMult: number;
  readonly myDiscr: number;
  readonly yourDiscr: number;
  readonly desiredMinTxUs: number;
  readonly requiredMinRxUs: number;
  /** halo does not run the Echo function: always 0 ("does not support the receipt of echo"). */
  readonly requiredMinEchoRxUs?: number;
}

export function encodeBfd(p: BfdPacketFields): Uint8Array {
  const b = new Uint8Array(BFD_HEADER_BYTES);
  b[0] = (BFD_VERSION << 5) | (p.diag & 0x1f);
  b[1] = (BFD_STATES.indexOf(p.state) << 6) | (p.poll ? 0x20 : 0) | (p.final ? 0x10 : 0);
  b[2] = p.detectMult & 0xff;
  b[3] = BFD_HEADER_BYTES;
  putU32(b, 4, p.myDiscr);
  putU32(b, 8, p.yourDiscr);
  putU32(b, 12, p.desiredMinTxUs);
  putU32(b, 16, p.requiredMinRxUs);
  putU32(b, 20, p.requiredMinEchoRxUs ?? 0);
  return b;
}

/**
 * RFC 5881 §5 (GTSM): single-hop packets are sent with TTL 255 and accepted only with TTL 255.
 * keepalived's `max_hops` relaxes this to "at least 255 - max_hops"; 255 turns the check off.
 * `ttl` undefined means the receiver could not read it (see docs/checks.md): accepted.
 */
export function ttlAcceptable(ttl: number | undefined, maxHops: number): boolean {
  if (ttl === undefined || maxHops >= 255) return true;
  return ttl >= 255 - maxHops;
}
