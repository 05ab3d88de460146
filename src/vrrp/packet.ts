/**
 * VRRP advertisement codec: version 2 (RFC 3768 §5) and version 3 (RFC 5798 §5, as kept by
 * RFC 9568), over IPv4 and (version 3 only) IPv6.
 *
 * The codec works on the VRRP message, the payload of the IP packet (protocol 112); the IP
 * header's source, destination and TTL/hop limit come in beside it, since the checksum and the
 * receive checks need them. Neither function throws: encoding returns the bytes or the reason it
 * refused, decoding returns the advert or a named rejection reason. Every reason has a counter
 * (see counters.ts) named as keepalived's statistics and the VRRP MIB name them. docs/vrrp.md
 * "Packet codec" describes the formats, the checksum modes and the order of the receive checks.
 *
 * Wire formats (network byte order):
 *
 *   v2: ver|type  vrid  priority  count  | auth_type  adver_int(s)  checksum(16) | addr*count (4 each) | auth_data(8)
 *   v3: ver|type  vrid  priority  count  | rsvd(4)|max_adver_int(12, cs)  checksum(16) | addr*count (4 or 16 each)
 */
import {
  checksumValid,
  internetChecksum,
  ipv4PseudoHeader,
  ipv6PseudoHeader,
} from './checksum.js';
import { formatIpv4, formatIpv6, parseIpOfFamily } from '../core/ip.js';
import type { IpFamily } from '../core/ip.js';

export type VrrpVersion = 2 | 3;

/**
 * 0: no authentication; 1: simple text password ("PASS", RFC 2338 §5.3.6.1, kept by keepalived);
 * 2: IP Authentication Header (RFC 2338), recognised but not supported by halo.
 */
export type VrrpAuthType = 0 | 1 | 2;

/**
 * How a VRRPv3 IPv4 checksum is computed (see checksum.ts): `pseudo-header` sums the IPv4
 * pseudo-header and the message (keepalived's and FRR's default), `v2-style` the message alone
 * (keepalived's `v3_checksum_as_v2`, Cisco). VRRPv2 is always `v2-style`; VRRPv3 over IPv6 is
 * always `pseudo-header`.
 */
export type ChecksumMode = 'pseudo-header' | 'v2-style';

export interface VrrpAdvert {
  readonly version: VrrpVersion;
  /** Virtual router identifier, 1..255. */
  readonly vrid: number;
  /** 0 (the master is leaving), 1..254, or 255 (the address owner). */
  readonly priority: number;
  /**
   * The advertisement interval in centiseconds. v2 carries whole seconds (1..255 s, so a
   * multiple of 100 here); v3 carries 12-bit centiseconds (1..4095).
   */
  readonly advertIntervalCs: number;
  /** v2 only; always 0 for v3. */
  readonly authType: VrrpAuthType;
  /** v2 PASS only: the password, up to 8 octets of UTF-8, zero-padded on the wire. */
  readonly authData?: string;
  /** The virtual addresses, canonical text (RFC 5952 for IPv6). */
  readonly addresses: readonly string[];
  readonly family: IpFamily;
}

/** Rejection reasons, named as keepalived's per-instance statistics (and the VRRP MIB counters). */
export type DecodeReason =
  | 'ip_ttl_err'
  | 'version_err'
  | 'invalid_type_rcvd'
  | 'packet_len_err'
  | 'checksum_err'
  | 'vrid_err'
  | 'invalid_authtype'
  | 'authtype_mismatch'
  | 'auth_failure'
  | 'advert_interval_err'
  | 'addr_list_err';

export const DECODE_REASONS: readonly DecodeReason[] = [
  'ip_ttl_err',
  'version_err',
  'invalid_type_rcvd',
  'packet_len_err',
  'checksum_err',
  'vrid_err',
  'invalid_authtype',
  'authtype_mismatch',
  'auth_failure',
  'advert_interval_err',
  'addr_list_err',
];

export type DecodeResult =
  | { readonly ok: true; readonly advert: VrrpAdvert; readonly checksumMode: ChecksumMode }
  | { readonly ok: false; readonly reason: DecodeReason; readonly detail: string };

/** The IP header facts the codec needs on receive. */
export interface ReceivedIp {
  readonly family: IpFamily;
  readonly src: string;
  readonly dst: string;
  /** IPv4 TTL or IPv6 hop limit. */
  readonly ttl: number;
}

