import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCheck, type CheckInput, type CheckSpec } from '../../../src/check/spec.js';
import { initialChecker, stepChecker } from '../../../src/check/policy.js';
import { runProbe, type ProbeContext } from '../../../src/check/probes/index.js';
import { splitCommand } from '../../../src/check/probes/misc.js';
import { judgeFileValue } from '../../../src/check/probes/file.js';
import { probePing } from '../../../src/check/probes/ping.js';
import { freePort, startDns, startHttp, startHttps, startSmtp, startTcp, startUdpEcho, type DnsMode, type Running, type SmtpMode } from './servers.js';

const LO = '127.0.0.1';
const running: Running[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'halo-probes-'));
chmodSync(tmp, 0o755); // MISC_CHECK runs a script from here as `nobody` too
after(async () => {
  await Promise.all(running.map((r) => r.close()));
  rmSync(tmp, { recursive: true, force: true });
});
async function keep<T extends Running>(p: Promise<T>): Promise<T> {
  const r = await p;
  running.push(r);
  return r;
}
function spec(input: CheckInput): CheckSpec {
  const r = buildCheck(input);
  assert.deepEqual(r.problems, []);
  return r.spec;
}
const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

/** Probes a live checker until it goes down (no waiting between probes): returns the probe count. */
async function probesUntilDown(s: CheckSpec, ctx: ProbeContext, max = 10): Promise<{ count: number; detail: string }> {
  let c = initialChecker(s, 0);
  for (let n = 1; n <= max; n++) {
    const o = await runProbe(s, ctx);
    c = stepChecker(s, c, o, n).state;
    if (!c.up) return { count: n, detail: o.detail };
  }
  return { count: Infinity, detail: c.lastDetail };
}

// One web server whose behaviour each test sets through `web`.
let web: { status: number; body: string; delayMs: number; chunked?: boolean } = { status: 200, body: 'hello', delayMs: 0 };
const seen: { host?: string; version?: string; connection?: string; method?: string; header?: string; body?: string } = {};
const httpSrv = await keep(
  startHttp((req, res, body) => {
    Object.assign(seen, { host: req.headers.host, version: req.httpVersion, connection: req.headers.connection, method: req.method, header: req.headers['x-check'], body });
    const send = (): void => {
      if (!web.chunked) res.setHeader('Content-Length', Buffer.byteLength(web.body));
      res.writeHead(web.status);
      res.end(web.body);
    };
    if (web.delayMs > 0) setTimeout(send, web.delayMs);
    else send();
  }),
);
type HttpIn = Omit<Extract<CheckInput, { urls: unknown }>, 'kind'>;
const http = (over: Partial<HttpIn> = {}): CheckSpec => spec({ kind: 'HTTP_GET', urls: [{ path: '/health' }], connectTimeoutMs: 1000, ...over });
const httpCtx: ProbeContext = { server: { address: LO, port: httpSrv.port } };

test('HTTP_GET: status ranges, default 200-299', async () => {
  web = { status: 200, body: 'ok', delayMs: 0 };
  assert.deepEqual((await runProbe(http(), httpCtx)).detail, 'status 200');
  web = { status: 503, body: 'no', delayMs: 0 };
  const r = await runProbe(http(), httpCtx);
  assert.equal(r.ok, false);
  assert.equal(r.detail, 'status 503 not in 200-299');
  assert.equal((await runProbe(http({ urls: [{ path: '/', statusCodes: [{ from: 500, to: 599 }] }] }), httpCtx)).ok, true);
});

test('HTTP_GET: MD5 digest of the body, plain and chunked', async () => {
  web = { status: 200, body: 'hello world', delayMs: 0 };
  assert.equal((await runProbe(http({ urls: [{ path: '/', digest: md5('hello world') }] }), httpCtx)).ok, true);
  const bad = await runProbe(http({ urls: [{ path: '/', digest: md5('other') }] }), httpCtx);
  assert.equal(bad.ok, false);
  assert.match(bad.detail, new RegExp(`^digest mismatch: got ${md5('hello world')}, expected ${md5('other')}$`));
  web = { status: 200, body: 'chunked body '.repeat(500), delayMs: 0, chunked: true };
  for (const protocol of ['1.0', '1.1'] as const) {
    assert.equal((await runProbe(http({ httpProtocol: protocol, urls: [{ path: '/', digest: md5(web.body) }] }), httpCtx)).ok, true, protocol);
  }
});

