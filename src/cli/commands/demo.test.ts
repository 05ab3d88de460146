import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { demoCommand } from './demo.js';
import type { CliIo } from '../command.js';

function bufferIo(): CliIo & { text: () => string } {
  let text = '';
  return { out: (t) => void (text += t), err: (t) => void (text += t), cwd: process.cwd(), env: {}, text: () => text };
}

test('the shipped examples all load without errors', async () => {
  const io = bufferIo();
  assert.equal(await demoCommand.run([], io), 0, io.text());
  assert.match(io.text(), /== nginx-upstream\.conf \(nginx\.conf\)/);
  assert.match(io.text(), /== keepalived-lvs\.conf \(keepalived\.conf\)/);
  assert.match(io.text(), /5 example configurations loaded/);
});

test('an example with errors makes the demo fail', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-demo-'));
  try {
    writeFileSync(join(dir, 'broken.conf'), 'vrrp_instance VI_1 {\n  priority 300\n');
    const io = bufferIo();
    assert.notEqual(await demoCommand.run([dir], io), 0);
    assert.match(io.text(), /broken\.conf:\d+:\d+: error HALO_CFG_/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
