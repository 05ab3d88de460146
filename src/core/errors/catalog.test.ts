import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { ERROR_CATALOG } from './index.js';
import { codesInDoc, renderErrorsDoc } from './doc.js';

const docPath = new URL('../../../../docs/errors.md', import.meta.url);

test('every catalogued code is documented and every documented code is catalogued', () => {
  const doc = readFileSync(docPath, 'utf8');
  const inDoc = new Set(codesInDoc(doc));
  const inCatalog = new Set(Object.keys(ERROR_CATALOG));
  assert.deepEqual([...inCatalog].filter((c) => !inDoc.has(c)), [], 'codes missing from docs/errors.md (run npm run gen:errors)');
  assert.deepEqual([...inDoc].filter((c) => !inCatalog.has(c)), [], 'codes in docs/errors.md that the catalog no longer has');
  assert.equal(doc, renderErrorsDoc(), 'docs/errors.md is stale: run npm run gen:errors');
});

test('codes follow HALO_<AREA>_<WHAT> and summaries follow the message style', () => {
  for (const [code, def] of Object.entries(ERROR_CATALOG)) {
    assert.match(code, /^HALO_[A-Z0-9]+_[A-Z0-9_]+$/, code);
    assert.match(def.summary, /^[A-Z]/, `${code}: summary starts with a capital`);
    assert.doesNotMatch(def.summary, /\.$/, `${code}: summary has no final period`);
    assert.ok(def.help.length > 0, `${code}: help is empty`);
  }
});

test('every area table is in the catalog and no code is defined by two areas', async () => {
  // Each area file exports one table; finding them on disk means a table left out of index.ts
  // (or a code written in two areas, which the spread in index.ts would silently merge) fails here.
  const dir = new URL('./', import.meta.url);
  const seen = new Map<string, string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.js') && !/^(index|types|doc)\.js$|\.test\.js$/.test(f))) {
    const mod = (await import(new URL(file, dir).href)) as Record<string, unknown>;
    for (const [name, table] of Object.entries(mod)) {
      if (!name.endsWith('_ERRORS') || typeof table !== 'object' || table === null) continue;
      for (const code of Object.keys(table)) {
        assert.equal(seen.get(code), undefined, `${code} is defined in ${seen.get(code)} and ${file}`);
        seen.set(code, file);
        assert.ok(code in ERROR_CATALOG, `${code} (${file}) is missing from ERROR_CATALOG: add the table to index.ts`);
      }
    }
  }
  assert.equal(seen.size, Object.keys(ERROR_CATALOG).length);
});