test('HTTP_GET: virtualhost, http_protocol, method, headers and body', async () => {
  web = { status: 200, body: 'ok', delayMs: 0 };
  await runProbe(http({ virtualhost: 'www.example.test' }), httpCtx);
  assert.equal(seen.host, `www.example.test:${httpSrv.port}`);
  assert.equal(seen.version, '1.0');
  assert.equal(seen.connection, undefined);
  await runProbe(http({ httpProtocol: '1.0C', urls: [{ path: '/', virtualhost: 'url.test' }] }), { ...httpCtx, virtualhost: 'rs.test' });
  assert.equal(seen.host, `url.test:${httpSrv.port}`, 'the url block wins');
  assert.equal(seen.connection, 'close');
  await runProbe(http({ httpProtocol: '1.1' }), { ...httpCtx, virtualhost: 'rs.test' });
  assert.equal(seen.host, `rs.test:${httpSrv.port}`, 'the real server virtualhost when the checker has none');
  assert.equal(seen.version, '1.1');
  web = { status: 200, body: '{"status":"UP"}', delayMs: 0 };
  const r = await runProbe(http({ method: 'POST', headers: [['X-Check', 'halo']], requestBody: 'ping', urls: [{ path: '/', expectBody: '"UP"' }] }), httpCtx);
  assert.equal(r.ok, true, r.detail);
  assert.deepEqual([seen.method, seen.header, seen.body], ['POST', 'halo', 'ping']);
  const r2 = await runProbe(http({ urls: [{ path: '/', expectBody: '"DOWN"' }] }), httpCtx);
  assert.equal(r2.detail, 'body does not contain "\\"DOWN\\""');
});

test('HTTP_GET: regex and regex_no_match', async () => {
  web = { status: 200, body: 'service: ready\nload: 3', delayMs: 0 };
  assert.equal((await runProbe(http({ urls: [{ path: '/', regex: 'service: (ready|warm)' }] }), httpCtx)).ok, true);
  const miss = await runProbe(http({ urls: [{ path: '/', regex: 'service: down' }] }), httpCtx);
  assert.equal(miss.detail, 'regex service: down did not match');
  const no = await runProbe(http({ urls: [{ path: '/', regex: 'ready', regexNoMatch: true }] }), httpCtx);
  assert.equal(no.detail, 'regex ready matched');
  assert.equal((await runProbe(http({ urls: [{ path: '/', regex: 'maintenance', regexNoMatch: true }] }), httpCtx)).ok, true);
});

test('HTTP_GET: the body read is bounded', async () => {
  web = { status: 200, body: 'A'.repeat(3 * 1024 * 1024), delayMs: 0 };
  const r = await runProbe(http({ maxBodyBytes: 4096, urls: [{ path: '/', regex: '^A+$' }] }), httpCtx);
  assert.equal(r.ok, true, r.detail);
  const d = await runProbe(http({ maxBodyBytes: 4096, urls: [{ path: '/', digest: md5(web.body) }] }), httpCtx);
  assert.equal(d.detail, 'body larger than max_body_bytes: cannot check its digest');
});

test('HTTP_GET: several url blocks, the first failure is named', async () => {
  web = { status: 200, body: 'ok', delayMs: 0 };
  const s = http({ urls: [{ path: '/a' }, { path: '/b', statusCodes: [{ from: 204, to: 204 }] }] });
  const r = await runProbe(s, httpCtx);
  assert.equal(r.detail, '/b: status 200 not in 204');
  assert.equal((await runProbe(s, { ...httpCtx, urlIndexes: [0] })).ok, true, 'only the urls asked for');
});

