import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_AREAS, ERROR_CATALOG } from './index.js';
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

test('no code is defined by two areas', () => {
  const seen = new Map<string, number>();
  ERROR_AREAS.forEach((table, i) => {
    for (const code of Object.keys(table)) {
      assert.equal(seen.get(code), undefined, `${code} is defined in area tables ${seen.get(code)} and ${i}`);
      seen.set(code, i);
    }
  });
  assert.equal(seen.size, Object.keys(ERROR_CATALOG).length, 'ERROR_AREAS and ERROR_CATALOG list different tables');
});
