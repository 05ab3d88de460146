import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import dgram from 'node:dgram';
import { createHash } from 'node:crypto';
import { TcpService } from './tcp-proxy.js';
import { UdpService } from './udp-proxy.js';
import { NGINX_TIMEOUTS, DEFAULT_LIMITS, type BackendSpec, type ServiceSpec } from './types.js';
import { be, refusedPort, l4Setup, pingThrough, tcpServer } from './testing/harness.js';
import { blackhole, haveBlackhole } from './testing/blackhole.js';

function setup(backends: BackendSpec[], over: Partial<ServiceSpec> = {}) {
  return l4Setup(backends, over, 3);
}


test('TCP: half-close both ways — the client FIN reaches the backend, its answer still comes back', async () => {
  const backend = await tcpServer((s) => {
    const got: Buffer[] = [];
    s.on('data', (d: Buffer) => got.push(d));
    s.on('end', () => {
      // the client finished sending; answer after its FIN, then close our side
      s.end(`got ${Buffer.concat(got).length} bytes`);
    });
  });
  const { ticker, pools, spec } = setup([be(backend.port)]);
  const svc = new TcpService(spec, pools, { ticker });
  await svc.listen();
  try {
    const reply = await new Promise<string>((resolve) => {
      const c = net.connect({ host: '127.0.0.1', port: svc.port(), allowHalfOpen: true });
      const parts: Buffer[] = [];
      c.on('connect', () => c.end('hello'));
      c.on('data', (d: Buffer) => parts.push(d));
      c.on('end', () => resolve(Buffer.concat(parts).toString()));
      setTimeout(() => c.destroy(), 3000);
    });
    assert.equal(reply, 'got 5 bytes');
  } finally {
    svc.destroy();
    ticker.stop();
    await backend.close();
  }
});

test('TCP: a refused connect goes to the next backend before any byte is read', async () => {
  const backend = await tcpServer((s) => s.on('data', (d: Buffer) => s.write(d)));
  const { ticker, pools, spec } = setup([be(await refusedPort()), be(backend.port)]);
  const svc = new TcpService(spec, pools, { ticker });
  await svc.listen();
  try {
    const echo = await pingThrough(svc.port());
    assert.equal(echo, 'ping');
    assert.equal(svc.counters.retries, 1);
  } finally {
    svc.destroy();
    ticker.stop();
    await backend.close();
  }
});

test('TCP: the idle timeout closes a silent pair; no live upstreams closes the client', async () => {
  const backend = await tcpServer(() => undefined);
  const { ticker, pools, spec } = setup([be(backend.port)], { timeouts: { ...NGINX_TIMEOUTS, idleMs: 150 } });
  const svc = new TcpService(spec, pools, { ticker });
  await svc.listen();
  const dead = setup([be(await refusedPort(), { maxFails: 1 }), be(await refusedPort(), { maxFails: 1 })]);
  const svc2 = new TcpService(dead.spec, dead.pools, { ticker: dead.ticker });
  await svc2.listen();
  try {
    const closedAfter = await new Promise<number>((resolve) => {
      const t0 = Date.now();
      const c = net.connect({ host: '127.0.0.1', port: svc.port() });
      c.on('error', () => undefined);
      c.on('close', () => resolve(Date.now() - t0));
      setTimeout(() => c.destroy(), 3000);
    });
    assert.ok(closedAfter >= 100 && closedAfter < 2000, `closed after ${closedAfter} ms`);
    const closed = await new Promise<boolean>((resolve) => {
      const c = net.connect({ host: '127.0.0.1', port: svc2.port() });
      c.on('error', () => undefined);
      c.on('close', () => resolve(true));
      setTimeout(() => {
        c.destroy();
        resolve(false);
      }, 3000);
    });
    assert.ok(closed);
  } finally {
    svc.destroy();
    svc2.destroy();
    ticker.stop();
    dead.ticker.stop();
    await backend.close();
  }
});

test('TCP: a large transfer (64 MiB each way) arrives intact with backpressure', async () => {
  const size = 64 * 1024 * 1024;
  const backend = await tcpServer((s) => {
    // echo with backpressure
    s.pipe(s);
  });
  const { ticker, pools, spec } = setup([be(backend.port)]);
  const svc = new TcpService(spec, pools, { ticker });
  await svc.listen();
  try {
    const src = Buffer.alloc(size);
    for (let i = 0; i < size; i += 4) src.writeUInt32LE((i * 2654435761) >>> 0, i);
    const want = createHash('sha256').update(src).digest('hex');
    const got = await new Promise<string>((resolve) => {
      const c = net.connect({ host: '127.0.0.1', port: svc.port(), allowHalfOpen: true });
      const h = createHash('sha256');
      let n = 0;
      c.on('connect', () => {
        let off = 0;
        const pump = (): void => {
          while (off < size) {
            const end = Math.min(off + 1024 * 1024, size);
            const ok = c.write(src.subarray(off, end));
            off = end;
            if (!ok) {
              c.once('drain', pump);
              return;
            }
          }
          c.end();
        };
        pump();
      });
      c.on('data', (d: Buffer) => {
        n += d.length;
        h.update(d);
      });
      c.on('end', () => resolve(n === size ? h.digest('hex') : `short: ${n}`));
      setTimeout(() => c.destroy(), 30_000);
    });
    assert.equal(got, want);
  } finally {
    svc.destroy();
    ticker.stop();
    await backend.close();
  }
});

