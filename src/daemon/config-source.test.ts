import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileConfigSource } from './config-source.js';

test('reads files, tells missing from unreadable, and expands globs with braces', () => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-config-source-'));
  try {
    mkdirSync(join(dir, 'conf.d'));
    mkdirSync(join(dir, 'conf.d', 'dir.conf'));
    mkdirSync(join(dir, 'linked'));
    for (const f of ['conf.d/b.conf', 'conf.d/a.conf', 'conf.d/.h.conf', 'x.inc', 'y.inc', 'linked/z.conf']) writeFileSync(join(dir, f), f);
    symlinkSync(join(dir, 'linked'), join(dir, 'conf.d', 'link'));
    const src = fileConfigSource();
    assert.deepEqual(src.readFile(join(dir, 'x.inc')), { ok: true, text: 'x.inc' });
    const missing = src.readFile(join(dir, 'nope'));
    assert.ok(!missing.ok && missing.missing && missing.error.startsWith('ENOENT'));
    const isDir = src.readFile(join(dir, 'conf.d'));
    assert.ok(!isDir.ok && !isDir.missing && isDir.error.startsWith('EISDIR'));
    assert.deepEqual(src.glob(join(dir, 'conf.d/*.conf')), [join(dir, 'conf.d/a.conf'), join(dir, 'conf.d/b.conf')]);
    assert.deepEqual(src.glob(join(dir, '{y,x}.inc')), [join(dir, 'y.inc'), join(dir, 'x.inc')]);
    assert.deepEqual(src.glob(join(dir, 'conf.d/*/*.conf')), [join(dir, 'conf.d/link/z.conf')]);
    assert.deepEqual(src.glob(join(dir, 'none/*.conf')), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
