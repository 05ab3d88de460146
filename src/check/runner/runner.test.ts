import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededPrng } from '../../core/prng.js';
import { buildCheck, type CheckSpec, type CommonInput, type RealServerSpec, type VirtualServerSpec } from '../spec.js';
import type { ProbeOutcome } from '../policy.js';
import { CheckRunner, type ProbeRecord } from './runner.js';

const seed = process.env.HALO_SEED !== undefined ? Number(process.env.HALO_SEED) : 7;

function tcp(over: CommonInput = {}): CheckSpec {
  return buildCheck({ kind: 'TCP_CHECK', delayLoopMs: 300, delayBeforeRetryMs: 60, warmupMs: 0, retry: 1, ...over }).spec;
}
function rs(n: number, checkers: CheckSpec[]): RealServerSpec {
  return { id: `10.0.0.${n}:80`, address: `10.0.0.${n}`, port: 80, weight: 1, checkers, inhibitOnFailure: false, slowStartMs: 0 };
}
function vs(servers: RealServerSpec[]): VirtualServerSpec {
  return { id: 'vs:80', address: '192.0.2.1', port: 80, protocol: 'tcp', realServers: servers, quorum: 1, hysteresis: 0, haSuspend: true, omega: true };
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('runner: probes on schedule, retries, takes a server out and back, emits pool changes', async () => {
  const healthy = new Map<string, boolean>([['10.0.0.1', true], ['10.0.0.2', true]]);
  const records: ProbeRecord[] = [];
  const pools: string[][] = [];
  const runner = new CheckRunner([vs([rs(1, [tcp()]), rs(2, [tcp()])])], {
    prng: new SeededPrng(seed),
    probe: async (_spec, ctx): Promise<ProbeOutcome> => ({ ok: healthy.get(ctx.server.address) ?? false, detail: healthy.get(ctx.server.address) ? 'connected' : 'connection refused', durationMs: 0 }),
  });
  runner.on('probe', (r: ProbeRecord) => records.push(r));
  runner.on('pool', (_id: string, p: { id: string }[]) => pools.push(p.map((e) => e.id)));
  const shutdown: string[] = [];
  runner.start();
  try {
    await sleep(100);
    assert.deepEqual(runner.pool('vs:80').map((e) => e.id), ['10.0.0.1:80', '10.0.0.2:80']);
    healthy.set('10.0.0.2', false);
    const failAt = performance.now();
    while (runner.pool('vs:80').length === 2 && performance.now() - failAt < 2000) await sleep(5);
    const downMs = performance.now() - failAt;
    assert.deepEqual(runner.pool('vs:80').map((e) => e.id), ['10.0.0.1:80']);
    // At most one delay_loop (300) to the next check, one delay_before_retry (60) to the retry,
    // plus slack for a loaded machine (250); never before the retry.
    assert.ok(downMs >= 55 && downMs < 300 + 60 + 250, `down after ${downMs.toFixed(0)} ms`);
    const fails = records.filter((r) => r.serverId === '10.0.0.2:80' && !r.outcome.ok);
    assert.ok(fails.length >= 2);
    const gap = fails[1]!.startedMs - fails[0]!.startedMs;
    assert.ok(gap >= 55 && gap < 200, `the retry came ${gap.toFixed(0)} ms later: delay_before_retry, not delay_loop`);
    healthy.set('10.0.0.2', true);
    const upAt = performance.now();
    while (runner.pool('vs:80').length === 1 && performance.now() - upAt < 2000) await sleep(5);
    assert.equal(runner.pool('vs:80').length, 2);
    assert.ok(performance.now() - upAt < 300 + 250);
    await new Promise((r) => setImmediate(r)); // pool events are coalesced once per turn
    assert.deepEqual(pools, [['10.0.0.1:80', '10.0.0.2:80'], ['10.0.0.1:80'], ['10.0.0.1:80', '10.0.0.2:80']]);
    runner.on('check', (_id: string, e: { type: string }) => shutdown.push(e.type));
  } finally {
    await runner.stop();
  }
  assert.deepEqual(shutdown, ['server', 'server', 'quorum'], 'omega: notify_down for live servers and quorum_down');
  const n = records.length;
  await sleep(400);
  assert.equal(records.length, n, 'no probes after stop');
});

test('runner: in-flight probes are bounded, ha_suspend stops checks', async () => {
  let inFlight = 0;
  let peak = 0;
  let probes = 0;
  const servers = Array.from({ length: 50 }, (_, i) => rs(i + 1, [tcp({ delayLoopMs: 20, delayBeforeRetryMs: 10 })]));
  const runner = new CheckRunner([vs(servers)], {
    maxInFlight: 5,
    probe: async (): Promise<ProbeOutcome> => {
      inFlight++;
      probes++;
      peak = Math.max(peak, inFlight);
      await sleep(5);
      inFlight--;
      return { ok: true, detail: 'ok', durationMs: 5 };
    },
  });
  runner.start();
  try {
    const t0 = performance.now();
    while (probes < 120 && performance.now() - t0 < 5000) await sleep(10);
    assert.ok(probes >= 120, `${probes} probes`);
    assert.ok(peak <= 5, `peak ${peak}`);
    runner.setAddressPresent('vs:80', false);
    await sleep(60);
    const before = probes;
    await sleep(200);
    assert.ok(probes - before <= 5, `suspended: ${probes - before} probes`);
  } finally {
    await runner.stop();
  }
});
