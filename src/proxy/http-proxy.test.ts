import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { routeRequest } from './http-proxy.js';
import { createRr as testRoundRobin } from '../balance/lvs-rr.js';
import { blackhole, haveBlackhole } from './testing/blackhole.js';
import type { PickContext } from '../balance/picker.js';
import { be, refusedPort, httpBackend, rawBackend, rawRequest, startHttpProxy, statuses } from './testing/harness.js';

const GET = (path = '/', extra = '') => `GET ${path} HTTP/1.1\r\nHost: t\r\n${extra}\r\n`;
const CLOSE = 'Connection: close\r\n';

test('keep-alive on both sides: two client requests, one upstream connection reused', async () => {
  const b = await httpBackend();
  const p = await startHttpProxy([be(b.port)]);
  try {
    const r = await rawRequest(p.port, [GET('/one'), GET('/two', CLOSE)]);
    assert.deepEqual(statuses(r.text), [200, 200]);
    assert.match(r.text, /ok GET \/one 0/);
    assert.match(r.text, /ok GET \/two 0/);
    assert.equal(b.connections, 1, 'the upstream connection was kept and reused');
    assert.equal(p.svc.counters.upstreamReuses, 1);
    assert.ok(r.closed);
  } finally {
    await p.close();
    await b.close();
  }
});

test('pipelined requests in one write are answered in order', async () => {
  const b = await httpBackend();
  const p = await startHttpProxy([be(b.port)]);
  try {
    const r = await rawRequest(p.port, GET('/a') + GET('/b') + GET('/c', CLOSE));
    assert.deepEqual(statuses(r.text), [200, 200, 200]);
    assert.ok(r.text.indexOf('/a') < r.text.indexOf('/b') && r.text.indexOf('/b') < r.text.indexOf('/c'));
  } finally {
    await p.close();
    await b.close();
  }
});

test('chunked request bodies pass through; chunked responses pass through to 1.1 and are de-chunked for 1.0', async () => {
  const b = await httpBackend((_req, res, body) => {
    res.write(`got:${body}`);
    res.end(':end');
  });
  const p = await startHttpProxy([be(b.port)]);
  try {
    const r = await rawRequest(p.port, [`POST /u HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n${CLOSE}\r\n5\r\nhello\r\n`, '6;x=y\r\n world\r\n0\r\n\r\n']);
    assert.deepEqual(statuses(r.text), [200]);
    assert.match(r.text, /Transfer-Encoding: chunked/i);
    assert.equal(b.requests[0]?.body, 'hello world');
    assert.equal(b.requests[0]?.headers['transfer-encoding'], 'chunked');
    const r10 = await rawRequest(p.port, 'POST /u HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi');
    assert.doesNotMatch(r10.text, /Transfer-Encoding/i);
    assert.match(r10.text, /\r\n\r\ngot:hi:end$/);
    assert.ok(r10.closed);
  } finally {
    await p.close();
    await b.close();
  }
});

test('smuggling shapes are refused with 400 on the proxy and never reach a backend', async () => {
  const b = await httpBackend();
  const p = await startHttpProxy([be(b.port)]);
  try {
    const shapes = [
      'POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde',
      'POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n',
      'POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXX0\r\n\r\n',
      'GET / HTTP/1.1\nHost: t\n\n',
      'GET / HTTP/1.1\r\nHost: t\rX: 1\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: t\r\nX: 1\r\n folded\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding : chunked\r\n\r\n',
      'GET / HTTP/1.1\r\nHo\x01st: t\r\n\r\n',
    ];
    for (const s of shapes) {
      const r = await rawRequest(p.port, s, 2000);
      assert.deepEqual(statuses(r.text), [400], JSON.stringify(s));
      assert.ok(r.closed, 'the connection is closed after a refusal');
    }
    // the chunked-body refusals happen after the head was accepted: those heads may have gone
    // upstream, but no request reached the backend's application complete
    assert.equal(b.requests.length, 0);
    const te = await rawRequest(p.port, 'POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n', 2000);
    assert.deepEqual(statuses(te.text), [501]);
  } finally {
    await p.close();
    await b.close();
  }
});

