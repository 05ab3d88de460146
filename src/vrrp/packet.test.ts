import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeAdvert, encodeAdvert } from './packet.js';
import type { DecodeResult, VrrpAdvert } from './packet.js';

const V4 = { family: 4 as const, src: '10.199.0.1', dst: '224.0.0.18', ttl: 255 };
const V6 = { family: 6 as const, src: 'fe80::1', dst: 'ff02::12', ttl: 255 };

function enc(a: VrrpAdvert, ip: { src: string; dst: string; checksumMode?: 'pseudo-header' | 'v2-style' }): Uint8Array {
  const r = encodeAdvert(a, ip);
  assert.ok(r.ok, r.ok ? '' : r.detail);
  return r.bytes;
}

function reason(r: DecodeResult): string {
  return r.ok ? 'ok' : r.reason;
}

const v2pass: VrrpAdvert = {
  version: 2, vrid: 51, priority: 100, advertIntervalCs: 100, authType: 1, authData: '1111',
  addresses: ['192.168.200.16', '192.168.200.17'], family: 4,
};

test('v2 PASS advert: layout of RFC 3768 §5.1', () => {
  const b = enc(v2pass, V4);
  assert.equal(b.length, 8 + 2 * 4 + 8);
  assert.deepEqual([...b.subarray(0, 6)], [0x21, 51, 100, 2, 1, 1]);
  assert.deepEqual([...b.subarray(8, 16)], [192, 168, 200, 16, 192, 168, 200, 17]);
  assert.deepEqual([...b.subarray(16)], [0x31, 0x31, 0x31, 0x31, 0, 0, 0, 0]);
  const d = decodeAdvert(b, V4, { authType: 1, authData: '1111', advertIntervalCs: 100 });
  assert.deepEqual(d, { ok: true, advert: v2pass, checksumMode: 'v2-style' });
});

test('v3 IPv4 interval is 12-bit centiseconds and the checksum mode decides the checksum', () => {
  const a: VrrpAdvert = { version: 3, vrid: 7, priority: 200, advertIntervalCs: 50, authType: 0, addresses: ['10.0.0.1'], family: 4 };
  const ph = enc(a, { src: V4.src, dst: V4.dst });
  const v2s = enc(a, { src: V4.src, dst: V4.dst, checksumMode: 'v2-style' });
  assert.deepEqual([...ph.subarray(0, 6)], [0x31, 7, 200, 1, 0, 50]);
  assert.notDeepEqual([...ph.subarray(6, 8)], [...v2s.subarray(6, 8)]);
  assert.equal(reason(decodeAdvert(ph, V4)), 'ok');
  assert.equal(reason(decodeAdvert(v2s, V4)), 'checksum_err');
  assert.equal(reason(decodeAdvert(v2s, V4, { checksumMode: 'v2-style' })), 'ok');
  assert.equal(reason(decodeAdvert(ph, V4, { checksumMode: 'v2-style' })), 'checksum_err');
  const either1 = decodeAdvert(ph, V4, { checksumMode: 'either' });
  const either2 = decodeAdvert(v2s, V4, { checksumMode: 'either' });
  assert.ok(either1.ok && either1.checksumMode === 'pseudo-header');
  assert.ok(either2.ok && either2.checksumMode === 'v2-style');
  // The pseudo-header covers the addresses: the same bytes from another source do not verify.
  assert.equal(reason(decodeAdvert(ph, { ...V4, src: '10.199.0.2' })), 'checksum_err');
});

test('v3 IPv6 advert round-trips with canonical addresses', () => {
  const a: VrrpAdvert = { version: 3, vrid: 1, priority: 255, advertIntervalCs: 4095, authType: 0, addresses: ['fe80::1:2', '2001:db8::10'], family: 6 };
  const b = enc(a, V6);
  assert.equal(b.length, 8 + 32);
  assert.deepEqual(decodeAdvert(b, V6), { ok: true, advert: a, checksumMode: 'pseudo-header' });
  assert.equal(reason(decodeAdvert(b, { ...V6, dst: 'ff02::13' })), 'checksum_err');
});

