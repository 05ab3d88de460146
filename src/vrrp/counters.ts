/**
 * Receive counters of one VRRP instance, named as keepalived names its per-instance statistics
 * (`keepalived --json` / the stats file) and after the VRRP MIB (RFC 2787 vrrpStatsTable,
 * RFC 6527 vrrpv3StatisticsTable). The state machine keeps the send-side and transition counters
 * (became_master, released_master, advert_sent, pri_zero_sent) beside these.
 */
import type { DecodeReason, DecodeResult } from './packet.js';

export interface VrrpRxCounters {
  /** Adverts that passed every check (vrrpStatsAdvertiseRcvd). */
  advert_rcvd: number;
  /** Accepted adverts with priority 0: the master is leaving (vrrpStatsPriorityZeroPktsRcvd). */
  pri_zero_rcvd: number;
  /** TTL or hop limit not 255 (vrrpStatsIpTtlErrors). */
  ip_ttl_err: number;
  /** Version not 2 or 3, not the instance's, or v2 over IPv6 (vrrpRouterVersionErrors). */
  version_err: number;
  /** Type other than 1, advertisement (vrrpStatsInvalidTypePktsRcvd). */
  invalid_type_rcvd: number;
  /** Shorter than the header or not the length its address count implies (vrrpStatsPacketLengthErrors). */
  packet_len_err: number;
  /** Bad checksum (vrrpRouterChecksumErrors). */
  checksum_err: number;
  /** VRID 0 or not this instance's (vrrpRouterVrIdErrors; the runtime counts adverts for no instance). */
  vrid_err: number;
  /** Unknown auth type, or AH (2), which halo does not support (vrrpStatsInvalidAuthType). */
  invalid_authtype: number;
  /** Auth type other than the instance's (vrrpStatsAuthTypeMismatch). */
  authtype_mismatch: number;
  /** PASS password other than the instance's (vrrpStatsAuthFailures). */
  auth_failure: number;
  /** v2 interval other than the instance's, or an interval of 0 (vrrpStatsAdvertiseIntervalErrors). */
  advert_interval_err: number;
  /** Address list other than the instance's (vrrpStatsAddressListErrors). */
  addr_list_err: number;
  /** halo's own: accepted v3 IPv4 adverts whose checksum included the IPv4 pseudo-header. */
  checksum_pseudo_header_rcvd: number;
  /** halo's own: accepted v3 IPv4 adverts whose checksum left it out (`v3_checksum_as_v2`). */
  checksum_as_v2_rcvd: number;
}

export function newRxCounters(): VrrpRxCounters {
  return {
    advert_rcvd: 0,
    pri_zero_rcvd: 0,
    ip_ttl_err: 0,
    version_err: 0,
    invalid_type_rcvd: 0,
    packet_len_err: 0,
    checksum_err: 0,
    vrid_err: 0,
    invalid_authtype: 0,
    authtype_mismatch: 0,
    auth_failure: 0,
    advert_interval_err: 0,
    addr_list_err: 0,
    checksum_pseudo_header_rcvd: 0,
    checksum_as_v2_rcvd: 0,
  };
}

/** The counter each rejection reason increments: the reasons carry the counter names. */
export function counterFor(reason: DecodeReason): keyof VrrpRxCounters {
  return reason;
}

/** Counts one decode result into `c` (mutated in place, returned for chaining). */
export function countDecode(c: VrrpRxCounters, r: DecodeResult): VrrpRxCounters {
  if (!r.ok) {
    c[counterFor(r.reason)] += 1;
    return c;
  }
  c.advert_rcvd += 1;
  if (r.advert.priority === 0) c.pri_zero_rcvd += 1;
  if (r.advert.version === 3 && r.advert.family === 4) {
    if (r.checksumMode === 'pseudo-header') c.checksum_pseudo_header_rcvd += 1;
    else c.checksum_as_v2_rcvd += 1;
  }
  return c;
}
