/**
 * Numeric order of IP addresses, for the tie-break of equal priorities: RFC 5798 §6.4.3 compares
 * "the primary IPvX address of the sender" with the local one "based on an unsigned integer
 * comparison of the IPvX addresses in network byte order". Comparing the text would get
 * 10.0.0.9 > 10.0.0.10 wrong. Parsing is core/ip's; this adds the rule for unparsable text.
 */
import { compareIp, parseIp } from '../core/ip.js';

/** Negative, zero or positive like a sort comparator; unparsable text sorts lowest. */
export function compareAddresses(a: string, b: string): number {
  const x = parseIp(a);
  const y = parseIp(b);
  if (x === undefined || y === undefined) return x === undefined ? (y === undefined ? 0 : -1) : 1;
  return compareIp(x, y);
}
