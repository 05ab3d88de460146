/**
 * The line-level features keepalived applies before it splits a line into words:
 *
 * - `@ID rest` keeps `rest` only when ID is the config id; `@^ID rest` only when it is not
 *   (keepalived.conf(5), "Conditional configuration and configuration id"). keepalived wants the
 *   `@` in the first column; halo also accepts it after indentation, which is how people indent
 *   blocks anyway.
 * - `$NAME=value` defines a macro (keepalived calls them parameters); a value ending with `\`
 *   continues on the next line, and such a multi-line value expands to several lines.
 * - `$NAME` and `${NAME}` are replaced anywhere in a line before the comment.
 *
 * Everything here is pure and works on indexes into the original line so that every word keeps
 * its column, also after macro expansion (expanded text points at the `$` of its use).
 */
import { commentStart, isSpaceCode } from './lexer.js';

export type ConditionalResult =
  | { readonly kind: 'none' }
  /** The line is kept; its content starts at `from`. */
  | { readonly kind: 'keep'; readonly from: number }
  | { readonly kind: 'drop' }
  /** `@` or `@^` with no id after it: start and end of the bad prefix. */
  | { readonly kind: 'bad'; readonly start: number; readonly end: number };

const AT = 0x40;
const CARET = 0x5e;
const DOLLAR = 0x24;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const EQUALS = 0x3d;

/** Reads an `@ID` / `@^ID` prefix at `at` (the first non-blank index of the line). */
export function conditional(line: string, at: number, configId: string): ConditionalResult {
  if (line.charCodeAt(at) !== AT) return { kind: 'none' };
  let i = at + 1;
  const negate = line.charCodeAt(i) === CARET;
  if (negate) i++;
  const idStart = i;
  while (i < line.length && !isSpaceCode(line.charCodeAt(i))) i++;
  if (i === idStart) return { kind: 'bad', start: at, end: i };
  const matches = line.slice(idStart, i) === configId;
  if (matches === negate) return { kind: 'drop' };
  while (i < line.length && isSpaceCode(line.charCodeAt(i))) i++;
  return { kind: 'keep', from: i };
}

function isNameStart(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 0x30 && c <= 0x39);
}

export type DefinitionMatch =
  | { readonly kind: 'def'; readonly name: string; readonly valueStart: number }
  /** A line that starts like a definition (`$...=`) but whose name is not valid. */
  | { readonly kind: 'bad'; readonly start: number; readonly end: number };

/**
 * Recognises `$NAME=value` at `at` (the first non-blank index after any conditional). The `=`
 * follows the name directly: keepalived reads `$NAME = value` as a line that uses $NAME, and so
 * does halo. Returns null when the line is not a definition (for instance a line that starts
 * with a `$NAME` use).
 */
export function matchDefinition(line: string, at: number): DefinitionMatch | null {
  if (line.charCodeAt(at) !== DOLLAR) return null;
  let i = at + 1;
  while (i < line.length && isNameChar(line.charCodeAt(i))) i++;
  if (line.charCodeAt(i) !== EQUALS) return null;
  // `$=x` or `$1=x`: looks like a definition, is not a valid one.
  if (i === at + 1 || !isNameStart(line.charCodeAt(at + 1))) return { kind: 'bad', start: at, end: i + 1 };
  return { kind: 'def', name: line.slice(at + 1, i), valueStart: i + 1 };
}

/** The value part of a definition line: comment removed, blanks trimmed, continuation flagged. */
export function definitionValue(line: string, from: number): { value: string; continues: boolean } {
  let end = commentStart(line, from);
  while (end > from && isSpaceCode(line.charCodeAt(end - 1))) end--;
  let start = from;
  while (start < end && isSpaceCode(line.charCodeAt(start))) start++;
  if (end > start && line.charCodeAt(end - 1) === 0x5c) {
    let e = end - 1;
    while (e > start && isSpaceCode(line.charCodeAt(e - 1))) e--;
    return { value: line.slice(start, e), continues: true };
  }
  return { value: line.slice(start, end), continues: false };
}

export interface MacroUse {
  readonly name: string;
  /** Index of the `$` in the line. */
  readonly start: number;
  /** Index after the use (after `}` for `${NAME}`). */
  readonly end: number;
}

export interface Expansion {
  /** The line with uses replaced. May hold `\n` when a multi-line macro was used. */
  readonly text: string;
  /** For each index of `text` (and one past its end), the index in the original line. */
  readonly origin: Int32Array;
}

/** Looks up macro values; `undefined` for a name never defined. */
export type MacroLookup = (name: string) => string | undefined;

/**
 * Replaces `$NAME` / `${NAME}` uses in `line[from..to)`. Returns null when the range holds no
 * defined use (the common case, so callers keep the original line and its columns as they are).
 * Uses of undefined names are left as written and reported through `onUndefined`.
 */
