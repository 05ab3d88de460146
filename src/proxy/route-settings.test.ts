import { test } from 'node:test';
import assert from 'node:assert/strict';
import { be, httpBackend, rawRequest, startHttpProxy, statuses } from './testing/harness.js';
import { DEFAULT_RETRY, type RouteSettings } from './types.js';

const routeOwn: RouteSettings = {
  connectMs: 60_000,
  readMs: 300,
  sendMs: 60_000,
  retry: DEFAULT_RETRY,
  setHeaders: [{ name: 'X-Loc', value: 'slow $request_method' }],
  upstreamHttpVersion: '1.0',
};

test('a route with its own settings: its headers, HTTP version and read timeout; other paths keep the service settings', async () => {
  const b = await httpBackend((q, res) => {
    if (q.url?.startsWith('/slow/sleep')) setTimeout(() => res.end('late'), 1500);
    else res.end(`${q.httpVersion} ${String(q.headers['x-loc'])}`);
  });
  const p = await startHttpProxy([be(b.port)], {
    setHeaders: [{ name: 'X-Loc', value: 'service' }],
    routes: [
      { pathPrefix: '/', pool: 'web' },
      { pathPrefix: '/slow/', pool: 'web', settings: routeOwn },
    ],
    timeouts: { connectMs: 60_000, readMs: 60_000, sendMs: 60_000, clientHeaderMs: 60_000, clientBodyMs: 60_000, clientSendMs: 60_000, clientKeepaliveMs: 75_000, idleMs: 600_000 },
  });
  try {
    const plain = await rawRequest(p.port, 'GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    assert.match(plain.text, /\r\n\r\n1\.1 service$/);
    const slow = await rawRequest(p.port, 'GET /slow/x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    assert.match(slow.text, /\r\n\r\n1\.0 slow GET$/);
    // the route's read timeout (300 ms) answers 504 before the backend's 1.5 s reply
    const started = Date.now();
    const late = await rawRequest(p.port, 'GET /slow/sleep HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', 3000);
    assert.deepEqual(statuses(late.text), [504]);
    assert.ok(Date.now() - started < 1400, `${Date.now() - started} ms`);
  } finally {
    await p.close();
    await b.close();
  }
});