/** What the receiving instance is configured with; every field is optional and checked when given. */
export interface DecodeExpect {
  /** The instance's `vrrp_version`; a different version is `version_err` (RFC 3768 §7.1, RFC 5798 §7.1). */
  readonly version?: VrrpVersion;
  /** The instance's VRID; another is `vrid_err` (the runtime normally dispatches by VRID instead). */
  readonly vrid?: number;
  /** v2: the configured auth type; another is `authtype_mismatch`. */
  readonly authType?: 0 | 1;
  /** v2 PASS: the configured password; other octets are `auth_failure`. */
  readonly authData?: string;
  /** v2: the configured interval; another is `advert_interval_err` (RFC 3768 §7.1). v3 learns it instead. */
  readonly advertIntervalCs?: number;
  /** The configured virtual addresses; a different set is `addr_list_err` (RFC 3768 §7.1 "MAY verify"). */
  readonly addresses?: readonly string[];
  /**
   * v3 over IPv4: which checksum to accept. Default `pseudo-header` (keepalived's default).
   * `either` accepts both and reports the one that matched, for mixed groups.
   */
  readonly checksumMode?: ChecksumMode | 'either';
  /**
   * Default true: adverts arrive by multicast and the TTL/hop limit must be 255 (RFC 3768 §7.1,
   * RFC 5798 §7.1). With unicast peers adverts may cross routers, so the check is off.
   */
  readonly multicast?: boolean;
}

export interface EncodeIp {
  readonly src: string;
  readonly dst: string;
  /** v3 over IPv4 only; default `pseudo-header`. */
  readonly checksumMode?: ChecksumMode;
}

export type EncodeResult =
  | { readonly ok: true; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly detail: string };

export const VRRP_TYPE_ADVERTISEMENT = 1;
export const VRRP_TTL = 255;
export const VRRP_HEADER_LEN = 8;
export const VRRP_V2_AUTH_LEN = 8;
/** v3's Max Advertise Interval is a 12-bit field (RFC 5798 §5.2.7). */
export const VRRP_V3_MAX_INTERVAL_CS = 4095;
export const VRRP_MAX_ADDRESSES = 255;
/** The multicast groups of RFC 5798 §5.1.1.2 and §5.1.2.2. */
export const VRRP_MCAST_V4 = '224.0.0.18';
export const VRRP_MCAST_V6 = 'ff02::12';

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: false });

/** The message length for `count` addresses. */
export function advertLength(version: VrrpVersion, family: IpFamily, count: number): number {
  const addrLen = family === 4 ? 4 : 16;
  return VRRP_HEADER_LEN + count * addrLen + (version === 2 ? VRRP_V2_AUTH_LEN : 0);
}

/** The password as the 8 auth octets keepalived puts on the wire: UTF-8, zero-padded. */
function passOctets(password: string): Uint8Array | undefined {
  const raw = utf8Encoder.encode(password);
  if (raw.length > VRRP_V2_AUTH_LEN) return undefined;
  const out = new Uint8Array(VRRP_V2_AUTH_LEN);
  out.set(raw);
  return out;
}

function isInt(n: number, lo: number, hi: number): boolean {
  return Number.isInteger(n) && n >= lo && n <= hi;
}

