import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { constants, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeededPrng } from '../core/prng.js';
import { memorySource } from '../config/glob.js';
import { loadKeepalivedConfig } from '../config/keepalived/load.js';
import { keepalivedToChecks } from '../config/keepalived/to-checks.js';
import type { ProbeFn } from '../check/runner/runner.js';
import type { CheckerToParent } from './checker-ipc.js';
import { CheckerProcess } from './checker-process.js';

function setup(dir: string, omega: boolean) {
  const conf = `global_defs {
  lvs_notify_fifo ${dir}/lvs.fifo
}
virtual_server 10.9.0.1 80 {
  protocol TCP
  delay_loop 0.05
  ${omega ? 'omega' : ''}
  quorum_down "echo quorum-down >> ${dir}/scripts.log"
  real_server 10.9.0.2 80 {
    notify_up "echo a-up >> ${dir}/scripts.log"
    notify_down "echo a-down >> ${dir}/scripts.log"
    TCP_CHECK {
      retry 2
      delay_before_retry 0.01
    }
  }
  real_server 10.9.0.3 80 {
    notify_down "echo b-down >> ${dir}/scripts.log"
    TCP_CHECK {
      retry 2
      delay_before_retry 0.01
    }
  }
}
`;
  const loaded = loadKeepalivedConfig('/k.conf', memorySource({ '/k.conf': conf }), { configId: 'x' });
  assert.deepEqual(loaded.diagnostics, []);
  assert.equal(spawnSync('mkfifo', [join(dir, 'lvs.fifo')]).status, 0);
  // A non-blocking reader, so that the checker's non-blocking open for writing finds one.
  const text: string[] = [];
  const reader = new Socket({ fd: openSync(join(dir, 'lvs.fifo'), constants.O_RDONLY | constants.O_NONBLOCK), readable: true, writable: false });
  reader.on('data', (d: Buffer) => text.push(d.toString()));
  readers.push(reader);
  return { plan: keepalivedToChecks(loaded.model), fifoText: () => text.join('') };
}

const readers: Socket[] = [];

let cleanup: (() => Promise<unknown>) | undefined;

const until = async (pred: () => boolean, limitMs: number): Promise<void> => {
  const t0 = performance.now();
  while (!pred() && performance.now() - t0 < limitMs) await new Promise((r) => setTimeout(r, 5));
  assert.ok(pred(), 'condition not met in time');
};

