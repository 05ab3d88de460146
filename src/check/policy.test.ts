import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildCheck, type CheckInput, type CheckSpec, type RealServerSpec, type VirtualServerSpec } from './spec.js';
import {
  applyProbe,
  eventLog,
  backendStates,
  effectiveWeight,
  fifoLine,
  initialChecker,
  initialPool,
  nextTickMs,
  poolView,
  setSuspended,
  shutdownEvents,
  stepChecker,
  tick,
  urlsToProbe,
  type CheckEvent,
  type PoolState,
  type ProbeOutcome,
} from './policy.js';

const OK: ProbeOutcome = { ok: true, detail: 'connected', durationMs: 1 };
const FAIL: ProbeOutcome = { ok: false, detail: 'connection refused', durationMs: 1 };

function check(input: CheckInput): CheckSpec {
  const r = buildCheck(input);
  assert.deepEqual(r.problems, []);
  return r.spec;
}

function rs(n: number, checkers: CheckSpec[], extra: Partial<RealServerSpec> = {}): RealServerSpec {
  return { id: `10.0.0.${n}:80`, address: `10.0.0.${n}`, port: 80, weight: 1, checkers, inhibitOnFailure: false, slowStartMs: 0, ...extra };
}

function vs(realServers: RealServerSpec[], extra: Partial<VirtualServerSpec> = {}): VirtualServerSpec {
  return { id: '192.168.0.100:80', address: '192.168.0.100', port: 80, protocol: 'tcp', realServers, quorum: 1, hysteresis: 0, haSuspend: false, omega: false, ...extra };
}

/** Runs probes the way the runner does, on simulated time: returns the time the server went down. */
function failUntilDown(v: VirtualServerSpec, outcomes: () => ProbeOutcome, startMs: number): { downAtMs: number | undefined; probes: number; events: CheckEvent[] } {
  let { state } = initialPool(v, 0);
  let nowMs = startMs;
  const events: CheckEvent[] = [];
  const spec = v.realServers[0]!.checkers[0]!;
  for (let probes = 1; probes <= 50; probes++) {
    const step = applyProbe(v, state, 0, 0, outcomes(), nowMs);
    state = step.state;
    events.push(...step.events);
    if (state.servers[0]!.health === 'down') return { downAtMs: nowMs, probes, events };
    nowMs += step.next === 'retry' ? spec.delayBeforeRetryMs : spec.delayLoopMs;
  }
  return { downAtMs: undefined, probes: 50, events };
}

test('keepalived retry: a live server goes down after retry + 1 failures, delay_before_retry apart', () => {
  // The tutorial's TCP_CHECK: connect_timeout 3, nb_get_retry 3, delay_before_retry 3.
  const tcp = check({ kind: 'TCP_CHECK', connectPort: 80, connectTimeoutMs: 3000, retry: 3, delayBeforeRetryMs: 3000, delayLoopMs: 6000 });
  const r = failUntilDown(vs([rs(1, [tcp])]), () => FAIL, 60_000);
  assert.equal(r.probes, 4);
  assert.equal(r.downAtMs, 60_000 + 3 * 3000);
  const down = r.events.filter((e) => e.type === 'server');
  assert.equal(down.length, 1);
  assert.deepEqual(down[0], { type: 'server', serverId: '10.0.0.1:80', health: 'down', cause: { source: 'TCP_CHECK', detail: 'TCP_CHECK :80: connection refused', atMs: 69_000 } });
});

test('default retry 1: down on the second failure, never on the first', () => {
  const spec = check({ kind: 'TCP_CHECK' });
  let c = initialChecker(spec, 0);
  const s1 = stepChecker(spec, c, FAIL, 0);
  assert.equal(s1.state.up, true);
  assert.equal(s1.next, 'retry');
  assert.equal(s1.changed, false);
  c = s1.state;
  const s2 = stepChecker(spec, c, FAIL, 1000);
  assert.equal(s2.state.up, false);
  assert.equal(s2.changed, true);
  assert.equal(s2.next, 'loop', 'a down server is not retried');
  const s3 = stepChecker(spec, s2.state, FAIL, 61_000);
  assert.equal(s3.next, 'loop');
  assert.equal(s3.changed, false);
});

test('a success between failures resets the count', () => {
  const spec = check({ kind: 'TCP_CHECK', retry: 2 });
  let c = initialChecker(spec, 0);
  for (const o of [FAIL, FAIL, OK, FAIL, FAIL]) c = stepChecker(spec, c, o, 0).state;
  assert.equal(c.up, true);
  c = stepChecker(spec, c, FAIL, 0).state;
  assert.equal(c.up, false);
});

