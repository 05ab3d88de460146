import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { clientFront } from './native-front.js';
import { be, httpBackend, rawRequest, startHttpProxy, statuses } from './testing/harness.js';

const GET = (path = '/', extra = '') => `GET ${path} HTTP/1.1\r\nHost: t\r\n${extra}\r\n`;
const CLOSE = 'Connection: close\r\n';

function frontOrSkip(t: { skip(msg: string): void }): ReturnType<typeof clientFront> {
  const f = clientFront();
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