/** Builds the VRRP message for `a`. Refuses (never throws) an advert the wire cannot carry. */
export function encodeAdvert(a: VrrpAdvert, ip: EncodeIp): EncodeResult {
  const fail = (detail: string): EncodeResult => ({ ok: false, detail });
  if (a.version !== 2 && a.version !== 3) return fail(`Cannot encode VRRP advert: version ${String(a.version)} is not 2 or 3`);
  if (a.family !== 4 && a.family !== 6) return fail(`Cannot encode VRRP advert: family ${String(a.family)} is not 4 or 6`);
  if (a.version === 2 && a.family === 6) return fail('Cannot encode VRRP advert: VRRPv2 carries IPv4 only (RFC 3768)');
  if (!isInt(a.vrid, 1, 255)) return fail(`Cannot encode VRRP advert: VRID ${a.vrid} is outside 1-255`);
  if (!isInt(a.priority, 0, 255)) return fail(`Cannot encode VRRP advert: priority ${a.priority} is outside 0-255`);
  if (a.addresses.length > VRRP_MAX_ADDRESSES) {
    return fail(`Cannot encode VRRP advert: ${a.addresses.length} addresses, the count field holds 255`);
  }
  let intervalField: number;
  if (a.version === 2) {
    if (!isInt(a.advertIntervalCs, 100, 25500) || a.advertIntervalCs % 100 !== 0) {
      return fail(`Cannot encode VRRP advert: VRRPv2 interval ${a.advertIntervalCs} cs is not whole seconds 1-255`);
    }
    intervalField = a.advertIntervalCs / 100;
  } else {
    if (!isInt(a.advertIntervalCs, 1, VRRP_V3_MAX_INTERVAL_CS)) {
      return fail(`Cannot encode VRRP advert: VRRPv3 interval ${a.advertIntervalCs} cs is outside 1-4095`);
    }
    intervalField = a.advertIntervalCs;
  }
  let auth: Uint8Array | undefined;
  if (a.version === 3) {
    if (a.authType !== 0 || a.authData !== undefined) return fail('Cannot encode VRRP advert: VRRPv3 has no authentication');
  } else if (a.authType === 0) {
    if (a.authData !== undefined) return fail('Cannot encode VRRP advert: authData given with auth type 0');
    auth = new Uint8Array(VRRP_V2_AUTH_LEN);
  } else if (a.authType === 1) {
    if (a.authData === undefined) return fail('Cannot encode VRRP advert: auth type PASS needs authData');
    auth = passOctets(a.authData);
    if (auth === undefined) return fail('Cannot encode VRRP advert: PASS password is longer than 8 octets');
  } else {
    return fail(`Cannot encode VRRP advert: auth type ${String(a.authType)} is not supported (0 none, 1 PASS)`);
  }
  const src = parseIpOfFamily(ip.src, a.family);
  const dst = parseIpOfFamily(ip.dst, a.family);
  if (src === undefined) return fail(`Cannot encode VRRP advert: source ${ip.src} is not an IPv${a.family} address`);
  if (dst === undefined) return fail(`Cannot encode VRRP advert: destination ${ip.dst} is not an IPv${a.family} address`);

  const addrLen = a.family === 4 ? 4 : 16;
  const len = advertLength(a.version, a.family, a.addresses.length);
  const out = new Uint8Array(len);
  out[0] = (a.version << 4) | VRRP_TYPE_ADVERTISEMENT;
  out[1] = a.vrid;
  out[2] = a.priority;
  out[3] = a.addresses.length;
  if (a.version === 2) {
    out[4] = a.authType;
    out[5] = intervalField;
  } else {
    // RFC 5798 §5.2.6: the 4 reserved bits are sent as zero.
    out[4] = (intervalField >> 8) & 0x0f;
    out[5] = intervalField & 0xff;
  }
  for (let i = 0; i < a.addresses.length; i++) {
    const text = a.addresses[i] ?? '';
    const bytes = parseIpOfFamily(text, a.family);
    if (bytes === undefined) return fail(`Cannot encode VRRP advert: virtual address ${text} is not an IPv${a.family} address`);
    out.set(bytes, VRRP_HEADER_LEN + i * addrLen);
  }
  if (auth !== undefined) out.set(auth, len - VRRP_V2_AUTH_LEN);
  const sum = internetChecksum(checksumParts(out, a.version, a.family, resolveMode(a.version, a.family, ip.checksumMode), src, dst));
  out[6] = sum >> 8;
  out[7] = sum & 0xff;
  return { ok: true, bytes: out };
}

function resolveMode(version: VrrpVersion, family: IpFamily, wanted: ChecksumMode | undefined): ChecksumMode {
  if (version === 2) return 'v2-style';
  if (family === 6) return 'pseudo-header';
  return wanted ?? 'pseudo-header';
}

function checksumParts(
  msg: Uint8Array,
  version: VrrpVersion,
  family: IpFamily,
  mode: ChecksumMode,
  src: Uint8Array,
  dst: Uint8Array,
): Uint8Array[] {
  if (version === 2 || mode === 'v2-style') return [msg];
  return family === 4 ? [ipv4PseudoHeader(src, dst, msg.length), msg] : [ipv6PseudoHeader(src, dst, msg.length), msg];
}