test('one success brings a checker back (keepalived); rise asks for more', () => {
  const spec = check({ kind: 'TCP_CHECK', retry: 0, alpha: true });
  let c = initialChecker(spec, 0);
  assert.equal(c.up, false, 'alpha starts down');
  const s = stepChecker(spec, c, OK, 5);
  assert.equal(s.state.up, true);
  assert.equal(s.changed, true);

  const rise3 = check({ kind: 'TCP_CHECK', retry: 0, rise: 3 });
  c = stepChecker(rise3, initialChecker(rise3, 0), FAIL, 0).state;
  assert.equal(c.up, false);
  c = stepChecker(rise3, c, OK, 1).state;
  c = stepChecker(rise3, c, OK, 2).state;
  assert.equal(c.up, false);
  assert.match(c.lastDetail, /2\/3 to rise/);
  c = stepChecker(rise3, c, FAIL, 3).state;
  c = stepChecker(rise3, c, OK, 4).state;
  c = stepChecker(rise3, c, OK, 5).state;
  assert.equal(c.up, false, 'a failure restarts the rise count');
  c = stepChecker(rise3, c, OK, 6).state;
  assert.equal(c.up, true);
  assert.equal(c.lastChangeMs, 6);
});

test('HTTP_GET recovers one url per delay_loop; fast_recovery checks them all at once', () => {
  const slow = check({ kind: 'HTTP_GET', urls: [{ path: '/a' }, { path: '/b' }, { path: '/c' }], retry: 0 });
  let c = stepChecker(slow, initialChecker(slow, 0), FAIL, 0).state;
  assert.deepEqual(urlsToProbe(slow, c), [0]);
  c = stepChecker(slow, c, OK, 1).state;
  assert.deepEqual(urlsToProbe(slow, c), [1]);
  c = stepChecker(slow, c, OK, 2).state;
  assert.equal(c.up, false);
  assert.deepEqual(urlsToProbe(slow, c), [2]);
  c = stepChecker(slow, c, OK, 3).state;
  assert.equal(c.up, true);
  assert.deepEqual(urlsToProbe(slow, c), [0, 1, 2]);

  const fast = check({ kind: 'HTTP_GET', urls: [{ path: '/a' }, { path: '/b' }, { path: '/c' }], retry: 0, fastRecovery: true });
  c = stepChecker(fast, initialChecker(fast, 0), FAIL, 0).state;
  assert.deepEqual(urlsToProbe(fast, c), [0, 1, 2]);
  c = stepChecker(fast, c, OK, 1).state;
  assert.equal(c.up, true);
});

test('a real server is up only when all its checkers pass; the cause names the failing one', () => {
  const tcp = check({ kind: 'TCP_CHECK', retry: 0 });
  const http = check({ kind: 'HTTP_GET', urls: [{ path: '/health' }], retry: 0 });
  const v = vs([rs(1, [tcp, http])]);
  let { state } = initialPool(v, 0);
  let step = applyProbe(v, state, 0, 1, { ok: false, detail: 'status 503', durationMs: 2 }, 10);
  state = step.state;
  assert.equal(state.servers[0]!.health, 'down');
  const ev = step.events.find((e) => e.type === 'server');
  assert.ok(ev && ev.type === 'server');
  assert.equal(ev.cause.detail, 'HTTP_GET /health: status 503');
  step = applyProbe(v, state, 0, 0, OK, 20);
  assert.equal(step.state.servers[0]!.health, 'down', 'TCP passing does not bring it back');
  step = applyProbe(v, step.state, 0, 0, FAIL, 30);
  step = applyProbe(v, step.state, 0, 1, { ok: true, detail: 'status 200', durationMs: 1 }, 40);
  assert.equal(step.state.servers[0]!.health, 'down', 'TCP is now down');
  assert.equal(step.state.servers[0]!.cause.detail, 'TCP_CHECK: connection refused');
  step = applyProbe(v, step.state, 0, 0, OK, 50);
  assert.equal(step.state.servers[0]!.health, 'up');
  const up = step.events.find((e) => e.type === 'server');
  assert.ok(up && up.type === 'server' && up.health === 'up');
  assert.equal(up.cause.detail, 'TCP_CHECK: connected');
});

