/**
 * The hash functions the pickers need, each matching the program whose mapping halo reproduces.
 */

const CRC32_TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * CRC-32 (IEEE 802.3, reflected, the zlib one), which nginx's `ngx_crc32_*` computes. Kept as
 * init/update/final so that nginx's chained hashes (`hash`, `hash ... consistent`) are reproduced
 * byte for byte.
 */
export function crc32Init(): number {
  return 0xffffffff;
}

export function crc32Update(crc: number, bytes: Uint8Array): number {
  let c = crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = (CRC32_TABLE[(c ^ (bytes[i] ?? 0)) & 0xff] ?? 0) ^ (c >>> 8);
  return c >>> 0;
}

/** crc32Update over the UTF-8 bytes of `text`, without encoding when it is ASCII (the usual key). */
export function crc32UpdateString(crc: number, text: string): number {
  let c = crc >>> 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return crc32Update(crc32UpdateAscii(crc, text.slice(0, i)), utf8(text.slice(i)));
    c = (CRC32_TABLE[(c ^ code) & 0xff] ?? 0) ^ (c >>> 8);
  }
  return c >>> 0;
}

function crc32UpdateAscii(crc: number, text: string): number {
  let c = crc >>> 0;
  for (let i = 0; i < text.length; i++) c = (CRC32_TABLE[(c ^ text.charCodeAt(i)) & 0xff] ?? 0) ^ (c >>> 8);
  return c >>> 0;
}

export function crc32Final(crc: number): number {
  return (crc ^ 0xffffffff) >>> 0;
}

export function crc32(bytes: Uint8Array): number {
  return crc32Final(crc32Update(crc32Init(), bytes));
}

const encoder = new TextEncoder();

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * The Linux kernel's `hash_32(val, bits)`: multiply by the 32-bit golden ratio and keep the top
 * `bits` bits. LVS `sh` and `dh` place addresses in their 256 buckets with it.
 */
export function hash32(value: number, bits: number): number {
  return Math.imul(value >>> 0, 0x61c88647) >>> (32 - bits);
}

/**
 * A seeded 32-bit string hash (FNV-1a over UTF-8, finished with murmur3's avalanche). Used where
 * halo needs a good spread but no other program's exact mapping (Maglev permutations and lookups).
 */
export function hashString(text: string, seed: number): number {
  // Over UTF-16 code units (both bytes of each): no encoding on the pick path.
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    h = Math.imul(h ^ (code & 0xff), 0x01000193) >>> 0;
    if (code > 0xff) h = Math.imul(h ^ (code >>> 8), 0x01000193) >>> 0;
  }
  return fmix32(h);
}

export function hashBytes(bytes: Uint8Array, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ (bytes[i] ?? 0), 0x01000193) >>> 0;
  return fmix32(h);
}

/** murmur3's finaliser: every input bit affects every output bit. */
export function fmix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}
