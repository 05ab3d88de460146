/**
 * IP address text <-> bytes, canonical text, ordering and prefix containment, for IPv4 and IPv6.
 *
 * Pure and total: parsers return `undefined` for text that is not an address instead of
 * throwing, so that config loading and packet decoding can turn it into a diagnostic or a
 * counted rejection. Text forms are the strict ones `inet_pton(3)` accepts (no leading zeros in
 * IPv4 octets, no zone index); output is the canonical IPv6 text of RFC 5952 §4 (lower case,
 * leading zeros dropped, the longest run of two or more zero groups shortened to `::`, the first
 * one on a tie) and, for IPv4-mapped addresses, the dotted form of RFC 5952 §5.
 */

export type IpFamily = 4 | 6;

export interface IpAddress {
  readonly family: IpFamily;
  /** 4 octets for IPv4, 16 for IPv6, network order. */
  readonly bytes: Uint8Array;
}

export interface IpPrefix {
  readonly address: IpAddress;
  /** 0..32 for IPv4, 0..128 for IPv6. */
  readonly length: number;
}

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** Parses dotted-quad IPv4 text (`192.0.2.1`) into 4 octets, or `undefined`. */
export function parseIpv4(text: string): Uint8Array | undefined {
  // A character loop rather than split and a regex: the VRRP codec parses a few of these per
  // advert, and this is about ten times faster.
  if (text.length < 7 || text.length > 15) return undefined;
  const out = new Uint8Array(4);
  let octet = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46; // a virtual '.' ends the last octet
    if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return undefined; // leading zero, as inet_pton(3) refuses
      value = value * 10 + (c - 48);
      digits++;
      if (value > 255) return undefined;
    } else if (c === 46) {
      if (digits === 0 || octet > 3) return undefined;
      out[octet++] = value;
      value = 0;
      digits = 0;
    } else {
      return undefined;
    }
  }
  return octet === 4 ? out : undefined;
}

/** Parses IPv6 text (RFC 4291 §2.2, with `::` and a trailing dotted IPv4) into 16 octets, or `undefined`. */
export function parseIpv6(text: string): Uint8Array | undefined {
  if (text.length === 0 || text.length > 45) return undefined;
  const dbl = text.indexOf('::');
  if (dbl >= 0 && text.indexOf('::', dbl + 1) >= 0) return undefined;
  const splitGroups = (s: string): string[] => (s.length === 0 ? [] : s.split(':'));
  const head = dbl >= 0 ? splitGroups(text.slice(0, dbl)) : splitGroups(text);
  const tail = dbl >= 0 ? splitGroups(text.slice(dbl + 2)) : [];
  const words: number[] = [];
  const tailWords: number[] = [];
  // Each side is a list of hex groups; the last group of the whole text may be dotted IPv4.
  const readSide = (groups: string[], into: number[], mayEndInIpv4: boolean): boolean => {
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i] ?? '';
      if (mayEndInIpv4 && i === groups.length - 1 && g.includes('.')) {
        const v4 = parseIpv4(g);
        if (v4 === undefined) return false;
        into.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
        continue;
      }
      if (!HEX_GROUP.test(g)) return false;
      into.push(parseInt(g, 16));
    }
    return true;
  };
  if (dbl >= 0) {
    if (!readSide(head, words, false) || !readSide(tail, tailWords, true)) return undefined;
    // `::` stands for at least one zero group (RFC 5952 §4.2.2 forbids it for exactly one on
    // output, RFC 4291 allows it on input).
    if (words.length + tailWords.length > 7) return undefined;
    while (words.length + tailWords.length < 8) words.push(0);
    words.push(...tailWords);
  } else {
    if (!readSide(head, words, true)) return undefined;
    if (words.length !== 8) return undefined;
  }
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const w = words[i] ?? 0;
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  }
  return out;
}

/** Parses IPv4 or IPv6 text; the family is told by the presence of a colon. */
export function parseIp(text: string): IpAddress | undefined {
  if (text.includes(':')) {
    const bytes = parseIpv6(text);
    return bytes === undefined ? undefined : { family: 6, bytes };
  }
  const bytes = parseIpv4(text);
  return bytes === undefined ? undefined : { family: 4, bytes };
}

/** The family of an address text, or `undefined` when it is not an address. */
export function ipFamily(text: string): IpFamily | undefined {
  return parseIp(text)?.family;
}

/** Parses text of the given family only. */
export function parseIpOfFamily(text: string, family: IpFamily): Uint8Array | undefined {
  return family === 4 ? parseIpv4(text) : parseIpv6(text);
}

export function formatIpv4(bytes: Uint8Array, offset = 0): string {
  return `${bytes[offset] ?? 0}.${bytes[offset + 1] ?? 0}.${bytes[offset + 2] ?? 0}.${bytes[offset + 3] ?? 0}`;
}