test('inhibit_on_failure keeps a failed server in the pool at weight 0; otherwise it leaves', () => {
  const tcp = check({ kind: 'TCP_CHECK', retry: 0 });
  const v = vs([rs(1, [tcp], { inhibitOnFailure: true, weight: 3 }), rs(2, [tcp], { weight: 2 })]);
  let { state } = initialPool(v, 0);
  assert.deepEqual(poolView(v, state, 0), [{ id: '10.0.0.1:80', weight: 3, sorry: false }, { id: '10.0.0.2:80', weight: 2, sorry: false }]);
  state = applyProbe(v, state, 0, 0, FAIL, 1).state;
  state = applyProbe(v, state, 1, 0, FAIL, 1).state;
  assert.deepEqual(poolView(v, state, 1), [{ id: '10.0.0.1:80', weight: 0, sorry: false }]);
  const b = backendStates(v, state, 1);
  assert.equal(b[0]!.health, 'down');
  assert.equal(b[0]!.weight, 3);
  assert.equal(b[0]!.effectiveWeight, 0);
  assert.equal(b[0]!.admin, 'ready');
});

test('misc_dynamic: exit code 2..255 sets the weight to code - 2', () => {
  const misc = check({ kind: 'MISC_CHECK', miscPath: '/x', miscDynamic: true });
  const v = vs([rs(1, [misc], { weight: 5 })]);
  const { state } = initialPool(v, 0);
  const step = applyProbe(v, state, 0, 0, { ok: true, detail: 'exit 12', durationMs: 3, weight: 10 }, 100);
  assert.equal(effectiveWeight(v.realServers[0]!, step.state.servers[0]!, 100), 10);
  const w = step.events.find((e) => e.type === 'weight');
  assert.ok(w && w.type === 'weight');
  assert.equal(w.weight, 10);
  assert.equal(w.cause.detail, 'weight 5 -> 10');
});

test('quorum with hysteresis, quorum_up/quorum_down and the sorry server', () => {
  const tcp = check({ kind: 'TCP_CHECK', retry: 0 });
  const v = vs([rs(1, [tcp]), rs(2, [tcp]), rs(3, [tcp])], { quorum: 2, hysteresis: 1, sorryServer: '10.0.9.9:80', quorumUp: '/up.sh', quorumDown: '/down.sh' });
  const init = initialPool(v, 0);
  let state = init.state;
  const events = init.events;
  assert.equal(state.quorumUp, true);
  assert.deepEqual(events, []);
  const all: CheckEvent[] = [];
  const probe = (i: number, o: ProbeOutcome, t: number): void => {
    const s = applyProbe(v, state, i, 0, o, t);
    state = s.state;
    all.push(...s.events);
  };
  probe(0, FAIL, 1);
  probe(1, FAIL, 2);
  assert.equal(state.quorumUp, true, 'live 1 is not below quorum - hysteresis = 1');
  probe(2, FAIL, 3);
  assert.equal(state.quorumUp, false);
  assert.deepEqual(all.filter((e) => e.type === 'quorum'), [{ type: 'quorum', vsId: v.id, up: false, liveWeight: 0, quorum: 2, atMs: 3, script: '/down.sh' }]);
  assert.deepEqual(poolView(v, state, 3), [{ id: '10.0.9.9:80', weight: 1, sorry: true }]);
  probe(0, OK, 4);
  probe(1, OK, 5);
  assert.equal(state.quorumUp, false, 'live 2 is below quorum + hysteresis = 3');
  assert.equal(poolView(v, state, 5)[0]!.sorry, true);
  probe(2, OK, 6);
  assert.equal(state.quorumUp, true);
  assert.equal(poolView(v, state, 6).length, 3);
  const sorry = all.filter((e) => e.type === 'sorry-server').map((e) => (e.type === 'sorry-server' ? [e.active, e.atMs] : []));
  assert.deepEqual(sorry, [[true, 3], [false, 6]]);
  const q = all.filter((e) => e.type === 'quorum');
  assert.equal(q.length, 2);
  assert.equal(fifoLine(v, q[1]!), 'VS [192.168.0.100]:tcp:80 UP');
  const srv = all.find((e) => e.type === 'server');
  assert.equal(fifoLine(v, srv!), 'RS [10.0.0.1]:tcp:80 [192.168.0.100]:tcp:80 DOWN');
});

test('alpha at start: servers down, quorum down, sorry server in from the start', () => {
  const tcp = check({ kind: 'TCP_CHECK', alpha: true });
  const v = vs([rs(1, [tcp])], { sorryServer: '10.0.9.9:80' });
  const { state, events } = initialPool(v, 0);
  assert.equal(state.servers[0]!.health, 'down');
  assert.equal(state.quorumUp, false);
  assert.equal(events.length, 1);
  assert.equal(state.servers[0]!.cause.detail, 'TCP_CHECK: alpha: not checked yet');
});

