import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMANDS } from './index.js';

test('every listed command loads, under the name and summary `halo --help` shows for it', async () => {
  assert.ok(COMMANDS.length > 0);
  const names = new Set<string>();
  for (const entry of COMMANDS) {
    const command = await entry.load();
    assert.equal(command.name, entry.name);
    assert.equal(command.summary, entry.summary, `summary of ${entry.name}`);
    assert.ok(!names.has(entry.name), `${entry.name} listed twice`);
    names.add(entry.name);
  }
});
