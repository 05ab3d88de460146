// One suite, two probe paths: TCP_CHECK and HTTP_GET on Node sockets (tcp.ts, fetchOnce) and on
// the native batch prober (native-probes.ts) against the same real servers on loopback. Every
// case must give the same verdict and the same detail on both paths.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { buildCheck, type CheckInput, type HttpCheckSpec, type TcpCheckSpec } from '../../../src/check/spec.js';
import { fetchOnce, probeHttp } from '../../../src/check/probes/http.js';
import { probeTcp } from '../../../src/check/probes/tcp.js';
import { fetchNative, probeTcpNative } from '../../../src/check/probes/native-probes.js';
import { NativeProber, nativeProber } from '../../../src/check/probes/native-prober.js';
import { loadAddon } from '../../../src/net/linux/native.js';
import type { ProbeOutcome, ProbeTarget } from '../../../src/check/probes/types.js';
import { freePort, startHttp, startTcp, type Running } from './servers.js';

const LO = '127.0.0.1';
const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
const running: Running[] = [];
const load = nativeProber();
const skipNative = load.ok ? false : `needs the native addon: ${load.error}`;
after(async () => {
  await Promise.all(running.map((r) => r.close()));
});
async function keep(p: Promise<Running>): Promise<Running> {
  const r = await p;
  running.push(r);
  return r;
}

function tcpSpec(input: Partial<CheckInput> = {}): TcpCheckSpec {
  const r = buildCheck({ kind: 'TCP_CHECK', connectTimeoutMs: 1000, ...input } as CheckInput);
  assert.deepEqual(r.problems, []);
  return r.spec as TcpCheckSpec;
}
function httpSpec(input: Partial<CheckInput> = {}): HttpCheckSpec {
  const r = buildCheck({ kind: 'HTTP_GET', urls: [{ path: '/health', digest: md5('ok\n') }], connectTimeoutMs: 1000, ...input } as CheckInput);
  assert.deepEqual(r.problems, []);
  return r.spec as HttpCheckSpec;
}

type Paths = { node: ProbeOutcome; native: ProbeOutcome };
async function bothTcp(spec: TcpCheckSpec, target: ProbeTarget): Promise<Paths> {
  if (!load.ok) throw new Error(load.error);
  const [node, native] = await Promise.all([probeTcp(spec, target), probeTcpNative(load.prober, spec, target)]);
  return { node, native };
}
async function bothHttp(spec: HttpCheckSpec, target: ProbeTarget): Promise<Paths> {
  if (!load.ok) throw new Error(load.error);
  const prober = load.prober;
  const [node, native] = await Promise.all([probeHttp(spec, target, [], undefined, fetchOnce), probeHttp(spec, target, [], undefined, (o) => fetchNative(prober, o))]);
  return { node, native };
}
function same(r: Paths, ok: boolean, detail: string | RegExp): void {
  for (const [path, o] of Object.entries(r)) {
    assert.equal(o.ok, ok, `${path}: ${o.detail}`);
    if (typeof detail === 'string') assert.equal(o.detail, detail, path);
    else assert.match(o.detail, detail, path);
  }
  assert.equal(r.native.detail, r.node.detail);
}

// The web server: its answer per path.
const web = await keep(
  startHttp((req, res) => {
    const url = req.url ?? '/';
    const reply = (status: number, body: string, extra: Record<string, string | number> = {}): void => {
      res.writeHead(status, { 'Content-Length': Buffer.byteLength(body), ...extra });
      res.end(body);
    };
    if (url === '/health') reply(200, 'ok\n', { Connection: 'close' });
    else if (url === '/error') reply(500, 'ok\n', { Connection: 'close' });
    else if (url === '/other') reply(200, 'not ok\n', { Connection: 'close' });
    else if (url === '/slow') setTimeout(() => reply(200, 'ok\n', { Connection: 'close' }), 600);
    else if (url === '/keepalive') reply(200, 'ok\n', { Connection: 'keep-alive' }); // the server keeps the connection
    else if (url === '/chunked') {
      res.writeHead(200, { 'Transfer-Encoding': 'chunked', Connection: 'keep-alive' });
      res.write('o');
      res.end('k\n');
    } else reply(404, 'no\n');
  }),
);
const target = { address: LO, port: web.port };

