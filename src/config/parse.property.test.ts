import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { memorySource } from './glob.js';
import { parseConfig } from './parse.js';
import { renderDiagnostic } from './render.js';
import type { ConfNode, ParsedConfig, StatementShape } from './tree.js';

// Runs replay with HALO_SEED=<seed>; fast-check prints the seed and path of a failure.
const seedEnv = process.env['HALO_SEED'];
const params: fc.Parameters<unknown> = seedEnv !== undefined && seedEnv !== '' ? { seed: Number(seedEnv), numRuns: 300 } : { numRuns: 300 };

const ENTRY = '/etc/keepalived/keepalived.conf';
const shape: StatementShape = (_parents, words) => (words[0] === 'a' || words[0] === 'state' ? 2 : words[0] === 'b' ? 1 : undefined);

/** Text that is likely to hit the parser's corners: braces, quotes, comments, macros, conditionals, includes. */
const configish = fc
  .array(
    fc.oneof(
      fc.constantFrom('{', '}', '"', "'", '#', '!', '\\', '$', '${', '$A', '${A}', '$A=', '@', '@^', '@main ', '@^main ', 'include ', 'include *.conf', 'include x{a,b}', '~SEQ(', '~SEQ(A,3) ', ',', ')', '\n', '\r\n', '\t', ' ', 'a', 'b', 'state', 'MASTER', '中文', '😀', '\\\n', '\ufeff', '\u0000', '\u00a0', '\u3000'),
      fc.string({ maxLength: 8 }),
    ),
    { maxLength: 80 },
  )
  .map((parts) => parts.join(''));

function lineLengths(text: string): number[] {
  return text.split('\n').map((l) => l.length);
}

function assertInside(r: ParsedConfig): void {
  for (const d of r.diagnostics) {
    if (d.pos === undefined) continue;
    const text = r.files.get(d.pos.file);
    assert.ok(text !== undefined, `diagnostic in an unread file: ${d.pos.file}`);
    const lengths = lineLengths(text);
    assert.ok(d.pos.line >= 1 && d.pos.line <= lengths.length, `line ${d.pos.line} outside 1..${lengths.length}: ${d.code}`);
    const len = lengths[d.pos.line - 1] ?? 0;
    assert.ok(d.pos.col >= 1 && d.pos.col <= len + 1, `col ${d.pos.col} outside 1..${len + 1} on line ${d.pos.line}: ${d.code}`);
    // Brace and quote diagnostics point at their brace or quote (or at the `$` of the macro it came from).
    const at = (text.split('\n')[d.pos.line - 1] ?? '')[d.pos.col - 1] ?? '';
    if (d.code === 'HALO_CFG_UNCLOSED_BLOCK' || d.code === 'HALO_CFG_UNBALANCED_BRACE') assert.ok('{}$'.includes(at) && at !== '', `${d.code} at ${JSON.stringify(at)}`);
    if (d.code === 'HALO_CFG_UNTERMINATED_STRING') assert.ok(`"'$`.includes(at) && at !== '', `${d.code} at ${JSON.stringify(at)}`);
    // Rendering must not throw either.
    assert.equal(typeof renderDiagnostic(d, r.files), 'string');
  }
  const walk = (nodes: readonly ConfNode[]): void => {
    for (const n of nodes) {
      for (const w of [n.keyword, ...n.args]) {
        const text = r.files.get(w.pos.file) ?? '';
        const lengths = lineLengths(text);
        assert.ok(w.pos.line >= 1 && w.pos.line <= lengths.length, `word line ${w.pos.line}`);
        assert.ok(w.pos.col >= 1 && w.pos.col <= (lengths[w.pos.line - 1] ?? 0) + 1, `word col ${w.pos.col}`);
        // An unquoted word that no macro touched stands in the source exactly where it says.
        const line = text.split('\n')[w.pos.line - 1] ?? '';
        const rest = line.slice(w.pos.col - 1);
        const sourceWord = rest.split(/[ \t\r\v\f\ufeff{}#!]/u)[0] ?? '';
        if (!w.quoted && !sourceWord.includes('$')) assert.ok(rest.startsWith(w.text), `word ${JSON.stringify(w.text)} is not at ${w.pos.line}:${w.pos.col}: ${JSON.stringify(rest.slice(0, 20))}`);
      }
      if (n.block !== null) walk(n.block);
    }
  };
  walk(r.nodes);
}

test('the parser never throws on arbitrary bytes and keeps every position inside the file', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
      const text = new TextDecoder('utf-8').decode(bytes);
      const r = parseConfig(ENTRY, memorySource({ [ENTRY]: text }), { configId: 'main', shape });
      assertInside(r);
    }),
    params,
  );
});

test('the parser never throws on config-like text and keeps every position inside the file', () => {
  fc.assert(
    fc.property(configish, configish, (main, other) => {
      const files = { [ENTRY]: main, '/etc/keepalived/xa.conf': other, '/etc/keepalived/b.conf': `include ${ENTRY}\n${other}` };
      const r = parseConfig(ENTRY, memorySource(files), { configId: 'main', shape, includeDepthMax: 4 });
      assertInside(r);
    }),
    params,
  );
});

test('a shape oracle that answers anything cannot make the parser throw or loop', () => {
  fc.assert(
    fc.property(configish, fc.array(fc.oneof(fc.integer({ min: -3, max: 6 }), fc.constant(undefined), fc.double())), (text, answers) => {
      let k = 0;
      const wild: StatementShape = () => answers[k++ % Math.max(answers.length, 1)];
      const r = parseConfig(ENTRY, memorySource({ [ENTRY]: text }), { configId: 'main', shape: wild });
      assertInside(r);
    }),
    params,
  );
});
