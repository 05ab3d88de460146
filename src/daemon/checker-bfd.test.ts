// BFD_CHECK end to end inside the checker engine: a keepalived.conf with a bfd_instance, the
// CheckerProcess running it on loopback, and a second halo BFD endpoint as the real server's side.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { memorySource } from '../config/glob.js';
import { loadKeepalivedConfig } from '../config/keepalived/load.js';
import { keepalivedToChecks } from '../config/keepalived/to-checks.js';
import { buildBfdInstance } from '../check/bfd/spec.js';
import { BfdEngine } from '../check/runner/bfd-engine.js';
import { freeUdpPort, LOOP_A, LOOP_B, waitFor } from '../check/runner/testing/loopback.js';
import type { BackendState } from '../core/backend.js';
import type { CheckerToParent } from './checker-ipc.js';
import { CheckerProcess } from './checker-process.js';

const A = LOOP_A;
const B = LOOP_B;
const until = waitFor;

test('BFD_CHECK: the real server is up while its BFD session is Up, down within the detection time after', async (t) => {
  const port = await freeUdpPort();
  const conf = `bfd_instance rs1 {
  neighbor_ip ${B}
  source_ip ${A}
  min_rx 10
  min_tx 10
  multiplier 5
}
virtual_server 10.9.0.1 80 {
  protocol TCP
  delay_loop 30
  real_server ${B} 80 {
    BFD_CHECK {
      name rs1
    }
  }
}
`;
  const loaded = loadKeepalivedConfig('/k.conf', memorySource({ '/k.conf': conf }), { configId: 'x' });
  assert.deepEqual(loaded.diagnostics, []);
  const plan = keepalivedToChecks(loaded.model);
  assert.deepEqual(plan.diagnostics, []);
  const messages: CheckerToParent[] = [];
  const checker = new CheckerProcess(plan, { send: (m) => messages.push(m), notify: false, bfd: { port, listenAddress: A } });
  const peer = new BfdEngine([buildBfdInstance({ name: 'director', neighborIp: A, sourceIp: B, minTxUs: 10_000, minRxUs: 10_000 }).spec], { port, listenAddress: B });
  const health = (): string | undefined => {
    const last = messages.filter((m): m is { type: 'backend'; vsId: string; state: BackendState } => m.type === 'backend').at(-1);
    return last?.state.health;
  };
  try {
    checker.start();
    // alpha: down until the session is Up, even though delay_loop is 30 s.
    await sleep(100);
    assert.notEqual(health(), 'up');
    assert.deepEqual(await peer.start(), []);
    const upMs = await until('server up', () => health() === 'up', 5_000);
    t.diagnostic(`real server up ${upMs.toFixed(0)} ms after its BFD peer started`);
    await sleep(200);
    peer.stop({ silent: true });
    const downMs = await until('server down', () => health() === 'down', 2_000);
    t.diagnostic(`real server down ${downMs.toFixed(0)} ms after its BFD peer went silent (detection time 50 ms)`);
    assert.ok(downMs < 50 + 300, `down after ${downMs} ms`);
    const warn = messages.find((m) => m.type === 'warning' && m.code === 'HALO_BFD_SESSION_DOWN');
    assert.ok(warn && warn.type === 'warning');
    assert.match(warn.message, /BFD session rs1 is Down: no BFD packet from the neighbor for 50 ms/);
    const ev = messages.find((m) => m.type === 'event' && m.event.type === 'server' && m.event.health === 'down');
    assert.ok(ev && ev.type === 'event');
    t.diagnostic(`server event: ${JSON.stringify(ev.event)}`);
    assert.match(JSON.stringify(ev.event), /detection time/, "the cause names the BFD reason");
  } finally {
    peer.stop();
    await checker.stop(false);
  }
});
