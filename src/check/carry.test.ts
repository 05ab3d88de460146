import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildCheck, type CheckInput, type CheckSpec, type RealServerSpec, type VirtualServerSpec } from './spec.js';
import { applyProbe, initialPool, type ProbeOutcome } from './policy.js';
import { carryPool } from './carry.js';

function check(input: CheckInput): CheckSpec {
  const r = buildCheck(input);
  assert.deepEqual(r.problems, []);
  return r.spec;
}
const rs = (n: number, checkers: CheckSpec[]): RealServerSpec => ({ id: `10.0.0.${n}:80`, address: `10.0.0.${n}`, port: 80, weight: 1, checkers, inhibitOnFailure: false, slowStartMs: 0 });
const vs = (realServers: RealServerSpec[], extra: Partial<VirtualServerSpec> = {}): VirtualServerSpec => ({
  id: '192.168.0.100:80',
  address: '192.168.0.100',
  port: 80,
  protocol: 'tcp',
  realServers,
  quorum: 1,
  hysteresis: 0,
  haSuspend: false,
  omega: false,
  ...extra,
});
const OK: ProbeOutcome = { ok: true, detail: 'connected', durationMs: 1 };

test('an up server stays up across a reload even with alpha; a down one stays down; a new one starts as at boot', () => {
  const alpha = check({ kind: 'TCP_CHECK', alpha: true });
  const v = vs([rs(1, [alpha]), rs(2, [check({ kind: 'TCP_CHECK' })]), rs(3, [alpha])], { sorryServer: '10.0.0.9:80' });
  const carried: Record<string, 'up' | 'down'> = { '10.0.0.1:80': 'up', '10.0.0.2:80': 'down' };
  const boot = initialPool(v, 0);
  assert.deepEqual(boot.state.servers.map((s) => s.health), ['down', 'up', 'down']);
  const r = carryPool(v, boot, (id) => carried[id], 100);
  assert.deepEqual(r.state.servers.map((s) => s.health), ['up', 'down', 'down']);
  assert.equal(r.state.servers[0]?.cause.detail, 'up before the reload (kept)');
  assert.equal(r.state.quorumUp, true);
  assert.deepEqual(r.events, [], 'quorum is up: the sorry server of the boot state is not put in');
  // The kept-down server comes back through its checks as usual.
  const back = applyProbe(v, r.state, 1, 0, OK, 200);
  assert.equal(back.state.servers[1]?.health, 'up');
});

test('nothing carried: the boot state is returned as it is', () => {
  const v = vs([rs(1, [check({ kind: 'TCP_CHECK', alpha: true })])]);
  const boot = initialPool(v, 0);
  assert.equal(carryPool(v, boot, () => undefined, 5), boot);
});