test('receive checks name their reason', () => {
  const b = enc(v2pass, V4);
  assert.equal(reason(decodeAdvert(b, { ...V4, ttl: 254 })), 'ip_ttl_err');
  assert.equal(reason(decodeAdvert(b, { ...V4, ttl: 64 }, { multicast: false })), 'ok');
  assert.equal(reason(decodeAdvert(b.subarray(0, 7), V4)), 'packet_len_err');
  assert.equal(reason(decodeAdvert(b.subarray(0, 15), V4)), 'packet_len_err');
  assert.equal(reason(decodeAdvert(b, V4, { version: 3 })), 'version_err');
  assert.equal(reason(decodeAdvert(b, V6)), 'version_err');
  assert.equal(reason(decodeAdvert(b, V4, { vrid: 52 })), 'vrid_err');
  assert.equal(reason(decodeAdvert(b, V4, { authType: 0 })), 'authtype_mismatch');
  assert.equal(reason(decodeAdvert(b, V4, { authData: '2222' })), 'auth_failure');
  assert.equal(reason(decodeAdvert(b, V4, { advertIntervalCs: 300 })), 'advert_interval_err');
  assert.equal(reason(decodeAdvert(b, V4, { addresses: ['192.168.200.16'] })), 'addr_list_err');
  assert.equal(reason(decodeAdvert(b, V4, { addresses: ['192.168.200.17', '192.168.200.16'] })), 'ok');
  const bad = Uint8Array.from(b);
  bad[9] = (bad[9] ?? 0) ^ 1;
  assert.equal(reason(decodeAdvert(bad, V4)), 'checksum_err');
  const typ = Uint8Array.from(b);
  typ[0] = 0x22;
  assert.equal(reason(decodeAdvert(typ, V4)), 'invalid_type_rcvd');
});

test('encode refuses what the wire cannot carry', () => {
  const bad: VrrpAdvert[] = [
    { ...v2pass, advertIntervalCs: 150 },
    { ...v2pass, vrid: 0 },
    { ...v2pass, authData: '123456789' },
    { ...v2pass, authType: 2 },
    { ...v2pass, addresses: ['::1'] },
    { version: 3, vrid: 1, priority: 1, advertIntervalCs: 4096, authType: 0, addresses: [], family: 4 },
    { version: 2, vrid: 1, priority: 1, advertIntervalCs: 100, authType: 0, addresses: [], family: 6 },
  ];
  for (const a of bad) assert.equal(encodeAdvert(a, V4).ok, false, JSON.stringify(a));
});

/** Rewrites the checksum of a hand-edited v2 (or v3 v2-style) message so that only the edit is tested. */
function fixV2Checksum(b: Uint8Array): Uint8Array {
  let sum = 0;
  b[6] = 0;
  b[7] = 0;
  for (let i = 0; i < b.length; i += 2) sum += ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const c = ~sum & 0xffff;
  b[6] = c >> 8;
  b[7] = c & 0xff;
  return b;
}

test('v2 auth types: 2 (AH) and unknown types are invalid_authtype, type 0 ignores the auth octets', () => {
  const none: VrrpAdvert = { ...v2pass, authType: 0 } as VrrpAdvert;
  const { authData: _unused, ...noAuth } = none;
  const b = enc(noAuth, V4);
  for (const at of [2, 3, 255]) {
    const x = Uint8Array.from(b);
    x[4] = at;
    const d = decodeAdvert(fixV2Checksum(x), V4);
    assert.equal(reason(d), 'invalid_authtype');
    assert.ok(!d.ok && d.detail.includes(String(at)));
  }
  const junk = Uint8Array.from(b);
  junk.set([1, 2, 3, 4, 5, 6, 7, 8], junk.length - 8);
  const d = decodeAdvert(fixV2Checksum(junk), V4, { authType: 0 });
  assert.deepEqual(d, { ok: true, advert: noAuth, checksumMode: 'v2-style' });
});

