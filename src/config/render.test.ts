import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Diagnostic } from '../core/diagnostic.js';
import { charWidth, lineAt, renderDiagnostic, summaryLine } from './render.js';

const FILE = '/etc/keepalived/keepalived.conf';

function d(over: Partial<Diagnostic>): Diagnostic {
  return { severity: 'error', code: 'HALO_CFG_UNBALANCED_BRACE', message: 'Unexpected `}`: no block is open here', ...over };
}

test('header, source line, caret under the span, include chain innermost first, hint', () => {
  const files = new Map([[FILE, 'global_defs {\n  router_id main\n}\n}\n']]);
  const out = renderDiagnostic(
    d({
      pos: { file: FILE, line: 2, col: 13 },
      length: 4,
      includeChain: [{ file: '/etc/a.conf', line: 3, col: 1 }, { file: '/etc/b.conf', line: 7, col: 5 }],
      hint: 'remove it',
    }),
    files,
  );
  assert.equal(
    out,
    [
      `${FILE}:2:13: error HALO_CFG_UNBALANCED_BRACE: Unexpected \`}\`: no block is open here`,
      '    2 |   router_id main',
      '      |             ^~~~',
      '    included from /etc/b.conf:7:5',
      '    included from /etc/a.conf:3:1',
      '    hint: remove it',
      '',
    ].join('\n'),
  );
});

test('tabs expand and wide characters take two columns so the caret stays under the word', () => {
  const files = new Map([[FILE, '\t# 中文注释\n\t中文 priority 100\n']]);
  const out = renderDiagnostic(d({ pos: { file: FILE, line: 2, col: 5 }, length: 8 }), files).split('\n');
  assert.equal(out[1], '    2 |         中文 priority 100');
  assert.equal(out[2], '      | ' + ' '.repeat(8 + 4 + 1) + '^' + '~'.repeat(7));
  // The caret column equals the display width of what precedes it.
  assert.equal(out[2]?.indexOf('^'), '      | '.length + 8 + 4 + 1);
});

test('a diagnostic without a position prints its header only', () => {
  assert.equal(renderDiagnostic(d({ code: 'HALO_CFG_CANNOT_READ', message: 'Cannot read x: ENOENT' }), new Map()), 'error HALO_CFG_CANNOT_READ: Cannot read x: ENOENT\n');
});

test('a very long line is cut to a window around the caret', () => {
  const long = 'a '.repeat(500) + 'TARGET' + ' b'.repeat(500);
  const files = new Map([[FILE, long]]);
  const out = renderDiagnostic(d({ pos: { file: FILE, line: 1, col: 1001 }, length: 6 }), files).split('\n');
  const src = out[1] ?? '';
  const caret = out[2] ?? '';
  assert.ok(src.length < 130, `window too wide: ${src.length}`);
  assert.ok(src.includes('…a a') && src.endsWith('…'));
  assert.equal(src.slice(caret.indexOf('^'), caret.indexOf('^') + 6), 'TARGET');
  assert.match(caret, /\^~~~~~$/);
});

test('a caret at the end of a line, and a position past a CR, stay sane', () => {
  const files = new Map([[FILE, 'vrrp_instance V {\r\n']]);
  const out = renderDiagnostic(d({ pos: { file: FILE, line: 1, col: 19 } }), files).split('\n');
  assert.equal(out[1], '    1 | vrrp_instance V {');
  // Column 19 is past the CR that the snippet drops: the caret stays just after the line.
  assert.equal(out[2], '      | ' + ' '.repeat(17) + '^');
});

test('summary line counts errors and warnings, and notes when present', () => {
  assert.equal(summaryLine([]), '0 errors, 0 warnings');
  assert.equal(summaryLine([d({}), d({ severity: 'warning' }), d({ severity: 'warning' })]), '1 error, 2 warnings');
  assert.equal(summaryLine([d({ severity: 'info' })]), '0 errors, 0 warnings, 1 note');
});

test('lineAt and charWidth', () => {
  assert.equal(lineAt('a\nb\r\nc', 2), 'b');
  assert.equal(lineAt('a\n', 2), '');
  assert.equal(lineAt('a', 3), undefined);
  assert.deepEqual(['a', '中', '😀', '\u0301', 'ｱ', '！'].map((c) => charWidth(c.codePointAt(0) ?? 0)), [1, 2, 2, 0, 1, 2]);
});
