// The tutorial scenario (keepalived + two web servers, shared/seeds): two real web servers on
// loopback behind one service, checked by TCP_CHECK and HTTP_GET; one is stopped and started
// again, and the pool follows within the configured times in both directions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { SeededPrng } from '../../../src/core/prng.js';
import { buildCheck, type RealServerSpec, type VirtualServerSpec } from '../../../src/check/spec.js';
import { CheckRunner } from '../../../src/check/runner/runner.js';
import type { CheckEvent, PoolEntry } from '../../../src/check/policy.js';

const DELAY_LOOP_MS = 300;
const RETRY = 2;
const DELAY_BEFORE_RETRY_MS = 100;
const CONNECT_TIMEOUT_MS = 200;

class Web {
  server: Server | undefined;
  sockets = new Set<Socket>();
  port = 0;
  constructor(readonly name: string) {}
  async start(): Promise<void> {
    const server = createServer((req, res) => res.end(req.url === '/health' ? `ok from ${this.name}` : 'page'));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(this.port, '127.0.0.1', r));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server?.close(() => r()));
    this.server = undefined;
  }
}

test('tutorial: web2 stopped leaves the pool, started again comes back, within the configured times', async () => {
  const web1 = new Web('web1');
  const web2 = new Web('web2');
  await web1.start();
  await web2.start();
  const checks = [
    buildCheck({ kind: 'TCP_CHECK', connectTimeoutMs: CONNECT_TIMEOUT_MS, retry: RETRY, delayBeforeRetryMs: DELAY_BEFORE_RETRY_MS, delayLoopMs: DELAY_LOOP_MS }).spec,
    buildCheck({ kind: 'HTTP_GET', urls: [{ path: '/health', regex: '^ok from' }], connectTimeoutMs: CONNECT_TIMEOUT_MS, retry: RETRY, delayBeforeRetryMs: DELAY_BEFORE_RETRY_MS, delayLoopMs: DELAY_LOOP_MS }).spec,
  ];
  const rs = (w: Web): RealServerSpec => ({ id: `127.0.0.1:${w.port}`, address: '127.0.0.1', port: w.port, weight: 1, checkers: checks, inhibitOnFailure: false, slowStartMs: 0 });
  const vs: VirtualServerSpec = { id: '127.0.0.1:8080', address: '127.0.0.1', port: 8080, protocol: 'tcp', realServers: [rs(web1), rs(web2)], quorum: 1, hysteresis: 0, haSuspend: false, omega: false };
  const runner = new CheckRunner([vs], { prng: new SeededPrng(1) });
  const events: CheckEvent[] = [];
  let pool: readonly PoolEntry[] = [];
  runner.on('check', (_id: string, e: CheckEvent) => events.push(e));
  runner.on('pool', (_id: string, p: readonly PoolEntry[]) => (pool = p));
  runner.start();
  try {
    const waitFor = async (pred: () => boolean, limitMs: number): Promise<number> => {
      const t0 = performance.now();
      while (!pred() && performance.now() - t0 < limitMs) await new Promise((r) => setTimeout(r, 5));
      return performance.now() - t0;
    };
    await new Promise((r) => setTimeout(r, DELAY_LOOP_MS * 2));
    assert.equal(pool.length, 2);

    // Down: at most one delay_loop to the next check, then `retry` retries delay_before_retry apart,
    // each failing fast (refused). Slack for timers on a loaded machine: 400 ms.
    const downBoundMs = DELAY_LOOP_MS + RETRY * DELAY_BEFORE_RETRY_MS + (RETRY + 1) * 20 + 400;
    await web2.stop();
    const downMs = await waitFor(() => pool.length === 1, 5000);
    assert.deepEqual(pool.map((e) => e.id), [`127.0.0.1:${web1.port}`]);
    assert.ok(downMs <= downBoundMs, `web2 left the pool after ${downMs.toFixed(0)} ms (bound ${downBoundMs})`);
    assert.ok(downMs >= RETRY * DELAY_BEFORE_RETRY_MS - 20, `not before its retries: ${downMs.toFixed(0)} ms`);
    const down = events.find((e) => e.type === 'server' && e.health === 'down');
    assert.ok(down && down.type === 'server');
    assert.match(down.cause.detail, /^(TCP_CHECK|HTTP_GET \/health): connection refused$/);

    // Up: one success of each checker; at most one delay_loop plus the probe.
    await web2.start();
    const upBoundMs = DELAY_LOOP_MS + 400;
    const upMs = await waitFor(() => pool.length === 2, 5000);
    assert.equal(pool.length, 2);
    assert.ok(upMs <= upBoundMs, `web2 came back after ${upMs.toFixed(0)} ms (bound ${upBoundMs})`);
    console.log(`# tutorial: down after ${downMs.toFixed(0)} ms (bound ${downBoundMs}), up after ${upMs.toFixed(0)} ms (bound ${upBoundMs})`);
  } finally {
    await runner.stop();
    await web1.stop();
    if (web2.server) await web2.stop();
  }
});