/** RFC 5952 canonical text of the 16 octets at `offset`. */
export function formatIpv6(bytes: Uint8Array, offset = 0): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push(((bytes[offset + 2 * i] ?? 0) << 8) | (bytes[offset + 2 * i + 1] ?? 0));
  // RFC 5952 §5: IPv4-mapped addresses (::ffff:0:0/96) keep the dotted quad.
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) {
    return `::ffff:${formatIpv4(bytes, offset + 12)}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]): string => ws.map((w) => w.toString(16)).join(':');
  if (bestLen < 2) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
}

export function formatIp(addr: IpAddress): string {
  return addr.family === 4 ? formatIpv4(addr.bytes) : formatIpv6(addr.bytes);
}

/** Canonical text of an address text (`2001:DB8:0::1` -> `2001:db8::1`), or `undefined`. */
export function canonicalIp(text: string): string | undefined {
  const a = parseIp(text);
  return a === undefined ? undefined : formatIp(a);
}

/**
 * Total order: IPv4 before IPv6, then by octets as unsigned numbers. This is the order VRRP uses
 * to break a priority tie ("the higher primary IP address wins", RFC 3768 §6.4.3).
 */
export function compareIp(a: IpAddress, b: IpAddress): number {
  if (a.family !== b.family) return a.family - b.family;
  for (let i = 0; i < a.bytes.length; i++) {
    const d = (a.bytes[i] ?? 0) - (b.bytes[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

export function ipEquals(a: IpAddress, b: IpAddress): boolean {
  return compareIp(a, b) === 0;
}

/** Parses `address/length` (or a bare address, as a host prefix). */
export function parsePrefix(text: string): IpPrefix | undefined {
  const slash = text.indexOf('/');
  const address = parseIp(slash >= 0 ? text.slice(0, slash) : text);
  if (address === undefined) return undefined;
  const max = address.family === 4 ? 32 : 128;
  if (slash < 0) return { address, length: max };
  const lenText = text.slice(slash + 1);
  if (!/^(?:0|[1-9][0-9]{0,2})$/.test(lenText)) return undefined;
  const length = Number(lenText);
  if (length > max) return undefined;
  return { address, length };
}

/** Whether `addr` lies inside `prefix` (same family and the first `length` bits equal). */
export function prefixContains(prefix: IpPrefix, addr: IpAddress): boolean {
  if (prefix.address.family !== addr.family) return false;
  let bits = prefix.length;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((((prefix.address.bytes[i] ?? 0) ^ (addr.bytes[i] ?? 0)) & mask) !== 0) return false;
  }
  return true;
}

/**
 * An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, RFC 4291 §2.5.5.2) as its 4 IPv4 octets; any
 * other address unchanged. A dual-stack listener reports IPv4 clients this way, and nginx sees
 * such clients as AF_INET, so address-hashing pickers must hash them as IPv4.
 */
export function unmapIpv4(bytes: Uint8Array): Uint8Array {
  if (bytes.length !== 16 || bytes[10] !== 0xff || bytes[11] !== 0xff) return bytes;
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return bytes;
  return bytes.slice(12);
}

/**
 * A peer address as bytes (4 for IPv4, 16 for IPv6), as the balancers see it: an optional
 * `[...]` around IPv6 and a `%zone` index are ignored (a socket reports link-local peers with
 * their zone), and an IPv4-mapped address is the IPv4 address (see `unmapIpv4`).
 */
export function parsePeerIp(text: string): Uint8Array | undefined {
  let t = text;
  if (t.startsWith('[') && t.endsWith(']')) t = t.slice(1, -1);
  const zone = t.indexOf('%');
  if (zone >= 0) t = t.slice(0, zone);
  const addr = parseIp(t);
  return addr === undefined ? undefined : unmapIpv4(addr.bytes);
}

/** Text of 4 or 16 address octets (IPv4 dotted, IPv6 canonical). */
export function formatIpBytes(bytes: Uint8Array): string {
  return bytes.length === 4 ? formatIpv4(bytes) : formatIpv6(bytes);
}

/**
 * The address reduced to 32 bits: IPv4 as a number in network order, IPv6 as the XOR of its four
 * 32-bit words (the fold LVS uses before hashing an IPv6 address).
 */
export function foldAddress(bytes: Uint8Array): number {
  let v = 0;
  for (let i = 0; i + 3 < bytes.length; i += 4) {
    v ^= (((bytes[i] ?? 0) << 24) | ((bytes[i + 1] ?? 0) << 16) | ((bytes[i + 2] ?? 0) << 8) | (bytes[i + 3] ?? 0)) >>> 0;
  }
  return v >>> 0;
}

/** Keeps the first `prefixLen` bits of an address (clamped to 0..its length in bits). */
export function maskAddress(bytes: Uint8Array, prefixLen: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  const bits = Math.max(0, Math.min(prefixLen, bytes.length * 8));
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    out[i] = (bytes[i] ?? 0) & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}

/** The prefix length of a contiguous IPv4 netmask (`255.255.255.0` → 24), or undefined. */
export function netmaskPrefix(mask: string): number | undefined {
  const b = parseIpv4(mask);
  if (b === undefined) return undefined;
  const v = (((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0)) >>> 0;
  const prefix = Math.clz32(~v >>> 0);
  const rebuilt = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return rebuilt === v ? prefix : undefined;
}
