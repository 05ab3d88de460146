import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadNginxConfig } from './load.js';
import { MemorySource } from './memory-source.js';

const seed = process.env.HALO_SEED !== undefined ? Number(process.env.HALO_SEED) : undefined;
const params = { numRuns: 150, ...(seed !== undefined ? { seed } : {}) };

interface ServerSpec {
  octets: [number, number];
  port: number | null;
  weight: number | null;
  maxFails: number | null;
  failTimeout: { n: number; unit: '' | 's' | 'm' } | null;
  maxConns: number | null;
  backup: boolean;
  down: boolean;
}

const serverArb: fc.Arbitrary<ServerSpec> = fc.record({
  octets: fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 254 })),
  port: fc.option(fc.integer({ min: 1, max: 65535 })),
  weight: fc.option(fc.integer({ min: 1, max: 100 })),
  maxFails: fc.option(fc.integer({ min: 0, max: 10 })),
  failTimeout: fc.option(fc.record({ n: fc.integer({ min: 0, max: 90 }), unit: fc.constantFrom('' as const, 's' as const, 'm' as const) })),
  maxConns: fc.option(fc.integer({ min: 0, max: 1000 })),
  backup: fc.boolean(),
  down: fc.boolean(),
});

const methodArb = fc.constantFrom('', 'least_conn;', 'ip_hash;', 'hash $request_uri;', 'hash $remote_addr consistent;', 'random;', 'random two;', 'random two least_conn;');
const spaceArb = fc.constantFrom(' ', '  ', '\t', '\n', ' # note\n', '\r\n');

test('property: generated upstreams load without errors into exactly what was written', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(methodArb, fc.array(serverArb, { minLength: 1, maxLength: 6 })), { minLength: 1, maxLength: 4 }), spaceArb, (ups, sp) => {
      const text = [
        'events {}',
        'http {',
        ...ups.map(([method, servers], u) => {
          const hashy = method.startsWith('ip_hash') || method.startsWith('hash') || method.startsWith('random');
          const lines = servers.map((s) => {
            const p: string[] = [`server${sp}10.${s.octets[0]}.0.${s.octets[1]}${s.port !== null ? `:${s.port}` : ''}`];
            if (s.weight !== null) p.push(`weight=${s.weight}`);
            if (s.maxFails !== null) p.push(`max_fails=${s.maxFails}`);
            if (s.failTimeout !== null) p.push(`fail_timeout=${s.failTimeout.n}${s.failTimeout.unit}`);
            if (s.maxConns !== null) p.push(`max_conns=${s.maxConns}`);
            // nginx allows backup only when the method comes after it; the method is written first here.
            if (s.backup && !hashy) p.push('backup');
            if (s.down) p.push('down');
            return p.join(' ') + ';';
          });
          return `upstream u${u} {${sp}${method}${sp}${lines.join(sp)}${sp}}`;
        }),
        '}',
      ].join(sp);
      const r = loadNginxConfig('/etc/nginx/nginx.conf', new MemorySource({ '/etc/nginx/nginx.conf': text }));
      assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), [], text);
      const model = r.model.http?.upstreams ?? [];
      assert.equal(model.length, ups.length);
      ups.forEach(([method, servers], u) => {
        const m = model[u];
        assert.ok(m);
        const hashy = method.startsWith('ip_hash') || method.startsWith('hash') || method.startsWith('random');
        assert.equal(m.method.name, method === '' ? 'round_robin' : (method.split(/[ ;]/)[0] ?? ''));
        assert.equal(m.method.flags.includes('consistent'), method.includes('consistent'));
        assert.equal(m.method.flags.includes('two'), method.includes('two'));
        servers.forEach((s, k) => {
          const got = m.servers[k];
          assert.ok(got);
          assert.equal(got.host, `10.${s.octets[0]}.0.${s.octets[1]}`);
          assert.equal(got.port, s.port ?? 80);
          assert.equal(got.weight, s.weight ?? 1);
          assert.equal(got.maxFails, s.maxFails ?? 1);
          assert.equal(got.failTimeoutMs, s.failTimeout === null ? 10_000 : s.failTimeout.n * (s.failTimeout.unit === 'm' ? 60_000 : 1000));
          assert.equal(got.maxConns, s.maxConns ?? 0);
          assert.equal(got.backup, s.backup && !hashy);
          assert.equal(got.down, s.down);
        });
      });
    }),
    params,
  );
});

