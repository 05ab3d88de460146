import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNginxConfig } from '../config/nginx/load.js';
import { MemorySource } from '../config/nginx/memory-source.js';
import { servicesFromNginx, STREAM_POOL_PREFIX } from './services-from-nginx.js';

const dir = fileURLToPath(new URL('../../../test/fixtures/nginx/', import.meta.url));
const PREFIX = '/etc/nginx';

function walk(d: string): string[] {
  return readdirSync(d).flatMap((e) => {
    const p = join(d, e);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}
const files = new Map<string, string>();
for (const p of walk(dir)) if (p.endsWith('.conf')) files.set(`${PREFIX}/${relative(dir, p)}`, readFileSync(p, 'utf8'));
const source = new MemorySource(files);

function mapFixture(name: string): ReturnType<typeof servicesFromNginx> {
  const r = loadNginxConfig(`${PREFIX}/${name}`, source);
  return servicesFromNginx(r.model);
}

test('seed 003: one http service on 0.0.0.0:80, round robin over web1/web2 with max_fails=2 fail_timeout=3s', () => {
  const m = mapFixture('seed003.conf');
  assert.deepEqual(m.diagnostics, []);
  assert.equal(m.services.length, 1);
  const s = m.services[0];
  assert.ok(s !== undefined);
  assert.equal(s.protocol, 'http');
  assert.equal(s.listenAddress, '0.0.0.0');
  assert.equal(s.listenPort, 80);
  assert.equal(s.pool, 'web');
  assert.deepEqual(s.routes, []);
  // nginx defaults: Host $proxy_host, HTTP/1.0 upstream (the proxy writes Connection: close itself)
  assert.deepEqual(s.setHeaders, [{ name: 'Host', value: '$proxy_host' }]);
  assert.equal(s.upstreamHttpVersion, '1.0');
  assert.deepEqual(s.retry, { conditions: ['error', 'timeout'], tries: 0, timeoutMs: 0 });
  assert.equal(s.timeouts.connectMs, 60_000);
  assert.equal(m.pools.length, 1);
  const p = m.pools[0];
  assert.ok(p !== undefined);
  assert.equal(p.name, 'web');
  assert.equal(p.algorithm, 'round_robin');
  assert.equal(p.keepalive.maxIdle, 0);
  assert.deepEqual(
    p.backends.map((b) => [b.id, b.address, b.port, b.weight, b.maxFails, b.failTimeoutMs, b.backup, b.down]),
    [
      ['192.168.0.42:80', '192.168.0.42', 80, 1, 2, 3000, false, false],
      ['192.168.0.43:80', '192.168.0.43', 80, 1, 2, 3000, false, false],
    ],
  );
});

test('backup, down, max_conns, ip_hash and random carry over; locations become routes', () => {
  const m = mapFixture('backup-down.conf');
  const app = m.pools.find((p) => p.name === 'app');
  assert.ok(app !== undefined);
  assert.deepEqual(
    app.backends.map((b) => [b.id, b.weight, b.maxConns, b.down, b.backup, b.maxFails]),
    [
      ['192.168.10.1:80', 5, 0, false, false, 1],
      ['192.168.10.2:80', 1, 50, false, false, 1],
      ['192.168.10.3:80', 1, 0, true, false, 1],
      ['192.168.10.9:80', 1, 0, false, true, 1],
      ['192.168.10.10:80', 1, 0, false, true, 0],
    ],
  );
  assert.equal(m.pools.find((p) => p.name === 'sticky')?.algorithm, 'ip_hash');
  const lottery = m.pools.find((p) => p.name === 'lottery');
  assert.ok(lottery !== undefined);
  assert.ok(['random', 'least_conn'].includes(lottery.algorithm));
  const s = m.services[0];
  assert.ok(s !== undefined);
  assert.equal(s.pool, 'app');
  assert.deepEqual(
    s.routes.map((r) => [r.pathPrefix, r.pool, r.replaceUri]),
    [
      ['/', 'app', undefined],
      ['/s/', 'sticky', undefined],
      ['/r/', 'lottery', undefined],
    ],
  );
});

test('hash consistent, keepalive, proxy_set_header, retries, URI replacement, direct proxy_pass, two listens', () => {
  const m = mapFixture('hash-consistent.conf');
  const caches = m.pools.find((p) => p.name === 'caches');
  assert.ok(caches !== undefined);
  assert.equal(caches.algorithm, 'hash');
  assert.deepEqual(caches.flags, ['consistent']);
  assert.equal(caches.hashKey, '$request_uri');
  assert.deepEqual(caches.keepalive, { maxIdle: 32, idleTimeoutMs: 30_000, maxRequests: 500, maxLifetimeMs: 3_600_000 });
  // proxy_pass http://127.0.0.1:9999/status names no upstream: an implicit pool named as $proxy_host
  const direct = m.pools.find((p) => p.name === '127.0.0.1:9999');
  assert.deepEqual(direct?.backends.map((b) => b.id), ['127.0.0.1:9999']);
  assert.deepEqual(m.services.map((s) => [s.name, s.listenAddress, s.listenPort]), [
    ['http/0.0.0.0:8080', '0.0.0.0', 8080],
    ['http/[::]:8080', '::', 8080],
  ]);
  const s = m.services[0];
  assert.ok(s !== undefined);
  assert.equal(s.upstreamHttpVersion, '1.1');
  assert.deepEqual(s.retry, { conditions: ['error', 'timeout', 'http_502', 'http_503'], tries: 3, timeoutMs: 10_000 });
  assert.equal(s.timeouts.connectMs, 2000);
  // the server's own proxy_set_header lines replace the http level's `Connection ""` (nginx
  // inherits the directive only when a level has none), so nginx's default Connection: close
  // stays in force, and with HTTP/1.1 and keepalive the proxy would not write it: it is kept
  assert.deepEqual(s.setHeaders.map((h) => `${h.name}: ${h.value}`), ['Connection: close', 'Host: $host', 'X-Forwarded-For: $proxy_add_x_forwarded_for']);
  const routes = new Map(s.routes.map((r) => [r.pathPrefix, r]));
  const api = routes.get('/api/');
  assert.deepEqual([api?.pool, api?.replaceUri], ['api', '/v2/']);
  // a location with its own proxy settings carries them: /api/ reads for 5m, sends within 500ms,
  // and its own proxy_set_header replaces the server's (nginx inheritance)
  assert.deepEqual([api?.settings?.readMs, api?.settings?.sendMs, api?.settings?.connectMs], [300_000, 500, 2000]);
  // (upstream api keeps no idle connections, so the proxy writes Connection: close itself)
  assert.deepEqual(api?.settings?.setHeaders.map((h) => `${h.name}: ${h.value}`), ['Host: $proxy_host', 'X-Real-IP: $remote_addr']);
  assert.deepEqual(api?.settings?.retry.conditions, ['error', 'timeout']);
  const upload = routes.get('/api/upload/');
  assert.deepEqual(upload?.settings?.retry.conditions, ['error', 'timeout', 'non_idempotent']);
  assert.equal(routes.get('/')?.settings, undefined, 'location / is the service itself');
  assert.deepEqual(routes.get('/healthz')?.replaceUri, '/status');
  assert.equal(routes.get('/healthz')?.pool, '127.0.0.1:9999');
  // `location = /healthz` is an exact location now, nothing to warn about
  assert.equal(routes.get('/healthz')?.match, 'exact');
  assert.deepEqual(m.diagnostics, []);
});

test('stream: tcp and udp services, stream pools apart from http ones, proxy_timeout and next_upstream', () => {
  const m = mapFixture('stream.conf');
  assert.deepEqual(m.diagnostics, []);
  assert.deepEqual(
    m.services.map((s) => [s.name, s.protocol, s.pool, s.timeouts.connectMs, s.timeouts.idleMs, s.retry.conditions.length, s.retry.tries]),
    [
      ['tcp/0.0.0.0:3306', 'tcp', `${STREAM_POOL_PREFIX}mysql`, 5000, 3_600_000, 2, 2],
      ['udp/127.0.0.1:53', 'udp', `${STREAM_POOL_PREFIX}dns`, 5000, 20_000, 0, 0],
      ['tcp/[::1]:2222', 'tcp', `${STREAM_POOL_PREFIX}10.0.0.22:22`, 5000, 600_000, 2, 0],
    ],
  );
  const mysql = m.pools.find((p) => p.name === `${STREAM_POOL_PREFIX}mysql`);
  assert.deepEqual(mysql?.backends.map((b) => [b.id, b.weight, b.maxFails, b.failTimeoutMs, b.down]), [
    ['10.0.0.11:3306', 2, 3, 30_000, false],
    ['10.0.0.12:3306', 1, 1, 10_000, false],
    ['10.0.0.13:3306', 1, 1, 10_000, true],
  ]);
  assert.deepEqual(m.pools.find((p) => p.name === `${STREAM_POOL_PREFIX}dns`)?.flags, ['two']);
});

test('two servers on one listen: both served as virtual hosts, the default_server takes unmatched names', () => {
  const src = new MemorySource({
    '/n.conf': `events {}
http {
  upstream a { server 127.0.0.1:1; }
  upstream b { server 127.0.0.1:2; }
  server { listen 127.0.0.1:8000; server_name one; location / { proxy_pass http://a; } }
  server { listen 127.0.0.1:8000 default_server; server_name two; location / { proxy_pass http://b; } }
}`,
  });
  const r = loadNginxConfig('/n.conf', src);
  assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), []);
  const m = servicesFromNginx(r.model);
  assert.equal(m.services.length, 1);
  assert.equal(m.services[0]?.pool, 'b');
  assert.deepEqual(m.services[0]?.vhosts?.map((v) => [v.names, v.pool]), [[['one'], 'a'], [['two'], 'b']]);
  assert.deepEqual(m.diagnostics, []);
});

