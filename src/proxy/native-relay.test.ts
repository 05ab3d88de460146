import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TcpService } from './tcp-proxy.js';
import { NGINX_TIMEOUTS, type BackendSpec, type ServiceSpec } from './types.js';
import { be, l4Setup, pingThrough, tcpServer } from './testing/harness.js';
import { loadRelayAddon, NativeRelay, processRelay, RelayReason, socketFd, untouched, type RelayReport } from './native-relay.js';

const haveRelay = loadRelayAddon().ok;
const SKIP = haveRelay ? false : `native relay addon missing: ${loadRelayAddon().ok ? '' : 'build it with node scripts/build-native.mjs'}`;

function setup(backends: BackendSpec[], over: Partial<ServiceSpec> = {}) {
  return l4Setup(backends, over, 5);
}


async function withService(
  backend: { port: number; close(): Promise<void> },
  over: Partial<ServiceSpec>,
  body: (svc: TcpService) => Promise<void>,
): Promise<void> {
  const { ticker, pools, spec } = setup([be(backend.port)], over);
  const svc = new TcpService(spec, pools, { ticker });
  await svc.listen();
  try {
    await body(svc);
  } finally {
    svc.destroy();
    ticker.stop();
    await backend.close();
  }
}

function pattern(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i + 4 <= size; i += 4) b.writeUInt32LE(((i + seed) * 2654435761) >>> 0, i);
  return b;
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Writes `data` with backpressure, then ends (or not). */
function send(s: net.Socket, data: Buffer, end: boolean): void {
  let off = 0;
  const pump = (): void => {
    while (off < data.length) {
      const next = Math.min(off + 256 * 1024, data.length);
      const ok = s.write(data.subarray(off, next));
      off = next;
      if (!ok) {
        s.once('drain', pump);
        return;
      }
    }
    if (end) s.end();
  };
  pump();
}

async function until(cond: () => boolean, maxMs: number): Promise<boolean> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > maxMs) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

test('relay: socketFd and untouched see what the relay may take', async () => {
  const s = new net.Socket();
  assert.equal(socketFd(s), undefined, 'a socket without a handle has no fd');
  const backend = await tcpServer((x) => x.end('hi'));
  try {
    const c = net.connect({ host: '127.0.0.1', port: backend.port });
    await new Promise<void>((r) => c.once('connect', () => r()));
    const fd = socketFd(c);
    assert.ok(fd !== undefined && fd >= 0, 'a connected TCP socket has an fd');
    const got = await new Promise<string>((r) => c.once('data', (d: Buffer) => r(d.toString())));
    assert.equal(got, 'hi');
    assert.equal(untouched(c), false, 'bytes went through JavaScript: the relay must not take it');
    c.destroy();
  } finally {
    await backend.close();
  }
});

test('relay: 16 MiB each way at once arrive intact (SHA-256), counters exact, the pair is relayed', { skip: SKIP }, async () => {
  const size = 16 * 1024 * 1024;
  const toBackend = pattern(size, 1);
  const toClient = pattern(size, 7);
  let backendGot = '';
  const backend = await tcpServer((s) => {
    const h = createHash('sha256');
    let n = 0;
    s.on('data', (d: Buffer) => {
      n += d.length;
      h.update(d);
    });
    s.on('end', () => (backendGot = n === size ? h.digest('hex') : `short: ${n}`));
    send(s, toClient, true);
  });
  await withService(backend, {}, async (svc) => {
    const got = await new Promise<string>((resolve) => {
      const c = net.connect({ host: '127.0.0.1', port: svc.port(), allowHalfOpen: true });
      const h = createHash('sha256');
      let n = 0;
      c.on('connect', () => send(c, toBackend, true));
      c.on('data', (d: Buffer) => {
        n += d.length;
        h.update(d);
      });
      c.on('end', () => resolve(n === size ? h.digest('hex') : `short: ${n}`));
      c.on('error', (e) => resolve(`error: ${e.message}`));
      setTimeout(() => c.destroy(), 30_000).unref();
    });
    assert.equal(got, sha(toClient));
    assert.ok(await until(() => svc.pairs.size === 0 && backendGot !== '', 3000), 'the pair ends after both FINs');
    assert.equal(backendGot, sha(toBackend));
    assert.equal(svc.relayedPairs, 1);
    assert.equal(svc.jsPairs, 0);
    assert.equal(svc.counters.bytesIn, size);
    assert.equal(svc.counters.bytesOut, size);
  });
});

