/**
 * TEST HELPER ONLY: loopback backends, a raw client and a proxy factory for the proxy tests.
 * Every socket here talks to 127.0.0.1 only, and every wait is bounded.
 */
import net from 'node:net';
import http from 'node:http';
import { SeededPrng } from '../../core/prng.js';
import type { PickerFactory } from '../../balance/picker.js';
import { buildPools, HttpService } from '../http-proxy.js';
import { Ticker } from '../upstream.js';
import { backendSpec, poolSpec, serviceSpec, type BackendSpec, type PoolSpec, type ServiceSpec } from '../types.js';
import { createRr as testRoundRobin } from '../../balance/lvs-rr.js';

export interface Backend {
  readonly port: number;
  readonly requests: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }>;
  connections: number;
  close(): Promise<void>;
}

/** A node:http backend (the backend side need not be fast). */
export async function httpBackend(handler?: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void): Promise<Backend & { server: http.Server }> {
  const requests: Backend['requests'] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('latin1');
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (handler) handler(req, res, body);
      else {
        res.setHeader('Content-Type', 'text/plain');
        res.end(`ok ${req.method} ${req.url} ${body.length}`);
      }
    });
  });
  server.keepAliveTimeout = 30_000;
  const b = {
    server,
    port: 0,
    requests,
    connections: 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  server.on('connection', () => b.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  b.port = (server.address() as net.AddressInfo).port;
  return b;
}

/** A raw TCP backend: the handler sees each connection's bytes. */
export async function rawBackend(onData: (sock: net.Socket, data: Buffer) => void): Promise<Backend> {
  const socks = new Set<net.Socket>();
  const b = {
    port: 0,
    requests: [] as Backend['requests'],
    connections: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of socks) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = net.createServer((sock) => {
    b.connections++;
    socks.add(sock);
    sock.on('close', () => socks.delete(sock));
    sock.on('error', () => undefined);
    sock.on('data', (d: Buffer) => onData(sock, d));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  b.port = (server.address() as net.AddressInfo).port;
  return b;
}

/** A port on loopback with nothing listening (connections are refused). */
export async function deadPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/**
 * A loopback port that refuses connections for the whole test: a dead backend. It is below the
 * kernel's ephemeral range (32768-60999 by default), where every `listen(0)` of the tests and every
 * outgoing connection's source port come from, so no test running beside this one can start
 * listening on it, and a connection to it cannot meet itself (a TCP self-connect to a closed
 * ephemeral port hangs instead of being refused). A port from `deadPort()` can be taken by either
 * meanwhile: a dead backend once answered nothing for 3 s in CI.
 */
export async function refusedPort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = REFUSED_PORT_MIN + Math.floor(Math.random() * REFUSED_PORT_SPAN);
    const s = net.createServer();
    const free = await new Promise<boolean>((resolve) => {
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!free) continue;
    await new Promise<void>((resolve) => s.close(() => resolve()));
    return port;
  }
  throw new Error('refusedPort: no free port below the ephemeral range');
}

const REFUSED_PORT_MIN = 20_000;
const REFUSED_PORT_SPAN = 10_000;

export interface RawResult {
  readonly text: string;
  readonly closed: boolean;
}

/**
 * Sends `data` (or a sequence of writes with pauses) and collects what comes back until the
 * server closes or `waitMs` passes.
 */
export function rawRequest(port: number, data: string | Buffer | Array<string | Buffer>, waitMs = 3000, pauseMs = 30): Promise<RawResult> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    const got: Buffer[] = [];
    let closed = false;
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ text: Buffer.concat(got).toString('latin1'), closed });
    }, waitMs);
    sock.on('data', (d: Buffer) => got.push(d));
    sock.on('error', () => undefined);
    sock.on('close', () => {
      closed = true;
      clearTimeout(timer);
      resolve({ text: Buffer.concat(got).toString('latin1'), closed });
    });
    const parts = Array.isArray(data) ? data : [data];
    let i = 0;
    const next = (): void => {
      const p = parts[i++];
      if (p === undefined || sock.destroyed) return;
      sock.write(p);
      if (i < parts.length) setTimeout(next, pauseMs);
    };
    sock.on('connect', next);
  });
}

export interface TestProxy {
  readonly svc: HttpService;
  readonly port: number;
  readonly ticker: Ticker;
  close(): Promise<void>;
}

export async function startHttpProxy(backends: readonly BackendSpec[], over: Partial<ServiceSpec> = {}, poolOver: Partial<PoolSpec> = {}, factory: PickerFactory = testRoundRobin): Promise<TestProxy> {
  const ticker = new Ticker(20);
  const pools = buildPools([poolSpec('web', backends, poolOver)], () => factory, new SeededPrng(1)).pools;
  const svc = new HttpService(serviceSpec({ name: 'test', pool: 'web', listenPort: 0, ...over }), pools, { ticker });
  const poolTicker = { tick: (now: number) => pools.forEach((p) => p.tick(now)) };
  ticker.add(poolTicker);
  await svc.listen();
  return {
    svc,
    port: svc.port(),
    ticker,
    close: async () => {
      svc.destroy();
      pools.forEach((p) => p.close());
      ticker.stop();
      await new Promise((r) => setTimeout(r, 5));
    },
  };
}

export function be(port: number, over: Partial<Omit<BackendSpec, 'address' | 'port'>> = {}): BackendSpec {
  return backendSpec('127.0.0.1', port, over);
}

/** Status codes of every response in a raw byte stream, in order. */
export function statuses(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));
}

/** An L4 service over `backends` (round robin), its pools and ticker, not started. */
export function l4Setup(backends: BackendSpec[], over: Partial<ServiceSpec> = {}, seed = 3) {
  const ticker = new Ticker(20);
  const pools = buildPools([poolSpec('p', backends)], () => testRoundRobin, new SeededPrng(seed)).pools;
  const spec = serviceSpec({ name: 's', pool: 'p', listenPort: 0, protocol: 'tcp', ...over });
  return { ticker, pools, spec };
}

/** A TCP server on loopback (half-open allowed) that hands each connection to `onConn`; close() destroys them all. */
export async function tcpServer(onConn: (s: net.Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const socks = new Set<net.Socket>();
  const srv = net.createServer({ allowHalfOpen: true }, (s) => {
    socks.add(s);
    s.on('error', () => undefined);
    s.on('close', () => socks.delete(s));
    onConn(s);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of socks) s.destroy();
        srv.close(() => r());
      }),
  };
}

/** Sends `ping` through a proxy on loopback `port` and resolves with the first bytes back ('(error)' or 'timeout' otherwise). */
export function pingThrough(port: number, timeoutMs = 3000): Promise<string> {
  return new Promise<string>((resolve) => {
    const c = net.connect({ host: '127.0.0.1', port });
    c.on('connect', () => c.write('ping'));
    c.on('data', (d: Buffer) => {
      resolve(d.toString());
      c.destroy();
    });
    c.on('error', () => resolve('(error)'));
    setTimeout(() => {
      resolve('timeout');
      c.destroy();
    }, timeoutMs).unref();
  });
}
