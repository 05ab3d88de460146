import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { keywordCounts, renderCompatDoc } from './compat-doc.js';

test('docs/keepalived-compat.md is generated from the keyword tables', () => {
  const doc = readFileSync(new URL('../../../../docs/keepalived-compat.md', import.meta.url), 'utf8');
  assert.equal(doc, renderCompatDoc(), 'docs/keepalived-compat.md is stale: run node dist/scripts/gen-keepalived-compat.js');
});

test('the compat doc lists every status', () => {
  const c = keywordCounts();
  assert.ok(c.modelled > 200 && c.unsupported > 50 && c.deprecated >= 5, JSON.stringify(c));
  const doc = renderCompatDoc();
  assert.match(doc, /\| `nb_get_retry` \| deprecated → `retry` \|/);
  assert.match(doc, /\| `lb_algo` \| modelled \(other name of `lvs_sched`\) \|/);
  assert.match(doc, /\| `enable_snmp_vrrp` \| not supported \|/);
});