test('hop-by-hop headers are removed both ways, Connection-listed ones too', async () => {
  const b = await rawBackend((sock) => {
    sock.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: X-Up-Secret\r\nX-Up-Secret: 1\r\nKeep-Alive: timeout=5\r\nX-Keep: y\r\n\r\nok');
  });
  const seen: string[] = [];
  const b2 = await rawBackend((sock, d) => {
    seen.push(d.toString('latin1'));
    sock.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
  });
  const p = await startHttpProxy([be(b.port)]);
  const p2 = await startHttpProxy([be(b2.port)]);
  try {
    const r = await rawRequest(p.port, GET('/', CLOSE));
    assert.match(r.text, /X-Keep: y/);
    assert.doesNotMatch(r.text, /X-Up-Secret|Keep-Alive/i);
    await rawRequest(p2.port, GET('/', 'Connection: close, X-Client-Secret\r\nX-Client-Secret: 1\r\nKeep-Alive: 300\r\nTE: trailers\r\nProxy-Connection: keep-alive\r\nX-Keep: z\r\n'));
    const head = seen.join('');
    assert.match(head, /X-Keep: z/);
    assert.doesNotMatch(head, /X-Client-Secret|Keep-Alive|TE:|Proxy-Connection/i);
  } finally {
    await p.close();
    await p2.close();
    await b.close();
    await b2.close();
  }
});

test('X-Forwarded-For, X-Real-IP and Forwarded are added only when configured', async () => {
  const b = await httpBackend();
  const plain = await startHttpProxy([be(b.port)]);
  const withHeaders = await startHttpProxy([be(b.port)], {
    setHeaders: [
      { name: 'X-Forwarded-For', value: '$proxy_add_x_forwarded_for' },
      { name: 'X-Real-IP', value: '$remote_addr' },
      { name: 'Forwarded', value: 'for=$remote_addr;proto=$scheme' },
      { name: 'Host', value: '$proxy_host' },
      { name: 'X-Empty', value: '' },
    ],
  });
  try {
    await rawRequest(plain.port, GET('/', CLOSE + 'X-Forwarded-For: 10.9.9.9\r\n'));
    assert.equal(b.requests[0]?.headers['x-forwarded-for'], '10.9.9.9', 'passed as the client sent it');
    assert.equal(b.requests[0]?.headers['x-real-ip'], undefined);
    assert.equal(b.requests[0]?.headers['host'], 't');
    await rawRequest(withHeaders.port, GET('/', CLOSE + 'X-Forwarded-For: 10.9.9.9\r\n'));
    const h = b.requests[1]?.headers ?? {};
    assert.equal(h['x-forwarded-for'], '10.9.9.9, 127.0.0.1');
    assert.equal(h['x-real-ip'], '127.0.0.1');
    assert.equal(h['forwarded'], 'for=127.0.0.1;proto=http');
    assert.equal(h['host'], 'web');
    assert.equal(h['x-empty'], undefined);
  } finally {
    await plain.close();
    await withHeaders.close();
    await b.close();
  }
});

test('Expect: 100-continue is answered by the proxy before the body', async () => {
  const b = await httpBackend();
  const p = await startHttpProxy([be(b.port)]);
  try {
    const r = await rawRequest(p.port, [`PUT /x HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 3\r\n${CLOSE}\r\n`, 'abc'], 3000, 150);
    assert.deepEqual(statuses(r.text), [100, 200]);
    assert.equal(b.requests[0]?.body, 'abc');
    assert.equal(b.requests[0]?.headers['expect'], undefined);
  } finally {
    await p.close();
    await b.close();
  }
});

