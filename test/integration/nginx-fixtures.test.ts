/**
 * Every nginx.conf fixture in test/fixtures/nginx loads to its golden model and diagnostics.
 * The fixtures are mapped under /etc/nginx (the conf prefix) so goldens do not depend on where
 * the repository lives. Regenerate with HALO_UPDATE_GOLDEN=1, and read every changed golden: a
 * golden is a claim about what halo does with that file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNginxConfig } from '../../src/config/nginx/load.js';
import { MemorySource } from '../../src/config/nginx/memory-source.js';
import { upstreamPicker } from '../../src/config/nginx/picker.js';
import { SeededPrng } from '../../src/core/prng.js';

const dir = fileURLToPath(new URL('../../../test/fixtures/nginx/', import.meta.url));
const PREFIX = '/etc/nginx';

function walk(d: string): string[] {
  return readdirSync(d).flatMap((e) => {
    const p = join(d, e);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

const files = new Map<string, string>();
for (const p of walk(dir)) if (p.endsWith('.conf')) files.set(`${PREFIX}/${relative(dir, p)}`, readFileSync(p, 'utf8'));
const source = new MemorySource(files);
const entries = readdirSync(dir).filter((f) => f.endsWith('.conf'));

test('there are fixtures, the seed 003 nginx.conf among them', () => {
  assert.ok(entries.includes('seed003.conf'));
  assert.ok(entries.length >= 6);
});

for (const entry of entries) {
  test(`nginx fixture ${entry} matches its golden`, () => {
    const r = loadNginxConfig(`${PREFIX}/${entry}`, source);
    const actual = {
      diagnostics: r.diagnostics.map((d) => ({
        severity: d.severity,
        code: d.code,
        message: d.message,
        file: d.pos?.file.slice(PREFIX.length + 1) ?? null,
        line: d.pos?.line ?? null,
        col: d.pos?.col ?? null,
        ...(d.hint !== undefined ? { hint: d.hint } : {}),
      })),
      files: [...r.files.keys()].map((f) => f.slice(PREFIX.length + 1)),
      model: r.model,
    };
    const goldenPath = join(dir, entry.replace(/\.conf$/, '.golden.json'));
    const text = JSON.stringify(actual, null, 2) + '\n';
    if (process.env.HALO_UPDATE_GOLDEN === '1' || !existsSync(goldenPath)) {
      if (process.env.HALO_UPDATE_GOLDEN !== '1') assert.fail(`missing golden ${goldenPath} (run with HALO_UPDATE_GOLDEN=1)`);
      writeFileSync(goldenPath, text);
    }
    assert.deepEqual(JSON.parse(text), JSON.parse(readFileSync(goldenPath, 'utf8')));
  });
}

test('seed 003 nginx.conf loads unchanged: no errors or warnings, the upstream and the proxy_pass', () => {
  const r = loadNginxConfig(`${PREFIX}/seed003.conf`, source);
  assert.deepEqual(r.diagnostics.filter((d) => d.severity !== 'info'), []);
  const up = r.model.http?.upstreams[0];
  assert.equal(up?.name, 'web');
  assert.deepEqual(up?.servers.map((s) => [s.id, s.maxFails, s.failTimeoutMs]), [
    ['192.168.0.42:80', 2, 3000],
    ['192.168.0.43:80', 2, 3000],
  ]);
  assert.equal(r.model.http?.servers[0]?.locations[0]?.proxyPass?.upstream, 'web');
  // Every directive of the file is accounted for: modelled or reported.
  assert.deepEqual(r.diagnostics.map((d) => d.message.split(': ').pop()), ['worker_processes', 'events', 'include mime.types', 'default_type', 'sendfile']);
});

test('seed 003, as the tutorial shows it: web1 and web2 take turns, web2 alone while web1 is stopped', () => {
  const r = loadNginxConfig(`${PREFIX}/seed003.conf`, source);
  const web = r.model.http?.upstreams.find((u) => u.name === r.model.http?.servers[0]?.locations[0]?.proxyPass?.upstream);
  assert.ok(web);
  const made = upstreamPicker(web, new SeededPrng(1));
  assert.ok(made);
  const name = (id: string | undefined): string => (id === '192.168.0.42:80' ? 'web1' : id === '192.168.0.43:80' ? 'web2' : String(id));
  const curl = (n: number): string[] => Array.from({ length: n }, () => name(made.picker.pick({ nowMs: 0, clientIp: '192.168.0.10' })));
  assert.deepEqual(curl(4), ['web1', 'web2', 'web1', 'web2']);
  // `systemctl stop httpd` on web1: passive health (max_fails=2 within 3 s) takes it out.
  made.picker.setAvailable('192.168.0.42:80', false);
  assert.deepEqual(curl(2), ['web2', 'web2']);
  made.picker.setAvailable('192.168.0.42:80', true);
  assert.deepEqual(new Set(curl(2)), new Set(['web1', 'web2']));
});
