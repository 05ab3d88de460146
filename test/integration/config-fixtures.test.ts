// Loads every keepalived.conf fixture and compares its diagnostics and model with the golden file
// beside it. HALO_UPDATE_GOLDEN=1 rewrites the goldens (review each by eye: a golden is a claim).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadKeepalivedConfig } from '../../src/config/keepalived/load.js';
import { fileConfigSource } from '../../src/daemon/config-source.js';
import type { KeepalivedModel } from '../../src/config/keepalived/model.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const fixturesDir = resolve(here, '../../../test/fixtures/keepalived');

/** The model with file paths cut to their base name, so goldens do not depend on the checkout. */
function portable(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (k, v: unknown) => (k === 'file' && typeof v === 'string' ? basename(v) : v)));
}

export function loadFixture(name: string): { diagnostics: unknown[]; model: KeepalivedModel } {
  const r = loadKeepalivedConfig(join(fixturesDir, name), fileConfigSource(), { configId: 'lb1' });
  const diagnostics = r.diagnostics.map((d) => ({
    code: d.code,
    severity: d.severity,
    message: d.message.split(fixturesDir + '/').join(''),
    file: d.pos === undefined ? null : basename(d.pos.file),
    line: d.pos?.line ?? null,
    col: d.pos?.col ?? null,
    ...(d.hint !== undefined ? { hint: d.hint } : {}),
  }));
  return { diagnostics, model: portable(r.model) as KeepalivedModel };
}

const fixtures = readdirSync(fixturesDir).filter((f) => f.endsWith('.conf')).sort();

test('there are fixtures for every seed and at least 15 more', () => {
  assert.ok(fixtures.filter((f) => f.startsWith('seed')).length >= 12, fixtures.join(' '));
  assert.ok(fixtures.filter((f) => !f.startsWith('seed')).length >= 15, fixtures.join(' '));
});

for (const f of fixtures) {
  test(`fixture ${f} matches its golden`, () => {
    const got = loadFixture(f);
    const goldenPath = join(fixturesDir, f.replace(/\.conf$/, '.golden.json'));
    const text = JSON.stringify(got, null, 2) + '\n';
    if (process.env['HALO_UPDATE_GOLDEN'] === '1') writeFileSync(goldenPath, text);
    assert.ok(existsSync(goldenPath), `no golden for ${f}: run with HALO_UPDATE_GOLDEN=1 and review it`);
    assert.deepEqual(got, JSON.parse(readFileSync(goldenPath, 'utf8')));
  });
}

/** The model without positions: what the config means, not where it was written. */
function meaning(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (k, v: unknown) => (k === 'pos' || k === 'keywordPos' ? undefined : v)));
}

test('seed 000 published on one line loads to the same model as its multi-line form, with a warning', () => {
  const oneLine = loadFixture('seed000-master.conf');
  const multi = loadFixture('seed000-master-multiline.conf');
  assert.deepEqual(meaning(oneLine.model), meaning(multi.model));
  const codes = (oneLine.diagnostics as { code: string; severity: string }[]);
  assert.ok(codes.some((d) => d.code === 'HALO_CFG_JOINED_LINES' && d.severity === 'warning'), JSON.stringify(codes));
  assert.ok(!codes.some((d) => d.severity === 'error'), JSON.stringify(codes));
  assert.ok(!(multi.diagnostics as { code: string }[]).some((d) => d.code === 'HALO_CFG_JOINED_LINES'));
  // The instance is what the tutorial means: VRID 51, priority 100, one VIP, one tracked script.
  const inst = oneLine.model.vrrpInstances[0];
  assert.equal(inst?.virtualRouterId, 51);
  assert.equal(inst?.priority, 100);
  assert.deepEqual(inst?.virtualIpaddress.map((v) => v.address), ['192.168.123.100']);
  assert.deepEqual(inst?.trackScript.map((t) => t.name), ['chk_nginx']);
});

test('seed 002 LVS config as published (last `}` missing) loads to the same model as the corrected copy, with a warning', () => {
  const published = loadFixture('seed002-lvs-unclosed.conf');
  const fixed = loadFixture('seed002-lvs-fixed.conf');
  const sameFile = (v: unknown): unknown => JSON.parse(JSON.stringify(meaning(v)).replaceAll('seed002-lvs-unclosed.conf', 'seed002-lvs-fixed.conf'));
  assert.deepEqual(sameFile(published.model), meaning(fixed.model));
  const diags = published.diagnostics as { code: string; severity: string; line?: number }[];
  assert.ok(!diags.some((d) => d.severity === 'error'), JSON.stringify(diags));
  assert.deepEqual(diags.filter((d) => d.code === 'HALO_CFG_BLOCK_CLOSED_AT_END').map((d) => [d.severity, d.line]), [['warning', 43]]);
  assert.equal(published.model.virtualServers[0]?.realServers.length, 2);
});
