/**
 * nginx's request routing as halo serves it, through the whole path nginx.conf → services →
 * proxy worker, with real sockets on loopback: several `server` blocks on one listen chosen by
 * `server_name` (exact, `*.x`, `x.*`, `~regex`, default_server), `location = /exact`, `^~` and
 * regex locations in nginx's order, and `listen [::]` with nginx's ipv6only default.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';
import { SeededPrng } from '../../src/core/prng.js';
import { loadNginxConfig } from '../../src/config/nginx/load.js';
import { MemorySource } from '../../src/config/nginx/memory-source.js';
import { servicesFromNginx } from '../../src/daemon/services-from-nginx.js';
import { pickerRegistry } from '../../src/proxy/pickers.js';
import { ProxyWorker } from '../../src/proxy/worker.js';
import { deadPort, httpBackend, type Backend } from '../../src/proxy/testing/harness.js';

async function named(name: string): Promise<Backend> {
  return httpBackend((req, res) => res.end(`${name} ${req.url ?? ''}`));
}

async function serve(conf: string): Promise<{ worker: ProxyWorker; logs: string[] }> {
  const r = loadNginxConfig('/n.conf', new MemorySource({ '/n.conf': conf }));
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(errors, [], 'the config loads');
  const m = servicesFromNginx(r.model);
  const logs: string[] = [];
  const worker = new ProxyWorker(pickerRegistry, new SeededPrng(1), (msg) => {
    if (msg.t === 'log') logs.push(`${msg.code} ${msg.message}`);
  });
  await worker.applyConfig(1, m.services, m.pools);
  return { worker, logs };
}

/** One request with a chosen Host (or none), bounded in time; the answer's body. */
function get(port: number, path: string, host: string | null, address = '127.0.0.1'): Promise<string> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { connection: 'close' };
    const req = http.request({ host: address, port, path, headers, setHost: host !== null, timeout: 3000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(`${res.statusCode ?? 0} ${Buffer.concat(chunks).toString()}`));
    });
    if (host !== null) req.setHeader('Host', host);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve(`error ${(e as NodeJS.ErrnoException).code ?? e.message}`));
    req.end();
  });
}

test('server_name picks the server on a shared listen in nginx order; locations = , ^~ , ~* , prefix', { timeout: 30_000 }, async () => {
  const [a, b, c, d] = await Promise.all([named('a'), named('b'), named('c'), named('d')]);
  const port = await deadPort();
  const { worker, logs } = await serve(`events {}
http {
  upstream a { server 127.0.0.1:${a.port}; }
  upstream b { server 127.0.0.1:${b.port}; }
  upstream c { server 127.0.0.1:${c.port}; }
  upstream d { server 127.0.0.1:${d.port}; }
  server { listen 127.0.0.1:${port}; server_name first.test; location / { proxy_pass http://a; } }
  server {
    listen 127.0.0.1:${port} default_server;
    server_name www.example.test "";
    location / { proxy_pass http://b; }
    location = /exact { proxy_pass http://c; }
    location ^~ /static/ { proxy_pass http://a; }
    location ~* \\.png$ { proxy_pass http://d; }
    location /img/ { proxy_pass http://c/pictures/; }
  }
  server { listen 127.0.0.1:${port}; server_name *.example.test; location / { proxy_pass http://c; } }
  server { listen 127.0.0.1:${port}; server_name api.*; location / { proxy_pass http://d; } }
  server { listen 127.0.0.1:${port}; server_name ~^v\\d+\\.example\\.org$; location / { proxy_pass http://a; } }
}`);
  try {
    assert.deepEqual(logs, []);
    const cases: [string | null, string, string][] = [
      ['first.test', '/x', '200 a /x'],
      ['FIRST.test:8080', '/x', '200 a /x'],
      ['www.example.test', '/x', '200 b /x'],
      ['m.example.test', '/x', '200 c /x'],
      ['api.example.test', '/x', '200 c /x'], // a leading wildcard beats a trailing one
      ['api.other', '/x', '200 d /x'],
      ['v2.example.org', '/x', '200 a /x'],
      ['unknown.test', '/x', '200 b /x'], // the default_server, not the first server
      [null, '/x', '200 b /x'], // HTTP/1.0 without Host: server_name ""
      ['www.example.test', '/exact', '200 c /exact'],
      ['www.example.test', '/exact?q=1', '200 c /exact?q=1'],
      ['www.example.test', '/exactly', '200 b /exactly'],
      ['www.example.test', '/static/a.png', '200 a /static/a.png'], // ^~ stops the regex search
      ['www.example.test', '/img/a.PNG', '200 d /img/a.PNG'], // the regex beats the longer prefix
      ['www.example.test', '/img/a.gif', '200 c /pictures/a.gif'],
    ];
    for (const [host, path, want] of cases) {
      const got = host === null ? await get10(port, path) : await get(port, path, host);
      assert.equal(got, want, `Host ${host ?? '(none)'} ${path}`);
    }
    // an absolute-form request target names the server itself, whatever Host says
    assert.equal(await get(port, 'http://first.test/abs', 'www.example.test'), '200 a /abs');
  } finally {
    await worker.drain(1000);
    await Promise.all([a, b, c, d].map((x) => x.close()));
  }
});

