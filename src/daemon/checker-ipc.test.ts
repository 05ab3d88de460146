import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseParentMessage, wireDiagnostic } from './checker-ipc.js';

test('parent messages are validated, and every rejection names its reason', () => {
  assert.deepEqual(parseParentMessage({ type: 'start', file: '/k.conf', configId: 'lb1' }), { ok: true, message: { type: 'start', file: '/k.conf', configId: 'lb1' } });
  assert.deepEqual(parseParentMessage({ type: 'start', file: '/k.conf', configId: 'lb1', slowStartMs: 500, notify: false, extra: 1 }), {
    ok: true,
    message: { type: 'start', file: '/k.conf', configId: 'lb1', slowStartMs: 500, notify: false },
  });
  assert.deepEqual(parseParentMessage({ type: 'address', vsId: '10.0.0.1:80', present: false }), { ok: true, message: { type: 'address', vsId: '10.0.0.1:80', present: false } });
  assert.deepEqual(parseParentMessage({ type: 'stop' }), { ok: true, message: { type: 'stop' } });
  assert.deepEqual(parseParentMessage({ type: 'stop', omega: false }), { ok: true, message: { type: 'stop', omega: false } });
  const bad: [unknown, RegExp][] = [
    [null, /not an object/],
    [[], /not an object/],
    [{ type: 7 }, /not an object/],
    [{ type: 'start', configId: 'x' }, /needs a file/],
    [{ type: 'start', file: '/k', configId: 3 }, /configId/],
    [{ type: 'start', file: '/k', configId: 'x', slowStartMs: -1 }, /slowStartMs/],
    [{ type: 'start', file: '/k', configId: 'x', notify: 'yes' }, /notify/],
    [{ type: 'address', vsId: 'a' }, /present/],
    [{ type: 'stop', omega: 1 }, /omega/],
    [{ type: 'reload' }, /unknown type reload/],
  ];
  for (const [input, why] of bad) {
    const r = parseParentMessage(input);
    assert.equal(r.ok, false, JSON.stringify(input));
    if (!r.ok) assert.match(r.reason, why);
  }
});

test('diagnostics travel as file:line:col', () => {
  assert.deepEqual(wireDiagnostic({ severity: 'warning', code: 'HALO_SVC_NO_PORT', message: 'm', pos: { file: '/k.conf', line: 3, col: 5 } }), { severity: 'warning', code: 'HALO_SVC_NO_PORT', message: 'm', where: '/k.conf:3:5' });
});
