import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRunCommand, renderText } from './check-run.js';
import type { CliIo } from '../command.js';

test('check-run prints verdicts, events with their codes, pools and the stop summary as one line each', () => {
  const state = { id: '127.0.0.3:8081', health: 'down', admin: 'ready', weight: 1, effectiveWeight: 0, cause: { source: 'TCP_CHECK', detail: 'TCP_CHECK: connection refused', atMs: 1 } } as const;
  assert.equal(renderText({ type: 'verdict', vsId: '127.0.0.1:8080', state }), '127.0.0.1:8080 127.0.0.3:8081 down weight 0: TCP_CHECK: connection refused');
  assert.equal(
    renderText({ type: 'event', vsId: 'v', event: { type: 'server', serverId: 's', health: 'down', cause: state.cause }, log: { severity: 'warning', code: 'HALO_CHK_SERVER_DOWN', message: 'Real server s of v is down: x' } }),
    'warning HALO_CHK_SERVER_DOWN: Real server s of v is down: x',
  );
  assert.equal(renderText({ type: 'pool', vsId: 'v', entries: [{ id: 'a', weight: 2, sorry: false }, { id: 'b', weight: 0, sorry: false }] }), 'pool v: a w2, b w0');
  assert.equal(renderText({ type: 'pool', vsId: 'v', entries: [] }), 'pool v: (empty)');
  assert.equal(renderText({ type: 'backend', vsId: 'v', state }), undefined);
  assert.equal(renderText({ type: 'stopped', probes: 9, scriptsRun: 1 }), 'stopped after 9 probes, 1 script(s) run');
  assert.match(renderText({ type: 'failed', code: 'HALO_SVC_CHECKER_FAILED', message: 'Cannot check /k', diagnostics: [{ severity: 'error', code: 'HALO_CHK_SPEC_INVALID', message: 'Invalid regex', where: '/k:4:5' }] }) ?? '', /^error HALO_SVC_CHECKER_FAILED: Cannot check \/k\n {2}\/k:4:5: HALO_CHK_SPEC_INVALID: Invalid regex$/);
});

test('check-run rejects a bad command line with status 2', async () => {
  let err = '';
  const io: CliIo = { out: () => undefined, err: (t) => (err += t), cwd: '/', env: {} };
  assert.equal(await checkRunCommand.run(['--bogus'], io), 2);
  assert.match(err, /HALO_CLI_USAGE/);
  err = '';
  assert.equal(await checkRunCommand.run(['--slow-start', 'x'], io), 2);
  assert.match(err, /Invalid --slow-start/);
});
