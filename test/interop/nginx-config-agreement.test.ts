/**
 * halo's nginx.conf loader and `nginx -t` (Debian nginx-light) agree on which configurations are
 * valid: every fixture and a table of small cases is given to both; nginx accepts exactly those in
 * which halo finds no error (and no HALO_NGX_NO_EVENTS warning: halo loads a file without `events`). Nothing is started or bound (`-t` only parses), files stay in a temp
 * directory, and no case names a host (nginx would resolve it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNginxConfig } from '../../src/config/nginx/load.js';
import { MemorySource } from '../../src/config/nginx/memory-source.js';
import { hasErrors, type Diagnostic } from '../../src/core/diagnostic.js';

/** halo's verdict in nginx's terms: errors, or the one thing nginx requires that halo only warns about. */
const haloAccepts = (ds: readonly Diagnostic[]): boolean => !hasErrors(ds) && !ds.some((d) => d.code === 'HALO_NGX_NO_EVENTS');

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
const STREAM_MODULE = '/usr/lib/nginx/modules/ngx_stream_module.so';
const fixtures = fileURLToPath(new URL('../../../test/fixtures/nginx/', import.meta.url));

/** Cases as text: [name, config]. Every one is judged by both programs. */
const CASES: readonly (readonly [string, string])[] = [
  ['minimal proxy', 'events {} http { upstream u { server 127.0.0.1:81; } server { listen 127.0.0.1:8080; location / { proxy_pass http://u; } } }'],
  ['backup after ip_hash', 'events {} http { upstream u { ip_hash; server 127.0.0.1; server 127.0.0.2 backup; } }'],
  ['backup before ip_hash', 'events {} http { upstream u { server 127.0.0.1; server 127.0.0.2 backup; ip_hash; } }'],
  ['method redefined', 'events {} http { upstream u { server 127.0.0.1; random; least_conn; } }'],
  ['empty upstream', 'events {} http { upstream u { } }'],
  ['duplicate listen', 'events {} http { server { listen 80; listen 80; } }'],
  ['fail_timeout in ms', 'events {} http { upstream u { server 127.0.0.1 fail_timeout=500ms; } }'],
  ['fail_timeout bare seconds', 'events {} http { upstream u { server 127.0.0.1 fail_timeout=3 max_fails=2; } }'],
  ['proxy_http_version 2.0', 'events {} http { proxy_http_version 2.0; }'],
  ['duplicate timeout', 'events {} http { proxy_connect_timeout 1s; proxy_connect_timeout 2s; }'],
  ['duplicate location', 'events {} http { server { location / { proxy_pass http://127.0.0.1:1/x; } location / { proxy_pass http://127.0.0.1:2; } } }'],
  ['weight 0', 'events {} http { upstream u { server 127.0.0.1 weight=0; } }'],
  ['location outside parent', 'events {} http { server { location /a/ { location /b/ { proxy_pass http://127.0.0.1:1; } proxy_pass http://127.0.0.1:1; } } }'],
  ['two server_name lines', 'events {} http { server { server_name a; server_name b; } }'],
  ['keepalive 0', 'events {} http { upstream u { server 127.0.0.1; keepalive 0; } }'],
  ['next_upstream off with others', 'events {} http { server { location / { proxy_pass http://127.0.0.1:1; proxy_next_upstream off error; } } }'],
  ['unknown directive', 'events {} http { proxy_conect_timeout 5s; }'],
  ['server_name in http', 'events {} http { server_name x; }'],
  ['hash without key', 'events {} http { upstream u { hash; server 127.0.0.1; } }'],
  ['random three', 'events {} http { upstream u { random three; server 127.0.0.1; } }'],
  ['hash consistent', 'events {} http { upstream u { hash $request_uri consistent; server 127.0.0.1:81 weight=2; server 127.0.0.2:81 max_conns=10; } }'],
  ['random two least_conn', 'events {} http { upstream u { random two least_conn; server 127.0.0.1; server 127.0.0.2; } }'],
  ['stray brace', 'events {} }'],
  ['missing semicolon', 'events {} http { server { listen 80 } }'],
  ['quote then text', 'events {} http { server { server_name "a"b; } }'],
  ['proxy_pass with uri', 'events {} http { server { location /app/ { proxy_pass http://127.0.0.1:81/v2/; proxy_set_header Host $host; proxy_read_timeout 1m30s; } } }'],
  ['exact location', 'events {} http { server { location = /healthz { proxy_pass http://127.0.0.1:81; } } }'],
  ['max_conns and down', 'events {} http { upstream u { server 127.0.0.1 max_conns=5; server 127.0.0.2 down; server 127.0.0.3 backup; } }'],
  ['glued exact location', 'events {} http { server { location =/x { proxy_pass http://127.0.0.1:81; } location ^~/y/ { proxy_pass http://127.0.0.1:81; } } }'],
  ['two default servers', 'events {} http { server { listen 8080 default_server; } server { listen 8080 default_server; } }'],
  ['virtual hosts on one port', 'events {} http { server { listen 8080 default_server; server_name a; } server { listen 8080; server_name b; } }'],
  ['next_upstream bad value', 'events {} http { proxy_next_upstream error http_599; }'],
  ['time with units out of order', 'events {} http { proxy_read_timeout 30s1m; }'],
];