test('relay: half-close — the client shuts its write side and still gets the answer', { skip: SKIP }, async () => {
  const backend = await tcpServer((s) => {
    const got: Buffer[] = [];
    s.on('data', (d: Buffer) => got.push(d));
    s.on('end', () => s.end(`got ${Buffer.concat(got).length} bytes`));
  });
  await withService(backend, {}, async (svc) => {
    const reply = await new Promise<string>((resolve) => {
      const c = net.connect({ host: '127.0.0.1', port: svc.port(), allowHalfOpen: true });
      const parts: Buffer[] = [];
      c.on('connect', () => c.end('x'.repeat(100_000)));
      c.on('data', (d: Buffer) => parts.push(d));
      c.on('end', () => resolve(Buffer.concat(parts).toString()));
      setTimeout(() => c.destroy(), 5000).unref();
    });
    assert.equal(reply, 'got 100000 bytes');
    assert.equal(svc.relayedPairs, 1);
  });
});

test('relay: half-close — the backend finishes first, the client can still send after it', { skip: SKIP }, async () => {
  let resolveBackend: (s: string) => void = () => undefined;
  const backendHeard = new Promise<string>((r) => (resolveBackend = r));
  const backend = await tcpServer((s) => {
    const got: Buffer[] = [];
    s.end('bye'); // FIN first, keep reading
    s.on('data', (d: Buffer) => got.push(d));
    s.on('end', () => resolveBackend(Buffer.concat(got).toString()));
  });
  await withService(backend, {}, async (svc) => {
    const c = net.connect({ host: '127.0.0.1', port: svc.port(), allowHalfOpen: true });
    const parts: Buffer[] = [];
    c.on('data', (d: Buffer) => parts.push(d));
    const ended = await new Promise<boolean>((r) => {
      c.on('end', () => r(true));
      setTimeout(() => r(false), 5000).unref();
    });
    assert.equal(ended, true, 'the backend FIN reaches the client');
    assert.equal(Buffer.concat(parts).toString(), 'bye');
    c.end('after your FIN');
    const heard = await Promise.race([backendHeard, new Promise<string>((r) => setTimeout(() => r('timeout'), 5000).unref())]);
    assert.equal(heard, 'after your FIN');
    assert.ok(await until(() => svc.pairs.size === 0, 3000));
    assert.equal(svc.counters.bytesIn, 'after your FIN'.length);
    assert.equal(svc.counters.bytesOut, 3);
    c.destroy();
  });
});

