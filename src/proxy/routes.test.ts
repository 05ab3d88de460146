import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileRoutes, findRoute } from './routes.js';
import type { Route } from './types.js';

const seed = process.env['HALO_SEED'] !== undefined ? Number(process.env['HALO_SEED']) : undefined;

// The example of nginx's "location" documentation: configurations A to E.
const routes: Route[] = [
  { pathPrefix: '/', match: 'exact', pool: 'A' },
  { pathPrefix: '/', pool: 'B' },
  { pathPrefix: '/documents/', pool: 'C' },
  { pathPrefix: '/images/', noRegex: true, pool: 'D' },
  { pathPrefix: '\\.(gif|jpg|jpeg)$', match: 'regex', caseless: true, pool: 'E' },
];

test('nginx documentation example: = / , / , /documents/ , ^~ /images/ , ~* \\.(gif|jpg|jpeg)$', () => {
  const t = compileRoutes(routes);
  const pick = (p: string): string | undefined => findRoute(t, p)?.pool;
  assert.equal(pick('/'), 'A');
  assert.equal(pick('/?x=1'), 'A', 'the query string is not part of the matched path');
  assert.equal(pick('/index.html'), 'B');
  assert.equal(pick('/documents/document.html'), 'C');
  assert.equal(pick('/images/1.gif'), 'D', '^~ stops the regex search');
  assert.equal(pick('/documents/1.jpg'), 'E', 'a regex beats a longer plain prefix');
  assert.equal(pick('/documents/1.JPG'), 'E', '~* ignores case');
});

test('regexes are tried in the order written, and only after no ^~ prefix matched', () => {
  const t = compileRoutes([
    { pathPrefix: '/a', pool: 'prefix' },
    { pathPrefix: '^/a/b', match: 'regex', pool: 'first' },
    { pathPrefix: '^/a', match: 'regex', pool: 'second' },
    { pathPrefix: '\\.PNG$', match: 'regex', pool: 'cased' },
  ]);
  assert.equal(findRoute(t, '/a/b/c')?.pool, 'first');
  assert.equal(findRoute(t, '/a/c')?.pool, 'second');
  assert.equal(findRoute(t, '/x.png'), undefined, '~ is case-sensitive');
  assert.equal(findRoute(t, '/x.PNG')?.pool, 'cased');
  assert.equal(findRoute(compileRoutes([]), '/x'), undefined);
});

test('an exact location matches only its own path', () => {
  const t = compileRoutes([{ pathPrefix: '/health', match: 'exact', pool: 'h' }]);
  assert.equal(findRoute(t, '/health')?.pool, 'h');
  assert.equal(findRoute(t, '/health?full=1')?.pool, 'h');
  assert.equal(findRoute(t, '/healthz'), undefined);
  assert.equal(findRoute(t, '/health/'), undefined);
});

test('property: with prefixes only, the longest matching prefix wins', () => {
  const seg = fc.constantFrom('a', 'b', 'c', '/');
  const path = fc.array(seg, { minLength: 1, maxLength: 6 }).map((xs) => `/${xs.join('')}`);
  fc.assert(
    fc.property(fc.uniqueArray(path, { minLength: 1, maxLength: 6 }), path, (prefixes, target) => {
      const t = compileRoutes(prefixes.map((p) => ({ pathPrefix: p, pool: p })));
      const want = prefixes.filter((p) => target.startsWith(p)).sort((a, b) => b.length - a.length)[0];
      assert.equal(findRoute(t, target)?.pool, want);
    }),
    seed !== undefined ? { seed } : {},
  );
});
