/**
 * Test-only VRRP packet builder, so the socket tests can speak to real keepalived before halo's
 * codec is wired in. RFC 3768 section 5 (v2) and RFC 5798 section 5 (v3); the v3 checksum covers
 * the IPv4 or IPv6 pseudo-header (RFC 5798 section 5.2.8).
 */
import { isIPv4 } from 'node:net';

/** The Internet checksum (RFC 1071) of the concatenated parts. */
export function inetChecksum(...parts: Uint8Array[]): number {
  let sum = 0;
  let odd: number | undefined;
  for (const part of parts) {
    for (const byte of part) {
      if (odd === undefined) odd = byte;
      else {
        sum += (odd << 8) | byte;
        odd = undefined;
      }
    }
  }
  if (odd !== undefined) sum += odd << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export function ipBytes(address: string): Uint8Array {
  if (isIPv4(address)) return Uint8Array.from(address.split('.').map(Number));
  const [head = '', tail = ''] = address.split('::');
  const h = head ? head.split(':') : [];
  const t = address.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  return out;
}

export function vrrpV2(vrid: number, priority: number, advertIntS: number, vips: readonly string[]): Uint8Array {
  const p = new Uint8Array(8 + vips.length * 4 + 8);
  p.set([0x21, vrid, priority, vips.length, 0, advertIntS, 0, 0]);
  vips.forEach((v, i) => p.set(ipBytes(v), 8 + i * 4));
  const c = inetChecksum(p);
  p[6] = c >> 8;
  p[7] = c & 0xff;
  return p;
}

export function vrrpV3(vrid: number, priority: number, advertIntCs: number, vips: readonly string[], src: string, dst: string): Uint8Array {
  const size = isIPv4(src) ? 4 : 16;
  const p = new Uint8Array(8 + vips.length * size);
  p.set([0x31, vrid, priority, vips.length, (advertIntCs >> 8) & 0x0f, advertIntCs & 0xff, 0, 0]);
  vips.forEach((v, i) => p.set(ipBytes(v), 8 + i * size));
  const pseudo =
    size === 4
      ? Uint8Array.from([...ipBytes(src), ...ipBytes(dst), 0, 112, p.length >> 8, p.length & 0xff])
      : Uint8Array.from([...ipBytes(src), ...ipBytes(dst), 0, 0, p.length >> 8, p.length & 0xff, 0, 0, 0, 112]);
  const c = inetChecksum(pseudo, p);
  p[6] = c >> 8;
  p[7] = c & 0xff;
  return p;
}

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