test('first verdicts: a passing server at once, a failing one only after its retries; scripts and FIFO lines follow; omega on stop', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-checker-'));
  try {
    const { plan, fifoText } = setup(dir, true);
    const probes = new Map<string, number>();
    const probe: ProbeFn = (_spec, ctx) => {
      const id = `${ctx.server.address}`;
      probes.set(id, (probes.get(id) ?? 0) + 1);
      return Promise.resolve(id === '10.9.0.3' ? { ok: false, detail: 'connection refused', durationMs: 1 } : { ok: true, detail: 'connected', durationMs: 1 });
    };
    const sent: CheckerToParent[] = [];
    let probesAtVerdict = 0;
    const send = (m: CheckerToParent): void => {
      if (m.type === 'verdict' && m.state.id === '10.9.0.3:80') probesAtVerdict = probes.get('10.9.0.3') ?? 0;
      sent.push(m);
    };
    const cp = new CheckerProcess(plan, { send, runner: { probe, prng: new SeededPrng(7) } });
    cleanup = () => cp.stop(false);
    cp.start();
    await until(() => sent.filter((m) => m.type === 'verdict').length === 2, 3000);
    const verdicts = sent.filter((m) => m.type === 'verdict');
    assert.deepEqual(verdicts.map((v) => v.type === 'verdict' && [v.state.id, v.state.health]), [['10.9.0.2:80', 'up'], ['10.9.0.3:80', 'down']]);
    const bVerdict = sent.findIndex((m) => m.type === 'verdict' && m.state.id === '10.9.0.3:80');
    // Three failed checks (retry 2) before the verdict, and the verdict names the cause.
    // (counted when the verdict is sent, in a batch at the end of the turn: under load the next
    // check of the down server may already have started, never fewer than the three).
    assert.ok(probesAtVerdict >= 3 && probesAtVerdict <= 4, `probes at the verdict: ${probesAtVerdict}`);
    const v = sent[bVerdict];
    assert.ok(v?.type === 'verdict');
    assert.equal(v.state.cause.detail, 'TCP_CHECK: connection refused');
    const down = sent.find((m) => m.type === 'event' && m.event.type === 'server');
    assert.ok(down?.type === 'event' && down.log.code === 'HALO_CHK_SERVER_DOWN');
    // Pools are published once per event-loop turn (coalesced), so shortly after the verdict.
    await until(() => sent.some((m) => m.type === 'pool' && m.entries.length === 1 && m.entries[0]?.id === '10.9.0.2:80'), 1000);
    const stopped = await cp.stop(true);
    assert.equal(stopped.type, 'stopped');
    assert.ok(stopped.probes >= 4);
    assert.equal(stopped.scriptsRun, 3, 'b-down, then a-down and quorum-down for omega');
    const scripts = readFileSync(join(dir, 'scripts.log'), 'utf8').trim().split('\n').sort();
    assert.deepEqual(scripts, ['a-down', 'b-down', 'quorum-down']);
    await until(() => fifoText().includes('VS '), 1000);
    assert.deepEqual(fifoText().trim().split('\n'), [
      'RS [10.9.0.3]:tcp:80 [10.9.0.1]:tcp:80 DOWN',
      'RS [10.9.0.2]:tcp:80 [10.9.0.1]:tcp:80 DOWN',
      'VS [10.9.0.1]:tcp:80 DOWN',
    ]);
  } finally {
    // A failed assertion must not leave the runner's timers keeping the test process alive.
    await cleanup?.();
    for (const r of readers.splice(0)) r.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('stop without omega runs no shutdown scripts; notify off runs none at all', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-checker-'));
  try {
    const { plan, fifoText } = setup(dir, true);
    const probe: ProbeFn = () => Promise.resolve({ ok: true, detail: 'connected', durationMs: 1 });
    const sent: CheckerToParent[] = [];
    const cp = new CheckerProcess(plan, { send: (m) => sent.push(m), runner: { probe, prng: new SeededPrng(1) } });
    cleanup = () => cp.stop(false);
    cp.start();
    await until(() => sent.filter((m) => m.type === 'verdict').length === 2, 3000);
    const stopped = await cp.stop(false);
    assert.equal(stopped.scriptsRun, 0);
    assert.equal(fifoText(), '');

    const quiet: CheckerToParent[] = [];
    const failing: ProbeFn = () => Promise.resolve({ ok: false, detail: 'connection refused', durationMs: 1 });
    const cp2 = new CheckerProcess(plan, { send: (m) => quiet.push(m), notify: false, runner: { probe: failing, prng: new SeededPrng(1) } });
    cleanup = () => cp2.stop(false);
    cp2.start();
    await until(() => quiet.filter((m) => m.type === 'verdict').length === 2, 3000);
    assert.equal((await cp2.stop(true)).scriptsRun, 0);
    assert.ok(quiet.some((m) => m.type === 'event' && m.event.type === 'quorum' && !m.event.up), 'events are still reported');
    assert.equal(fifoText(), '');
  } finally {
    // A failed assertion must not leave the runner's timers keeping the test process alive.
    await cleanup?.();
    for (const r of readers.splice(0)) r.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ha_suspend: no probes while the service address is away, checks resume when it comes back', async () => {
  const conf = 'virtual_server 10.9.0.1 80 {\n  protocol TCP\n  delay_loop 0.02\n  ha_suspend\n  real_server 10.9.0.2 80 {\n    TCP_CHECK {\n      warmup 0\n    }\n  }\n}\n';
  const loaded = loadKeepalivedConfig('/k.conf', memorySource({ '/k.conf': conf }), { configId: 'x' });
  const plan = keepalivedToChecks(loaded.model);
  assert.equal(plan.pools[0]?.spec.haSuspend, true);
  let probes = 0;
  const probe: ProbeFn = () => {
    probes++;
    return Promise.resolve({ ok: true, detail: 'connected', durationMs: 1 });
  };
  const cp = new CheckerProcess(plan, { send: () => undefined, notify: false, runner: { probe, prng: new SeededPrng(3) } });
  cleanup = () => cp.stop(false);
  try {
    cp.start();
    cp.setAddressPresent('10.9.0.1:80', false);
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(probes, 0, 'suspended from the start');
    cp.setAddressPresent('10.9.0.1:80', true);
    await until(() => probes >= 2, 2000);
  } finally {
    await cleanup();
  }
});
