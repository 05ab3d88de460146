import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyModel } from '../config/keepalived/build.js';
import type { PoolSpec, ServiceSpec } from '../proxy/types.js';
import type { ProxyConfig } from '../proxy/workers.js';
import { instanceConfig, type VrrpInstanceConfig } from '../vrrp/config.js';
import type { LogLine } from './log.js';
import { diffByName, Reloader, reloadSummary, type DirectorConfig, type LoadOutcome } from './reload.js';

const inst = (name: string, vrid: number, over: Partial<VrrpInstanceConfig> = {}): VrrpInstanceConfig =>
  instanceConfig({ name, vrid, ifname: 'eth0', basePriority: 100, primaryAddress: '10.0.0.1', vips: [{ address: `10.0.0.${vrid}`, prefixLength: 24, family: 4, ifname: 'eth0' }], ...over });
const service = (name: string, pool: string): ServiceSpec => ({ name, pool, protocol: 'tcp', listenAddress: '10.0.0.100', listenPort: 80 }) as unknown as ServiceSpec;
const pool = (name: string, backends: number): PoolSpec => ({ name, algorithm: 'rr', backends: Array.from({ length: backends }, (_, i) => ({ id: `b${i}` })) }) as unknown as PoolSpec;

function director(instances: VrrpInstanceConfig[], pools: PoolSpec[] = [], checks?: string): DirectorConfig {
  return { instances, services: { services: pools.map((p) => service(`svc-${p.name}`, p.name)), pools, diagnostics: [] }, checks, model: emptyModel() };
}

function fakes(next: LoadOutcome[]) {
  const logs: LogLine[] = [];
  const vrrpCalls: string[][] = [];
  const checker: boolean[] = [];
  const proxy: ProxyConfig[] = [];
  let gate: Promise<void> = Promise.resolve();
  const targets = {
    load: (): LoadOutcome => next.shift() ?? { ok: false, errors: 1 },
    vrrp: {
      reloadInstances: async (i: readonly VrrpInstanceConfig[]) => {
        await gate;
        vrrpCalls.push(i.map((c) => c.name));
        return undefined;
      },
    },
    checker: { restartChecker: (run: boolean) => void checker.push(run) },
    proxy: { reload: (c: ProxyConfig) => (proxy.push(c), Promise.resolve()) },
    log: (r: LogLine) => void logs.push(r),
    source: '/etc/keepalived/keepalived.conf',
  };
  return { targets, logs, vrrpCalls, checker, proxy, hold: (p: Promise<void>) => (gate = p) };
}

test('a configuration with errors changes nothing and is logged with HALO_DMN_RELOAD_REFUSED', async () => {
  const initial = director([inst('VI_1', 1)]);
  const f = fakes([{ ok: false, errors: 2 }]);
  const r = new Reloader(f.targets, initial);
  const result = await r.reload();
  assert.equal(result.ok, false);
  assert.deepEqual([f.vrrpCalls, f.checker, f.proxy], [[], [], []]);
  assert.equal(r.config(), initial);
  assert.ok(f.logs.some((l) => l.code === 'HALO_DMN_RELOAD_REFUSED' && l.msg.includes('2 error(s)')));
  assert.deepEqual(r.status(), { reloads: 0, refused: 1, last: result });
});

test('a good configuration goes to every part; unchanged checks and services are not touched', async () => {
  const initial = director([inst('VI_1', 1)], [pool('web', 2)], 'checks-a');
  const same = await (async () => {
    const f = fakes([{ ok: true, config: director([inst('VI_1', 1)], [pool('web', 2)], 'checks-a') }]);
    const result = await new Reloader(f.targets, initial).reload();
    return { f, result };
  })();
  assert.deepEqual(same.f.vrrpCalls, [['VI_1']]);
  assert.deepEqual([same.f.checker, same.f.proxy], [[], []]);
  assert.equal(same.result.summary, 'instances unchanged (1 kept as they were); services unchanged; pools unchanged; checks unchanged');

  const f = fakes([{ ok: true, config: director([inst('VI_1', 1, { basePriority: 90 }), inst('VI_2', 2)], [pool('web', 3)], 'checks-b') }]);
  const r = new Reloader(f.targets, initial);
  const result = await r.reload();
  assert.equal(result.ok, true);
  assert.deepEqual(f.checker, [true], 'the checker restarts on the new check set');
  assert.equal(f.proxy.length, 1);
  assert.equal(f.proxy[0]?.pools[0]?.backends.length, 3);
  assert.equal(result.summary, 'instances +VI_2 ~VI_1(basePriority) (0 kept as they were); services unchanged; pools ~web; checks changed');
  assert.ok(f.logs.some((l) => l.level === 'info' && l.msg === `Reloaded /etc/keepalived/keepalived.conf: ${result.summary}`));
});

test('reloads run one at a time; requests during one fold into a single next reload', async () => {
  const initial = director([inst('VI_1', 1)]);
  const f = fakes([
    { ok: true, config: director([inst('VI_1', 1)]) },
    { ok: true, config: director([inst('VI_1', 1), inst('VI_2', 2)]) },
    { ok: true, config: director([]) },
  ]);
  let release!: () => void;
  f.hold(new Promise<void>((resolve) => (release = resolve)));
  const r = new Reloader(f.targets, initial);
  const first = r.reload();
  const second = r.reload();
  const third = r.reload();
  assert.equal(second, third);
  release();
  await Promise.all([first, second, third]);
  assert.deepEqual(f.vrrpCalls, [['VI_1'], ['VI_1', 'VI_2']]);
  assert.equal(r.status().reloads, 2);
});

test('services and pools are compared by name and content', () => {
  assert.deepEqual(diffByName([pool('a', 1), pool('b', 1)], [pool('b', 2), pool('c', 1)]), { added: ['c'], changed: ['b'], removed: ['a'] });
  assert.equal(reloadSummary(director([inst('VI_1', 1)]), director([])), 'instances -VI_1 (0 kept as they were); services unchanged; pools unchanged; checks unchanged');
});
