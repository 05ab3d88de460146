import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { VipSpec } from '../net/ports.js';
import { instanceConfig, type VrrpInstanceConfig } from '../vrrp/config.js';
import { parseParentMessage, type CarriedServer } from './checker-ipc.js';
import type { ToVrrp } from './ipc.js';
import { Supervisor, type ChildEvents } from './supervisor.js';

const vip = (address: string): VipSpec => ({ address, prefixLength: 24, family: 4, ifname: 'eth0' });
const inst = (name: string, vrid: number): VrrpInstanceConfig => instanceConfig({ name, vrid, ifname: 'eth0', basePriority: 100, primaryAddress: '10.0.0.1', vips: [vip(`10.0.0.${vrid}`)] });

/** A supervisor over fakes: one VRRP child whose messages the test plays, a journal of port calls. */
function world(instances: VrrpInstanceConfig[]) {
  const journal: string[] = [];
  const sent: ToVrrp[] = [];
  const timers: Array<() => void> = [];
  let events: ChildEvents | undefined;
  const supervisor = new Supervisor(
    {
      forkVrrp: (e) => {
        events = e;
        return { pid: 1000, send: (m) => void sent.push(m), kill: () => undefined };
      },
      socket: { open: () => Promise.resolve({ ok: true }), send: (r) => (journal.push(`send ${r.dst}`), { ok: true }), onPacket: () => undefined, close: () => undefined },
      addresses: { add: () => Promise.resolve({ ok: true }), remove: (v) => (journal.push(`remove ${v.address}`), Promise.resolve({ ok: true })), list: () => Promise.resolve([]) },
      schedule: (_ms, fn) => (timers.push(fn), () => undefined),
      nowMs: () => 0,
      log: () => undefined,
    },
    { instances, logDetail: false, dontRelease: false },
  );
  const child = (): ChildEvents => {
    assert.ok(events);
    return events;
  };
  const report = (name: string, vrid: number, state: 'MASTER' | 'BACKUP'): void =>
    child().onMessage({ type: 'state', instance: { name, vrid, family: 4, ifname: 'eth0', state, priority: 100, cause: 'test' } });
  return { supervisor, journal, sent, child, report };
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
};

test('reload sends the new instance set to the VRRP process and resolves with its report', async () => {
  const w = world([inst('VI_1', 1), inst('VI_2', 2)]);
  await w.supervisor.start();
  const answer = w.supervisor.reloadInstances([inst('VI_1', 1), inst('VI_3', 3)]);
  const msg = w.sent.at(-1);
  assert.equal(msg?.type, 'reload');
  assert.deepEqual(msg?.type === 'reload' ? msg.instances.map((c) => c.name) : [], ['VI_1', 'VI_3']);
  assert.deepEqual(w.supervisor.status().instances.map((i) => i.name).sort(), ['VI_1', 'VI_2', 'VI_3'], 'the removed one is known until the process confirms');
  const report = { added: ['VI_3'], removed: ['VI_2'], changed: [], unchanged: ['VI_1'] };
  w.child().onMessage({ type: 'reloaded', report });
  assert.deepEqual(await answer, report);
  assert.deepEqual(w.supervisor.status().instances.map((i) => i.name).sort(), ['VI_1', 'VI_3']);
  assert.deepEqual(w.supervisor.instances().map((c) => c.name), ['VI_1', 'VI_3']);
});

test('a VRRP process that dies during a reload: the supervisor also releases the instance being removed', async () => {
  const w = world([inst('VI_1', 1), inst('VI_2', 2)]);
  await w.supervisor.start();
  w.report('VI_2', 2, 'MASTER');
  void w.supervisor.reloadInstances([inst('VI_1', 1)]);
  w.journal.length = 0;
  w.child().onExit(null, 'SIGKILL');
  await settle();
  assert.ok(w.journal.includes('send 224.0.0.18'), 'priority 0 for the removed MASTER');
  assert.ok(w.journal.includes('remove 10.0.0.2'), 'its VIP removed');
  assert.ok(w.journal.includes('remove 10.0.0.1'));
});

test('a checker restarted by a reload gets the health the old one judged; the old one stops without omega', async () => {
  const forks: Array<{ carried: readonly CarriedServer[] | undefined; events: ChildEvents; stops: boolean[] }> = [];
  const supervisor = new Supervisor(
    {
      forkVrrp: () => ({ pid: 1000, send: () => undefined, kill: () => undefined }),
      forkChecker: (events, carried) => {
        const f = { carried, events, stops: [] as boolean[] };
        forks.push(f);
        return { pid: 2000 + forks.length, stop: (omega) => void f.stops.push(omega), kill: () => undefined };
      },
      socket: { open: () => Promise.resolve({ ok: true }), send: () => ({ ok: true }), onPacket: () => undefined, close: () => undefined },
      addresses: { add: () => Promise.resolve({ ok: true }), remove: () => Promise.resolve({ ok: true }), list: () => Promise.resolve([]) },
      schedule: () => () => undefined,
      nowMs: () => 0,
      log: () => undefined,
    },
    { instances: [inst('VI_1', 1)], logDetail: false, dontRelease: false, checker: true },
  );
  await supervisor.start();
  assert.equal(forks.length, 1);
  const state = (id: string, health: 'up' | 'down') => ({ type: 'backend', vsId: '10.0.0.100:80', state: { id, health, admin: 'ready', weight: 1, effectiveWeight: health === 'up' ? 1 : 0, cause: { source: 'check', detail: 'x', atMs: 0 } } });
  forks[0]?.events.onMessage(state('10.0.1.1:80', 'up'));
  forks[0]?.events.onMessage(state('10.0.1.2:80', 'down'));
  supervisor.restartChecker(true);
  assert.deepEqual(forks[0]?.stops, [false]);
  assert.deepEqual(forks[1]?.carried, [
    { vsId: '10.0.0.100:80', serverId: '10.0.1.1:80', health: 'up' },
    { vsId: '10.0.0.100:80', serverId: '10.0.1.2:80', health: 'down' },
  ]);
  // The old process's exit is not a death of the running checker.
  forks[0]?.events.onExit(0, null);
  assert.equal(supervisor.status().checkerDeaths, 0);
  assert.equal(supervisor.status().checkerPid, 2002);
});

test('the start message carries the kept health, checked by shape', () => {
  const ok = parseParentMessage({ type: 'start', file: '/k.conf', configId: 'a', carried: [{ vsId: 'v', serverId: 's', health: 'up' }] });
  assert.ok(ok.ok && ok.message.type === 'start' && ok.message.carried?.[0]?.health === 'up');
  const bad = parseParentMessage({ type: 'start', file: '/k.conf', configId: 'a', carried: [{ vsId: 'v', serverId: 's', health: 'maybe' }] });
  assert.equal(bad.ok, false);
});