test('Upgrade: a WebSocket-style tunnel carries bytes both ways after 101', async () => {
  const b = await httpBackend();
  const tunnels: net.Socket[] = [];
  b.server.on('upgrade', (req, sock: net.Socket) => {
    tunnels.push(sock);
    assert.equal(req.headers['upgrade'], 'websocket');
    sock.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    sock.on('data', (d: Buffer) => sock.write(`echo:${d.toString()}`));
  });
  const p = await startHttpProxy([be(b.port)]);
  try {
    const r = await rawRequest(p.port, [GET('/ws', 'Connection: Upgrade\r\nUpgrade: websocket\r\n'), 'ping'], 1500, 100);
    assert.deepEqual(statuses(r.text), [101]);
    assert.match(r.text, /echo:ping/);
  } finally {
    for (const t of tunnels) t.destroy();
    await p.close();
    await b.close();
  }
});

test('limits: body over client_max_body_size gives 413, a huge head 431, a long line 414', async () => {
  const b = await httpBackend();
  const p = await startHttpProxy([be(b.port)], {
    limits: { maxHeadBytes: 1024, maxLineBytes: 256, maxHeaders: 10, maxBodyBytes: 10, maxClientRequests: 100, maxClientConns: 100, maxUdpSessions: 10 },
  });
  try {
    assert.deepEqual(statuses((await rawRequest(p.port, `POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\n${'x'.repeat(11)}`)).text), [413]);
    assert.deepEqual(statuses((await rawRequest(p.port, `POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nb\r\n${'x'.repeat(11)}\r\n0\r\n\r\n`)).text), [413]);
    assert.deepEqual(statuses((await rawRequest(p.port, GET('/', `X: ${'y'.repeat(1100)}\r\n`))).text), [431]);
    assert.deepEqual(statuses((await rawRequest(p.port, GET(`/${'z'.repeat(300)}`))).text), [414]);
    assert.deepEqual(statuses((await rawRequest(p.port, GET('/', 'A: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\nE: 1\r\nF: 1\r\nG: 1\r\nH: 1\r\nI: 1\r\nJ: 1\r\n'))).text), [431]);
    assert.equal(b.requests.length, 0);
  } finally {
    await p.close();
    await b.close();
  }
});

test('a slow client is cut at the header timeout with 408', async () => {
  const b = await httpBackend();
  const timeouts = { connectMs: 1000, readMs: 1000, sendMs: 1000, clientHeaderMs: 200, clientBodyMs: 1000, clientSendMs: 1000, clientKeepaliveMs: 1000, idleMs: 1000 };
  const p = await startHttpProxy([be(b.port)], { timeouts });
  try {
    const t0 = Date.now();
    const r = await rawRequest(p.port, ['GET / HTTP/1.1\r\n', 'Host: t\r\n', 'X: 1\r\n', 'Y: 2\r\n', 'Z: 3\r\n', 'W: 4\r\n', 'V: 5\r\n'], 3000, 80);
    assert.deepEqual(statuses(r.text), [408]);
    assert.ok(r.closed);
    assert.ok(Date.now() - t0 < 2800, 'cut near the 200 ms header timeout, long before the client finished');
  } finally {
    await p.close();
    await b.close();
  }
});

test('an idle keep-alive client is closed at keepalive_timeout without an answer', async () => {
  const b = await httpBackend();
  const timeouts = { connectMs: 1000, readMs: 1000, sendMs: 1000, clientHeaderMs: 1000, clientBodyMs: 1000, clientSendMs: 1000, clientKeepaliveMs: 150, idleMs: 1000 };
  const p = await startHttpProxy([be(b.port)], { timeouts });
  try {
    const r = await rawRequest(p.port, GET('/'), 2000);
    assert.deepEqual(statuses(r.text), [200]);
    assert.ok(r.closed);
  } finally {
    await p.close();
    await b.close();
  }
});

