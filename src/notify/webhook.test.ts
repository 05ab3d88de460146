import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebhookNotifier } from './webhook.js';
import { MemoryLog } from './log.js';

/** A loopback HTTP receiver that answers with the next status of `statuses` (the last repeats). */
async function receiver(statuses: number[]): Promise<{ url: string; bodies: unknown[]; hits: () => number; close: () => Promise<void> }> {
  const bodies: unknown[] = [];
  let hits = 0;
  const server = createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      const status = statuses[Math.min(hits, statuses.length - 1)] ?? 200;
      hits++;
      if (status === 200) bodies.push(JSON.parse(data));
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end('x');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/hook`, bodies, hits: () => hits, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

test('retries 5xx with backoff and delivers in order', async () => {
  const rx = await receiver([500, 503, 200]);
  try {
    const log = new MemoryLog();
    const w = new WebhookNotifier({ url: rx.url, backoffBaseMs: 20, maxAttempts: 5 }, log.sink);
    w.post({ seq: 1, state: 'MASTER' });
    w.post({ seq: 2, state: 'BACKUP' });
    await w.idle();
    w.close();
    assert.deepEqual(rx.bodies, [{ seq: 1, state: 'MASTER' }, { seq: 2, state: 'BACKUP' }]);
    assert.equal(rx.hits(), 4);
    assert.equal(w.counters.retries, 2);
    assert.deepEqual(log.events, []);
  } finally {
    await rx.close();
  }
});

test('gives up after maxAttempts, logs, and goes on with the next event; 4xx is final', async () => {
  const rx = await receiver([500, 500, 500, 404, 200]);
  try {
    const log = new MemoryLog();
    const w = new WebhookNotifier({ url: rx.url, backoffBaseMs: 10, maxAttempts: 3 }, log.sink);
    w.post({ seq: 1 });
    w.post({ seq: 2 });
    w.post({ seq: 3 });
    await w.idle();
    w.close();
    assert.equal(rx.hits(), 5, '3 attempts for seq 1, one for seq 2 (404), one for seq 3');
    assert.deepEqual(rx.bodies, [{ seq: 3 }]);
    assert.deepEqual(log.codes(), ['HALO_NTF_WEBHOOK_FAILED', 'HALO_NTF_WEBHOOK_FAILED']);
    assert.match(log.events[0]?.message ?? '', /HTTP 500 after 3 attempts/);
    assert.match(log.events[1]?.message ?? '', /HTTP 404$/);
  } finally {
    await rx.close();
  }
});

test('the queue is bounded and a dead receiver costs only bounded attempts', async () => {
  const log = new MemoryLog();
  // Nothing listens on port 9 of loopback ("discard" is not running here): connection refused.
  const w = new WebhookNotifier({ url: 'http://127.0.0.1:9/hook', backoffBaseMs: 5, maxAttempts: 2, maxQueued: 3 }, log.sink);
  const t0 = performance.now();
  for (let i = 0; i < 6; i++) w.post({ seq: i });
  assert.ok(performance.now() - t0 < 50, 'post() returns at once');
  await w.idle();
  w.close();
  assert.ok(w.counters.dropped >= 2, `dropped ${w.counters.dropped}`);
  assert.equal(w.counters.failed + w.counters.dropped, 6);
  assert.ok(log.codes().includes('HALO_NTF_QUEUE_FULL'));
  assert.ok(log.codes().includes('HALO_NTF_WEBHOOK_FAILED'));
});
