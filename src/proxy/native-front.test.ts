import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { nativeFront } from './native-front.js';
import { be, httpBackend, rawRequest, startHttpProxy, statuses } from './testing/harness.js';

const GET = (path = '/', extra = '') => `GET ${path} HTTP/1.1\r\nHost: t\r\n${extra}\r\n`;
const CLOSE = 'Connection: close\r\n';

function frontOrSkip(t: { skip(msg: string): void }): ReturnType<typeof nativeFront> {
  const f = nativeFront();
  if (f === null) t.skip(process.env['HALO_PROXY_FRONT'] === 'node' ? 'HALO_PROXY_FRONT=node: the client front is off' : 'the native addon is not built (npm ci builds it)');
  return f;
}

test('the client front accepts the proxy connections once the listener is taken over, and lets it go on destroy', async (t) => {
  const f = frontOrSkip(t);
  if (f === null) return;
  const b = await httpBackend();
  const p = await startHttpProxy([be(b.port)]);
  const before = f.stats();
  try {
    assert.equal(before.listeners >= 1, true, 'the listener is the front’s');
    for (let i = 0; i < 20; i++) {
      const r = await rawRequest(p.port, GET(`/n${i}`, CLOSE));
      assert.deepEqual(statuses(r.text), [200]);
    }
    const after = f.stats();
    assert.equal(after.accepted - before.accepted, 20, 'every connection went through the front');
  } finally {
    await p.close();
    await b.close();
  }
  assert.equal(f.stats().listeners, before.listeners - 1, 'the listener was released before Node closed it');
  const deadline = Date.now() + 2000;
  while (f.stats().open > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(f.stats().open, 0, 'no connection left open in the front');
});

test('the client front: a client reset mid-response frees its slot and the upstream', async (t) => {
  const f = frontOrSkip(t);
  if (f === null) return;
  // the backend answers slowly, in pieces, so the reset lands while the response streams
  const b = await httpBackend((_req, res) => {
    res.writeHead(200, { 'content-length': String(64 * 1024 * 20) });
    let n = 0;
    const tick = setInterval(() => {
      if (n++ >= 20 || res.destroyed) {
        clearInterval(tick);
        res.end();
        return;
      }
      res.write(Buffer.alloc(64 * 1024, 120));
    }, 10);
  });
  const p = await startHttpProxy([be(b.port)]);
  try {
    const open0 = f.stats().open;
    const sock = net.connect({ host: '127.0.0.1', port: p.port });
    sock.on('error', () => undefined);
    await new Promise<void>((resolve) => sock.on('connect', resolve));
    sock.write(GET('/slow'));
    await new Promise<void>((resolve) => sock.once('data', () => resolve()));
    sock.resetAndDestroy();
    const deadline = Date.now() + 3000;
    while ((p.svc.conns.size > 0 || f.stats().open > open0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(p.svc.conns.size, 0, 'the proxy dropped the connection');
    assert.equal(f.stats().open, open0, 'the front freed the slot');
  } finally {
    await p.close();
    await b.close();
  }
});

test('the client front: a client that half-closes after its request still gets the whole response', async (t) => {
  const f = frontOrSkip(t);
  if (f === null) return;
  const b = await httpBackend();
  const p = await startHttpProxy([be(b.port)]);
  try {
    const sock = net.connect({ host: '127.0.0.1', port: p.port, allowHalfOpen: true });
    const got: Buffer[] = [];
    sock.on('data', (d: Buffer) => got.push(d));
    await new Promise<void>((resolve) => sock.on('connect', resolve));
    sock.end(GET('/half'));
    await new Promise<void>((resolve) => sock.once('end', resolve));
    const text = Buffer.concat(got).toString('latin1');
    assert.deepEqual(statuses(text), [200]);
    assert.match(text, /ok GET \/half 0/);
    sock.destroy();
  } finally {
    await p.close();
    await b.close();
  }
});

test('the client front: 200 concurrent connections, each answered once', async (t) => {
  const f = frontOrSkip(t);
  if (f === null) return;
  const b = await httpBackend();
  const p = await startHttpProxy([be(b.port)]);
  try {
    const rs = await Promise.all(Array.from({ length: 200 }, (_, i) => rawRequest(p.port, GET(`/c${i}`, CLOSE), 5000)));
    for (const [i, r] of rs.entries()) {
      assert.deepEqual(statuses(r.text), [200], `connection ${i}`);
      assert.match(r.text, new RegExp(`ok GET /c${i} 0`));
    }
  } finally {
    await p.close();
    await b.close();
  }
});

test('the front also carries the backend connections: one connect, then the kept connection is reused', async (t) => {
  const f = frontOrSkip(t);
  if (f === null) return;
  const b = await httpBackend();
  const p = await startHttpProxy([be(b.port)]);
  try {
    const before = f.stats().connects;
    const r1 = await rawRequest(p.port, GET('/one', CLOSE));
    const r2 = await rawRequest(p.port, GET('/two', CLOSE));
    assert.deepEqual([...statuses(r1.text), ...statuses(r2.text)], [200, 200]);
    assert.equal(f.stats().connects - before, 1, 'one backend connection, through the front');
    assert.equal(b.connections, 1);
    assert.equal(p.svc.counters.upstreamReuses, 1);
  } finally {
    await p.close();
    await b.close();
  }
});

test('the front: a refused connect closes with ECONNREFUSED; a good one connects, carries bytes both ways and ends', async (t) => {
  const f = frontOrSkip(t);
  if (f === null) return;
  const dead = net.createServer();
  await new Promise<void>((r) => dead.listen(0, '127.0.0.1', () => r()));
  const deadPort = (dead.address() as net.AddressInfo).port;
  await new Promise<void>((r) => dead.close(() => r()));
  const refused = await new Promise<Error | undefined>((resolve) => {
    const s = f.connect('127.0.0.1', deadPort, { onData: () => undefined, onEnd: () => undefined, onDrain: () => undefined, onClose: resolve, onConnect: () => resolve(new Error('connected to a closed port')) });
    assert.ok(s !== undefined, 'the front took the connect');
  });
  assert.equal((refused as NodeJS.ErrnoException | undefined)?.code, 'ECONNREFUSED');

  const echo = net.createServer((c) => c.on('data', (d: Buffer) => c.end(Buffer.concat([Buffer.from('echo:'), d]))));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
  try {
    const port = (echo.address() as net.AddressInfo).port;
    const got: Buffer[] = [];
    const ended = await new Promise<{ connected: boolean; err: Error | undefined }>((resolve) => {
      let connected = false;
      const s = f.connect('127.0.0.1', port, {
        onConnect: () => {
          connected = true;
        },
        onData: (d) => got.push(Buffer.from(d)),
        onEnd: () => s?.destroySoon(),
        onDrain: () => undefined,
        onClose: (err) => resolve({ connected, err }),
      });
      // written before the connect is up: the front queues it
      assert.equal(s?.write(Buffer.from('ping')), false, 'queued until connected');
    });
    assert.equal(ended.connected, true);
    assert.equal(ended.err, undefined);
    assert.equal(Buffer.concat(got).toString(), 'echo:ping');
  } finally {
    await new Promise<void>((r) => echo.close(() => r()));
  }
});