test('bad answers of every kind take a live server down after retry + 1 tries, no sooner', async (t) => {
  const reset = await keep(startTcp((s) => s.resetAndDestroy()));
  const garbage = await keep(startTcp((s) => s.end('SSH-2.0-OpenSSH\r\n')));
  const https = await keep(startHttps((_q, res) => res.end('secure')));
  const cases: [string, () => void, CheckSpec, ProbeContext, RegExp][] = [
    ['wrong status', () => (web = { status: 500, body: 'x', delayMs: 0 }), http({ retry: 2 }), httpCtx, /^status 500 not in 200-299$/],
    ['wrong digest', () => (web = { status: 200, body: 'changed', delayMs: 0 }), http({ retry: 2, urls: [{ path: '/', digest: md5('orig') }] }), httpCtx, /^digest mismatch/],
    ['regex mismatch', () => (web = { status: 200, body: 'error page', delayMs: 0 }), http({ retry: 2, urls: [{ path: '/', regex: 'welcome' }] }), httpCtx, /did not match/],
    ['slow answer past the timeout', () => (web = { status: 200, body: 'late', delayMs: 400 }), http({ retry: 2, connectTimeoutMs: 150 }), httpCtx, /^timeout after 150 ms$/],
    ['connection reset', () => undefined, http({ retry: 2 }), { server: { address: LO, port: reset.port } }, /reset|closed/],
    ['not HTTP', () => undefined, http({ retry: 2 }), { server: { address: LO, port: garbage.port } }, /^not an HTTP response/],
    ['TLS to a plain server', () => (web = { status: 200, body: 'x', delayMs: 0 }), spec({ kind: 'SSL_GET', urls: [{ path: '/' }], retry: 2, connectTimeoutMs: 1000 }), httpCtx, /TLS|SSL|packet length|wrong version/i],
    ['TLS certificate not trusted', () => undefined, spec({ kind: 'SSL_GET', urls: [{ path: '/' }], retry: 2, connectTimeoutMs: 1000, verifyTls: true }), { server: { address: LO, port: https.port } }, /^TLS error: .*self.signed/i],
    ['refused', () => undefined, spec({ kind: 'TCP_CHECK', retry: 2 }), { server: { address: LO, port: await freePort('tcp') } }, /^connection refused$/],
  ];
  for (const [name, arrange, s, ctx, re] of cases) {
    await t.test(name, async () => {
      arrange();
      const r = await probesUntilDown(s, ctx);
      assert.equal(r.count, 3, `${name}: down after ${r.count} probes (${r.detail})`);
      assert.match(r.detail, re);
    });
  }
  web = { status: 200, body: 'ok', delayMs: 0 };
});

test('SSL_GET: a self-signed server, SNI sent when enabled', async () => {
  let sni = '';
  const https = await keep(startHttps((_q, res) => res.end('secure body'), (n) => (sni = n)));
  const ctx = { server: { address: LO, port: https.port } };
  const ok = await runProbe(spec({ kind: 'SSL_GET', urls: [{ path: '/', digest: md5('secure body') }], connectTimeoutMs: 2000 }), ctx);
  assert.equal(ok.ok, true, ok.detail);
  assert.equal(sni, '', 'no SNI unless enabled');
  await runProbe(spec({ kind: 'SSL_GET', urls: [{ path: '/' }], sniName: 'api.example.test', connectTimeoutMs: 2000 }), ctx);
  assert.equal(sni, 'api.example.test');
  await runProbe(spec({ kind: 'SSL_GET', urls: [{ path: '/' }], enableSni: true, virtualhost: 'vh.example.test', connectTimeoutMs: 2000 }), ctx);
  assert.equal(sni, 'vh.example.test', 'enable_sni uses the virtualhost');
});

