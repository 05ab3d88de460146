/**
 * keepalived.conf word rules, one line at a time (keepalived reads its config line by line and no
 * token spans a line break):
 *
 * - ASCII whitespace separates words (keepalived uses C `isspace`); a byte order mark before a
 *   word is skipped like a space.
 * - `#` and `!` start a comment anywhere outside quotes, also in the middle of a word.
 * - `{` and `}` are words of their own even when glued to another word (`chk_nginx{`).
 * - `"..."` and `'...'` quote; a quote may start or end inside a word and the parts join, so
 *   `abcd" efg "hi` is the one word `abcd efg hi` (keepalived.conf(5), "Quoted strings").
 * - Inside quotes, shell-like escapes: `\a \b \E \f \n \r \t \v`, `\nnn` (octal, up to 3 digits),
 *   `\xXX` (hex, up to 2 digits), `\cC` (control C), and `\C` for any other C is C itself.
 *   Outside quotes a backslash is an ordinary character.
 *
 * The scanner works on character codes and slices, never concatenating per character, because a
 * config of 100,000 virtual servers has over a million words.
 */

export type TokenKind = 'word' | '{' | '}';

export interface Token {
  readonly kind: TokenKind;
  /** The word with quotes removed and escapes decoded; `{` or `}` for braces. */
  readonly text: string;
  /** True when any part of the word was in quotes. */
  readonly quoted: boolean;
  /** Index of the first character in the line (0-based, UTF-16 units). */
  readonly start: number;
  /** Index after the last character in the line. */
  readonly end: number;
}

export interface LexProblem {
  readonly kind: 'unterminated-quote';
  /** Index of the opening quote in the line. */
  readonly start: number;
  /** Index of the end of the line (the string runs to it). */
  readonly end: number;
  readonly quote: '"' | "'";
}

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const VT = 0x0b;
const FF = 0x0c;
const CR = 0x0d;
const BOM = 0xfeff;
const HASH = 0x23;
const BANG = 0x21;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const DQUOTE = 0x22;
const SQUOTE = 0x27;
const BACKSLASH = 0x5c;

export function isSpaceCode(c: number): boolean {
  return c === SPACE || c === TAB || c === CR || c === VT || c === FF || c === LF || c === BOM;
}

/** Receives what lexText finds, without allocating a token object per word. */
export interface LexSink {
  word(text: string, quoted: boolean, start: number, end: number): void;
  brace(open: boolean, at: number): void;
  unterminated(start: number, end: number, quote: '"' | "'"): void;
  /** A comment starts at `at` (`#` or `!`) and runs to the end of the range. */
  comment?(at: number): void;
}

/**
 * Splits `line[from..end)` into tokens, appended to `tokens`; unterminated quotes are appended to
 * `problems`. Never throws.
 */
export function lexLine(line: string, tokens: Token[], problems: LexProblem[], from = 0, end = line.length): void {
  lexText(line, from, end, {
    word: (text, quoted, start, stop) => tokens.push({ kind: 'word', text, quoted, start, end: stop }),
    brace: (open, at) => tokens.push({ kind: open ? '{' : '}', text: open ? '{' : '}', quoted: false, start: at, end: at + 1 }),
    unterminated: (start, stop, quote) => problems.push({ kind: 'unterminated-quote', start, end: stop, quote }),
  });
}

/** Longest word the intern table keeps; longer words are rare and mostly unique (paths, scripts). */
const INTERN_LENGTH_MAX = 32;
const INTERN_SLOTS = 4096;

/**
 * Hands out one string per distinct short word: a config of thousands of similar blocks repeats
 * the same keywords and values (`weight`, `1`, `{`...) hundreds of thousands of times, and a slice
 * of the file per occurrence is an allocation that stays alive with the statement tree, which is
 * what the garbage collector of a fresh process spends its time copying. A slot holds the last
 * word that hashed to it, so the table is bounded and a collision costs only a slice.
 */
export class InternTable {
  private readonly slots: (string | undefined)[] = new Array<string | undefined>(INTERN_SLOTS).fill(undefined);

  /** `text.slice(start, end)`, the same string object as last time when the word was seen. */
  slice(text: string, start: number, end: number): string {
    const len = end - start;
    if (len > INTERN_LENGTH_MAX || len <= 0) return text.slice(start, end);
    let h = len;
    for (let k = start; k < end; k++) h = (Math.imul(h, 31) + text.charCodeAt(k)) | 0;
    const slot = (h ^ (h >>> 12)) & (INTERN_SLOTS - 1);
    const seen = this.slots[slot];
    if (seen !== undefined && seen.length === len) {
      let same = true;
      for (let k = 0; k < len; k++) {
        if (seen.charCodeAt(k) !== text.charCodeAt(start + k)) {
          same = false;
          break;
        }
      }
      if (same) return seen;
    }
    const word = text.slice(start, end);
    this.slots[slot] = word;
    return word;
  }
}

