import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '../command.js';
import { serveCommand } from './serve.js';

function io(cwd: string): CliIo & { outText: () => string; errText: () => string } {
  let out = '';
  let err = '';
  return { out: (t) => void (out += t), err: (t) => void (err += t), cwd, env: {}, outText: () => out, errText: () => err };
}

test('serve: no file given is a usage error', async () => {
  const o = io('/');
  assert.equal(await serveCommand.run([], o), 2);
  assert.match(o.errText(), /HALO_CLI_USAGE/);
  assert.equal(await serveCommand.run(['--nginx', 'x', '--workers', '0'], o), 2);
});

test('serve: a configuration with errors is refused before any worker starts, with positioned diagnostics', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-serve-test-'));
  try {
    writeFileSync(join(dir, 'bad.conf'), 'events {}\nhttp {\n  server { listen 127.0.0.1:1; location / { proxy_pass http://nowhere_upstream_x; } }\n  upstream u { server 127.0.0.1:2 weight=zero; }\n}\n');
    const o = io(dir);
    assert.equal(await serveCommand.run(['--nginx', 'bad.conf'], o), 5);
    assert.match(o.errText(), /bad\.conf:4:/);
    assert.match(o.errText(), /Not starting: the configuration has errors \(HALO_DPL_START\)/);
    assert.equal(o.outText(), '');

    writeFileSync(join(dir, 'k.conf'), 'virtual_server 127.0.0.1 9 {\n  protocol UDP\n  http_proxy { }\n  real_server 127.0.0.1 10 { }\n}\n');
    const k = io(dir);
    assert.equal(await serveCommand.run(['--keepalived', 'k.conf', '-i', 'test'], k), 5);
    assert.match(k.errText(), /http_proxy needs protocol TCP/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
