import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseNginx, resolvePath } from './parse.js';
import { loadNginxConfig } from './load.js';
import { MemorySource, globToRegExp } from './memory-source.js';
import type { ConfNode } from '../tree.js';

const seed = process.env.HALO_SEED !== undefined ? Number(process.env.HALO_SEED) : undefined;
const params = { numRuns: 300, ...(seed !== undefined ? { seed } : {}) };

function parse(text: string, extra: Record<string, string> = {}): ReturnType<typeof parseNginx> {
  return parseNginx('/etc/nginx/nginx.conf', new MemorySource({ '/etc/nginx/nginx.conf': text, ...extra }));
}

function shape(nodes: readonly ConfNode[]): unknown[] {
  return nodes.map((n) => [n.keyword.text, ...n.args.map((a) => a.text), ...(n.block !== null ? [shape(n.block)] : [])]);
}

test('directives, blocks, comments and positions', () => {
  const r = parse('a 1 2;\n# comment\nb {\n  c "x y";  # trailing\n}\n');
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(shape(r.nodes), [['a', '1', '2'], ['b', [['c', 'x y']]]]);
  const c = r.nodes[1]?.block?.[0];
  assert.deepEqual(c?.keyword.pos, { file: '/etc/nginx/nginx.conf', line: 4, col: 3 });
  assert.deepEqual(c?.args[0]?.pos, { file: '/etc/nginx/nginx.conf', line: 4, col: 5 });
  assert.equal(c?.args[0]?.quoted, true);
  assert.deepEqual(r.nodes[1]?.blockEnd, { file: '/etc/nginx/nginx.conf', line: 5, col: 1 });
});

test('nginx word rules: # inside a word, ${var} braces, escapes, a comment right after ;', () => {
  const r = parse('a b#c ${host}x \'it\\\'s\' "t\\tab" \\$x;#c\n');
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(shape(r.nodes), [['a', 'b#c', '${host}x', "it's", 't\tab', '\\$x']]);
});

test('syntax errors are positioned: stray }, missing ;, unclosed block and string', () => {
  const codes = (t: string): string[] => parse(t).diagnostics.map((d) => `${d.code}@${d.pos?.line}:${d.pos?.col}`);
  assert.deepEqual(codes('}'), ['HALO_NGX_UNEXPECTED@1:1']);
  assert.deepEqual(codes('a {\n b\n}'), ['HALO_NGX_UNEXPECTED@3:1']);
  assert.deepEqual(codes('a {\n b;\n'), ['HALO_NGX_UNEXPECTED@3:1']);
  assert.deepEqual(codes('a "b;\n'), ['HALO_NGX_UNTERMINATED_STRING@1:3', 'HALO_NGX_UNEXPECTED@2:1']);
  assert.deepEqual(codes(';'), ['HALO_NGX_UNEXPECTED@1:1']);
  assert.deepEqual(codes('"a"b;'), ['HALO_NGX_UNEXPECTED@1:4']);
});

test('include: globs in order, relative to the main file\'s directory, with include chains', () => {
  const r = parse('http {\n  include conf.d/*.conf;\n}\n', {
    '/etc/nginx/conf.d/b.conf': 'b;\n',
    '/etc/nginx/conf.d/a.conf': 'a;\n',
    '/etc/nginx/conf.d/a.txt': 'no;\n',
  });
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(shape(r.nodes), [['http', [['a'], ['b']]]]);
  const a = r.nodes[0]?.block?.[0];
  assert.equal(a?.keyword.pos.file, '/etc/nginx/conf.d/a.conf');
  assert.deepEqual(a?.keyword.includeChain, [{ file: '/etc/nginx/nginx.conf', line: 2, col: 3 }]);
  assert.deepEqual([...r.files.keys()], ['/etc/nginx/nginx.conf', '/etc/nginx/conf.d/a.conf', '/etc/nginx/conf.d/b.conf']);
});

test('include: a missing file is an error, a cycle is an error, mime.types is noted and skipped', () => {
  const missing = parse('include nope.conf;');
  assert.deepEqual(missing.diagnostics.map((d) => d.code), ['HALO_NGX_CANNOT_READ']);
  const cycle = parse('include nginx.conf;');
  assert.deepEqual(cycle.diagnostics.map((d) => d.code), ['HALO_NGX_INCLUDE']);
  const mime = parse('include mime.types;');
  assert.deepEqual(mime.diagnostics.map((d) => [d.code, d.severity]), [['HALO_NGX_IGNORED', 'info']]);
});

test('paths and globs', () => {
  assert.equal(resolvePath('/etc/nginx', 'conf.d/x.conf'), '/etc/nginx/conf.d/x.conf');
  assert.equal(resolvePath('/etc/nginx', '../x.conf'), '/etc/x.conf');
  assert.equal(resolvePath('/etc/nginx', '/abs/x.conf'), '/abs/x.conf');
  assert.ok(globToRegExp('/a/*.{conf,inc}').test('/a/b.inc'));
  assert.ok(!globToRegExp('/a/*.conf').test('/a/b/c.conf'));
  assert.ok(globToRegExp('/a/[0-9]?.conf').test('/a/1x.conf'));
});

test('property: the parser and the loader never throw, whatever the text', () => {
  const nginxish = fc.array(
    fc.oneof(
      fc.constantFrom('http', 'server', 'upstream', 'location', 'listen', 'proxy_pass', 'include', '{', '}', ';', '"', "'", '#', '\n', ' ', '\\', '$', 'weight=2', 'hash', 'random', 'stream', '10.0.0.1:80', 'http://x', '*.conf', '=', '~'),
      fc.string({ maxLength: 6 }),
    ),
    { maxLength: 60 },
  ).map((parts) => parts.join(' '));
  fc.assert(
    fc.property(fc.oneof(nginxish, fc.string({ maxLength: 200 })), (text) => {
      const r = loadNginxConfig('/etc/nginx/nginx.conf', new MemorySource({ '/etc/nginx/nginx.conf': text, '/etc/nginx/a.conf': text }));
      // Every diagnostic is well formed: a code, a message in the house style, a position.
      for (const d of r.diagnostics) {
        assert.match(d.code, /^HALO_NGX_/);
        assert.match(d.message, /^[A-Z]/);
        assert.ok(d.pos === undefined || (d.pos.line >= 1 && d.pos.col >= 1));
      }
    }),
    params,
  );
});
