import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlServer } from '../../api/control-socket.js';
import type { CliIo } from '../command.js';
import { parseControlArgs, statusCommand, stepDownCommand } from './control.js';

function bufferIo(): CliIo & { outText: () => string; errText: () => string } {
  let out = '';
  let err = '';
  return { out: (t) => void (out += t), err: (t) => void (err += t), cwd: '/tmp', env: {}, outText: () => out, errText: () => err };
}

test('step-down and status arguments', () => {
  assert.deepEqual(parseControlArgs([], { cwd: '/' }, true), { ok: true, socket: '/run/halo/halo.sock', instance: null, holdMs: null });
  assert.deepEqual(parseControlArgs(['--instance', 'VI_1', '--hold=90', '-s', 'h.sock'], { cwd: '/x' }, true), { ok: true, socket: '/x/h.sock', instance: 'VI_1', holdMs: 90_000 });
  assert.deepEqual(parseControlArgs(['--hold', '1m'], { cwd: '/' }, true), { ok: false, message: 'Option --hold needs a number of seconds' });
  assert.deepEqual(parseControlArgs(['--instance', 'VI_1'], { cwd: '/' }, false), { ok: false, message: 'Unknown option: --instance' });
  assert.deepEqual(parseControlArgs(['VI_1'], { cwd: '/' }, true), { ok: false, message: 'Unexpected argument: VI_1' });
});

test('halo step-down sends the request and prints the reply; a refusal exits 1 with its code', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-cli-ctl-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'halo.sock');
  const server = new ControlServer({ path });
  const seen: unknown[] = [];
  server.handle('step-down', (r) => {
    seen.push(r);
    return r['instance'] === 'VI_2' ? { ok: false, error: { code: 'HALO_CTL_REFUSED', message: 'Step-down refused: Instance VI_2 is BACKUP, not MASTER' } } : { ok: true, instances: ['VI_1'] };
  });
  server.handle('status', () => ({ ok: true, status: { instances: [] } }));
  assert.ok((await server.listen()).ok);
  t.after(() => server.close());
  const io = bufferIo();
  assert.equal(await stepDownCommand.run(['--socket', path, '--instance', 'VI_1', '--hold', '30'], io), 0);
  assert.deepEqual(JSON.parse(io.outText()), { ok: true, instances: ['VI_1'] });
  assert.deepEqual(seen[0], { op: 'step-down', instance: 'VI_1', holdMs: 30_000 });
  const io2 = bufferIo();
  assert.equal(await stepDownCommand.run(['--socket', path, '--instance', 'VI_2'], io2), 1);
  assert.match(io2.errText(), /^halo step-down: Step-down refused: Instance VI_2 is BACKUP, not MASTER \(HALO_CTL_REFUSED\)/);
  const io3 = bufferIo();
  assert.equal(await statusCommand.run(['--socket', path], io3), 0);
  assert.deepEqual(JSON.parse(io3.outText()), { ok: true, status: { instances: [] } });
  const io4 = bufferIo();
  assert.equal(await statusCommand.run(['--socket', join(dir, 'none.sock')], io4), 1);
  assert.match(io4.errText(), /HALO_CTL_UNREACHABLE/);
  assert.equal(await stepDownCommand.run(['--bogus'], bufferIo()), 2);
});