test('read timeout gives 504; an invalid response head gives 502', async () => {
  const silent = await rawBackend(() => undefined);
  const bad = await rawBackend((sock) => sock.write('HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n'));
  const timeouts = { connectMs: 1000, readMs: 200, sendMs: 200, clientHeaderMs: 1000, clientBodyMs: 1000, clientSendMs: 1000, clientKeepaliveMs: 1000, idleMs: 1000 };
  const p = await startHttpProxy([be(silent.port)], { timeouts });
  const p2 = await startHttpProxy([be(bad.port)], { timeouts });
  try {
    assert.deepEqual(statuses((await rawRequest(p.port, GET('/', CLOSE))).text), [504]);
    assert.deepEqual(statuses((await rawRequest(p2.port, GET('/', CLOSE))).text), [502]);
  } finally {
    await p.close();
    await p2.close();
    await silent.close();
    await bad.close();
  }
});

test('retries go to the next backend on error; max_fails takes the dead one out; no live upstreams gives 502', async () => {
  const b = await httpBackend();
  const dead = await refusedPort();
  const p = await startHttpProxy([be(dead, { maxFails: 1, failTimeoutMs: 60_000 }), be(b.port)]);
  try {
    for (let i = 0; i < 4; i++) assert.deepEqual(statuses((await rawRequest(p.port, GET('/', CLOSE))).text), [200]);
    assert.equal(p.svc.counters.retries, 1, 'only the first request tried the dead backend');
    assert.equal(b.requests.length, 4);
  } finally {
    await p.close();
  }
  const p2 = await startHttpProxy([be(dead, { maxFails: 1 }), be(await refusedPort(), { maxFails: 1 })]);
  try {
    assert.deepEqual(statuses((await rawRequest(p2.port, GET('/', CLOSE))).text), [502], 'both fail on the first request');
    assert.deepEqual(statuses((await rawRequest(p2.port, GET('/', CLOSE))).text), [502]);
    assert.equal(p2.svc.counters.noLiveUpstreams, 1, 'the second request found no live upstreams');
  } finally {
    await p2.close();
    await b.close();
  }
});

test('a POST is not retried once sent, unless non_idempotent is configured', async () => {
  let hits = 0;
  const reset = await rawBackend((sock) => {
    hits++;
    sock.destroy();
  });
  const good = await httpBackend();
  const p = await startHttpProxy([be(reset.port, { maxFails: 0 }), be(good.port)]);
  const p2 = await startHttpProxy([be(reset.port, { maxFails: 0 }), be(good.port)], { retry: { conditions: ['error', 'timeout', 'non_idempotent'], tries: 0, timeoutMs: 0 } });
  try {
    const post = `POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n${CLOSE}\r\nx`;
    assert.deepEqual(statuses((await rawRequest(p.port, post)).text), [502]);
    assert.equal(good.requests.length, 0);
    assert.deepEqual(statuses((await rawRequest(p2.port, post)).text), [200]);
    assert.equal(good.requests.at(-1)?.body, 'x', 'the body was replayed');
    assert.equal(hits, 2, 'each POST reached the resetting backend once');
  } finally {
    await p.close();
    await p2.close();
    await reset.close();
    await good.close();
  }
});

test('configured statuses retry (http_503); tries caps attempts; otherwise the response passes', async () => {
  const busy = await httpBackend((_q, res) => {
    res.statusCode = 503;
    res.end('busy');
  });
  const good = await httpBackend();
  const p = await startHttpProxy([be(busy.port), be(good.port)], { retry: { conditions: ['error', 'timeout', 'http_503'], tries: 0, timeoutMs: 0 } });
  const p1 = await startHttpProxy([be(busy.port), be(good.port)], { retry: { conditions: ['error', 'timeout', 'http_503'], tries: 1, timeoutMs: 0 } });
  const p0 = await startHttpProxy([be(busy.port), be(good.port)]);
  try {
    assert.deepEqual(statuses((await rawRequest(p.port, GET('/', CLOSE))).text), [200]);
    assert.deepEqual(statuses((await rawRequest(p1.port, GET('/', CLOSE))).text), [503]);
    assert.deepEqual(statuses((await rawRequest(p0.port, GET('/', CLOSE))).text), [503]);
  } finally {
    await p.close();
    await p1.close();
    await p0.close();
    await busy.close();
    await good.close();
  }
});

