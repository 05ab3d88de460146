/**
 * Diagnostics as text for a terminal, in the style of compilers:
 *
 *   /etc/keepalived/keepalived.conf:7:5: error HALO_CFG_UNCLOSED_BLOCK: Block is never closed: ...
 *       7 |     authentication {
 *         |                    ^
 *     included from /etc/keepalived/main.conf:3:1
 *     hint: add the missing `}`
 *
 * The caret line is computed in display columns: tabs expand to the next multiple of 8, East Asian
 * wide characters take two columns, combining marks none, so the caret stands under the word also
 * on lines with Chinese comments. Very long lines (a config that lost its line breaks is one
 * line) are cut to a window around the caret.
 */
import type { Diagnostic } from '../core/diagnostic.js';

const TAB_STOP = 8;
/** Display columns of source shown around the caret on long lines. */
const WINDOW_COLS = 100;
const WINDOW_BEFORE = 40;

export interface RenderOptions {
  /** Width of the source window on long lines (default 100 columns). */
  readonly windowCols?: number;
}

export function renderDiagnostic(d: Diagnostic, files: ReadonlyMap<string, string>, options: RenderOptions = {}): string {
  const out: string[] = [];
  const where = d.pos === undefined ? '' : `${d.pos.file}:${d.pos.line}:${d.pos.col}: `;
  out.push(`${where}${d.severity} ${d.code}: ${d.message}`);
  if (d.pos !== undefined) {
    const text = files.get(d.pos.file);
    const line = text === undefined ? undefined : lineAt(text, d.pos.line);
    if (line !== undefined) out.push(...snippet(line, d.pos.line, d.pos.col, d.length ?? 1, options.windowCols ?? WINDOW_COLS));
  }
  const chain = d.includeChain ?? [];
  for (let i = chain.length - 1; i >= 0; i--) {
    const p = chain[i];
    if (p !== undefined) out.push(`    included from ${p.file}:${p.line}:${p.col}`);
  }
  if (d.hint !== undefined) out.push(`    hint: ${d.hint}`);
  return out.join('\n') + '\n';
}

/** `2 errors, 1 warning` (and `, 3 notes` for info diagnostics when there are any). */
export function summaryLine(diagnostics: readonly Diagnostic[]): string {
  let errors = 0;
  let warnings = 0;
  let infos = 0;
  for (const d of diagnostics) {
    if (d.severity === 'error') errors++;
    else if (d.severity === 'warning') warnings++;
    else infos++;
  }
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `${plural(errors, 'error')}, ${plural(warnings, 'warning')}` + (infos > 0 ? `, ${plural(infos, 'note')}` : '');
}

/** The 1-based line `lineNo` of `text` without its line end; undefined past the end. */
export function lineAt(text: string, lineNo: number): string | undefined {
  let start = 0;
  for (let n = 1; n < lineNo; n++) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) return undefined;
    start = nl + 1;
  }
  const nl = text.indexOf('\n', start);
  let line = text.slice(start, nl < 0 ? text.length : nl);
  if (line.endsWith('\r')) line = line.slice(0, -1);
  return line;
}

/** Display width of one code point. */
export function charWidth(cp: number): number {
  if (cp === 0) return 0;
  if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0xfe00 && cp <= 0xfe0f) || cp === 0xfeff) return 0;
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

/**
 * The line as displayed (tabs expanded, control characters as `?`) and, for every UTF-16 index of
 * the line and one past its end, the display column where that index starts.
 */
function layout(line: string): { shown: Array<{ text: string; width: number }>; colAt: Int32Array } {
  const shown: Array<{ text: string; width: number }> = [];
  const colAt = new Int32Array(line.length + 1);
  let col = 0;
  let i = 0;
  while (i < line.length) {
    const cp = line.codePointAt(i) ?? 0;
    const units = cp > 0xffff ? 2 : 1;
    for (let k = 0; k < units; k++) colAt[i + k] = col;
    if (cp === 0x09) {
      const w = TAB_STOP - (col % TAB_STOP);
      shown.push({ text: ' '.repeat(w), width: w });
      col += w;
    } else if (cp < 0x20 || cp === 0x7f) {
      shown.push({ text: '?', width: 1 });
      col += 1;
    } else {
      const w = charWidth(cp);
      shown.push({ text: line.slice(i, i + units), width: w });
      col += w;
    }
    i += units;
  }
  colAt[line.length] = col;
  return { shown, colAt };
}

function snippet(line: string, lineNo: number, col: number, length: number, windowCols: number): string[] {
  const start = Math.min(Math.max(col - 1, 0), line.length);
  const end = Math.min(Math.max(start + Math.max(length, 1), start), line.length);
  const { shown, colAt } = layout(line);
  const caretFrom = colAt[start] ?? 0;
  const caretTo = Math.max(colAt[end] ?? caretFrom, caretFrom + 1);
  const total = colAt[line.length] ?? 0;

  // Window [from, to) in display columns.
  let from = 0;
  let to = total;
  if (total > windowCols) {
    from = Math.max(0, Math.min(caretFrom - WINDOW_BEFORE, total - windowCols));
    to = Math.min(total, from + windowCols);
  }
  let textStartCol = -1;
  let col0 = 0;
  const parts: string[] = [];
  for (const piece of shown) {
    if (col0 >= from && col0 + piece.width <= to) {
      if (textStartCol < 0) textStartCol = col0;
      parts.push(piece.text);
    }
    col0 += piece.width;
  }
  const text = parts.join('');
  if (textStartCol < 0) textStartCol = from;
  const cutLeft = textStartCol > 0;
  const cutRight = from + windowCols < total && total > windowCols;
  const gutter = String(lineNo);
  const pad = ' '.repeat(gutter.length);
  const lead = cutLeft ? '…' : '';
  const caretPad = ' '.repeat(Math.max(0, caretFrom - textStartCol) + (cutLeft ? 1 : 0));
  const caretWidth = Math.max(1, Math.min(caretTo, Math.max(to, caretFrom + 1)) - caretFrom);
  return [`    ${gutter} | ${lead}${text.trimEnd()}${cutRight ? '…' : ''}`, `    ${pad} | ${caretPad}^${'~'.repeat(caretWidth - 1)}`];
}