/** An HTTP/1.0 request without a Host header, raw. */
function get10(port: number, path: string): Promise<string> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port }, () => sock.write(`GET ${path} HTTP/1.0\r\n\r\n`));
    const chunks: Buffer[] = [];
    const t = setTimeout(() => sock.destroy(), 3000);
    sock.on('data', (x: Buffer) => chunks.push(x));
    sock.on('error', () => undefined);
    sock.on('close', () => {
      clearTimeout(t);
      const text = Buffer.concat(chunks).toString();
      const status = /^HTTP\/1\.[01] (\d+)/.exec(text)?.[1] ?? '0';
      resolve(`${status} ${text.slice(text.indexOf('\r\n\r\n') + 4)}`);
    });
  });
}

function udpAsk(family: 'udp4' | 'udp6', address: string, port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const s = dgram.createSocket(family);
    const done = (v: string): void => {
      clearTimeout(t);
      s.close();
      resolve(v);
    };
    const t = setTimeout(() => done('(no answer)'), 400);
    s.on('message', (m) => done(m.toString()));
    s.on('error', () => done('(error)'));
    s.send(text, port, address);
  });
}

function tcpReaches(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: address, port });
    const t = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, 1000);
    s.on('connect', () => {
      clearTimeout(t);
      s.destroy();
      resolve(true);
    });
    s.on('error', () => {
      clearTimeout(t);
      resolve(false);
    });
  });
}

test('listen [::] takes IPv6 only (nginx ipv6only=on) unless ipv6only=off, for UDP and TCP', { timeout: 30_000 }, async (t) => {
  const probe = dgram.createSocket('udp6');
  const v6 = await new Promise<boolean>((resolve) => {
    probe.once('error', () => resolve(false));
    probe.bind(0, '::1', () => resolve(true));
  });
  probe.close();
  if (!v6) {
    t.skip('needs IPv6 on loopback: ::1 cannot be bound');
    return;
  }
  const backend = dgram.createSocket('udp4');
  backend.on('message', (m, r) => backend.send(Buffer.concat([Buffer.from('re:'), m]), r.port, r.address));
  await new Promise<void>((r) => backend.bind(0, '127.0.0.1', r));
  const tcpBackend = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => tcpBackend.listen(0, '127.0.0.1', r));
  const tcpPort = (tcpBackend.address() as net.AddressInfo).port;
  const [u1, u2, t1, t2] = [await deadPort(), await deadPort(), await deadPort(), await deadPort()];
  const bport = backend.address().port;
  const { worker, logs } = await serve(`events {}
stream {
  server { listen [::]:${u1} udp; proxy_pass 127.0.0.1:${bport}; }
  server { listen [::]:${u2} udp ipv6only=off; proxy_pass 127.0.0.1:${bport}; }
  server { listen [::]:${t1}; proxy_pass 127.0.0.1:${tcpPort}; }
  server { listen [::]:${t2} ipv6only=off; proxy_pass 127.0.0.1:${tcpPort}; }
}`);
  try {
    assert.deepEqual(logs, []);
    assert.equal(await udpAsk('udp6', '::1', u1, 'a'), 're:a');
    assert.equal(await udpAsk('udp4', '127.0.0.1', u1, 'b'), '(no answer)', 'IPv4 is not taken by [::] (ipv6only=on)');
    assert.equal(await udpAsk('udp6', '::1', u2, 'c'), 're:c');
    assert.equal(await udpAsk('udp4', '127.0.0.1', u2, 'd'), 're:d', 'ipv6only=off takes IPv4 too');
    assert.equal(await tcpReaches('::1', t1), true);
    assert.equal(await tcpReaches('127.0.0.1', t1), false, 'TCP [::] is IPv6 only too');
    assert.equal(await tcpReaches('127.0.0.1', t2), true);
  } finally {
    await worker.drain(1000);
    backend.close();
    tcpBackend.close();
  }
});