test('UDP: sessions by client address, replies come back, idle sessions expire, the table is bounded', async () => {
  const backend = dgram.createSocket('udp4');
  const seenPorts = new Set<number>();
  backend.on('message', (m, r) => {
    seenPorts.add(r.port);
    backend.send(Buffer.concat([Buffer.from('re:'), m]), r.port, r.address);
  });
  await new Promise<void>((r) => backend.bind(0, '127.0.0.1', r));
  const { ticker, pools, spec } = setup([be(backend.address().port)], {
    protocol: 'udp',
    timeouts: { ...NGINX_TIMEOUTS, idleMs: 1500 },
    limits: { ...DEFAULT_LIMITS, maxUdpSessions: 2 },
  });
  const svc = new UdpService(spec, pools, { ticker });
  await svc.listen();
  const clients = [dgram.createSocket('udp4'), dgram.createSocket('udp4'), dgram.createSocket('udp4')];
  try {
    const ask = (c: dgram.Socket, text: string) =>
      new Promise<string>((resolve) => {
        const t = setTimeout(() => resolve('(timeout)'), 500);
        c.once('message', (m) => {
          clearTimeout(t);
          resolve(m.toString());
        });
        c.send(text, svc.port(), '127.0.0.1');
      });
    const [c0, c1, c2] = clients as [dgram.Socket, dgram.Socket, dgram.Socket];
    assert.equal(await ask(c0, 'a'), 're:a');
    assert.equal(await ask(c0, 'b'), 're:b');
    assert.equal(await ask(c1, 'c'), 're:c');
    assert.equal(svc.sessionCount(), 2);
    assert.equal(seenPorts.size, 2, 'one backend-side socket per client');
    assert.equal(await ask(c2, 'd'), '(timeout)', 'a third session is over the bound');
    assert.equal(svc.counters.udpDropped, 1);
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(svc.sessionCount(), 0, 'idle sessions expired');
    assert.equal(await ask(c2, 'e'), 're:e');
  } finally {
    for (const c of clients) c.close();
    svc.destroy();
    ticker.stop();
    backend.close();
  }
});

test('UDP: a backend port that answers unreachable ends the session and counts a failure', async () => {
  const port = await (async () => {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    const p = s.address().port;
    await new Promise<void>((r) => s.close(() => r()));
    return p;
  })();
  const { ticker, pools, spec } = setup([be(port, { maxFails: 1 })], { protocol: 'udp' });
  const svc = new UdpService(spec, pools, { ticker });
  await svc.listen();
  const c = dgram.createSocket('udp4');
  try {
    c.send('x', svc.port(), '127.0.0.1');
    await new Promise((r) => setTimeout(r, 300));
    c.send('y', svc.port(), '127.0.0.1');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(svc.sessionCount(), 0, 'the session ended on ECONNREFUSED');
    assert.ok((pools.get('p')?.passive.fails(be(port).id) ?? 0) >= 1, 'counted as a failure');
  } finally {
    c.close();
    svc.destroy();
    ticker.stop();
  }
});

test('TCP: a connect that hangs past the connect timeout goes to the next backend', async (t) => {
  if (!haveBlackhole()) {
    t.skip('needs python3 for a loopback port whose connects hang');
    return;
  }
  const hole = await blackhole();
  const backend = await tcpServer((s) => s.on('data', (d: Buffer) => s.write(d)));
  const { ticker, pools, spec } = setup([be(hole.port), be(backend.port)], { timeouts: { ...NGINX_TIMEOUTS, connectMs: 300 } });
  const svc = new TcpService(spec, pools, { ticker });
  await svc.listen();
  try {
    const t0 = Date.now();
    const echo = await pingThrough(svc.port(), 5000);
    assert.equal(echo, 'ping');
    assert.ok(Date.now() - t0 >= 250);
    assert.equal(svc.counters.retries, 1);
  } finally {
    svc.destroy();
    ticker.stop();
    await backend.close();
    hole.close();
  }
});