test('relay: a backend reset mid-transfer ends the pair and the client sees it', { skip: SKIP }, async () => {
  const backend = await tcpServer((s) => {
    s.write(pattern(1024 * 1024, 3), () => setTimeout(() => s.resetAndDestroy(), 50));
  });
  await withService(backend, {}, async (svc) => {
    const outcome = await new Promise<string>((resolve) => {
      const c = net.connect({ host: '127.0.0.1', port: svc.port(), allowHalfOpen: true });
      let n = 0;
      c.on('data', (d: Buffer) => (n += d.length));
      c.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code ?? ''} after ${n}`));
      c.on('end', () => resolve(`end after ${n}`));
      setTimeout(() => {
        resolve('timeout');
        c.destroy();
      }, 5000).unref();
    });
    assert.match(outcome, /^error ECONNRESET/);
    assert.ok(await until(() => svc.pairs.size === 0, 3000), 'the pair is gone');
  });
});

test('relay: a slow reader blocks the sender; memory stays bounded; every byte arrives later', { skip: SKIP }, async () => {
  const size = 64 * 1024 * 1024;
  const data = pattern(size, 11);
  let sender: net.Socket | undefined;
  const backend = await tcpServer((s) => {
    sender = s;
    send(s, data, true);
  });
  await withService(backend, {}, async (svc) => {
    const c = net.connect({ host: '127.0.0.1', port: svc.port(), allowHalfOpen: true });
    c.pause();
    await new Promise<void>((r) => c.once('connect', () => r()));
    assert.ok(await until(() => sender !== undefined, 2000));
    // let the window fill up while the client reads nothing
    await new Promise((r) => setTimeout(r, 700));
    const s = sender as net.Socket;
    const inKernelOrRelay = s.bytesWritten - s.writableLength;
    assert.ok(s.writableLength > 0, 'the backend is blocked: its writes queue in Node');
    assert.ok(inKernelOrRelay < 24 * 1024 * 1024, `at most socket buffers and two pipes are in flight, got ${inKernelOrRelay}`);
    const got = await new Promise<string>((resolve) => {
      const h = createHash('sha256');
      let n = 0;
      c.on('data', (d: Buffer) => {
        n += d.length;
        h.update(d);
      });
      c.on('end', () => resolve(n === size ? h.digest('hex') : `short: ${n}`));
      c.resume();
      setTimeout(() => c.destroy(), 30_000).unref();
    });
    assert.equal(got, sha(data));
    c.destroy();
  });
});

test('relay: the byte counters move while a relayed pair lives (polled once a second)', { skip: SKIP }, async () => {
  const backend = await tcpServer((s) => {
    s.on('data', (d: Buffer) => s.write(d));
    s.on('end', () => s.end());
  });
  await withService(backend, {}, async (svc) => {
    const c = net.connect({ host: '127.0.0.1', port: svc.port() });
    c.on('error', () => undefined);
    let echoed = 0;
    c.on('data', (d: Buffer) => (echoed += d.length));
    await new Promise<void>((r) => c.once('connect', () => r()));
    c.write(Buffer.alloc(50_000, 1));
    assert.ok(await until(() => echoed === 50_000, 3000), 'the echo came back');
    assert.ok(await until(() => svc.counters.bytesIn === 50_000 && svc.counters.bytesOut === 50_000, 3000), `counters while live: ${svc.counters.bytesIn}/${svc.counters.bytesOut}`);
    assert.equal(svc.pairs.size, 1, 'the pair is still open');
    c.end();
    assert.ok(await until(() => svc.pairs.size === 0, 3000));
    assert.equal(svc.counters.bytesIn, 50_000, 'the final report does not count twice');
    assert.equal(svc.counters.bytesOut, 50_000);
    c.destroy();
  });
});

test('relay: the idle timeout (proxy_timeout) closes a silent pair in C', { skip: SKIP }, async () => {
  const backend = await tcpServer((s) => s.on('data', (d: Buffer) => s.write(d)));
  await withService(backend, { timeouts: { ...NGINX_TIMEOUTS, idleMs: 300 } }, async (svc) => {
    const start = Date.now();
    const closedAfter = await new Promise<number>((resolve) => {
      const c = net.connect({ host: '127.0.0.1', port: svc.port() });
      c.on('error', () => undefined);
      c.on('connect', () => c.write('ping'));
      c.on('close', () => resolve(Date.now() - start));
      c.resume(); // reading is how the client sees the close
      setTimeout(() => {
        resolve(-1);
        c.destroy();
      }, 5000).unref();
    });
    assert.ok(closedAfter >= 250 && closedAfter < 2000, `closed after ${closedAfter} ms`);
    assert.equal(svc.relayedPairs, 1);
    assert.equal(svc.counters.bytesIn, 4);
    assert.equal(svc.counters.bytesOut, 4);
  });
});

test('relay: destroying the service closes active relayed pairs; the relay thread stops', { skip: SKIP }, async () => {
  const backend = await tcpServer((s) => s.on('data', (d: Buffer) => s.write(d)));
  const { ticker, pools, spec } = setup([be(backend.port)]);
  const svc = new TcpService(spec, pools, { ticker });
  await svc.listen();
  const relay = processRelay();
  assert.ok(relay.ok);
  const clients: net.Socket[] = [];
  const closed: Promise<void>[] = [];
  try {
    for (let i = 0; i < 5; i++) {
      const c = net.connect({ host: '127.0.0.1', port: svc.port() });
      c.on('error', () => undefined);
      clients.push(c);
      closed.push(new Promise<void>((r) => c.on('close', () => r())));
      await new Promise<void>((r) => c.once('data', () => r()).write('hello'));
    }
    assert.equal(svc.relayedPairs, 5);
    assert.equal(relay.relay.livePairs, 5);
    svc.destroy();
    const all = await Promise.race([Promise.all(closed).then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 3000).unref())]);
    assert.equal(all, true, 'every client connection closed');
    assert.ok(await until(() => svc.pairs.size === 0, 2000));
    assert.equal(relay.relay.livePairs, 0);
    assert.equal(relay.relay.running, false, 'no service and no pair: the thread is stopped');
  } finally {
    for (const c of clients) c.destroy();
    svc.destroy();
    ticker.stop();
    await backend.close();
  }
});

test('relay: 200 concurrent pairs echo 64 KiB each intact', { skip: SKIP }, async () => {
  const backend = await tcpServer((s) => s.pipe(s));
  await withService(backend, {}, async (svc) => {
    const n = 200;
    // Each pair's outcome: 'ok', or why not (an error code, a short or different echo, a time-out).
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => {
        const data = pattern(64 * 1024, i);
        return new Promise<string>((resolve) => {
          const c = net.connect({ host: '127.0.0.1', port: svc.port(), allowHalfOpen: true });
          const parts: Buffer[] = [];
          c.on('error', (e: NodeJS.ErrnoException) => resolve(`pair ${i}: ${e.code ?? e.message} after ${Buffer.concat(parts).length} bytes`));
          c.on('connect', () => c.end(data));
          c.on('data', (d: Buffer) => parts.push(d));
          c.on('end', () => {
            const got = Buffer.concat(parts);
            resolve(got.equals(data) ? 'ok' : `pair ${i}: echo of ${got.length} bytes differs`);
            c.destroy();
          });
          setTimeout(() => {
            resolve(`pair ${i}: no end within 20 s`);
            c.destroy();
          }, 20_000).unref();
        });
      }),
    );
    assert.deepEqual(results.filter((r) => r !== 'ok'), []);
    assert.ok(await until(() => svc.pairs.size === 0, 3000));
    assert.equal(svc.relayedPairs, n);
    assert.equal(svc.counters.bytesIn, n * 64 * 1024);
  });
});

test('relay: a full table refuses the next pair (the caller keeps it in JavaScript); stop() ends a pair with its report', { skip: SKIP }, async () => {
  const l = loadRelayAddon();
  assert.ok(l.ok);
  const relay = new NativeRelay(l.addon, 1, 0);
  relay.acquire();
  const peers: net.Socket[] = [];
  const srv = net.createServer({ pauseOnConnect: true }, (s) => peers.push(s));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  const conns: net.Socket[] = [];
  try {
    for (let i = 0; i < 4; i++) {
      const c = net.connect({ host: '127.0.0.1', port });
      c.on('error', () => undefined);
      conns.push(c);
      await new Promise<void>((r) => c.once('connect', () => r()));
    }
    assert.ok(await until(() => peers.length === 4, 2000));
    const fd = (s: net.Socket | undefined): number => socketFd(s as net.Socket) ?? -1;
    let report: RelayReport | undefined;
    const first = relay.add(fd(conns[0]), fd(conns[1]), 0, (r) => (report = r));
    assert.equal(first.ok, true);
    const second = relay.add(fd(conns[2]), fd(conns[3]), 0, () => undefined);
    assert.equal(second.ok, false);
    assert.equal(!second.ok && second.full, true, 'refused because the table is full');
    assert.equal(relay.livePairs, 1);
    if (first.ok) relay.stop(first.id);
    assert.ok(await until(() => report !== undefined, 2000), 'the stopped pair reports');
    assert.equal(report?.reason, RelayReason.Stopped);
    relay.release();
    assert.equal(relay.running, false, 'released and no pair left: the thread is stopped');
  } finally {
    relay.release();
    for (const c of [...conns, ...peers]) c.destroy();
    await new Promise<void>((r) => srv.close(() => r()));
  }
});

test('relay off: the JavaScript path carries the pair (nativeRelay: false)', async () => {
  const backend = await tcpServer((s) => s.on('data', (d: Buffer) => s.write(d)));
  const { ticker, pools, spec } = setup([be(backend.port)]);
  const svc = new TcpService(spec, pools, { ticker, nativeRelay: false });
  await svc.listen();
  try {
    const echo = await pingThrough(svc.port());
    assert.equal(echo, 'ping');
    assert.equal(svc.jsPairs, 1);
    assert.equal(svc.relayedPairs, 0);
  } finally {
    svc.destroy();
    ticker.stop();
    await backend.close();
  }
});

test('relay off: the L4 proxy tests pass on the JavaScript path (HALO_L4_RELAY=off)', () => {
  const file = fileURLToPath(new URL('./l4-proxy.test.js', import.meta.url));
  // a child of `node --test` would report in the runner's binary protocol: drop its context
  const env: NodeJS.ProcessEnv = { ...process.env, HALO_L4_RELAY: 'off' };
  delete env.NODE_TEST_CONTEXT;
  const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', file], { env, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `l4-proxy.test.js on the JavaScript path failed:\n${r.stdout.slice(-3000)}${r.stderr.slice(-1000)}`);
  assert.match(r.stdout, /# pass [1-9]/);
  assert.match(r.stdout, /# fail 0/);
});
