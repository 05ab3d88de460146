import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { countDecode, newRxCounters } from './counters.js';
import { DECODE_REASONS, decodeAdvert, encodeAdvert } from './packet.js';
import type { VrrpAdvert } from './packet.js';

test('every rejection reason has its own counter, and only that counter moves', () => {
  for (const reason of DECODE_REASONS) {
    const c = countDecode(newRxCounters(), { ok: false, reason, detail: 'x' });
    const moved = Object.entries(c).filter(([, v]) => v !== 0).map(([k]) => k);
    assert.deepEqual(moved, [reason]);
  }
});

test('accepted adverts count advert_rcvd, priority 0 and the v3 IPv4 checksum mode that matched', () => {
  const a: VrrpAdvert = { version: 3, vrid: 9, priority: 0, advertIntervalCs: 100, authType: 0, addresses: ['10.1.1.1'], family: 4 };
  const ip = { src: '10.199.0.1', dst: '224.0.0.18' };
  const rx = { family: 4 as const, ttl: 255, ...ip };
  const c = newRxCounters();
  for (const mode of ['pseudo-header', 'v2-style', 'v2-style'] as const) {
    const e = encodeAdvert(a, { ...ip, checksumMode: mode });
    assert.ok(e.ok);
    countDecode(c, decodeAdvert(e.bytes, rx, { checksumMode: 'either' }));
  }
  assert.equal(c.advert_rcvd, 3);
  assert.equal(c.pri_zero_rcvd, 3);
  assert.equal(c.checksum_pseudo_header_rcvd, 1);
  assert.equal(c.checksum_as_v2_rcvd, 2);
  assert.equal(c.checksum_err, 0);
});

test('docs/vrrp.md names every rejection reason and counter', () => {
  const doc = readFileSync(new URL('../../../docs/vrrp.md', import.meta.url), 'utf8');
  for (const name of Object.keys(newRxCounters())) assert.ok(doc.includes(`\`${name}\``), `docs/vrrp.md does not mention ${name}`);
});
