// The nginx setup of seed 003 (`upstream web { server A max_fails=2 fail_timeout=3; server B
// max_fails=2 fail_timeout=3; }` behind `proxy_pass http://web`), built by hand as the proxy
// consumes it, on loopback: a backend that dies is retried around, taken out after two failures
// for three seconds, then probed with one request and taken back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { be, rawRequest, startHttpProxy, statuses } from '../../src/proxy/testing/harness.js';

function named(name: string, port = 0): Promise<{ server: http.Server; port: number; hits: () => number }> {
  let hits = 0;
  const server = http.createServer((_q, res) => {
    hits++;
    res.end(name);
  });
  return new Promise((resolve) =>
    server.listen(port, '127.0.0.1', () => resolve({ server, port: (server.address() as net.AddressInfo).port, hits: () => hits })),
  );
}

function close(s: http.Server): Promise<void> {
  return new Promise((r) => {
    s.closeAllConnections();
    s.close(() => r());
  });
}

const GET = 'GET / HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n';

test('seed 003: max_fails=2 fail_timeout=3 — retry around a dead backend, keep it out 3 s, probe, take it back', { timeout: 30_000 }, async () => {
  let a = await named('A');
  const b = await named('B');
  const opts = { maxFails: 2, failTimeoutMs: 3000 };
  const p = await startHttpProxy([be(a.port, opts), be(b.port, opts)]);
  try {
    const first = [];
    for (let i = 0; i < 4; i++) first.push((await rawRequest(p.port, GET)).text.slice(-1));
    assert.deepEqual(first.sort(), ['A', 'A', 'B', 'B'], 'round robin over both');

    await close(a.server);
    const during = [];
    for (let i = 0; i < 10; i++) {
      const r = await rawRequest(p.port, GET);
      during.push(statuses(r.text)[0]);
    }
    assert.deepEqual(during, Array(10).fill(200), 'no client sees the dead backend');
    assert.equal(p.svc.counters.retries, 2, 'A was tried twice (max_fails=2), then left out');

    a = await named('A', a.port);
    const aHitsBefore = a.hits();
    for (let i = 0; i < 4; i++) await rawRequest(p.port, GET);
    assert.equal(a.hits(), aHitsBefore, 'within fail_timeout A gets nothing, though it is back');

    await new Promise((r) => setTimeout(r, 3200));
    const after = [];
    for (let i = 0; i < 6; i++) after.push((await rawRequest(p.port, GET)).text.slice(-1));
    assert.ok(after.includes('A'), `after fail_timeout A is probed and back: ${after.join('')}`);
    assert.equal(p.svc.counters.retries, 2);
  } finally {
    await p.close();
    await close(a.server);
    await close(b.server);
  }
});
