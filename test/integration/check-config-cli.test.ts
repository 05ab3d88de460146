import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// dist/test/integration/ -> dist/src/cli/main.js
const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function halo(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('the halo process exits as keepalived -t: 0 valid, 1 unreadable, 2 usage, 5 errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-cli-'));
  try {
    writeFileSync(join(dir, 'good.conf'), 'global_defs {\n  router_id a\n}\n');
    writeFileSync(join(dir, 'bad.conf'), 'global_defs {\n  router_id a\n}\n}\n');
    const good = halo(['check-config', '-f', join(dir, 'good.conf'), '-i', 'x']);
    assert.equal(good.status, 0, good.stderr);
    assert.match(good.stdout, /0 errors/);
    const bad = halo(['check-config', '-f', join(dir, 'bad.conf'), '-i', 'x']);
    assert.equal(bad.status, 5);
    assert.match(bad.stdout, /bad\.conf:4:1: error HALO_CFG_UNBALANCED_BRACE/);
    assert.equal(halo(['check-config', '-f', join(dir, 'none.conf')]).status, 1);
    assert.equal(halo(['check-config', '--bogus']).status, 2);
    const dump = halo(['dump-config', '-f', join(dir, 'good.conf'), '-i', 'x']);
    assert.equal(dump.status, 0);
    assert.doesNotThrow(() => JSON.parse(dump.stdout));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
