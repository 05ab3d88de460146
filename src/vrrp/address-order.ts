/**
 * Numeric order of IP addresses, for the tie-break of equal priorities: RFC 5798 §6.4.3 compares
 * "the primary IPvX address of the sender" with the local one "based on an unsigned integer
 * comparison of the IPvX addresses in network byte order". Comparing the text would get
 * 10.0.0.9 > 10.0.0.10 wrong.
 */

/** The address as an unsigned integer, or null when the text is not an address. */
export function addressToBigInt(text: string): bigint | null {
  if (text.includes(':')) return ipv6ToBigInt(text);
  return ipv4ToBigInt(text);
}

function ipv4ToBigInt(text: string): bigint | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return null;
    const n = Number(part);
    if (n > 255) return null;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function ipv6ToBigInt(text: string): bigint | null {
  const zone = text.indexOf('%');
  const body = zone >= 0 ? text.slice(0, zone) : text;
  const halves = body.split('::');
  if (halves.length > 2) return null;
  const parseGroups = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    const groups = s.split(':');
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i] ?? '';
      if (i === groups.length - 1 && g.includes('.')) {
        const v4 = ipv4ToBigInt(g);
        if (v4 === null) return null;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parseGroups(halves[0] ?? '');
  const tail = halves.length === 2 ? parseGroups(halves[1] ?? '') : [];
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt(g);
  return value;
}

/** Negative, zero or positive like a sort comparator; unparsable text sorts lowest. */
export function compareAddresses(a: string, b: string): number {
  const x = addressToBigInt(a);
  const y = addressToBigInt(b);
  if (x === null || y === null) return x === null ? (y === null ? 0 : -1) : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}