test('TCP_CHECK: connect, bindto and bind_port', async () => {
  let remote = '';
  let remotePort = 0;
  // The server answers HTTP so that it sees the peer: a TCP_CHECK resets its connection as soon
  // as it is up, which on loopback (native prober) can be before this process accepts it.
  const srv = await keep(
    startTcp((s) => {
      remote = s.remoteAddress ?? '';
      remotePort = s.remotePort ?? 0;
      s.once('data', () => s.end('HTTP/1.0 200 OK\r\n\r\n'));
    }),
  );
  const bindPort = await freePort('tcp');
  const r = await runProbe(spec({ kind: 'TCP_CHECK', bindTo: '127.0.0.2', bindPort }), { server: { address: LO, port: srv.port } });
  assert.equal(r.ok, true, r.detail);
  const bindPort2 = await freePort('tcp');
  remote = '';
  const h = await runProbe(spec({ kind: 'HTTP_GET', urls: [{ path: '/' }], bindTo: '127.0.0.2', bindPort: bindPort2 }), { server: { address: LO, port: srv.port } });
  assert.equal(h.ok, true, h.detail);
  for (let i = 0; i < 50 && remote === ''; i++) await new Promise((res) => setTimeout(res, 10));
  assert.equal(remote, '127.0.0.2');
  assert.equal(remotePort, bindPort2);
  const viaConnect = await runProbe(spec({ kind: 'TCP_CHECK', connectIp: LO, connectPort: srv.port }), { server: { address: '127.0.0.9', port: 1 } });
  assert.equal(viaConnect.ok, true, 'connect_ip/connect_port override the real server');
});

test('MISC_CHECK: exit codes, misc_dynamic, quoting, timeout with TERM then KILL', async () => {
  const script = join(tmp, 'check.sh');
  writeFileSync(script, '#!/bin/sh\nexit "$1"\n');
  chmodSync(script, 0o755);
  const misc = (path: string, over: Partial<Extract<CheckInput, { kind: 'MISC_CHECK' }>> = {}): CheckSpec => spec({ kind: 'MISC_CHECK', miscPath: path, miscTimeoutMs: 2000, ...over });
  assert.deepEqual(await runProbe(misc(`${script} 0`), httpCtx).then((r) => [r.ok, r.detail]), [true, 'exit 0']);
  assert.deepEqual(await runProbe(misc(`${script} 1`), httpCtx).then((r) => [r.ok, r.detail]), [false, 'exit 1']);
  assert.deepEqual(await runProbe(misc(`${script} 12`), httpCtx).then((r) => [r.ok, r.detail]), [false, 'exit 12'], 'non-zero fails without misc_dynamic');
  const dyn = await runProbe(misc(`${script} 12`, { miscDynamic: true }), httpCtx);
  assert.deepEqual([dyn.ok, dyn.weight], [true, 10]);
  assert.deepEqual(splitCommand(`/bin/sh -c 'exit 3' "a b"`), ['/bin/sh', '-c', 'exit 3', 'a b']);
  assert.equal((await runProbe(misc(`/bin/sh -c 'exit 0'`), httpCtx)).ok, true);
  const t0 = Date.now();
  const slow = await runProbe(misc('/bin/sleep 5', { miscTimeoutMs: 200 }), httpCtx);
  assert.equal(slow.detail, 'timeout after 200 ms (killed by SIGTERM)');
  const stubborn = join(tmp, 'stubborn.sh');
  const nap = `7.${process.pid}`; // a duration no other process uses, to find this script's child
  writeFileSync(stubborn, `#!/bin/sh\ntrap '' TERM\nsleep ${nap} &\nwait $!\nwait $!\n`);
  chmodSync(stubborn, 0o755);
  const killed = await runProbe(misc(stubborn, { miscTimeoutMs: 200 }), httpCtx);
  assert.equal(killed.detail, 'timeout after 200 ms (killed by SIGKILL)');
  // The script's own children die with it: no `sleep` started by this test is left.
  await new Promise((r) => setTimeout(r, 100));
  const left = spawnSync('sh', ['-c', `ps -eo pid,args | grep -c '[s]leep ${nap}$' || true`], { encoding: 'utf8' }).stdout.trim();
  assert.equal(left, '0', 'no orphaned sleep');
  assert.ok(Date.now() - t0 < 2000, 'both timeouts ended within 2 s');
  assert.match((await runProbe(misc('/nonexistent/x'), httpCtx)).detail, /^cannot run \/nonexistent\/x/);
  const asNobody = await runProbe(misc(`${script} 0`, { user: 'nobody' }), httpCtx);
  assert.equal(asNobody.ok, process.getuid?.() === 0 ? true : false, asNobody.detail);
  assert.equal((await runProbe(misc(`${script} 0`, { user: 'no-such-user-halo' }), httpCtx)).detail, 'unknown user no-such-user-halo');
});

