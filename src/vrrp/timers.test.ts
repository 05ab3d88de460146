import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { masterDownIntervalMs, skewTimeMs, advertIntervalMs } from './timers.js';

const seed = process.env.HALO_SEED === undefined ? {} : { seed: Number(process.env.HALO_SEED) };

test('v2 skew is (256 - priority)/256 s and does not scale with the interval (RFC 3768 §6.1)', () => {
  assert.equal(skewTimeMs(2, 100, 100), 609.375);
  assert.equal(skewTimeMs(2, 100, 500), 609.375);
  assert.equal(skewTimeMs(2, 90, 100), 648.4375);
  assert.equal(skewTimeMs(2, 254, 100), 7.8125);
});

test('v3 skew scales with Master_Adver_Interval (RFC 5798 §6.1)', () => {
  assert.equal(skewTimeMs(3, 100, 100), 609.375);
  assert.equal(skewTimeMs(3, 100, 200), 1218.75);
  assert.equal(skewTimeMs(3, 100, 50), 304.6875);
});

test('Master_Down_Interval is down_timer_adverts x interval + skew', () => {
  assert.equal(masterDownIntervalMs(2, 90, 100), 3648.4375);
  assert.equal(masterDownIntervalMs(2, 90, 200), 6648.4375);
  assert.equal(masterDownIntervalMs(3, 90, 200), 6000 + 1296.875);
  assert.equal(masterDownIntervalMs(2, 90, 100, 5), 5648.4375);
  assert.equal(advertIntervalMs(150), 1500);
});

test('a higher priority always waits less (the best backup takes over first)', () => {
  fc.assert(
    fc.property(fc.constantFrom(2 as const, 3 as const), fc.integer({ min: 1, max: 253 }), fc.integer({ min: 1, max: 4095 }), (v, p, cs) => {
      assert.ok(masterDownIntervalMs(v, p + 1, cs) < masterDownIntervalMs(v, p, cs));
      assert.ok(skewTimeMs(v, p, cs) > 0);
      assert.ok(masterDownIntervalMs(v, p, cs) > 3 * cs * 10);
    }),
    seed,
  );
});