test('backup servers take traffic only when every primary is out', async () => {
  const primary = await httpBackend();
  const backup = await httpBackend();
  const p = await startHttpProxy([be(primary.port, { maxFails: 1, failTimeoutMs: 60_000 }), be(backup.port, { backup: true })]);
  try {
    for (let i = 0; i < 3; i++) await rawRequest(p.port, GET('/', CLOSE));
    assert.equal(primary.requests.length, 3);
    assert.equal(backup.requests.length, 0);
    await primary.close();
    for (let i = 0; i < 3; i++) assert.deepEqual(statuses((await rawRequest(p.port, GET('/', CLOSE))).text), [200]);
    assert.equal(backup.requests.length, 3);
  } finally {
    await p.close();
    await backup.close();
  }
});

test('a kept upstream connection the backend closed is replaced without an error', async () => {
  const b = await httpBackend();
  b.server.keepAliveTimeout = 50;
  const p = await startHttpProxy([be(b.port, { maxFails: 1 })]);
  try {
    assert.deepEqual(statuses((await rawRequest(p.port, GET('/', CLOSE))).text), [200]);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(statuses((await rawRequest(p.port, GET('/', CLOSE))).text), [200]);
    assert.equal(p.svc.counters.retries, 0);
  } finally {
    await p.close();
    await b.close();
  }
});

test('large responses stream with backpressure (32 MiB through a slow reader)', async () => {
  const big = Buffer.alloc(32 * 1024 * 1024, 0x61);
  const b = await httpBackend((_q, res) => {
    res.setHeader('Content-Length', big.length);
    res.end(big);
  });
  const p = await startHttpProxy([be(b.port)]);
  try {
    const got = await new Promise<number>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port: p.port });
      let n = 0;
      s.on('connect', () => s.write(GET('/', CLOSE)));
      s.on('data', (d: Buffer) => {
        n += d.length;
        s.pause();
        setTimeout(() => s.resume(), 1);
      });
      s.on('close', () => resolve(n));
      setTimeout(() => s.destroy(), 20_000);
    });
    assert.ok(got > big.length && got < big.length + 1000, `got ${got}`);
  } finally {
    await p.close();
    await b.close();
  }
});

test('location prefix routing and proxy_pass URI replacement follow nginx', () => {
  const routes = [
    { pathPrefix: '/', pool: 'a' },
    { pathPrefix: '/api/', pool: 'b', replaceUri: '/v1/' },
    { pathPrefix: '/static', pool: 'c' },
  ];
  assert.deepEqual(routeRequest(routes, 'd', '/x'), { pool: 'a', target: '/x' });
  assert.deepEqual(routeRequest(routes, 'd', '/api/users?id=1'), { pool: 'b', target: '/v1/users?id=1' });
  assert.deepEqual(routeRequest(routes, 'd', '/static/a.css'), { pool: 'c', target: '/static/a.css' });
  assert.deepEqual(routeRequest([], 'd', '/x'), { pool: 'd', target: '/x' });
});

test('pickers get the client address and the evaluated nginx hash key', async () => {
  const b = await httpBackend();
  const seen: PickContext[] = [];
  const p = await startHttpProxy([be(b.port)], {}, { hashKey: '$request_uri|$http_x_user' }, (backends, opts) => {
    const inner = testRoundRobin(backends, opts);
    return { ...inner, pick: (ctx) => (seen.push(ctx), inner.pick(ctx)) };
  });
  try {
    await rawRequest(p.port, GET('/item?id=7', CLOSE + 'X-User: bob\r\n'));
    assert.equal(seen[0]?.hashKey, '/item?id=7|bob');
    assert.equal(seen[0]?.clientIp, '127.0.0.1');
  } finally {
    await p.close();
    await b.close();
  }
});