test('DNS_CHECK against a DNS server on loopback', async () => {
  let mode: DnsMode = 'ok';
  const dns = await keep(startDns(() => mode));
  const ctx = { server: { address: LO, port: dns.port } };
  const soa = spec({ kind: 'DNS_CHECK', connectTimeoutMs: 300 });
  assert.deepEqual(await runProbe(soa, ctx).then((r) => [r.ok, r.detail]), [true, '1 SOA answer']);
  assert.equal((await runProbe(spec({ kind: 'DNS_CHECK', type: 'A', name: 'www.example.test' }), ctx)).detail, '1 A answer');
  mode = 'servfail';
  assert.equal((await runProbe(soa, ctx)).detail, 'rcode SERVFAIL');
  mode = 'empty';
  assert.equal((await runProbe(soa, ctx)).detail, 'no SOA answer');
  mode = 'wrong-id';
  assert.equal((await runProbe(soa, ctx)).detail, 'no answer after 300 ms', 'a reply with another id is not ours');
  mode = 'silent';
  const r = await probesUntilDown(soa, ctx);
  assert.equal(r.count, 4, 'DNS_CHECK retries 3 times by default');
});

test('SMTP_CHECK: greeting 220, HELO 250, QUIT', async () => {
  let mode: SmtpMode = 'ok';
  const smtp = await keep(startSmtp(() => mode));
  const ctx = { server: { address: LO, port: smtp.port } };
  const s = spec({ kind: 'SMTP_CHECK', connectTimeoutMs: 300, heloName: 'director.test' });
  assert.deepEqual(await runProbe(s, ctx).then((r) => [r.ok, r.detail]), [true, 'greeting 220, HELO 250']);
  mode = 'bad-greeting';
  assert.equal((await runProbe(s, ctx)).detail, 'greeting "554 no service"');
  mode = 'bad-helo';
  assert.equal((await runProbe(s, ctx)).detail, 'HELO answered "501 bad helo"');
  mode = 'silent';
  assert.equal((await runProbe(s, ctx)).detail, 'timeout after 300 ms waiting for greeting');
});

test('UDP_CHECK: echo, require_reply pattern, ICMP port unreachable', async () => {
  const echo = await keep(startUdpEcho((m) => m));
  const ctx = { server: { address: LO, port: echo.port } };
  const payload = new Uint8Array([0xca, 0xfe, 0x01]);
  assert.equal((await runProbe(spec({ kind: 'UDP_CHECK', payload, requireReply: true, connectTimeoutMs: 300 }), ctx)).detail, 'reply of 3 bytes');
  assert.equal((await runProbe(spec({ kind: 'UDP_CHECK', payload, replyPattern: [0xca, null, 0x01] }), ctx)).ok, true);
  assert.equal((await runProbe(spec({ kind: 'UDP_CHECK', payload, replyPattern: [0xca, 0xff] }), ctx)).detail, 'reply does not match require_reply');
  assert.equal((await runProbe(spec({ kind: 'UDP_CHECK', payload, requireReply: true, minReplyLength: 4 }), ctx)).detail, 'reply of 3 bytes outside 4..255');
  const closed = { server: { address: LO, port: await freePort('udp') } };
  const r = await probesUntilDown(spec({ kind: 'UDP_CHECK', payload, connectTimeoutMs: 500 }), closed);
  assert.deepEqual([r.count, r.detail], [2, 'ICMP port unreachable']);
  const mute = await keep(startUdpEcho(() => undefined));
  const muteCtx = { server: { address: LO, port: mute.port } };
  assert.equal((await runProbe(spec({ kind: 'UDP_CHECK', connectTimeoutMs: 150 }), muteCtx)).detail, 'no ICMP error within 150 ms');
  assert.equal((await runProbe(spec({ kind: 'UDP_CHECK', requireReply: true, connectTimeoutMs: 150 }), muteCtx)).detail, 'no reply after 150 ms');
});

