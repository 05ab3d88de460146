/**
 * `include_nginx FILE` in keepalived.conf, end to end: `halo serve --keepalived FILE` serves the
 * nginx.conf it names (relative to the keepalived.conf) on loopback, as `--nginx FILE` would.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deadPort, httpBackend } from '../../src/proxy/testing/harness.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function get(port: number, host: string): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/p', headers: { host }, agent: false, timeout: 2000 }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve(`${res.statusCode ?? 0} ${Buffer.concat(parts).toString()}`));
    });
    req.on('error', (e) => resolve(`error ${e.message}`));
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}

test('halo serve --keepalived: include_nginx serves the named nginx.conf', { timeout: 30_000 }, async () => {
  const a = await httpBackend((q, res) => res.end(`a ${q.url ?? ''}`));
  const b = await httpBackend((q, res) => res.end(`b ${q.url ?? ''}`));
  const port = await deadPort();
  const dir = mkdtempSync(join(tmpdir(), 'halo-include-nginx-'));
  mkdirSync(join(dir, 'nginx'));
  writeFileSync(join(dir, 'keepalived.conf'), 'global_defs {\n  router_id T\n}\ninclude_nginx nginx/nginx.conf\n');
  writeFileSync(
    join(dir, 'nginx', 'nginx.conf'),
    `events {}
http {
  server { listen 127.0.0.1:${port}; server_name a.test; location / { proxy_pass http://127.0.0.1:${a.port}; } }
  server { listen 127.0.0.1:${port}; server_name b.test; location / { proxy_pass http://127.0.0.1:${b.port}; } }
}
`,
  );
  const child = spawn(process.execPath, [MAIN, 'serve', '--keepalived', join(dir, 'keepalived.conf'), '--workers', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout.on('data', () => undefined);
  try {
    let first = '';
    for (let i = 0; i < 100; i++) {
      first = await get(port, 'a.test');
      if (first.startsWith('200')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(first, '200 a /p', err);
    assert.equal(await get(port, 'b.test'), '200 b /p');
    assert.equal(await get(port, 'other.test'), '200 a /p', 'the first server is the default');
  } finally {
    if (child.pid !== undefined && child.exitCode === null) child.kill('SIGTERM');
    await new Promise<void>((r) => {
      const t = setTimeout(() => {
        if (child.exitCode === null) child.kill('SIGKILL');
        r();
      }, 5000);
      child.once('exit', () => {
        clearTimeout(t);
        r();
      });
    });
    rmSync(dir, { recursive: true, force: true });
    await a.close();
    await b.close();
  }
});

test('halo check-config shows an include_nginx file\'s errors at their place in that file', { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-include-nginx-'));
  try {
    writeFileSync(join(dir, 'keepalived.conf'), 'include_nginx nginx.conf\n');
    writeFileSync(join(dir, 'nginx.conf'), 'events {}\nhttp {\n  server {\n    listen 8080;\n    location ~ ([ { proxy_pass http://127.0.0.1:1; }\n  }\n}\n');
    const child = spawn(process.execPath, [MAIN, 'check-config', '-f', join(dir, 'keepalived.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    assert.notEqual(code, 0, out);
    assert.match(out, /nginx\.conf:5:16/, out);
    assert.match(out, /HALO_NGX_BAD_VALUE/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