export function expandMacros(
  line: string,
  from: number,
  to: number,
  lookup: MacroLookup,
  onUndefined: (use: MacroUse) => void,
): Expansion | null {
  let i = line.indexOf('$', from);
  if (i < 0 || i >= to) return null;
  const parts: string[] = [];
  const originParts: Array<{ origin: number; length: number; fixed: boolean }> = [];
  let copied = from;
  let replaced = false;
  // Bounded: every iteration moves i forward.
  while (i >= 0 && i < to) {
    const use = readUse(line, i, to);
    if (use === null) {
      i = line.indexOf('$', i + 1);
      continue;
    }
    const value = lookup(use.name);
    if (value === undefined) {
      onUndefined(use);
    } else {
      parts.push(line.slice(copied, use.start), value);
      originParts.push({ origin: copied, length: use.start - copied, fixed: false }, { origin: use.start, length: value.length, fixed: true });
      copied = use.end;
      replaced = true;
    }
    i = line.indexOf('$', use.end);
  }
  if (!replaced) return null;
  parts.push(line.slice(copied, to));
  originParts.push({ origin: copied, length: to - copied, fixed: false });
  const text = parts.join('');
  const origin = new Int32Array(text.length + 1);
  let k = 0;
  for (const p of originParts) {
    for (let j = 0; j < p.length; j++) origin[k++] = p.fixed ? p.origin : p.origin + j;
  }
  origin[k] = to;
  return { text, origin };
}

/** Reads a use at `at` (a `$`): `$NAME` or `${NAME}`; null when what follows is not a name. */
export function readUse(line: string, at: number, to: number): MacroUse | null {
  let i = at + 1;
  if (line.charCodeAt(i) === LBRACE) {
    i++;
    const nameStart = i;
    while (i < to && isNameChar(line.charCodeAt(i))) i++;
    if (i === nameStart || line.charCodeAt(i) !== RBRACE || !isNameStart(line.charCodeAt(nameStart))) return null;
    return { name: line.slice(nameStart, i), start: at, end: i + 1 };
  }
  if (i >= to || !isNameStart(line.charCodeAt(i))) return null;
  const nameStart = i;
  while (i < to && isNameChar(line.charCodeAt(i))) i++;
  return { name: line.slice(nameStart, i), start: at, end: i };
}

export type SeqMatch =
  | {
      readonly kind: 'seq';
      readonly name: string;
      readonly start: number;
      readonly step: number;
      readonly end: number;
      /** Index where the repeated text starts (after `)` and blanks). */
      readonly restFrom: number;
    }
  | { readonly kind: 'bad'; readonly start: number; readonly end: number; readonly why: string };

/** Largest number of lines one `~SEQ` may produce; keepalived has no bound, halo keeps one. */
export const SEQ_COUNT_MAX = 100_000;

/**
 * Recognises `~SEQ(VAR, END)`, `~SEQ(VAR, START, END)` or `~SEQ(VAR, START, STEP, END)` at `at`:
 * the rest of the line is repeated with `$VAR` set to each value from START (default 1) by STEP
 * (default 1, may be negative) while not past END, as keepalived 2.2 does. Null when the line
 * does not start with `~SEQ(`.
 */
export function matchSeq(line: string, at: number): SeqMatch | null {
  if (!line.startsWith('~SEQ(', at)) return null;
  const close = line.indexOf(')', at + 5);
  if (close < 0) return { kind: 'bad', start: at, end: line.length, why: 'no closing `)`' };
  const parts = line.slice(at + 5, close).split(',').map((p) => p.trim());
  const bad = (why: string): SeqMatch => ({ kind: 'bad', start: at, end: close + 1, why });
  if (parts.length < 2 || parts.length > 4) return bad('write ~SEQ(VAR, END), ~SEQ(VAR, START, END) or ~SEQ(VAR, START, STEP, END)');
  const name = parts[0] ?? '';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return bad(`\`${name}\` is not a macro name`);
  const nums: number[] = [];
  for (const p of parts.slice(1)) {
    if (!/^-?\d{1,9}$/.test(p)) return bad(`\`${p}\` is not an integer`);
    nums.push(Number(p));
  }
  const [start, step, end] = nums.length === 1 ? [1, 1, nums[0] ?? 0] : nums.length === 2 ? [nums[0] ?? 0, 1, nums[1] ?? 0] : [nums[0] ?? 0, nums[1] ?? 0, nums[2] ?? 0];
  if (step === 0) return bad('the step is 0');
  const count = step > 0 ? Math.floor((end - start) / step) + 1 : Math.floor((start - end) / -step) + 1;
  if (count > SEQ_COUNT_MAX) return bad(`it makes ${count} lines, more than ${SEQ_COUNT_MAX}`);
  let restFrom = close + 1;
  while (restFrom < line.length && isSpaceCode(line.charCodeAt(restFrom))) restFrom++;
  return { kind: 'seq', name, start, step, end, restFrom };
}

/** The values of a sequence, in order. */
export function seqValues(seq: { start: number; step: number; end: number }): number[] {
  const out: number[] = [];
  // Bounded by SEQ_COUNT_MAX through matchSeq's check.
  if (seq.step > 0) for (let v = seq.start; v <= seq.end && out.length < SEQ_COUNT_MAX; v += seq.step) out.push(v);
  else if (seq.step < 0) for (let v = seq.start; v >= seq.end && out.length < SEQ_COUNT_MAX; v += seq.step) out.push(v);
  return out;
}
