import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { WorkerPool, type ProxyConfig } from '../../src/proxy/workers.js';
import { poolSpec, serviceSpec } from '../../src/proxy/types.js';
import { be, httpBackend } from '../../src/proxy/testing/harness.js';
import { loadAddon } from '../../src/net/linux/native.js';

function get(port: number, agent: http.Agent | false): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent, timeout: 3000 }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString() }));
      res.on('error', () => resolve({ status: -1, body: '' }));
    });
    req.on('error', (e) => resolve({ status: -1, body: e.message }));
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}

test('workers: config and states over IPC, counters back, reload and roll without a failed request', { timeout: 60_000 }, async () => {
  const a = await httpBackend((_q, res) => res.end('from-a'));
  const b = await httpBackend((_q, res) => res.end('from-b'));
  const cfg = (target: number): ProxyConfig => ({
    services: [serviceSpec({ name: 'web', pool: 'p', listenPort: 0 })],
    pools: [poolSpec('p', [be(target)])],
  });
  const logs: string[] = [];
  const pool = new WorkerPool({ count: 2, drainBoundMs: 3000, log: (_l, code, m) => logs.push(`${code} ${m}`) });
  try {
    await pool.start(cfg(a.port));
    assert.equal(pool.workerPids().length, 2);
    const port = pool.ports()['web'];
    assert.ok(port !== undefined && port > 0, 'the service is listening');
    for (let i = 0; i < 10; i++) assert.deepEqual(await get(port, false), { status: 200, body: 'from-a' });

    // a bounded request loop runs while the config changes and the workers are replaced
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const results: Array<{ status: number; body: string }> = [];
    let stop = false;
    const loop = (async () => {
      for (let i = 0; i < 3000 && !stop; i++) results.push(await get(port, i % 2 === 0 ? agent : false));
    })();
    await new Promise((r) => setTimeout(r, 200));
    await pool.reload(cfg(b.port));
    await new Promise((r) => setTimeout(r, 200));
    const oldPids = pool.workerPids();
    await pool.roll();
    assert.notDeepEqual(pool.workerPids(), oldPids, 'new workers');
    await new Promise((r) => setTimeout(r, 200));
    stop = true;
    await loop;
    agent.destroy();
    const failed = results.filter((r) => r.status !== 200);
    assert.deepEqual(failed, [], `${failed.length} of ${results.length} requests failed during reload/roll`);
    assert.ok(results.length > 20, `only ${results.length} requests ran`);
    assert.equal(results.at(-1)?.body, 'from-b', 'the new pool serves after the reload');
    assert.ok(results.some((r) => r.body === 'from-a'));

    // backend states reach the workers: the only backend down gives 502 (no live upstreams)
    const down = { id: be(b.port).id, health: 'down' as const, admin: 'ready' as const, weight: 1, effectiveWeight: 1, cause: { source: 'test', detail: 'down', atMs: 0 } };
    pool.setStates([down]);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await get(port, false)).status, 502);
    pool.setStates([{ ...down, health: 'up' }]);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await get(port, false)).status, 200);

    await new Promise((r) => setTimeout(r, 1300)); // counters are reported once a second
    const c = pool.counters();
    assert.ok(c.requests >= results.length + 12, `counters: ${c.requests} requests`);
    assert.ok(c.noLiveUpstreams >= 1);
    if (loadAddon().ok && process.env['HALO_PROXY_FRONT'] !== 'node') {
      // cluster workers hand their shared listener to the client front
      assert.ok(c.frontConns > 0 && c.frontConns <= c.clientConns, `front: ${c.frontConns} of ${c.clientConns} connections`);
    } else {
      console.log('# client front not checked: the addon is missing or HALO_PROXY_FRONT=node');
    }
  } finally {
    await pool.stop();
    await a.close();
    await b.close();
  }
  assert.ok(!logs.some((l) => l.startsWith('HALO_PRX_WORKER_EXITED')), logs.join('\n'));
});

test('workers: a worker that dies is restarted and gets the config again', { timeout: 30_000 }, async () => {
  const a = await httpBackend((_q, res) => res.end('from-a'));
  const logs: string[] = [];
  const pool = new WorkerPool({ count: 2, drainBoundMs: 2000, log: (_l, code) => logs.push(code) });
  try {
    await pool.start({ services: [serviceSpec({ name: 'web', pool: 'p', listenPort: 0 })], pools: [poolSpec('p', [be(a.port)])] });
    const port = pool.ports()['web'] ?? 0;
    const victim = pool.workerPids()[0] ?? 0;
    assert.ok(victim > 0);
    process.kill(victim, 'SIGKILL'); // our own child, by pid
    const until = Date.now() + 10_000;
    while (Date.now() < until && (pool.workerPids().length < 2 || pool.workerPids().includes(victim))) await new Promise((r) => setTimeout(r, 100));
    assert.equal(pool.workerPids().length, 2);
    assert.ok(!pool.workerPids().includes(victim));
    assert.ok(logs.includes('HALO_PRX_WORKER_EXITED'));
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 6; i++) assert.deepEqual(await get(port, false), { status: 200, body: 'from-a' });
  } finally {
    await pool.stop();
    await a.close();
  }
});
