import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '../command.js';
import { main } from '../main.js';

function io(cwd: string): CliIo & { stdout: string; stderr: string } {
  const r = {
    stdout: '',
    stderr: '',
    cwd,
    env: {},
    out(t: string) {
      r.stdout += t;
    },
    err(t: string) {
      r.stderr += t;
    },
  };
  return r;
}

function withDir(files: Record<string, string>, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'halo-check-config-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test('a valid config exits 0 and prints the summary', () =>
  withDir({ 'keepalived.conf': 'global_defs {\n  router_id a\n}\n' }, async (dir) => {
    const o = io(dir);
    assert.equal(await main(['check-config', '-f', 'keepalived.conf', '--config-id', 'x'], o), 0);
    assert.equal(o.stdout, '0 errors, 0 warnings\n');
  }));

test('syntax errors exit 5 (as keepalived -t) with positions, caret and include chain', () =>
  withDir({ 'keepalived.conf': '! main\ninclude conf.d/*.conf\n', 'conf.d/vi.conf': 'vrrp_instance VI_1 {\n  state MASTER\n  interface eth0\n  virtual_router_id 1\n  virtual_ipaddress {\n    192.0.2.1\n  }\n}\n}\n' }, async (dir) => {
    const o = io(dir);
    assert.equal(await main(['check-config', '-f', join(dir, 'keepalived.conf')], o), 5);
    assert.equal(
      o.stdout,
      [
        `${dir}/conf.d/vi.conf:9:1: error HALO_CFG_UNBALANCED_BRACE: Unexpected \`}\`: no block is open here`,
        '    9 | }',
        '      | ^',
        `    included from ${dir}/keepalived.conf:2:1`,
        '    hint: remove it, or look for a block closed too early above',
        '1 error, 0 warnings',
        '',
      ].join('\n'),
    );
  }));

test('an unreadable entry file exits 1', () =>
  withDir({}, async (dir) => {
    const o = io(dir);
    assert.equal(await main(['check-config', '-f', 'missing.conf'], o), 1);
    assert.match(o.stdout, /^error HALO_CFG_CANNOT_READ: Cannot read configuration file .*missing\.conf: ENOENT/);
  }));

test('a bad option exits 2 with a usage error', async () => {
  const o = io('/');
  assert.equal(await main(['check-config', '--nope'], o), 2);
  assert.match(o.stderr, /HALO_CLI_USAGE/);
});

test('notes (a missing include) show only with -v, and -i selects conditional lines', () =>
  withDir({ 'k.conf': 'include nothere.conf\n@^east bad {\nglobal_defs {\n}\n' }, async (dir) => {
    const quiet = io(dir);
    assert.equal(await main(['check-config', '-f', 'k.conf', '-i', 'east'], quiet), 0);
    assert.equal(quiet.stdout, '0 errors, 0 warnings\n');
    const loud = io(dir);
    assert.equal(await main(['check-config', '-f', 'k.conf', '-i', 'east', '-v'], loud), 0);
    assert.match(loud.stdout, /info HALO_CFG_INCLUDE_MISSING: Included file does not exist: .*nothere\.conf/);
    assert.match(loud.stdout, /0 errors, 0 warnings, 1 note\n$/);
    const west = io(dir);
    assert.equal(await main(['check-config', '-f', 'k.conf', '-i', 'west'], west), 5);
    assert.match(west.stdout, /k\.conf:2:8: error HALO_CFG_UNKNOWN_KEYWORD: Unknown keyword at the top level: bad/);
  }));

test('dump-config prints JSON with sorted keys on stdout and diagnostics on stderr', () =>
  withDir({ 'k.conf': 'global_defs {\n  router_id a\n}\n}\n' }, async (dir) => {
    const o = io(dir);
    assert.equal(await main(['dump-config', '-f', 'k.conf'], o), 5);
    const model: unknown = JSON.parse(o.stdout);
    assert.equal(typeof model, 'object');
    const keys = [...o.stdout.matchAll(/^ {6}"([a-z]+)":/gm)].map((m) => m[1]);
    assert.deepEqual(keys, [...keys].sort());
    assert.match(o.stderr, /k\.conf:4:1: error HALO_CFG_UNBALANCED_BRACE/);
    const missing = io(dir);
    assert.equal(await main(['dump-config', '-f', 'none.conf'], missing), 1);
    assert.equal(missing.stdout, '');
  }));

test('a failed checked include exits 6, as keepalived -t, also next to other errors', () =>
  withDir({ 'k.conf': 'includem nothere.conf\n}\n' }, async (dir) => {
    const o = io(dir);
    assert.equal(await main(['check-config', '-f', 'k.conf'], o), 6);
    assert.match(o.stdout, /error HALO_CFG_INCLUDE_CHECK: includem: included file does not exist/);
    assert.match(o.stdout, /HALO_CFG_UNBALANCED_BRACE/);
  }));