test('v2 PASS compares all 8 octets, as keepalived does', () => {
  const b = enc({ ...v2pass, authData: 'abc\u0000def' }, V4);
  assert.equal(reason(decodeAdvert(b, V4, { authData: 'abc' })), 'auth_failure');
  assert.equal(reason(decodeAdvert(b, V4, { authData: 'abc\u0000def' })), 'ok');
  const full = enc({ ...v2pass, authData: '12345678' }, V4);
  assert.equal(reason(decodeAdvert(full, V4, { authData: '1234567' })), 'auth_failure');
  assert.equal(reason(decodeAdvert(full, V4, { authData: '123456789' })), 'auth_failure');
  assert.equal(reason(decodeAdvert(full, V4, { authData: '12345678' })), 'ok');
  // A password is sent as UTF-8: 'é' is two octets.
  assert.equal(encodeAdvert({ ...v2pass, authData: 'éééé' }, V4).ok, true);
  assert.equal(encodeAdvert({ ...v2pass, authData: 'ééééé' }, V4).ok, false);
});

test('VRID 0 and an interval of 0 are rejected; v3 reserved bits are ignored on receive', () => {
  const a: VrrpAdvert = { version: 3, vrid: 7, priority: 200, advertIntervalCs: 100, authType: 0, addresses: ['10.0.0.1'], family: 4 };
  const v2s = { src: V4.src, dst: V4.dst, checksumMode: 'v2-style' as const };
  const b = enc(a, v2s);
  const vrid0 = Uint8Array.from(b);
  vrid0[1] = 0;
  assert.equal(reason(decodeAdvert(fixV2Checksum(vrid0), V4, { checksumMode: 'v2-style' })), 'vrid_err');
  const int0 = Uint8Array.from(b);
  int0[4] = 0;
  int0[5] = 0;
  assert.equal(reason(decodeAdvert(fixV2Checksum(int0), V4, { checksumMode: 'v2-style' })), 'advert_interval_err');
  const rsvd = Uint8Array.from(b);
  rsvd[4] = (rsvd[4] ?? 0) | 0xf0;
  assert.deepEqual(decodeAdvert(fixV2Checksum(rsvd), V4, { checksumMode: 'v2-style' }), { ok: true, advert: a, checksumMode: 'v2-style' });
  const v2int0 = enc(v2pass, V4);
  v2int0[5] = 0;
  assert.equal(reason(decodeAdvert(fixV2Checksum(v2int0), V4)), 'advert_interval_err');
});

test('v3 learns the interval: a v3 advert is not checked against the configured one', () => {
  const a: VrrpAdvert = { version: 3, vrid: 7, priority: 200, advertIntervalCs: 37, authType: 0, addresses: [], family: 4 };
  assert.equal(reason(decodeAdvert(enc(a, V4), V4, { advertIntervalCs: 100 })), 'ok');
});

test('an IP context the checksum cannot use is a checksum_err, not an exception', () => {
  const a: VrrpAdvert = { version: 3, vrid: 7, priority: 200, advertIntervalCs: 100, authType: 0, addresses: [], family: 4 };
  const b = enc(a, V4);
  assert.equal(reason(decodeAdvert(b, { ...V4, src: 'fe80::1' })), 'checksum_err');
  assert.equal(reason(decodeAdvert(b, { ...V4, dst: 'nonsense' })), 'checksum_err');
  assert.equal(reason(decodeAdvert(b, { ...V4, family: 5 as 4 })), 'version_err');
});

test('the first failing check in RFC order names the rejection', () => {
  const b = enc(v2pass, V4);
  const x = Uint8Array.from(b);
  x[9] = (x[9] ?? 0) ^ 1; // bad checksum ...
  assert.equal(reason(decodeAdvert(x, { ...V4, ttl: 1 })), 'ip_ttl_err'); // ... but the TTL comes first
  assert.equal(reason(decodeAdvert(x, V4, { authData: 'wrong' })), 'checksum_err'); // checksum before auth
});
