import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassiveHealth, countsAsFailure, shouldRetry, failureStatus, type RetryContext } from './passive.js';

const peers = [
  { id: 'a', maxFails: 2, failTimeoutMs: 3000 },
  { id: 'b', maxFails: 2, failTimeoutMs: 3000 },
];

test('max_fails failures take a backend out for fail_timeout (seed 003: max_fails=2 fail_timeout=3)', () => {
  const h = new PassiveHealth(peers);
  h.picked('a', 0);
  h.finished('a', true, 0);
  assert.equal(h.isAvailable('a', 100), true, 'one failure of two is not enough');
  h.picked('a', 500);
  h.finished('a', true, 500);
  assert.equal(h.isAvailable('a', 501), false);
  assert.deepEqual(h.unavailable(501), new Set(['a']));
  assert.equal(h.isAvailable('a', 3500), false, 'out for fail_timeout after the last failure');
  assert.equal(h.isAvailable('a', 3501), true, 'back after fail_timeout');
  assert.equal(h.isAvailable('b', 501), true);
});

test('after the window exactly one probe request goes to the backend, and its success restores it', () => {
  const h = new PassiveHealth(peers);
  for (const t of [0, 10]) {
    h.picked('a', t);
    h.finished('a', true, t);
  }
  assert.equal(h.isAvailable('a', 3011), true);
  h.picked('a', 3011); // the probe
  assert.equal(h.isAvailable('a', 3012), false, 'a second request in the same window is not sent');
  h.finished('a', false, 3050);
  assert.equal(h.fails('a'), 0);
  assert.equal(h.isAvailable('a', 3051), true);
  assert.equal(h.unavailable(3051), undefined);
});

test('a failed probe keeps it out for another fail_timeout', () => {
  const h = new PassiveHealth(peers);
  for (const t of [0, 10]) {
    h.picked('a', t);
    h.finished('a', true, t);
  }
  h.picked('a', 4000);
  h.finished('a', true, 4100);
  assert.equal(h.isAvailable('a', 7100), false);
  assert.equal(h.isAvailable('a', 7101), true);
});

test('failures count within fail_timeout: a success inside the window does not reset, one after it does', () => {
  const h = new PassiveHealth(peers);
  h.picked('a', 0);
  h.finished('a', true, 0);
  h.picked('a', 1000);
  h.finished('a', false, 1000);
  assert.equal(h.fails('a'), 1, 'success in the same window leaves the failure counted');
  h.picked('a', 5000);
  h.finished('a', false, 5000);
  assert.equal(h.fails('a'), 0, 'success after the window resets');
});

test('max_fails=0 disables accounting; a single-server upstream is never taken out', () => {
  const h = new PassiveHealth([{ id: 'a', maxFails: 0, failTimeoutMs: 10 }, { id: 'b', maxFails: 1, failTimeoutMs: 10 }]);
  h.finished('a', true, 0);
  h.finished('a', true, 0);
  assert.equal(h.isAvailable('a', 1), true);
  const s = new PassiveHealth([{ id: 'x', maxFails: 1, failTimeoutMs: 10_000 }]);
  s.finished('x', true, 0);
  assert.equal(s.isAvailable('x', 1), true);
});

test('which outcomes count as failures (nginx proxy_next_upstream docs)', () => {
  const none: never[] = [];
  assert.equal(countsAsFailure({ kind: 'error' }, none), true);
  assert.equal(countsAsFailure({ kind: 'timeout' }, none), true);
  assert.equal(countsAsFailure({ kind: 'invalid_header' }, none), true);
  assert.equal(countsAsFailure({ kind: 'ok', status: 502 }, ['error', 'timeout']), false);
  assert.equal(countsAsFailure({ kind: 'ok', status: 502 }, ['http_502']), true);
  assert.equal(countsAsFailure({ kind: 'ok', status: 429 }, ['http_429']), true);
  assert.equal(countsAsFailure({ kind: 'ok', status: 404 }, ['http_404']), false, '404 never counts');
  assert.equal(countsAsFailure({ kind: 'ok', status: 403 }, ['http_403']), false, '403 never counts');
  assert.equal(countsAsFailure({ kind: 'ok', status: 200 }, ['http_500']), false);
});

const base: RetryContext = {
  conditions: ['error', 'timeout'],
  method: 'GET',
  requestSent: true,
  clientBytesSent: false,
  replayable: true,
  attempts: 1,
  maxTries: 0,
  startedMs: 0,
  timeoutMs: 0,
  nowMs: 10,
};

test('retry rules: conditions, bytes to client, non-idempotent, tries and timeout', () => {
  assert.equal(shouldRetry({ kind: 'error' }, base), true);
  assert.equal(shouldRetry({ kind: 'invalid_header' }, base), false, 'not listed');
  assert.equal(shouldRetry({ kind: 'ok', status: 503 }, base), false);
  assert.equal(shouldRetry({ kind: 'ok', status: 503 }, { ...base, conditions: ['http_503'] }), true);
  assert.equal(shouldRetry({ kind: 'ok', status: 404 }, { ...base, conditions: ['http_404'] }), true, '404 retries when listed though it never counts');
  assert.equal(shouldRetry({ kind: 'error' }, { ...base, conditions: [] }), false, 'proxy_next_upstream off');
  assert.equal(shouldRetry({ kind: 'error' }, { ...base, clientBytesSent: true }), false);
  assert.equal(shouldRetry({ kind: 'error' }, { ...base, method: 'POST' }), false);
  assert.equal(shouldRetry({ kind: 'error' }, { ...base, method: 'POST', requestSent: false }), true, 'connect failures retry even for POST');
  assert.equal(shouldRetry({ kind: 'error' }, { ...base, method: 'PATCH', conditions: ['error', 'non_idempotent'] }), true);
  assert.equal(shouldRetry({ kind: 'error' }, { ...base, maxTries: 1 }), false);
  assert.equal(shouldRetry({ kind: 'error' }, { ...base, maxTries: 2 }), true);
  assert.equal(shouldRetry({ kind: 'error' }, { ...base, timeoutMs: 10 }), false);
  assert.equal(shouldRetry({ kind: 'error' }, { ...base, replayable: false }), false);
  assert.equal(failureStatus({ kind: 'timeout' }), 504);
  assert.equal(failureStatus({ kind: 'error' }), 502);
  assert.equal(failureStatus({ kind: 'invalid_header' }), 502);
});