/**
 * Decodes and checks one received VRRP message. The checks run in the order of RFC 3768 §7.1
 * and RFC 5798 §7.1 (TTL, version, type, length, checksum, VRID, authentication, interval,
 * addresses), so a packet with several faults is counted under the first one, as keepalived does.
 */
export function decodeAdvert(payload: Uint8Array, ip: ReceivedIp, expect: DecodeExpect = {}): DecodeResult {
  const reject = (reason: DecodeReason, detail: string): DecodeResult => ({ ok: false, reason, detail });
  const family = ip.family;
  if (family !== 4 && family !== 6) return reject('version_err', `VRRP advert over unknown IP family: ${String(family)}`);
  if ((expect.multicast ?? true) && ip.ttl !== VRRP_TTL) {
    return reject('ip_ttl_err', `VRRP advert from ${ip.src} has ${family === 4 ? 'TTL' : 'hop limit'} ${ip.ttl}: must be 255`);
  }
  if (payload.length < VRRP_HEADER_LEN) {
    return reject('packet_len_err', `VRRP advert from ${ip.src} is ${payload.length} octets: shorter than the 8-octet header`);
  }
  const b0 = payload[0] ?? 0;
  const version = b0 >> 4;
  const type = b0 & 0x0f;
  if (version !== 2 && version !== 3) return reject('version_err', `VRRP advert from ${ip.src} has version ${version}: halo speaks 2 and 3`);
  if (version === 2 && family === 6) return reject('version_err', `VRRP advert from ${ip.src} is version 2 over IPv6: VRRPv2 is IPv4 only`);
  if (expect.version !== undefined && version !== expect.version) {
    return reject('version_err', `VRRP advert from ${ip.src} has version ${version}: instance speaks version ${expect.version}`);
  }
  if (type !== VRRP_TYPE_ADVERTISEMENT) return reject('invalid_type_rcvd', `VRRP packet from ${ip.src} has type ${type}: only 1 (advertisement) exists`);
  const count = payload[3] ?? 0;
  const wantLen = advertLength(version, family, count);
  if (payload.length !== wantLen) {
    return reject('packet_len_err', `VRRP advert from ${ip.src} is ${payload.length} octets: ${count} addresses make ${wantLen}`);
  }

  // Checksum (RFC 3768 §5.3.8, RFC 5798 §5.2.8).
  let matched: ChecksumMode;
  if (version === 2) {
    if (!checksumValid([payload])) return reject('checksum_err', `VRRPv2 advert from ${ip.src} has a bad checksum`);
    matched = 'v2-style';
  } else {
    const src = parseIpOfFamily(ip.src, family);
    const dst = parseIpOfFamily(ip.dst, family);
    if (src === undefined || dst === undefined) {
      return reject('checksum_err', `Cannot verify VRRPv3 checksum: ${ip.src} > ${ip.dst} is not an IPv${family} address pair`);
    }
    const pseudo = family === 4 ? ipv4PseudoHeader(src, dst, payload.length) : ipv6PseudoHeader(src, dst, payload.length);
    const wanted = family === 6 ? 'pseudo-header' : (expect.checksumMode ?? 'pseudo-header');
    if (wanted !== 'v2-style' && checksumValid([pseudo, payload])) matched = 'pseudo-header';
    else if (wanted !== 'pseudo-header' && checksumValid([payload])) matched = 'v2-style';
    else {
      const how = wanted === 'either' ? 'with or without the IPv4 pseudo-header' : wanted === 'v2-style' ? 'without the IPv4 pseudo-header (v3_checksum_as_v2)' : 'with the pseudo-header';
      return reject('checksum_err', `VRRPv3 advert from ${ip.src} has a bad checksum: not valid ${how}`);
    }
  }

  const vrid = payload[1] ?? 0;
  if (vrid === 0) return reject('vrid_err', `VRRP advert from ${ip.src} has VRID 0: VRIDs are 1-255`);
  if (expect.vrid !== undefined && vrid !== expect.vrid) {
    return reject('vrid_err', `VRRP advert from ${ip.src} is for VRID ${vrid}: instance has VRID ${expect.vrid}`);
  }
  const priority = payload[2] ?? 0;

  let authType: VrrpAuthType = 0;
  let authData: string | undefined;
  let advertIntervalCs: number;
  if (version === 2) {
    const at = payload[4] ?? 0;
    if (at === 2) return reject('invalid_authtype', `VRRP advert from ${ip.src} uses auth type 2 (IP Authentication Header): not supported`);
    if (at !== 0 && at !== 1) return reject('invalid_authtype', `VRRP advert from ${ip.src} has auth type ${at}: known types are 0 (none) and 1 (PASS)`);
    authType = at;
    const authOctets = payload.subarray(wantLen - VRRP_V2_AUTH_LEN);
    if (authType === 1) {
      let end = authOctets.length;
      while (end > 0 && authOctets[end - 1] === 0) end--;
      authData = utf8Decoder.decode(authOctets.subarray(0, end));
    }
    // RFC 3768 §7.1: auth type mismatch and a wrong password are both auth failures; keepalived and
    // the VRRP MIB count them apart (vrrpStatsAuthTypeMismatch, vrrpStatsAuthFailures).
    if (expect.authType !== undefined && authType !== expect.authType) {
      return reject('authtype_mismatch', `VRRP advert from ${ip.src} has auth type ${authType}: instance uses ${expect.authType}`);
    }
    if (authType === 1 && expect.authData !== undefined) {
      const want = passOctets(expect.authData);
      if (want === undefined || !sameOctets(want, authOctets)) {
        return reject('auth_failure', `VRRP advert from ${ip.src} has the wrong PASS password`);
      }
    }
    const seconds = payload[5] ?? 0;
    advertIntervalCs = seconds * 100;
    if (seconds === 0) return reject('advert_interval_err', `VRRPv2 advert from ${ip.src} has interval 0 s`);
    if (expect.advertIntervalCs !== undefined && advertIntervalCs !== expect.advertIntervalCs) {
      return reject('advert_interval_err', `VRRPv2 advert from ${ip.src} has interval ${seconds} s: instance uses ${expect.advertIntervalCs / 100} s`);
    }
  } else {
    // RFC 5798 §5.2.6: the reserved bits are ignored on reception.
    advertIntervalCs = (((payload[4] ?? 0) & 0x0f) << 8) | (payload[5] ?? 0);
    // An interval of 0 would make a backup's Master_Down_Interval nothing but the skew time.
    if (advertIntervalCs === 0) return reject('advert_interval_err', `VRRPv3 advert from ${ip.src} has interval 0 cs`);
  }

  const addresses: string[] = [];
  const addrLen = family === 4 ? 4 : 16;
  for (let i = 0; i < count; i++) {
    const off = VRRP_HEADER_LEN + i * addrLen;
    addresses.push(family === 4 ? formatIpv4(payload, off) : formatIpv6(payload, off));
  }
  if (expect.addresses !== undefined && !sameAddressSet(addresses, expect.addresses, family)) {
    return reject('addr_list_err', `VRRP advert from ${ip.src} lists ${addresses.length === 0 ? 'no addresses' : addresses.join(' ')}: instance has ${expect.addresses.length === 0 ? 'none' : expect.addresses.join(' ')}`);
  }

  const advert: VrrpAdvert =
    authData === undefined
      ? { version, vrid, priority, advertIntervalCs, authType, addresses, family }
      : { version, vrid, priority, advertIntervalCs, authType, authData, addresses, family };
  return { ok: true, advert, checksumMode: matched };
}

function sameOctets(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Same addresses in any order; the count must match too (RFC 3768 §7.1, keepalived's check). */
function sameAddressSet(got: readonly string[], want: readonly string[], family: IpFamily): boolean {
  if (got.length !== want.length) return false;
  // Fast path: the peer lists the same canonical addresses in the configured order (the usual case).
  let same = true;
  for (let i = 0; i < got.length && same; i++) same = got[i] === want[i];
  if (same) return true;
  const canon = (t: string): string | undefined => {
    const bytes = parseIpOfFamily(t, family);
    return bytes === undefined ? undefined : family === 4 ? formatIpv4(bytes) : formatIpv6(bytes);
  };
  const wantSet = new Set<string>();
  for (const w of want) {
    const c = canon(w);
    if (c === undefined) return false;
    wantSet.add(c);
  }
  const gotSet = new Set(got);
  if (gotSet.size !== wantSet.size) return false;
  for (const g of gotSet) if (!wantSet.has(g)) return false;
  return true;
}
