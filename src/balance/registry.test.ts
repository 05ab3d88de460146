import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LVS_DEFAULT_PICKER, NGINX_DEFAULT_PICKER, PICKERS, createPicker, lookupPicker } from './registry.js';
import { SeededPrng } from '../core/prng.js';
import { weights } from './testkit.js';

test('every LVS scheduler and nginx method the issue lists is registered', () => {
  for (const n of ['rr', 'wrr', 'lc', 'wlc', 'sed', 'nq', 'dh', 'sh', 'mh', 'fo', 'ovf', 'twos', 'round_robin', 'least_conn', 'ip_hash', 'hash', 'random']) {
    assert.ok(PICKERS[n], n);
  }
  assert.ok(PICKERS[LVS_DEFAULT_PICKER]);
  assert.ok(PICKERS[NGINX_DEFAULT_PICKER]);
});

test('unknown names and flags give coded errors, not exceptions', () => {
  const a = lookupPicker('lblcr');
  assert.equal(a.ok, false);
  if (!a.ok) assert.equal(a.code, 'HALO_LB_UNKNOWN_ALGORITHM');
  const b = lookupPicker('rr', ['sh-port']);
  assert.equal(b.ok, false);
  if (!b.ok) {
    assert.equal(b.code, 'HALO_LB_UNKNOWN_FLAG');
    assert.match(b.message, /^Flag does not apply to rr: sh-port/);
  }
  assert.equal(lookupPicker('toString').ok, false);
});

test('hash with consistent is ketama, without it the crc32 hash', () => {
  const prng = new SeededPrng(1);
  const plain = createPicker('hash', weights({ a: 1, b: 1 }), { prng });
  const ketama = createPicker('hash', weights({ a: 1, b: 1 }), { prng, flags: new Set(['consistent']) });
  assert.ok(plain.ok && ketama.ok);
  if (plain.ok && ketama.ok) {
    assert.equal(plain.picker.name, 'hash');
    assert.equal(ketama.picker.name, 'hash consistent');
  }
});
