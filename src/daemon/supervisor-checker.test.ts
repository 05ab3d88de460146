/**
 * The supervisor's wiring of the checker process and the proxy plane, with fakes: the checker
 * runs beside the VRRP process, is restarted with backoff when it dies, its backend states reach
 * the proxy plane and the status, and a stop goes VRRP release → proxy drain → checker omega.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BackendState } from '../core/backend.js';
import type { AddressPort, VrrpSocketPort } from '../net/ports.js';
import { instanceConfig } from '../vrrp/config.js';
import type { LogLine } from './log.js';
import { FakeScheduler, settle } from './testing/fake-scheduler.js';
import { Supervisor, type ChildEvents, type SupervisorOptions, type SupervisorStatus } from './supervisor.js';

const INSTANCES = [instanceConfig({ name: 'VI_1', vrid: 51, ifname: 'eth0', basePriority: 100, primaryAddress: '10.0.0.1', vips: [{ address: '10.0.0.100', prefixLength: 24, family: 4, ifname: 'eth0' }] })];

interface FakeProc {
  readonly pid: number;
  readonly events: ChildEvents;
  readonly log: string[];
}

function backend(id: string, health: BackendState['health'], detail: string): BackendState {
  return { id, health, admin: 'ready', weight: 1, effectiveWeight: health === 'up' ? 1 : 0, cause: { source: 'TCP_CHECK', detail, atMs: 5 } };
}

class World extends FakeScheduler {
  readonly journal: string[] = [];
  readonly logs: LogLine[] = [];
  readonly vrrp: FakeProc[] = [];
  readonly checkers: FakeProc[] = [];
  readonly pushed: Array<{ vsId: string; state: BackendState }> = [];
  lastStatus: SupervisorStatus | undefined;
  drainDone: (() => void) | undefined;

  readonly socket: VrrpSocketPort = { open: () => Promise.resolve({ ok: true }), send: () => ({ ok: true }), onPacket: () => {}, close: () => {} };
  readonly addresses: AddressPort = { add: () => Promise.resolve({ ok: true }), remove: () => Promise.resolve({ ok: true }), list: () => Promise.resolve([]) };

  supervisor(options: Partial<SupervisorOptions> = {}, withProxy = true): Supervisor {
    return new Supervisor(
      {
        forkVrrp: (events) => {
          const p: FakeProc = { pid: 1000 + this.vrrp.length, events, log: [] };
          this.vrrp.push(p);
          this.journal.push('fork vrrp');
          return { pid: p.pid, send: (m) => void this.journal.push(`vrrp ${m.type}`), kill: (s) => void this.journal.push(`vrrp kill ${s}`) };
        },
        forkChecker: (events) => {
          const p: FakeProc = { pid: 2000 + this.checkers.length, events, log: [] };
          this.checkers.push(p);
          this.journal.push(`fork checker ${p.pid}`);
          return { pid: p.pid, stop: (omega) => void this.journal.push(`checker stop omega=${omega}`), kill: (s) => void this.journal.push(`checker kill ${s}`) };
        },
        ...(withProxy
          ? {
              onBackend: (vsId: string, state: BackendState) => void this.pushed.push({ vsId, state }),
              drainProxy: () => {
                this.journal.push('proxy drain');
                return new Promise<void>((resolve) => {
                  this.drainDone = () => {
                    this.journal.push('proxy drained');
                    resolve();
                  };
                });
              },
            }
          : {}),
        socket: this.socket,
        addresses: this.addresses,
        schedule: this.schedule,
        nowMs: () => this.nowMs,
        log: (l) => void this.logs.push(l),
        onStatus: (s) => {
          this.lastStatus = s;
        },
      },
      { instances: INSTANCES, logDetail: false, dontRelease: false, checker: true, ...options },
    );
  }

  checker(i = -1): FakeProc {
    const c = this.checkers.at(i);
    assert.ok(c, 'a checker process was forked');
    return c;
  }
}

test('the checker process starts beside the VRRP process only when the config has virtual_servers', async () => {
  const w = new World();
  await w.supervisor().start();
  assert.deepEqual(w.journal, ['fork vrrp', 'vrrp start', 'fork checker 2000']);
  assert.equal(w.lastStatus?.checkerPid, 2000);
  assert.equal(w.lastStatus?.checkerStarts, 1);

  const w2 = new World();
  await w2.supervisor({ checker: false }).start();
  assert.deepEqual(w2.journal, ['fork vrrp', 'vrrp start']);
  assert.equal(w2.lastStatus?.checkerPid, null);
});

test('backend states from the checker reach the proxy plane and the status with their cause; bad messages are ignored', async () => {
  const w = new World();
  const s = w.supervisor();
  await s.start();
  const c = w.checker();
  c.events.onMessage({ type: 'backend', vsId: '10.0.0.100:80', state: backend('10.0.0.2:80', 'up', 'connected') });
  c.events.onMessage({ type: 'backend', vsId: '10.0.0.100:80', state: backend('10.0.0.3:80', 'down', 'connection refused') });
  c.events.onMessage({ type: 'backend', vsId: '10.0.0.100:80', state: { id: 'x', health: 'maybe' } });
  c.events.onMessage('garbage');
  assert.deepEqual(
    w.pushed.map((p) => `${p.vsId} ${p.state.id} ${p.state.health}`),
    ['10.0.0.100:80 10.0.0.2:80 up', '10.0.0.100:80 10.0.0.3:80 down'],
  );
  c.events.onMessage({ type: 'backend', vsId: '10.0.0.100:80', state: backend('10.0.0.3:80', 'up', 'connected again') });
  const pools = s.status().pools;
  assert.equal(pools.length, 1);
  assert.equal(pools[0]?.vsId, '10.0.0.100:80');
  assert.deepEqual(
    pools[0]?.backends.map((b) => `${b.id} ${b.health} ${b.cause.detail}`),
    ['10.0.0.2:80 up connected', '10.0.0.3:80 up connected again'],
  );
  assert.deepEqual(w.lastStatus?.pools, pools);
});

test('a dead checker process is restarted with doubling backoff, and the new one feeds the proxy', async () => {
  const w = new World();
  await w.supervisor({ restartMinMs: 100, restartMaxMs: 1000 }).start();
  const first = w.checker();
  first.events.onExit(null, 'SIGKILL');
  assert.equal(w.logs.filter((l) => l.code === 'HALO_DMN_CHECKER_DIED').length, 1);
  assert.equal(w.checkers.length, 1);
  await w.advance(99);
  assert.equal(w.checkers.length, 1, 'not before the backoff');
  await w.advance(1);
  assert.equal(w.checkers.length, 2);
  // a late message from the dead process does not count
  first.events.onMessage({ type: 'backend', vsId: 'a:1', state: backend('b:1', 'down', 'old') });
  assert.equal(w.pushed.length, 0);
  w.checker().events.onMessage({ type: 'backend', vsId: 'a:1', state: backend('b:1', 'up', 'new') });
  assert.equal(w.pushed.length, 1);
  w.checker().events.onExit(1, null);
  await w.advance(199);
  assert.equal(w.checkers.length, 2, 'second quick death waits twice as long');
  await w.advance(1);
  assert.equal(w.checkers.length, 3);
  assert.equal(w.lastStatus?.checkerDeaths, 2);
  assert.equal(w.vrrp.length, 1, 'the VRRP process is untouched');
});

test('stop order: VRRP releases first, then the proxy plane drains, then the checker stops with omega', async () => {
  const w = new World();
  const s = w.supervisor();
  await s.start();
  w.journal.length = 0;
  let code: number | undefined;
  void s.stop().then((c) => {
    code = c;
  });
  // SIGTERM first: the VRRP process's signal handler sends priority 0 at once (native/stop_adverts.c).
  assert.deepEqual(w.journal, ['vrrp kill SIGTERM', 'vrrp stop']);
  const v = w.vrrp.at(-1);
  assert.ok(v);
  v.events.onMessage({ type: 'stopped' });
  v.events.onExit(0, null);
  await settle();
  assert.deepEqual(w.journal, ['vrrp kill SIGTERM', 'vrrp stop', 'proxy drain'], 'the checker keeps checking while connections drain');
  w.drainDone?.();
  await settle();
  assert.deepEqual(w.journal, ['vrrp kill SIGTERM', 'vrrp stop', 'proxy drain', 'proxy drained', 'checker stop omega=true']);
  assert.equal(code, undefined, 'not done before the checker exits');
  w.checker().events.onExit(0, null);
  await settle();
  assert.equal(code, 0);
  assert.equal(w.logs.filter((l) => l.code === 'HALO_DMN_CHECKER_DIED').length, 0);
});

test('a checker that does not stop is killed after the bound', async () => {
  const w = new World();
  const s = w.supervisor({ stopTimeoutMs: 100 }, false);
  await s.start();
  void s.stop();
  const v = w.vrrp.at(-1);
  assert.ok(v);
  v.events.onMessage({ type: 'stopped' });
  v.events.onExit(0, null);
  await settle();
  assert.ok(w.journal.includes('checker stop omega=true'));
  await w.advance(200);
  assert.ok(w.journal.includes('checker kill SIGKILL'));
});

test('a checker that keeps dying stops halo with status 1 (VRRP released first)', async () => {
  const w = new World();
  const s = w.supervisor({ restartMinMs: 10, restartMaxMs: 10, restartLimit: 2, restartWindowMs: 60_000 });
  await s.start();
  for (let i = 0; i < 3; i++) {
    w.checker().events.onExit(1, null);
    await w.advance(10);
  }
  assert.equal(w.logs.filter((l) => l.code === 'HALO_DMN_CHECKER_RESTART_LIMIT').length, 1);
  assert.ok(w.journal.includes('vrrp stop'));
  const v = w.vrrp.at(-1);
  assert.ok(v);
  v.events.onMessage({ type: 'stopped' });
  v.events.onExit(0, null);
  await settle();
  w.drainDone?.();
  assert.equal(await s.done, 1);
  assert.equal(w.checkers.length, 3, 'no restart after giving up');
});