test('the first server on a listen is its default when none says default_server; listen options ipv6only', () => {
  const src = new MemorySource({
    '/n.conf': `events {}
http {
  upstream a { server 127.0.0.1:1; }
  upstream b { server 127.0.0.1:2; }
  server { listen [::]:8000; server_name one; location / { proxy_pass http://a; } }
  server { listen [::]:8000; server_name two; location / { proxy_pass http://b; } location = /x { proxy_pass http://a; } }
  server { listen [::]:8001 ipv6only=off; location / { proxy_pass http://b; } }
}
stream {
  server { listen [::]:53 udp; proxy_pass 127.0.0.1:5353; }
  server { listen [::]:54 udp ipv6only=off; proxy_pass 127.0.0.1:5353; }
}`,
  });
  const r = loadNginxConfig('/n.conf', src);
  assert.deepEqual(r.diagnostics.filter((d) => d.severity !== 'info'), []);
  const m = servicesFromNginx(r.model);
  assert.deepEqual(
    m.services.map((s) => [s.name, s.pool, s.ipv6Only, s.vhosts?.length]),
    [
      ['http/[::]:8000', 'a', undefined, 2],
      ['http/[::]:8001', 'b', false, undefined],
      ['udp/[::]:53', 'stream:127.0.0.1:5353', undefined, undefined],
      ['udp/[::]:54', 'stream:127.0.0.1:5353', false, undefined],
    ],
  );
  assert.deepEqual(m.services[0]?.vhosts?.[1]?.routes.map((x) => [x.match, x.pathPrefix, x.pool]), [[undefined, '/', 'b'], ['exact', '/x', 'a']]);
});

test('listen ipv6only takes on or off, and means nothing on IPv4', () => {
  const src = new MemorySource({
    '/n.conf': `events {}
stream {
  server { listen [::]:53 udp ipv6only=maybe; proxy_pass 127.0.0.1:5353; }
  server { listen 127.0.0.1:54 udp ipv6only=off; proxy_pass 127.0.0.1:5353; }
}`,
  });
  const r = loadNginxConfig('/n.conf', src);
  assert.deepEqual(
    r.diagnostics.filter((d) => d.pos?.line !== 1).map((d) => [d.severity, d.code, d.pos?.line, d.pos?.col]),
    [
      ['error', 'HALO_NGX_BAD_VALUE', 3, 31],
      ['info', 'HALO_NGX_IGNORED', 4, 36],
    ],
  );
});