test('slow start ramps the weight from 1 to weight over slowStartMs after a recovery', () => {
  const tcp = check({ kind: 'TCP_CHECK', retry: 0 });
  const v = vs([rs(1, [tcp], { weight: 10, slowStartMs: 10_000 })]);
  let { state } = initialPool(v, 0);
  assert.equal(effectiveWeight(v.realServers[0]!, state.servers[0]!, 0), 10, 'no slow start at startup');
  state = applyProbe(v, state, 0, 0, FAIL, 1000).state;
  const up = applyProbe(v, state, 0, 0, OK, 2000);
  state = up.state;
  const rsSpec = v.realServers[0]!;
  assert.equal(effectiveWeight(rsSpec, state.servers[0]!, 2000), 1);
  assert.equal(effectiveWeight(rsSpec, state.servers[0]!, 4500), 3);
  assert.equal(effectiveWeight(rsSpec, state.servers[0]!, 7000), 5);
  assert.equal(effectiveWeight(rsSpec, state.servers[0]!, 12_000), 10);
  const weights: number[] = [];
  let now = 2000;
  for (let i = 0; i < 20; i++) {
    const at = nextTickMs(v, state, now);
    if (at === undefined) break;
    assert.ok(at > now);
    now = at;
    const t = tick(v, state, now);
    state = t.state;
    for (const e of t.events) if (e.type === 'weight') weights.push(e.weight);
  }
  assert.deepEqual(weights, [2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(now, 12_000);
  assert.equal(nextTickMs(v, state, now), undefined);
});

test('log_all_failures reports failed retries of a live checker', () => {
  const quiet = check({ kind: 'TCP_CHECK', retry: 2 });
  const loud = check({ kind: 'TCP_CHECK', retry: 2, logAllFailures: true });
  const count = (spec: CheckSpec): number => {
    const v = vs([rs(1, [spec])]);
    let { state } = initialPool(v, 0);
    let n = 0;
    for (let i = 0; i < 3; i++) {
      const s = applyProbe(v, state, 0, 0, FAIL, i);
      state = s.state;
      n += s.events.filter((e) => e.type === 'probe-failed').length;
    }
    return n;
  };
  assert.equal(count(quiet), 1, 'only the failure that takes it down');
  assert.equal(count(loud), 3);
});

test('ha_suspend: outcomes are ignored while suspended', () => {
  const tcp = check({ kind: 'TCP_CHECK', retry: 0 });
  const v = vs([rs(1, [tcp])], { haSuspend: true });
  let state: PoolState = setSuspended(initialPool(v, 0).state, true);
  state = applyProbe(v, state, 0, 0, FAIL, 1).state;
  assert.equal(state.servers[0]!.health, 'up');
  state = applyProbe(v, setSuspended(state, false), 0, 0, FAIL, 2).state;
  assert.equal(state.servers[0]!.health, 'down');
});

test('omega: notify_down and quorum_down on shutdown', () => {
  const tcp = check({ kind: 'TCP_CHECK' });
  const v = vs([rs(1, [tcp], { notifyDown: '/nd.sh' }), rs(2, [tcp])], { omega: true, quorumDown: '/qd.sh' });
  const { state } = initialPool(v, 0);
  const ev = shutdownEvents(v, state, 9);
  assert.equal(ev.length, 3);
  assert.deepEqual(ev.map((e) => (e.type === 'server' ? e.notify : e.type === 'quorum' ? e.script : '')), ['/nd.sh', undefined, '/qd.sh']);
  assert.deepEqual(shutdownEvents({ ...v, omega: false }, state, 9), []);
});

test('property: a live checker goes down exactly on the fall-th consecutive failure', () => {
  const seed = process.env.HALO_SEED !== undefined ? Number(process.env.HALO_SEED) : undefined;
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 1, max: 4 }), fc.array(fc.boolean(), { maxLength: 60 }), (retry, rise, seq) => {
      const spec = check({ kind: 'TCP_CHECK', retry, rise });
      let c = initialChecker(spec, 0);
      let fails = 0;
      let oks = 0;
      for (const ok of seq) {
        const wasUp = c.up;
        const s = stepChecker(spec, c, ok ? OK : FAIL, 0);
        c = s.state;
        fails = ok ? 0 : fails + 1;
        oks = ok ? oks + 1 : 0;
        if (wasUp) assert.equal(c.up, !(fails >= retry + 1), `up with ${fails} consecutive failures`);
        else assert.equal(c.up, oks >= rise);
        if (wasUp && !ok && c.up) assert.equal(s.next, 'retry');
      }
    }),
    seed !== undefined ? { seed } : {},
  );
});