test('PING_CHECK: the system ping answers for loopback', async (t) => {
  if (spawnSync('ping', ['-V']).error) return t.skip('needs iputils ping');
  const r = await runProbe(spec({ kind: 'PING_CHECK', connectTimeoutMs: 1000 }), { server: { address: LO, port: 0 } });
  assert.equal(r.ok, true, r.detail);
  assert.match(r.detail, /^echo reply/);
});

test('PING_CHECK: a ping that gets no reply fails the check', async () => {
  const fake = join(tmp, 'fake-ping.sh');
  writeFileSync(fake, '#!/bin/sh\necho "1 packets transmitted, 0 received"\nexit 1\n');
  chmodSync(fake, 0o755);
  const r = await probePing({ connectTimeoutMs: 1000 }, { address: LO }, fake);
  assert.deepEqual([r.ok, r.detail], [false, 'no echo reply']);
  const missing = await probePing({ connectTimeoutMs: 1000 }, { address: LO }, join(tmp, 'no-ping'));
  assert.match(missing.detail, /^cannot run ping/);
});

test('IPv6 loopback: TCP_CHECK and HTTP_GET on ::1', async (t) => {
  let v6: Running;
  try {
    v6 = await keep(startHttp((req, res) => res.end(`host ${req.headers.host ?? ''}`), '::1'));
  } catch {
    return t.skip('needs ::1 on lo');
  }
  const ctx = { server: { address: '::1', port: v6.port } };
  assert.equal((await runProbe(spec({ kind: 'TCP_CHECK' }), ctx)).ok, true);
  const r = await runProbe(spec({ kind: 'HTTP_GET', urls: [{ path: '/', regex: `^host \\[::1\\]:${v6.port}$` }] }), ctx);
  assert.equal(r.ok, true, r.detail);
});

test('FILE_CHECK: keepalived track_file semantics', async () => {
  const f = join(tmp, 'weight');
  const s = (over: Partial<Extract<CheckInput, { kind: 'FILE_CHECK' }>> = {}): CheckSpec => spec({ kind: 'FILE_CHECK', path: f, weight: 0, ...over });
  writeFileSync(f, '0\n');
  assert.equal((await runProbe(s(), httpCtx)).ok, true, 'weight 0: 0 is OK');
  writeFileSync(f, '3\n');
  assert.equal((await runProbe(s(), httpCtx)).detail, 'value 3', 'weight 0: non-zero is a failure');
  const dyn = await runProbe(s({ weight: 2, dynamic: true }), httpCtx);
  assert.deepEqual([dyn.ok, dyn.weightDelta], [true, 6]);
  assert.equal((await runProbe(s({ weight: 2, reverse: true }), httpCtx)).ok, false, 'reverse makes it negative');
  writeFileSync(f, 'x');
  assert.equal((await runProbe(s(), httpCtx)).detail, 'no number in the file');
  assert.match((await runProbe(spec({ kind: 'FILE_CHECK', path: join(tmp, 'none') }), httpCtx)).detail, /^cannot read .*ENOENT/);
  assert.deepEqual(judgeFileValue({ weight: -1, reverse: false, dynamic: true }, '5'), { ok: true, detail: 'value 5: weight -5', weightDelta: -5 });
});
