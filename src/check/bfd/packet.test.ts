import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeBfd, encodeBfd, newBfdCounters, ttlAcceptable, BFD_REJECT_REASONS, type BfdPacketFields } from './packet.js';

/** Hand-built from RFC 5880 §4.1: Vers 1, Diag 0, Sta Down (1), no flags, mult 3, len 24. */
const DOWN_HELLO = Uint8Array.from([
  0x20, 0x40, 0x03, 0x18,
  0x00, 0x00, 0x00, 0x2a, // My Discriminator 42
  0x00, 0x00, 0x00, 0x00, // Your Discriminator 0
  0x00, 0x0f, 0x42, 0x40, // Desired Min TX 1,000,000 µs
  0x00, 0x00, 0x27, 0x10, // Required Min RX 10,000 µs
  0x00, 0x00, 0x00, 0x00, // Required Min Echo RX 0
]);

/** Vers 1, Diag 1 (detection time expired), Sta Up (3) with Poll, mult 5. */
const UP_POLL = Uint8Array.from([
  0x21, 0xe0, 0x05, 0x18,
  0x12, 0x34, 0x56, 0x78,
  0x9a, 0xbc, 0xde, 0xf0,
  0x00, 0x00, 0x27, 0x10,
  0x00, 0x00, 0x4e, 0x20,
  0x00, 0x00, 0x00, 0x00,
]);

test('decodes a Down packet built by hand from the RFC 5880 field layout', () => {
  const r = decodeBfd(DOWN_HELLO);
  assert.ok(r.ok);
  assert.equal(r.packet.version, 1);
  assert.equal(r.packet.diag, 0);
  assert.equal(r.packet.state, 'Down');
  assert.equal(r.packet.poll, false);
  assert.equal(r.packet.final, false);
  assert.equal(r.packet.detectMult, 3);
  assert.equal(r.packet.myDiscr, 42);
  assert.equal(r.packet.yourDiscr, 0);
  assert.equal(r.packet.desiredMinTxUs, 1_000_000);
  assert.equal(r.packet.requiredMinRxUs, 10_000);
  assert.equal(r.packet.requiredMinEchoRxUs, 0);
});

test('decodes state, diag, poll and high discriminators bit-exactly', () => {
  const r = decodeBfd(UP_POLL);
  assert.ok(r.ok);
  assert.equal(r.packet.state, 'Up');
  assert.equal(r.packet.diag, 1);
  assert.equal(r.packet.poll, true);
  assert.equal(r.packet.final, false);
  assert.equal(r.packet.myDiscr, 0x12345678);
  assert.equal(r.packet.yourDiscr, 0x9abcdef0);
  assert.equal(r.packet.desiredMinTxUs, 10_000);
  assert.equal(r.packet.requiredMinRxUs, 20_000);
});

test('encodes the same bytes the RFC layout gives', () => {
  const down: BfdPacketFields = { diag: 0, state: 'Down', poll: false, final: false, detectMult: 3, myDiscr: 42, yourDiscr: 0, desiredMinTxUs: 1_000_000, requiredMinRxUs: 10_000 };
  assert.deepEqual(encodeBfd(down), DOWN_HELLO);
  const up: BfdPacketFields = { diag: 1, state: 'Up', poll: true, final: false, detectMult: 5, myDiscr: 0x12345678, yourDiscr: 0x9abcdef0, desiredMinTxUs: 10_000, requiredMinRxUs: 20_000 };
  assert.deepEqual(encodeBfd(up), UP_POLL);
  const fin = encodeBfd({ ...up, poll: false, final: true, state: 'Init' });
  assert.equal(fin[1], 0x90); // Sta 2 (Init) << 6 | F
});

function mutate(base: Uint8Array, at: number, value: number): Uint8Array {
  const b = Uint8Array.from(base);
  b[at] = value;
  return b;
}

test('every RFC 5880 §6.8.6 reception check rejects with its own reason', () => {
  const cases: [string, Uint8Array][] = [
    ['too_short', DOWN_HELLO.subarray(0, 23)],
    ['bad_version', mutate(DOWN_HELLO, 0, 0x40)],
    ['bad_length', mutate(DOWN_HELLO, 3, 23)],
    ['length_exceeds_payload', mutate(DOWN_HELLO, 3, 25)],
    ['zero_detect_mult', mutate(DOWN_HELLO, 2, 0)],
    ['multipoint_set', mutate(DOWN_HELLO, 1, 0x41)],
    ['zero_my_discr', mutate(DOWN_HELLO, 7, 0)],
    ['zero_your_discr_bad_state', mutate(DOWN_HELLO, 1, 0xc0)],
    ['auth_not_supported', Uint8Array.from([...mutate(mutate(DOWN_HELLO, 1, 0x44), 3, 26), 1, 2])],
  ];
  for (const [reason, bytes] of cases) {
    const r = decodeBfd(bytes);
    assert.equal(r.ok, false, reason);
    if (!r.ok) assert.equal(r.reason, reason);
  }
  // AdminDown with Your Discriminator 0 is allowed, like Down.
  assert.ok(decodeBfd(mutate(DOWN_HELLO, 1, 0x00)).ok);
  const counters = newBfdCounters();
  for (const r of BFD_REJECT_REASONS) assert.equal(counters[r], 0);
});

test('TTL check: 255 only, relaxed by max_hops, off at 255', () => {
  assert.equal(ttlAcceptable(255, 0), true);
  assert.equal(ttlAcceptable(254, 0), false);
  assert.equal(ttlAcceptable(253, 2), true);
  assert.equal(ttlAcceptable(252, 2), false);
  assert.equal(ttlAcceptable(1, 255), true);
});

const seed = process.env['HALO_SEED'] !== undefined ? Number(process.env['HALO_SEED']) : undefined;
const params = seed !== undefined ? { seed } : {};

test('property: decode never throws on any bytes', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
    const r = decodeBfd(bytes);
    return typeof r.ok === 'boolean';
  }), params);
});

test('property: encode then decode gives back the fields', () => {
  const fields = fc.record({
    diag: fc.integer({ min: 0, max: 31 }),
    state: fc.constantFrom('Down' as const, 'Init' as const, 'Up' as const, 'AdminDown' as const),
    poll: fc.boolean(),
    final: fc.boolean(),
    detectMult: fc.integer({ min: 1, max: 255 }),
    myDiscr: fc.integer({ min: 1, max: 0xffffffff }),
    yourDiscr: fc.integer({ min: 1, max: 0xffffffff }),
    desiredMinTxUs: fc.integer({ min: 0, max: 0xffffffff }),
    requiredMinRxUs: fc.integer({ min: 0, max: 0xffffffff }),
  });
  fc.assert(fc.property(fields, (f) => {
    const r = decodeBfd(encodeBfd(f));
    assert.ok(r.ok);
    assert.deepEqual(
      { diag: r.packet.diag, state: r.packet.state, poll: r.packet.poll, final: r.packet.final, detectMult: r.packet.detectMult, myDiscr: r.packet.myDiscr, yourDiscr: r.packet.yourDiscr, desiredMinTxUs: r.packet.desiredMinTxUs, requiredMinRxUs: r.packet.requiredMinRxUs },
      { ...f },
    );
  }), params);
});