test('every event has a log line; warnings carry catalogued codes', () => {
  const at = { atMs: 1 };
  assert.deepEqual(eventLog('vs', { type: 'probe-failed', serverId: 'a:80', checker: 'HTTP_GET /h', detail: 'status 503', ...at }), {
    severity: 'warning',
    code: 'HALO_CHK_PROBE_FAILED',
    message: 'Check of a:80 failed: HTTP_GET /h: status 503',
  });
  assert.equal(eventLog('vs', { type: 'probe-failed', serverId: 'a:80', checker: 'MISC_CHECK /x', detail: 'timeout after 5 ms (killed by SIGTERM)', ...at }).code, 'HALO_CHK_SCRIPT_TIMEOUT');
  const down = eventLog('vs', { type: 'server', serverId: 'a:80', health: 'down', cause: { source: 'TCP_CHECK', detail: 'TCP_CHECK: connection refused', atMs: 1 } });
  assert.deepEqual([down.code, down.message], ['HALO_CHK_SERVER_DOWN', 'Real server a:80 of vs is down: TCP_CHECK: connection refused']);
  assert.equal(eventLog('vs', { type: 'quorum', vsId: 'vs', up: false, liveWeight: 0, quorum: 2, ...at }).code, 'HALO_CHK_QUORUM_LOST');
  assert.equal(eventLog('vs', { type: 'quorum', vsId: 'vs', up: true, liveWeight: 2, quorum: 2, ...at }).severity, 'info');
  assert.match(eventLog('vs', { type: 'sorry-server', vsId: 'vs', serverId: 's:80', active: true, ...at }).message, /^Sorry server s:80 takes/);
  for (const m of [down.message]) assert.match(m, /^[A-Z].*[^.]$/);
});

test('property: pool invariants hold for any sequence of probe outcomes', () => {
  const seed = process.env.HALO_SEED !== undefined ? Number(process.env.HALO_SEED) : undefined;
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 0, max: 2 }),
      fc.integer({ min: 0, max: 6 }),
      fc.boolean(),
      fc.array(fc.tuple(fc.nat(), fc.nat(), fc.boolean()), { maxLength: 200 }),
      (nServers, hysteresis, quorum, withSorry, steps) => {
        const tcp = check({ kind: 'TCP_CHECK', retry: 1 });
        const http = check({ kind: 'HTTP_GET', urls: [{ path: '/' }], retry: 0 });
        const servers = Array.from({ length: nServers }, (_, i) => rs(i + 1, i % 2 === 0 ? [tcp] : [tcp, http], { weight: 1 + (i % 3), inhibitOnFailure: i % 3 === 0 }));
        const v = vs(servers, { quorum, hysteresis, ...(withSorry ? { sorryServer: '10.9.9.9:80' } : {}) });
        let { state } = initialPool(v, 0);
        let lastQuorum = state.quorumUp;
        steps.forEach(([si, ci, ok], t) => {
          const s = si % nServers;
          const c = ci % v.realServers[s]!.checkers.length;
          const step = applyProbe(v, state, s, c, ok ? OK : FAIL, t);
          state = step.state;
          const live = v.realServers.reduce((sum, r, i) => sum + (state.servers[i]!.health === 'up' ? r.weight : 0), 0);
          state.servers.forEach((srv) => assert.equal(srv.health === 'up', srv.checkers.every((k) => k.up)));
          if (state.quorumUp) assert.ok(live >= quorum - hysteresis, `quorum up with live ${live}`);
          else assert.ok(live < quorum + hysteresis, `quorum down with live ${live}`);
          assert.equal(state.sorryActive, withSorry && !state.quorumUp);
          const view = poolView(v, state, t);
          if (state.sorryActive) assert.deepEqual(view.map((e) => e.id), ['10.9.9.9:80']);
          else {
            const expected = v.realServers.filter((r, i) => state.servers[i]!.health === 'up' || r.inhibitOnFailure).map((r) => r.id);
            assert.deepEqual(view.map((e) => e.id), expected);
            for (const e of view) assert.equal(e.weight === 0, state.servers[v.realServers.findIndex((r) => r.id === e.id)]!.health === 'down');
          }
          for (const e of step.events) {
            if (e.type !== 'quorum') continue;
            assert.notEqual(e.up, lastQuorum, 'quorum events alternate');
            lastQuorum = e.up;
          }
        });
      },
    ),
    seed !== undefined ? { seed } : {},
  );
});