test('TCP_CHECK: a listening server is up on both paths', { skip: skipNative }, async () => {
  same(await bothTcp(tcpSpec(), target), true, 'connected');
});

test('TCP_CHECK: a closed port is refused on both paths', { skip: skipNative }, async () => {
  same(await bothTcp(tcpSpec(), { address: LO, port: await freePort('tcp') }), false, 'connection refused');
});

test('TCP_CHECK: a server that resets at once still accepted the connection: up on both paths', { skip: skipNative }, async () => {
  const rst = await keep(startTcp((s) => s.resetAndDestroy()));
  same(await bothTcp(tcpSpec(), { address: LO, port: rst.port }), true, 'connected');
});

test('TCP_CHECK: bindto an address this host does not have fails before any packet, on both paths', { skip: skipNative }, async () => {
  // 192.0.2.1 (TEST-NET-1) is never local: bind() fails with EADDRNOTAVAIL, nothing is sent.
  same(await bothTcp(tcpSpec({ bindTo: '192.0.2.1' }), target), false, 'bindto address not available');
  same(await bothTcp(tcpSpec({ bindTo: LO }), target), true, 'connected');
});

test('TCP_CHECK: IPv6 loopback, when the host has it', { skip: skipNative }, async (t) => {
  let v6: Running;
  try {
    v6 = await keep(startTcp((s) => s.end(), '::1'));
  } catch {
    t.skip('needs ::1 on lo');
    return;
  }
  same(await bothTcp(tcpSpec(), { address: '::1', port: v6.port }), true, 'connected');
});

