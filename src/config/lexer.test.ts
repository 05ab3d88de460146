import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { commentStart, lexLine, type LexProblem, type Token } from './lexer.js';

function lex(line: string): { words: string[]; tokens: Token[]; problems: LexProblem[] } {
  const tokens: Token[] = [];
  const problems: LexProblem[] = [];
  lexLine(line, tokens, problems);
  return { words: tokens.map((t) => t.text), tokens, problems };
}

test('whitespace separates words and columns are 0-based starts', () => {
  const r = lex('  state\tMASTER  ');
  assert.deepEqual(r.words, ['state', 'MASTER']);
  assert.deepEqual(r.tokens.map((t) => [t.start, t.end]), [[2, 7], [8, 14]]);
});

test('braces are words of their own even when glued', () => {
  assert.deepEqual(lex('vrrp_script chk_nginx{').words, ['vrrp_script', 'chk_nginx', '{']);
  assert.deepEqual(lex('TCP_CHECK{connect_timeout 3}').words, ['TCP_CHECK', '{', 'connect_timeout', '3', '}']);
  assert.deepEqual(lex('}}{').tokens.map((t) => t.kind), ['}', '}', '{']);
});

test('# and ! start comments anywhere outside quotes', () => {
  assert.deepEqual(lex('priority 100 # the master').words, ['priority', '100']);
  assert.deepEqual(lex('auth_pass abc!def').words, ['auth_pass', 'abc']);
  assert.deepEqual(lex('! Configuration File').words, []);
  assert.deepEqual(lex('script "kill -0 $(cat /run/x.pid) # not a comment"').words, ['script', 'kill -0 $(cat /run/x.pid) # not a comment']);
  assert.deepEqual(lex("notify 'a!b'").words, ['notify', 'a!b']);
});

test('quotes may start and end inside a word and the parts join (keepalived.conf(5))', () => {
  const r = lex('abcd" efg h jkl "mnop');
  assert.deepEqual(r.words, ['abcd efg h jkl mnop']);
  assert.equal(r.tokens[0]?.quoted, true);
  assert.deepEqual(lex('abcd "efg h jkl" mnop').words, ['abcd', 'efg h jkl', 'mnop']);
  assert.deepEqual(lex(`"it's" 'say "hi"'`).words, ["it's", 'say "hi"']);
  assert.equal(lex('plain').tokens[0]?.quoted, false);
  assert.deepEqual(lex('""').words, ['']);
});

test('escapes inside quotes', () => {
  assert.deepEqual(lex(String.raw`"a\"b" "c\\d" "\t\n" "\x41\101\x" "\cA" "\q"`).words, ['a"b', 'c\\d', '\t\n', 'AAx', '\x01', 'q']);
  // Outside quotes a backslash is an ordinary character.
  assert.deepEqual(lex(String.raw`a\b`).words, ['a\\b']);
  // The example of keepalived.conf(5): \\x20 stays a backslash and x20, \x69 is i.
  assert.deepEqual(lex(String.raw`"' spaces\\x20f\x69le '"`).words, [String.raw`' spaces\x20file '`]);
});

test('an unterminated quote is a problem and the word runs to the end of the line', () => {
  const r = lex('script "/bin/check arg');
  assert.deepEqual(r.words, ['script', '/bin/check arg']);
  assert.deepEqual(r.problems, [{ kind: 'unterminated-quote', start: 7, end: 22, quote: '"' }]);
  assert.equal(lex(String.raw`x "ends with backslash\"`).problems.length, 1);
});

test('keywords keep their case and non-ASCII text stays whole', () => {
  assert.deepEqual(lex('Virtual_Server 中文 ｛').words, ['Virtual_Server', '中文', '｛']);
  // A full-width space is not a separator for keepalived (C isspace).
  assert.deepEqual(lex('a\u3000b').words, ['a\u3000b']);
});

test('lexLine honours the from/end range', () => {
  const tokens: Token[] = [];
  lexLine('@main router_id r1', tokens, [], 6);
  assert.deepEqual(tokens.map((t) => [t.text, t.start]), [['router_id', 6], ['r1', 16]]);
});

test('commentStart skips quoted comment characters', () => {
  assert.equal(commentStart('a "#" b # c'), 8);
  assert.equal(commentStart(String.raw`a "\"#" b # c`), 10);
  assert.equal(commentStart('no comment'), 10);
});

const seedEnv = process.env['HALO_SEED'];
const params: fc.Parameters<unknown> = seedEnv !== undefined && seedEnv !== '' ? { seed: Number(seedEnv), numRuns: 500 } : { numRuns: 500 };

test('any string written in double quotes with \\ and \" escaped reads back as itself', () => {
  fc.assert(
    fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 12 }), { minLength: 1, maxLength: 6 }), (values) => {
      const clean = values.map((v) => v.replace(/[\n]/g, ' '));
      const line = clean.map((v) => '"' + v.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"').join(' ');
      const r = lex(line);
      assert.deepEqual(r.problems, []);
      assert.deepEqual(r.words, clean);
      assert.ok(r.tokens.every((t) => t.quoted));
    }),
    params,
  );
});

test('plain words separated by blanks read back with their columns', () => {
  const wordChar = fc.constantFrom(...'abcXYZ019._-/:@%+=,;*?[]()<>|^~$'.split(''));
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.array(wordChar, { minLength: 1, maxLength: 8 }), fc.constantFrom(' ', '\t', '  ', ' \t ')), { maxLength: 10 }), (parts) => {
      let line = '';
      const expected: Array<[string, number]> = [];
      for (const [chars, gap] of parts) {
        expected.push([chars.join(''), line.length]);
        line += chars.join('') + gap;
      }
      assert.deepEqual(lex(line).tokens.map((t) => [t.text, t.start]), expected);
    }),
    params,
  );
});