function nginxAccepts(dir: string, confPath: string): { ok: boolean; output: string } {
  const r = spawnSync(NGINX ?? 'nginx', ['-t', '-q', '-p', dir, '-e', join(dir, 'error.log'), '-c', confPath], { encoding: 'utf8', timeout: 10_000 });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}`.trim() };
}

test('nginx -t accepts exactly the configs in which halo finds no error', (t) => {
  if (NGINX === undefined) {
    t.skip('needs nginx (Debian nginx-light)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'halo-nginx-agree-'));
  try {
    cpSync(fixtures, dir, { recursive: true });
    mkdirSync(join(dir, 'logs'), { recursive: true });
    // The stock configs include mime.types; nginx needs the file, halo skips it.
    writeFileSync(join(dir, 'mime.types'), 'types { text/html html; }\n');
    const disagreements: string[] = [];
    const judge = (name: string, file: string, nginxText: string, haloText: string): void => {
      writeFileSync(file, nginxText);
      const theirs = nginxAccepts(dir, file);
      const files = new Map<string, string>([[file, haloText]]);
      const ours = loadNginxConfig(file, new MemorySource(files));
      const oursOk = haloAccepts(ours.diagnostics);
      if (theirs.ok !== oursOk) {
        disagreements.push(`${name}: nginx ${theirs.ok ? 'accepts' : 'refuses'} (${theirs.output.split('\n')[0] ?? ''}), halo ${oursOk ? 'accepts' : 'refuses'} (${ours.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message).join('; ')})`);
      }
    };
    for (const [name, text] of CASES) judge(name, join(dir, `case-${name.replace(/\W+/g, '-')}.conf`), text, text);

    // Fixtures, read from the copy so that includes resolve for both.
    // The stream fixture needs nginx's stream module (Debian: libnginx-mod-stream).
    const fixtureNames = ['seed003', 'hash-consistent', 'include', 'backup-down', 'syntax', 'bad-directive', ...(existsSync(STREAM_MODULE) ? ['stream'] : [])];
    if (!existsSync(STREAM_MODULE)) t.diagnostic(`stream fixture not compared: no ${STREAM_MODULE}`);
    for (const name of fixtureNames) {
      const path = join(dir, `${name}.conf`);
      const original = readFileSync(path, 'utf8');
      // nginx-light builds stream as a module; the stock config loads it from modules-enabled.
      const forNginx = name === 'stream' ? `load_module ${STREAM_MODULE};\n${original}` : original;
      writeFileSync(path, forNginx);
      const theirs = nginxAccepts(dir, path);
      writeFileSync(path, original);
      const source = new MemorySource(
        new Map(
          ['seed003', 'hash-consistent', 'include', 'stream', 'backup-down', 'syntax', 'bad-directive', 'conf.d/10-upstreams', 'conf.d/20-site']
            .map((n) => [join(dir, `${n}.conf`), readFileSync(join(dir, `${n}.conf`), 'utf8')] as const),
        ),
      );
      const ours = loadNginxConfig(path, source);
      const oursOk = haloAccepts(ours.diagnostics);
      if (theirs.ok !== oursOk) disagreements.push(`fixture ${name}: nginx ${theirs.ok ? 'accepts' : 'refuses'} (${theirs.output.split('\n')[0] ?? ''}), halo ${oursOk ? 'accepts' : 'refuses'}`);
    }
    assert.deepEqual(disagreements, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