test('a client that stops sending its body is cut at client_body_timeout with 408', async () => {
  const b = await httpBackend();
  const timeouts = { connectMs: 1000, readMs: 5000, sendMs: 5000, clientHeaderMs: 1000, clientBodyMs: 200, clientSendMs: 1000, clientKeepaliveMs: 1000, idleMs: 1000 };
  const p = await startHttpProxy([be(b.port)], { timeouts });
  try {
    const r = await rawRequest(p.port, 'POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nab', 3000);
    assert.deepEqual(statuses(r.text), [408]);
    assert.ok(r.closed);
    assert.equal(b.requests.length, 0, 'the backend never got a complete request');
  } finally {
    await p.close();
    await b.close();
  }
});

test('upstream keepalive caps: keepalive_requests closes a connection after N requests; maxIdle 0 never keeps one', async () => {
  const b = await httpBackend();
  const p = await startHttpProxy([be(b.port)], {}, { keepalive: { maxIdle: 4, idleTimeoutMs: 60_000, maxRequests: 2, maxLifetimeMs: 3_600_000 } });
  try {
    await rawRequest(p.port, [GET('/1'), GET('/2'), GET('/3'), GET('/4'), GET('/5', CLOSE)]);
    assert.equal(b.requests.length, 5);
    assert.equal(b.connections, 3, 'two requests per upstream connection');
  } finally {
    await p.close();
  }
  const before = b.connections;
  const p0 = await startHttpProxy([be(b.port)], {}, { keepalive: { maxIdle: 0, idleTimeoutMs: 60_000, maxRequests: 100, maxLifetimeMs: 3_600_000 } });
  try {
    await rawRequest(p0.port, [GET('/1'), GET('/2'), GET('/3', CLOSE)]);
    assert.equal(b.connections - before, 3, 'no keep-alive: one connection per request');
    assert.equal(b.requests.at(-1)?.headers['connection'], 'close');
  } finally {
    await p0.close();
    await b.close();
  }
});

test('idle upstream connections close after keepalive_timeout', async () => {
  const b = await httpBackend();
  const p = await startHttpProxy([be(b.port)], {}, { keepalive: { maxIdle: 4, idleTimeoutMs: 100, maxRequests: 100, maxLifetimeMs: 3_600_000 } });
  try {
    await rawRequest(p.port, GET('/', CLOSE));
    const pool = p.svc.pools.get('web');
    assert.equal(pool?.idleConnections(), 1);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(pool?.idleConnections(), 0);
  } finally {
    await p.close();
    await b.close();
  }
});

test('never retried after bytes went to the client: a backend dying mid-body cuts the client', async () => {
  let hits = 0;
  const dying = await rawBackend((sock) => {
    hits++;
    sock.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial');
    setTimeout(() => sock.destroy(), 20);
  });
  const good = await httpBackend();
  const p = await startHttpProxy([be(dying.port), be(good.port)]);
  try {
    const r = await rawRequest(p.port, GET('/', CLOSE));
    assert.deepEqual(statuses(r.text), [200]);
    assert.match(r.text, /partial$/);
    assert.ok(r.closed);
    assert.equal(hits, 1);
    assert.equal(good.requests.length, 0, 'no second attempt');
  } finally {
    await p.close();
    await dying.close();
    await good.close();
  }
});

test('HTTP/1.0 upstreams: Connection: close is sent, and a chunked request body gets 411', async () => {
  const b = await httpBackend();
  const p = await startHttpProxy([be(b.port)], { upstreamHttpVersion: '1.0' });
  try {
    assert.deepEqual(statuses((await rawRequest(p.port, GET('/', CLOSE))).text), [200]);
    assert.equal(b.requests[0]?.headers['connection'], 'close');
    const r = await rawRequest(p.port, `POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n`);
    assert.deepEqual(statuses(r.text), [411]);
  } finally {
    await p.close();
    await b.close();
  }
});

