import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlServer } from '../../api/control-socket.js';
import type { CliIo } from '../command.js';
import { emptyModel } from '../../config/keepalived/build.js';
import { addReloadOp } from '../../daemon/control-ops.js';
import type { LogLine } from '../../daemon/log.js';
import { Reloader, type DirectorConfig, type LoadOutcome } from '../../daemon/reload.js';
import type { TrackerSpecs } from '../../daemon/tracker-specs.js';
import { instanceConfig, type VrrpInstanceConfig } from '../../vrrp/config.js';
import { parseControlArgs, reloadCommand, statusCommand, stepDownCommand } from './control.js';

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

test('halo reload runs the reload SIGHUP runs and prints its summary; a file with errors is refused with the count', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-cli-rld-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'halo.sock');
  const inst = (name: string, vrid: number): VrrpInstanceConfig => instanceConfig({ name, vrid, ifname: 'eth0', basePriority: 100, primaryAddress: '10.0.0.1' });
  const director = (instances: VrrpInstanceConfig[]): DirectorConfig => ({ instances, services: { services: [], pools: [], diagnostics: [] }, checks: undefined, model: emptyModel() });
  const loads: LoadOutcome[] = [{ ok: true, config: director([inst('VI_1', 1), inst('VI_2', 2)]) }, { ok: false, errors: 3 }];
  const vrrp: Array<{ names: string[]; trackers: TrackerSpecs }> = [];
  const notifierModels: unknown[] = [];
  const logs: LogLine[] = [];
  const reloader = new Reloader(
    {
      load: () => loads.shift() ?? { ok: false, errors: 1 },
      vrrp: { reloadInstances: (i, trackers) => (vrrp.push({ names: i.map((c) => c.name), trackers }), Promise.resolve(undefined)) },
      checker: { restartChecker: () => undefined },
      notifiers: { reload: (m) => void notifierModels.push(m), retire: () => Promise.resolve() },
      log: (l) => void logs.push(l),
      source: '/etc/keepalived/keepalived.conf',
    },
    director([inst('VI_1', 1)]),
  );
  const server = new ControlServer({ path });
  addReloadOp(server, reloader, (l) => void logs.push(l));
  assert.ok((await server.listen()).ok);
  t.after(() => server.close());

  const io = bufferIo();
  assert.equal(await reloadCommand.run(['--socket', path], io), 0);
  assert.equal(io.outText(), 'instances +VI_2 (1 kept as they were); services unchanged; pools unchanged; checks unchanged\n');
  assert.deepEqual(vrrp.map((v) => v.names), [['VI_1', 'VI_2']]);
  assert.deepEqual(vrrp[0]?.trackers, { scripts: [], files: [], processes: [], enableScriptSecurity: false }, 'the tracker specs of the new model go with the instances');
  assert.equal(notifierModels.length, 1, 'the notifiers were rebuilt from the new model');
  assert.equal(reloader.status().reloads, 1);

  const refused = bufferIo();
  assert.equal(await reloadCommand.run(['--socket', path], refused), 1);
  assert.match(refused.errText(), /^halo reload: Reload refused: Configuration \/etc\/keepalived\/keepalived.conf has 3 error\(s\): the running configuration is kept \(HALO_CTL_REFUSED\)\n$/);
  assert.deepEqual([vrrp.length, notifierModels.length], [1, 1], 'a refused reload changes nothing');

  const usage = bufferIo();
  assert.equal(await reloadCommand.run(['--instance', 'VI_1'], usage), 2);
  assert.match(usage.errText(), /Unknown option: --instance \(HALO_CLI_USAGE\)/);
  const gone = bufferIo();
  assert.equal(await reloadCommand.run(['--socket', join(dir, 'none.sock')], gone), 1);
  assert.match(gone.errText(), /HALO_CTL_/);
});