// A listener whose accept queue is full drops new SYNs, so a connect never completes: the only
// way to see a connect timeout on loopback. Python's socket module listens without accepting.
let blackhole: { child: ChildProcess; port: number; fillers: Socket[] } | undefined;
before(async () => {
  const child = spawn('python3', ['-c', 'import socket,time,sys\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(60)'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const port = await new Promise<number | undefined>((resolve) => {
    child.once('error', () => resolve(undefined));
    child.stdout?.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    setTimeout(() => resolve(undefined), 5000);
  });
  if (port === undefined) {
    child.kill('SIGKILL');
    return;
  }
  const fillers: Socket[] = [];
  for (let i = 0; i < 4; i++) {
    const s = connect(port, LO);
    s.on('error', () => undefined);
    fillers.push(s);
  }
  await new Promise((r) => setTimeout(r, 200));
  blackhole = { child, port, fillers };
});
after(() => {
  if (!blackhole) return;
  for (const s of blackhole.fillers) s.destroy();
  blackhole.child.kill('SIGKILL');
});

test('TCP_CHECK: a connect that never completes times out after connect_timeout, on both paths', { skip: skipNative }, async (t) => {
  if (!blackhole) return t.skip('needs python3 for a listener that never accepts');
  const r = await bothTcp(tcpSpec({ connectTimeoutMs: 300 }), { address: LO, port: blackhole.port });
  same(r, false, 'connect timeout after 300 ms');
  // Timers count from the event loop's time of the turn, which on a busy machine is a little old.
  for (const o of [r.node, r.native]) assert.ok(o.durationMs >= 250 && o.durationMs < 1500, `took ${o.durationMs} ms`);
});

test('HTTP_GET: right status and digest: up on both paths', { skip: skipNative }, async () => {
  same(await bothHttp(httpSpec(), target), true, 'status 200');
});

test('HTTP_GET: wrong status: down on both paths', { skip: skipNative }, async () => {
  same(await bothHttp(httpSpec({ urls: [{ path: '/error' }] }), target), false, 'status 500 not in 200-299');
});

test('HTTP_GET: wrong digest: down on both paths', { skip: skipNative }, async () => {
  same(await bothHttp(httpSpec({ urls: [{ path: '/other', digest: md5('ok\n') }] }), target), false, `digest mismatch: got ${md5('not ok\n')}, expected ${md5('ok\n')}`);
});

test('HTTP_GET: regex and status ranges are judged the same', { skip: skipNative }, async () => {
  same(await bothHttp(httpSpec({ urls: [{ path: '/other', regex: '^not' }] }), target), true, 'status 200');
  same(await bothHttp(httpSpec({ urls: [{ path: '/other', regex: '^ok' }] }), target), false, 'regex ^ok did not match');
  same(await bothHttp(httpSpec({ urls: [{ path: '/nope', statusCodes: [{ from: 400, to: 499 }] }] }), target), true, 'status 404');
});

test('HTTP_GET: an answer slower than connect_timeout times out on both paths', { skip: skipNative }, async () => {
  const r = await bothHttp(httpSpec({ urls: [{ path: '/slow' }], connectTimeoutMs: 250 }), target);
  same(r, false, 'timeout after 250 ms');
  // The detail says it was the timer; the time only has to be near it (the turn's clock is old).
  for (const o of [r.node, r.native]) assert.ok(o.durationMs >= 200 && o.durationMs < 1500, `took ${o.durationMs} ms`);
});

test('HTTP_GET: a server that keeps the connection open is judged on Content-Length / the last chunk', { skip: skipNative }, async () => {
  const r = await bothHttp(httpSpec({ urls: [{ path: '/keepalive', digest: md5('ok\n') }], connectTimeoutMs: 800 }), target);
  same(r, true, 'status 200');
  assert.ok(r.native.durationMs < 700, `native waited for the close: ${r.native.durationMs} ms`);
  same(await bothHttp(httpSpec({ urls: [{ path: '/chunked', digest: md5('ok\n') }], connectTimeoutMs: 800, httpProtocol: '1.1' }), target), true, 'status 200');
});

test('HTTP_GET: a refused port and a reset connection are down on both paths', { skip: skipNative }, async () => {
  same(await bothHttp(httpSpec(), { address: LO, port: await freePort('tcp') }), false, 'connection refused');
  const rst = await keep(startTcp((s) => s.once('data', () => s.resetAndDestroy())));
  same(await bothHttp(httpSpec(), { address: LO, port: rst.port }), false, 'connection reset');
});

test('HTTP_GET: not HTTP, or closed without an answer: the same detail on both paths', { skip: skipNative }, async () => {
  const smtp = await keep(startTcp((s) => s.end('220 mail.example ESMTP ready\r\n')));
  same(await bothHttp(httpSpec(), { address: LO, port: smtp.port }), false, 'not an HTTP response: "220 mail.example ESMTP ready"');
  const mute = await keep(startTcp((s) => s.once('data', () => s.end())));
  same(await bothHttp(httpSpec(), { address: LO, port: mute.port }), false, 'connection closed without a response');
  const cut = await keep(startTcp((s) => s.once('data', () => s.end('HTTP/1.0 200 OK\r\nContent-Length: 10\r\n\r\nok'))));
  same(await bothHttp(httpSpec({ urls: [{ path: '/' }] }), { address: LO, port: cut.port }), false, 'connection closed after 2 of 10 body bytes');
});

test('HTTP_GET: a body past max_body_bytes is cut at the limit on both paths', { skip: skipNative }, async () => {
  const big = await keep(startTcp((s) => s.once('data', () => s.end(`HTTP/1.0 200 OK\r\n\r\n${'x'.repeat(300_000)}`))));
  same(await bothHttp(httpSpec({ urls: [{ path: '/', digest: md5('x') }], maxBodyBytes: 1000 }), { address: LO, port: big.port }), false, 'body larger than max_body_bytes: cannot check its digest');
  same(await bothHttp(httpSpec({ urls: [{ path: '/', regex: 'x{1000}' }], maxBodyBytes: 1000 }), { address: LO, port: big.port }), true, 'status 200');
});

test('native prober: more probes than slots wait in order and all finish with the right verdicts', { skip: skipNative }, async () => {
  const addon = loadAddon();
  assert.ok(addon.ok);
  // A prober of 8 slots, 300 probes at once, half to a closed port.
  const small = new NativeProber(addon.addon as unknown as ConstructorParameters<typeof NativeProber>[0], 8);
  const closed = await freePort('tcp');
  try {
    const spec = tcpSpec();
    const outs = await Promise.all(Array.from({ length: 300 }, (_, i) => probeTcpNative(small, spec, { address: LO, port: i % 2 === 0 ? web.port : closed })));
    outs.forEach((o, i) => assert.equal(o.ok, i % 2 === 0, `probe ${i}: ${o.detail}`));
    const st = small.stats();
    assert.equal(st.inFlight, 0);
    assert.equal(st.queued, 0);
    assert.equal(st.finished, 300);
  } finally {
    small.close();
  }
  // A closed prober answers at once instead of hanging.
  const o = await probeTcpNative(small, tcpSpec(), target);
  assert.equal(o.ok, false);
  assert.match(o.detail, /^EBADF/);
});

test('without the native prober, TCP_CHECK and HTTP_GET fall back to Node sockets and the checker says so once', async () => {
  // HALO_CHECK_PROBER=node stands for a missing addon: the same branch (nativeProber() not ok).
  const script = `
    const { probeTcpFast, fetchFast } = await import(${JSON.stringify(new URL('../../../src/check/probes/native-probes.js', import.meta.url).href)});
    const { probeHttp } = await import(${JSON.stringify(new URL('../../../src/check/probes/http.js', import.meta.url).href)});
    const { buildCheck } = await import(${JSON.stringify(new URL('../../../src/check/spec.js', import.meta.url).href)});
    const { nativeProberNotice } = await import(${JSON.stringify(new URL('../../../src/check/probes/native-prober.js', import.meta.url).href)});
    const t = { address: '127.0.0.1', port: ${web.port} };
    const tcp = await probeTcpFast({ connectTimeoutMs: 2000 }, t);
    const http = await probeHttp(buildCheck({ kind: 'HTTP_GET', urls: [{ path: '/health' }], connectTimeoutMs: 2000 }).spec, t, [], undefined, fetchFast);
    console.log(JSON.stringify({ tcp: tcp.ok, http: http.detail, notice: nativeProberNotice(10) }));
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, HALO_CHECK_PROBER: 'node' }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 0);
  const r = JSON.parse(out) as { tcp: boolean; http: string; notice?: { code: string; message: string } };
  assert.equal(r.tcp, true);
  assert.equal(r.http, 'status 200');
  assert.equal(r.notice?.code, 'HALO_NET_NATIVE_MISSING');
  assert.match(r.notice?.message ?? '', /^Checking TCP_CHECK and HTTP_GET with Node sockets/);
});

test('with the native prober, the checker has nothing to say unless the fd limit is short', { skip: skipNative }, async () => {
  const { nativeProberNotice, NATIVE_MAX_IN_FLIGHT } = await import('../../../src/check/probes/native-prober.js');
  if (!load.ok) return;
  const limit = load.nofile.after; // -1: unlimited
  assert.ok(limit === -1 || limit >= 1025, `fd limit ${limit} after raising it`);
  assert.equal(nativeProberNotice(1), undefined);
  const most = nativeProberNotice(1_000_000); // needs NATIVE_MAX_IN_FLIGHT + 1024 fds
  if (limit === -1 || limit >= NATIVE_MAX_IN_FLIGHT + 1024) assert.equal(most, undefined);
  else assert.match(most?.message ?? '', new RegExp(`^Checks may fail with EMFILE: the fd limit is ${limit}`));
});
