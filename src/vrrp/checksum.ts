/**
 * The Internet checksum (RFC 1071) and the pseudo-headers VRRP version 3 adds to it.
 *
 * VRRPv2 (RFC 3768 §5.3.8) sums the VRRP message alone. VRRPv3 (RFC 5798 §5.2.8, kept by
 * RFC 9568) adds a pseudo-header. For IPv6 that is the RFC 8200 §8.1 pseudo-header, with no
 * ambiguity. For IPv4 the RFC points at a pseudo-header that IPv4 itself does not define, and
 * implementations split: keepalived (its default) and FRR (its default
 * `checksum-with-ipv4-pseudoheader`) sum the UDP-style IPv4 pseudo-header (source, destination,
 * zero, protocol 112, VRRP length); Cisco, and keepalived 2.2.8+ with `v3_checksum_as_v2`, sum the
 * message alone, as version 2 does. halo speaks both; see docs/vrrp.md "Packet codec".
 */

export const IPPROTO_VRRP = 112;

/**
 * One's-complement sum (RFC 1071 §4.1) of the concatenation of `parts`, folded to 16 bits but
 * not yet complemented. Parts may have odd lengths: the byte stream is summed as one sequence.
 */
export function onesComplementSum(parts: readonly Uint8Array[]): number {
  let sum = 0;
  let pendingHigh = -1; // an odd byte left over from the previous part, waiting for its low half
  for (const part of parts) {
    let i = 0;
    if (pendingHigh >= 0 && part.length > 0) {
      sum += (pendingHigh << 8) | (part[0] ?? 0);
      pendingHigh = -1;
      i = 1;
    }
    for (; i + 1 < part.length; i += 2) sum += ((part[i] ?? 0) << 8) | (part[i + 1] ?? 0);
    if (i < part.length) pendingHigh = part[i] ?? 0;
    // Fold now and then so the running sum stays a small integer (each step adds < 2^16).
    if (sum > 0x7fffffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  }
  if (pendingHigh >= 0) sum += pendingHigh << 8; // RFC 1071: pad an odd length with a zero byte
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** The checksum field value for `parts` (whose checksum field is zero): the complement of the sum. */
export function internetChecksum(parts: readonly Uint8Array[]): number {
  return ~onesComplementSum(parts) & 0xffff;
}

/** True when `parts`, checksum field included, sum to all ones (RFC 1071 §1 verification). */
export function checksumValid(parts: readonly Uint8Array[]): boolean {
  return onesComplementSum(parts) === 0xffff;
}

/** IPv4 pseudo-header as keepalived and FRR put it in a VRRPv3 checksum (the UDP layout of RFC 768). */
export function ipv4PseudoHeader(src: Uint8Array, dst: Uint8Array, vrrpLength: number): Uint8Array {
  const h = new Uint8Array(12);
  // Plain index copies: subarray() allocates a view per call, which made this the codec's hot spot.
  for (let i = 0; i < 4; i++) {
    h[i] = src[i] ?? 0;
    h[4 + i] = dst[i] ?? 0;
  }
  h[9] = IPPROTO_VRRP;
  h[10] = (vrrpLength >> 8) & 0xff;
  h[11] = vrrpLength & 0xff;
  return h;
}

/** IPv6 pseudo-header of RFC 8200 §8.1: source, destination, 32-bit length, 3 zero bytes, next header. */
export function ipv6PseudoHeader(src: Uint8Array, dst: Uint8Array, vrrpLength: number): Uint8Array {
  const h = new Uint8Array(40);
  for (let i = 0; i < 16; i++) {
    h[i] = src[i] ?? 0;
    h[16 + i] = dst[i] ?? 0;
  }
  h[32] = (vrrpLength >>> 24) & 0xff;
  h[33] = (vrrpLength >>> 16) & 0xff;
  h[34] = (vrrpLength >>> 8) & 0xff;
  h[35] = vrrpLength & 0xff;
  h[39] = IPPROTO_VRRP;
  return h;
}
