import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addSupervisorOps } from '../daemon/control-ops.js';
import type { StepDownResult, SupervisorStatus } from '../daemon/supervisor.js';
import { ControlServer, controlRequest } from './control-socket.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'halo-ctl-'));
}

/** A supervisor stand-in that records step-down calls. */
function fakeSupervisor(answer: StepDownResult = { ok: true, instances: ['VI_1'] }) {
  const calls: Array<[string | null, number | null]> = [];
  const status = { supervisorPid: 1, instances: [{ name: 'VI_1', state: 'MASTER' }] } as unknown as SupervisorStatus;
  return {
    calls,
    status: () => status,
    stepDown: (instance: string | null, holdMs: number | null) => {
      calls.push([instance, holdMs]);
      return Promise.resolve(answer);
    },
  };
}

test('the control socket is private (0600 in a 0700 directory) and serves status and step-down', async (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'run', 'halo.sock');
  const server = new ControlServer({ path });
  const sup = fakeSupervisor();
  addSupervisorOps(server, sup);
  assert.deepEqual(await server.listen(), { ok: true });
  t.after(() => server.close());
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, 'run')).mode & 0o777, 0o700);
  const status = await controlRequest(path, { op: 'status' });
  assert.ok(status.ok);
  assert.deepEqual((status as unknown as { status: unknown }).status, sup.status());
  const sd = await controlRequest(path, { op: 'step-down', instance: 'VI_1', holdMs: 60_000 });
  assert.deepEqual(sd, { ok: true, instances: ['VI_1'], holdMs: 60_000 });
  assert.deepEqual(await controlRequest(path, { op: 'step-down' }), { ok: true, instances: ['VI_1'], holdMs: null });
  assert.deepEqual(sup.calls, [['VI_1', 60_000], [null, null]]);
});

test('bad requests get a coded error and change nothing', async (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'halo.sock');
  const server = new ControlServer({ path });
  const sup = fakeSupervisor({ ok: false, error: 'Instance VI_1 is BACKUP, not MASTER' });
  addSupervisorOps(server, sup);
  assert.ok((await server.listen()).ok);
  t.after(() => server.close());
  const code = async (r: Parameters<typeof controlRequest>[1]): Promise<string> => {
    const reply = await controlRequest(path, r);
    assert.equal(reply.ok, false);
    return reply.ok ? '' : reply.error.code;
  };
  assert.equal(await code({ op: 'reboot' }), 'HALO_CTL_UNKNOWN_OP');
  assert.equal(await code({ op: 'step-down', instance: 7 }), 'HALO_CTL_BAD_ARGUMENT');
  assert.equal(await code({ op: 'step-down', holdMs: -1 }), 'HALO_CTL_BAD_ARGUMENT');
  assert.equal(await code({ op: 'step-down', holdMs: 1.5 }), 'HALO_CTL_BAD_ARGUMENT');
  assert.equal(await code({ op: 'step-down', instnace: 'VI_1' }), 'HALO_CTL_BAD_ARGUMENT');
  assert.deepEqual(sup.calls, [], 'no bad request reached the supervisor');
  const refused = await controlRequest(path, { op: 'step-down', instance: 'VI_1' });
  assert.deepEqual(refused, { ok: false, error: { code: 'HALO_CTL_REFUSED', message: 'Step-down refused: Instance VI_1 is BACKUP, not MASTER' } });
  assert.equal((await server.dispatch('not json')).ok, false);
  assert.deepEqual(await server.dispatch('[1]'), { ok: false, error: { code: 'HALO_CTL_BAD_REQUEST', message: 'Request is not a JSON object' } });
  assert.deepEqual(await server.dispatch('{"op":1}'), { ok: false, error: { code: 'HALO_CTL_BAD_REQUEST', message: 'Request has no "op" string' } });
  assert.equal(server.handle('status', () => ({ ok: true })), false, 'an op cannot be registered twice');
});

test('several requests on one connection are answered in order; an overlong line closes it', async (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'halo.sock');
  const server = new ControlServer({ path, maxLineBytes: 1024 });
  let n = 0;
  server.handle('count', async () => {
    await new Promise((r) => setTimeout(r, 5));
    return { ok: true, n: ++n };
  });
  assert.ok((await server.listen()).ok);
  t.after(() => server.close());
  const lines = await new Promise<string[]>((resolve, reject) => {
    const c = createConnection(path);
    let buf = '';
    const timer = setTimeout(() => reject(new Error('no answer within 2 s')), 2000);
    c.on('data', (d) => {
      buf += d.toString();
      const got = buf.split('\n').filter((l) => l.length > 0);
      if (got.length === 3) {
        clearTimeout(timer);
        c.destroy();
        resolve(got);
      }
    });
    c.write('{"op":"count"}\n{"op":"count"}\n{"op":"nope"}\n');
  });
  assert.deepEqual(lines.map((l) => JSON.parse(l) as unknown), [{ ok: true, n: 1 }, { ok: true, n: 2 }, { ok: false, error: { code: 'HALO_CTL_UNKNOWN_OP', message: 'Unknown op: nope (known: count)' } }]);
  const closed = await new Promise<string>((resolve) => {
    const c = createConnection(path);
    let buf = '';
    c.on('data', (d) => (buf += d.toString()));
    c.on('close', () => resolve(buf));
    c.write('x'.repeat(2048));
  });
  assert.match(closed, /HALO_CTL_BAD_REQUEST/);
});

test('a stale socket file is replaced; a live one is not taken over; no server is unreachable', async (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'halo.sock');
  const first = new ControlServer({ path });
  assert.ok((await first.listen()).ok);
  const second = new ControlServer({ path });
  const r = await second.listen();
  assert.equal(r.ok, false);
  assert.match(r.ok ? '' : r.error, /served by another process/);
  await first.close();
  const unreachable = await controlRequest(path, { op: 'status' });
  assert.equal(unreachable.ok ? '' : unreachable.error.code, 'HALO_CTL_UNREACHABLE');
  // A socket file left by a process that was killed: the file is there, nobody answers on it.
  const killed = spawnSync(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`], { timeout: 5000 });
  assert.equal(killed.signal, 'SIGKILL');
  assert.ok(lstatSync(path).isSocket(), 'the killed process left its socket file');
  const third = new ControlServer({ path });
  assert.deepEqual(await third.listen(), { ok: true });
  t.after(() => third.close());
  assert.ok((await controlRequest(path, { op: 'nope' })).ok === false);
});
