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