test('a refusal on a kept connection still answers 400 after earlier responses', async () => {
  const b = await httpBackend();
  const p = await startHttpProxy([be(b.port)]);
  try {
    const r = await rawRequest(p.port, [GET('/ok'), 'POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'], 3000, 100);
    assert.deepEqual(statuses(r.text), [200, 400]);
    assert.ok(r.closed);
    assert.equal(b.requests.length, 1);
  } finally {
    await p.close();
    await b.close();
  }
});

test('connect timeout: the next backend gets the request; with none left the answer is 504', async (t) => {
  if (!haveBlackhole()) {
    t.skip('needs python3 for a loopback port whose connects hang');
    return;
  }
  const hole = await blackhole();
  const b = await httpBackend();
  const timeouts = { connectMs: 300, readMs: 5000, sendMs: 5000, clientHeaderMs: 5000, clientBodyMs: 5000, clientSendMs: 5000, clientKeepaliveMs: 5000, idleMs: 5000 };
  const p = await startHttpProxy([be(hole.port, { maxFails: 1 }), be(b.port)], { timeouts });
  const p1 = await startHttpProxy([be(hole.port)], { timeouts });
  try {
    const t0 = Date.now();
    assert.deepEqual(statuses((await rawRequest(p.port, GET('/', CLOSE), 5000)).text), [200]);
    assert.ok(Date.now() - t0 >= 250, 'waited for the connect timeout');
    assert.equal(p.svc.counters.retries, 1);
    assert.deepEqual(statuses((await rawRequest(p1.port, GET('/', CLOSE), 5000)).text), [504]);
  } finally {
    await p.close();
    await p1.close();
    await b.close();
    hole.close();
  }
});

test('Connection: close: the whole response, then halo closes at once without waiting for the client FIN', async () => {
  const b = await httpBackend();
  const p = await startHttpProxy([be(b.port)]);
  try {
    const sock = net.connect({ host: '127.0.0.1', port: p.port, allowHalfOpen: true });
    const got: Buffer[] = [];
    let error: Error | undefined;
    sock.on('data', (d: Buffer) => got.push(d));
    sock.on('error', (e) => (error = e));
    await new Promise<void>((resolve) => sock.on('connect', resolve));
    sock.write(GET('/bye', CLOSE));
    // the client never sends its own FIN: halo must still let the connection go
    await new Promise<void>((resolve) => sock.once('end', resolve));
    assert.equal(error, undefined);
    assert.match(Buffer.concat(got).toString('latin1'), /^HTTP\/1\.1 200 [^]*Connection: close\r\n[^]*ok GET \/bye 0/);
    const deadline = Date.now() + 2000;
    while (p.svc.conns.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(p.svc.conns.size, 0, 'the client connection is gone on the proxy');
    sock.destroy();
  } finally {
    await p.close();
    await b.close();
  }
});

test('bytes after a Connection: close request: the response arrives whole and the close is graceful, never a reset', async () => {
  const b = await httpBackend();
  const p = await startHttpProxy([be(b.port)]);
  try {
    const sock = net.connect({ host: '127.0.0.1', port: p.port });
    const got: Buffer[] = [];
    let error: Error | undefined;
    sock.on('data', (d: Buffer) => got.push(d));
    sock.on('error', (e) => (error = e));
    await new Promise<void>((resolve) => sock.on('connect', resolve));
    sock.write(GET('/first', CLOSE) + GET('/second'));
    await new Promise<void>((resolve) => sock.once('close', () => resolve()));
    assert.equal(error, undefined, 'no reset');
    const text = Buffer.concat(got).toString('latin1');
    assert.deepEqual(statuses(text), [200]);
    assert.match(text, /ok GET \/first 0/);
    assert.equal(b.requests.length, 1, 'the bytes after the close were not forwarded');
  } finally {
    await p.close();
    await b.close();
  }
});