/**
 * Splits `text[from..end)` (one line, or a range of a whole file that holds one line) into words
 * and braces, reported to `sink` in order. Unquoted words come from `intern` when given. Never
 * throws.
 */
export function lexText(text: string, from: number, end: number, sink: LexSink, intern?: InternTable): void {
  let i = from;
  while (i < end) {
    let c = text.charCodeAt(i);
    if (c === SPACE || c === TAB || isSpaceCode(c)) {
      i++;
      continue;
    }
    if (c === HASH || c === BANG) {
      sink.comment?.(i);
      return;
    }
    if (c === LBRACE || c === RBRACE) {
      sink.brace(c === LBRACE, i);
      i++;
      continue;
    }
    const start = i;
    let quoted = false;
    let word: string | null = null; // built only when the word has a quoted part
    let segStart = i;
    while (i < end) {
      c = text.charCodeAt(i);
      // Fast path: everything above `'` is a word character except the braces.
      if (c > SQUOTE) {
        if (c === LBRACE || c === RBRACE) break;
        i++;
        continue;
      }
      if (c === DQUOTE || c === SQUOTE) {
        quoted = true;
        word = (word ?? '') + text.slice(segStart, i);
        const q = readQuoted(text, i, end);
        word += q.text;
        if (q.closedAt < 0) {
          sink.unterminated(i, end, c === DQUOTE ? '"' : "'");
          i = end;
        } else {
          i = q.closedAt + 1;
        }
        segStart = i;
        continue;
      }
      if (c === SPACE || c === HASH || c === BANG || isSpaceCode(c)) break;
      i++;
    }
    if (word !== null) sink.word(word + text.slice(segStart, i), quoted, start, i);
    else sink.word(intern === undefined ? text.slice(start, i) : intern.slice(text, start, i), quoted, start, i);
  }
}

/** Reads a quoted part starting at the quote `line[at]`; closedAt is -1 when unterminated. */
function readQuoted(line: string, at: number, end: number): { text: string; closedAt: number } {
  const quote = line.charCodeAt(at);
  let out = '';
  let seg = at + 1;
  let i = at + 1;
  while (i < end) {
    const c = line.charCodeAt(i);
    if (c === quote) return { text: out + line.slice(seg, i), closedAt: i };
    if (c === BACKSLASH && i + 1 < end) {
      out += line.slice(seg, i);
      const esc = decodeEscape(line, i + 1, end);
      out += esc.text;
      i = esc.next;
      seg = i;
      continue;
    }
    i++;
  }
  return { text: out + line.slice(seg, end), closedAt: -1 };
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  E: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

function isOctal(c: number): boolean {
  return c >= 0x30 && c <= 0x37;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** Decodes the escape whose letter is at `i` (after the backslash); returns the index after it. */
function decodeEscape(line: string, i: number, end: number): { text: string; next: number } {
  const ch = line[i] ?? '';
  const simple = SIMPLE_ESCAPES[ch];
  if (simple !== undefined) return { text: simple, next: i + 1 };
  const c = line.charCodeAt(i);
  if (isOctal(c)) {
    let j = i;
    while (j < end && j < i + 3 && isOctal(line.charCodeAt(j))) j++;
    return { text: String.fromCharCode(parseInt(line.slice(i, j), 8) & 0xff), next: j };
  }
  if (ch === 'x') {
    let j = i + 1;
    while (j < end && j < i + 3 && isHex(line.charCodeAt(j))) j++;
    if (j === i + 1) return { text: 'x', next: i + 1 };
    return { text: String.fromCharCode(parseInt(line.slice(i + 1, j), 16)), next: j };
  }
  if (ch === 'c' && i + 1 < end) {
    return { text: String.fromCharCode(line.charCodeAt(i + 1) & 0x1f), next: i + 2 };
  }
  // `\C` for any other C is C itself (so `\\` is a backslash and `\"` a quote that does not end the string).
  // A surrogate pair stays whole.
  const cp = line.codePointAt(i) ?? c;
  const len = cp > 0xffff ? 2 : 1;
  return { text: line.slice(i, i + len), next: i + len };
}

/**
 * Index where a comment starts in `line[from..)` (outside quotes), or `line.length` when there is
 * none. Used by the line-level features (macro definitions and uses) that look at a line before it
 * is split into words.
 */
export function commentStart(line: string, from = 0): number {
  let quote = 0;
  for (let i = from; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (quote !== 0) {
      if (c === BACKSLASH) i++;
      else if (c === quote) quote = 0;
    } else if (c === DQUOTE || c === SQUOTE) {
      quote = c;
    } else if (c === HASH || c === BANG) {
      return i;
    }
  }
  return line.length;
}
