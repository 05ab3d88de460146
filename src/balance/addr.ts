/**
 * Client addresses as bytes, for the pickers that hash them (nginx ip_hash, LVS sh/dh/mh) and for
 * persistence granularity. Pure and total: text that is not an address gives undefined.
 */

/** Parses dotted-quad IPv4 (exactly four decimal parts, each 0..255). */
export function parseIpv4(text: string): Uint8Array | undefined {
  // By hand, not split/regex: this runs on every pick of the address-hashing pickers.
  if (text.length < 7 || text.length > 15) return undefined;
  const out = new Uint8Array(4);
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      value = value * 10 + (c - 0x30);
      digits += 1;
      if (digits > 3 || value > 255) return undefined;
    } else if (c === 0x2e /* . */) {
      if (digits === 0 || part === 3) return undefined;
      out[part++] = value;
      value = 0;
      digits = 0;
    } else return undefined;
  }
  if (digits === 0 || part !== 3) return undefined;
  out[3] = value;
  return out;
}

/** Parses IPv6 text (with `::`, an embedded IPv4 tail, and an optional `%zone` that is ignored). */
export function parseIpv6(text: string): Uint8Array | undefined {
  let t = text;
  if (t.startsWith('[') && t.endsWith(']')) t = t.slice(1, -1);
  const zone = t.indexOf('%');
  if (zone >= 0) t = t.slice(0, zone);
  if (t.length === 0 || t.length > 45) return undefined;
  const halves = t.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const groups: number[] = [];
    const items = s.split(':');
    for (let i = 0; i < items.length; i++) {
      const item = items[i] ?? '';
      if (i === items.length - 1 && item.includes('.')) {
        const v4 = parseIpv4(item);
        if (v4 === undefined) return undefined;
        groups.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(item)) return undefined;
      groups.push(parseInt(item, 16));
    }
    return groups;
  };
  const head = parseGroups(halves[0] ?? '');
  const tail = halves.length === 2 ? parseGroups(halves[1] ?? '') : [];
  if (head === undefined || tail === undefined) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return undefined;
    groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    groups = head;
  }
  if (groups.length !== 8) return undefined;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

/**
 * An address as bytes: 4 for IPv4, 16 for IPv6. An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`,
 * what a dual-stack listener reports for an IPv4 client) is the IPv4 address, so that a client
 * hashes the same whichever way the service listens (nginx sees such clients as AF_INET).
 */
export function parseIp(text: string): Uint8Array | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return v4;
  const v6 = parseIpv6(text);
  if (v6 === undefined) return undefined;
  let mapped = true;
  for (let i = 0; i < 10; i++) if (v6[i] !== 0) mapped = false;
  if (mapped && v6[10] === 0xff && v6[11] === 0xff) return v6.slice(12);
  return v6;
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

/** Keeps the first `prefixLen` bits of an address. */
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

export function formatBytes(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < bytes.length; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return groups.join(':');
}