test('proxy settings inherit http → server → location, proxy_set_header lists whole', () => {
  const text = `events {}
http {
  proxy_read_timeout 10s;
  proxy_set_header X-A a;
  server {
    proxy_connect_timeout 1s;
    location /one/ { proxy_pass http://10.0.0.1:80; }
    location /two/ { proxy_pass http://10.0.0.1:80; proxy_read_timeout 2m; proxy_set_header X-B b; }
  }
}`;
  const r = loadNginxConfig('/etc/nginx/nginx.conf', new MemorySource({ '/etc/nginx/nginx.conf': text }));
  assert.deepEqual(r.diagnostics.filter((d) => d.severity !== 'info'), []);
  const [one, two] = r.model.http?.servers[0]?.locations ?? [];
  assert.equal(one?.proxy.readTimeoutMs, 10_000);
  assert.equal(one?.proxy.connectTimeoutMs, 1000);
  assert.equal(one?.proxy.sendTimeoutMs, 60_000);
  assert.deepEqual(one?.proxy.setHeaders.map((h) => `${h.name}: ${h.value}`), ['Host: $proxy_host', 'Connection: close', 'X-A: a']);
  assert.equal(two?.proxy.readTimeoutMs, 120_000);
  assert.deepEqual(two?.proxy.setHeaders.map((h) => `${h.name}: ${h.value}`), ['Host: $proxy_host', 'Connection: close', 'X-B: b']);
  assert.equal(one?.proxyPass?.uri, null);
});

test('locations: = exact, ^~, ~ and ~* regexes modelled; bad or unservable regexes refused with a position', () => {
  const conf = `events {}
http {
  upstream u { server 127.0.0.1:1; }
  server {
    listen 8080;
    server_name a.example *.b.example www.* ~^c\\d+$;
    location = /x { proxy_pass http://u; }
    location ^~ /img/ { proxy_pass http://u; }
    location ~* \\.(gif|png)$ { proxy_pass http://u; }
    location ~/api { proxy_pass http://u; }
    location ~ ([a- { proxy_pass http://u; }
    location ~ /v2 { proxy_pass http://u/v3; }
    location /p/ { location ~ \\.php$ { proxy_pass http://u; } proxy_pass http://u; }
    location = /e { location /e/f { proxy_pass http://u; } proxy_pass http://u; }
  }
  server { listen 8080; server_name bad*name ~(; location / { proxy_pass http://u; } }
}`;
  const r = loadNginxConfig('/n.conf', new MemorySource({ '/n.conf': conf }));
  const locs = r.model.http?.servers[0]?.locations.map((l) => [l.match, l.path, l.noRegex === true, l.caseless === true]);
  assert.deepEqual(locs, [
    ['exact', '/x', false, false],
    ['prefix', '/img/', true, false],
    ['regex', '\\.(gif|png)$', false, true],
    ['regex', '/api', false, false],
    ['regex', '/v2', false, false], // kept without its refused proxy_pass
    ['prefix', '/p/', false, false],
    ['exact', '/e', false, false],
  ]);
  assert.deepEqual(r.model.http?.servers[0]?.serverNames, ['a.example', '*.b.example', 'www.*', '~^c\\d+$']);
  assert.deepEqual(
    r.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.code, d.pos?.line, d.pos?.col, d.message.split(':')[0]]),
    [
      ['HALO_NGX_BAD_VALUE', 11, 16, 'Invalid regular expression in location'],
      ['HALO_NGX_BAD_VALUE', 12, 33, 'proxy_pass cannot have a URI part in a regular expression location'],
      ['HALO_NGX_NOT_SUPPORTED', 13, 20, 'Not supported'],
      ['HALO_NGX_BAD_VALUE', 14, 30, 'Location cannot be inside the exact location'],
      ['HALO_NGX_BAD_VALUE', 16, 37, 'Invalid server name'],
      ['HALO_NGX_BAD_VALUE', 16, 46, 'Invalid server name'],
    ],
  );
});
