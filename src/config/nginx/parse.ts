/**
 * nginx.conf syntax: a lexer and a block parser that follow nginx's own reader
 * (ngx_conf_read_token): directives end with `;` or open a block with `{`; `#` starts a comment
 * only where a word could start (`a#b` is one word); single and double quotes, with `\"`, `\'`,
 * `\\`, `\t`, `\r`, `\n` escapes; `${var}` keeps its brace inside a word; a closing quote must be
 * followed by a space, `;` or `{`. `include` is followed here, with globs, relative paths taken from
 * the directory of the main config file (nginx's conf prefix), each file parsed as if its text
 * stood in place of the include.
 *
 * Produces the statement tree of src/config/tree.ts (every word positioned, with its include
 * chain) and diagnostics; never throws, whatever the input.
 */
import type { Diagnostic, SourcePos } from '../../core/diagnostic.js';
import type { ConfNode, ConfigSource, Word } from '../tree.js';

export const NGINX_INCLUDE_DEPTH_MAX = 16;
/** Bound on words in one file (a runaway file cannot exhaust memory through the tree). */
export const NGINX_WORDS_PER_FILE_MAX = 1_000_000;

type Token =
  | { readonly kind: 'word'; readonly word: Word }
  | { readonly kind: ';' | '{' | '}' | 'eof'; readonly pos: SourcePos };

/** Splits one file into tokens, reporting syntax problems as diagnostics. */
export function lexNginx(text: string, file: string, includeChain: readonly SourcePos[], diagnostics: Diagnostic[]): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const n = text.length;
  const here = (at: number): SourcePos => ({ file, line, col: at - lineStart + 1 });
  const diag = (d: Omit<Diagnostic, 'includeChain'>): void => {
    diagnostics.push(includeChain.length > 0 ? { ...d, includeChain } : d);
  };
  const newline = (at: number): void => {
    line += 1;
    lineStart = at + 1;
  };

  while (i < n && tokens.length < NGINX_WORDS_PER_FILE_MAX) {
    const ch = text[i];
    if (ch === '\n') {
      newline(i);
      i++;
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\r') {
      i++;
      continue;
    }
    if (ch === ';' || ch === '{' || ch === '}') {
      tokens.push({ kind: ch, pos: here(i) });
      i++;
      continue;
    }
    if (ch === '#') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    const start = here(i);
    if (ch === '"' || ch === "'") {
      const quote = ch;
      let raw = '';
      i++;
      let closed = false;
      while (i < n) {
        const c = text[i] ?? '';
        if (c === '\\' && i + 1 < n) {
          raw += c + (text[i + 1] ?? '');
          if (text[i + 1] === '\n') newline(i + 1);
          i += 2;
          continue;
        }
        if (c === quote) {
          closed = true;
          i++;
          break;
        }
        if (c === '\n') newline(i);
        raw += c;
        i++;
      }
      if (!closed) {
        diag({ severity: 'error', code: 'HALO_NGX_UNTERMINATED_STRING', message: `Quoted string is not closed: ${quote}${raw.slice(0, 20)}`, pos: start });
        tokens.push({ kind: 'word', word: { text: unescape(raw), quoted: true, pos: start, includeChain } });
        break;
      }
      tokens.push({ kind: 'word', word: { text: unescape(raw), quoted: true, pos: start, includeChain } });
      // nginx: after a closing quote comes a space, `;` or `{` ("unexpected ..." otherwise).
      const next = text[i];
      if (next !== undefined && !' \t\r\n;{'.includes(next)) {
        diag({ severity: 'error', code: 'HALO_NGX_UNEXPECTED', message: `Unexpected character after a quoted string: ${next}`, pos: here(i) });
      }
      continue;
    }
    // An unquoted word: up to a space, `;` or `{` (but `${` stays in the word); a backslash
    // escapes the next character.
    let raw = '';
    while (i < n) {
      const c = text[i] ?? '';
      if (c === '\\' && i + 1 < n && text[i + 1] !== '\n') {
        raw += c + (text[i + 1] ?? '');
        i += 2;
        continue;
      }
      if (c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === ';') break;
      if (c === '{' && !raw.endsWith('$')) break;
      raw += c;
      i++;
    }
    tokens.push({ kind: 'word', word: { text: unescape(raw), quoted: false, pos: start, includeChain } });
  }
  if (i < n) {
    diag({ severity: 'error', code: 'HALO_NGX_UNEXPECTED', message: `File too large: more than ${NGINX_WORDS_PER_FILE_MAX} words, the rest is not read`, pos: here(i) });
  }
  tokens.push({ kind: 'eof', pos: here(i) });
  return tokens;
}

/** nginx's escape handling: `\"`, `\'`, `\\` drop the backslash, `\t \r \n` become controls. */
function unescape(raw: string): string {
  if (!raw.includes('\\')) return raw;
  let out = '';
  for (let k = 0; k < raw.length; k++) {
    const c = raw[k] ?? '';
    if (c === '\\' && k + 1 < raw.length) {
      const e = raw[k + 1] ?? '';
      if (e === '"' || e === "'" || e === '\\') {
        out += e;
        k++;
        continue;
      }
      if (e === 't' || e === 'r' || e === 'n') {
        out += e === 't' ? '\t' : e === 'r' ? '\r' : '\n';
        k++;
        continue;
      }
    }
    out += c;
  }
  return out;
}

export interface NginxParseResult {
  readonly nodes: readonly ConfNode[];
  readonly diagnostics: readonly Diagnostic[];
  /** Every file read, entry file first. */
  readonly files: ReadonlyMap<string, string>;
}

export function dirname(path: string): string {
  const k = path.lastIndexOf('/');
  return k <= 0 ? '/' : path.slice(0, k);
}

/** Joins a relative path to a directory, resolving `.` and `..` textually. */
export function resolvePath(dir: string, path: string): string {
  const parts = (path.startsWith('/') ? path : `${dir}/${path}`).split('/');
  const out: string[] = [];
  for (const p of parts) {
    if (p === '' || p === '.') continue;
    if (p === '..') out.pop();
    else out.push(p);
  }
  return '/' + out.join('/');
}

const GLOB_CHARS = /[*?[{]/;

/**
 * Parses `entryFile` and everything it includes. `mime.types` includes are not followed: the
 * MIME table only matters for serving files, and nginx's stock configs include it by a path that
 * rarely exists on a halo host; an info diagnostic says so.
 */
export function parseNginx(entryFile: string, source: ConfigSource): NginxParseResult {
  const diagnostics: Diagnostic[] = [];
  const files = new Map<string, string>();
  const prefix = dirname(entryFile);

  const read = (path: string, chain: readonly SourcePos[], at: SourcePos | undefined): Token[] | undefined => {
    const got = source.readFile(path);
    if (!got.ok) {
      diagnostics.push({
        severity: 'error',
        code: 'HALO_NGX_CANNOT_READ',
        message: `Cannot read ${path}: ${got.error}`,
        ...(at !== undefined ? { pos: at } : {}),
        ...(chain.length > 1 ? { includeChain: chain.slice(0, -1) } : {}),
      });
      return undefined;
    }
    if (!files.has(path)) files.set(path, got.text);
    return lexNginx(got.text, path, chain, diagnostics);
  };

  /** Parses statements until `}` (inBlock) or end of file; returns them and where it stopped. */
  const parseTokens = (tokens: Token[], chain: readonly SourcePos[], fileStack: readonly string[]): ConfNode[] => {
    let k = 0;
    const parseBlock = (inBlock: boolean, depth: number): { nodes: ConfNode[]; end?: SourcePos } => {
      const nodes: ConfNode[] = [];
      let words: Word[] = [];
      while (k < tokens.length) {
        const t = tokens[k++];
        if (t === undefined) break;
        if (t.kind === 'word') {
          words.push(t.word);
          continue;
        }
        if (t.kind === ';') {
          const [keyword, ...args] = words;
          words = [];
          if (keyword === undefined) {
            diagnostics.push(withChain({ severity: 'error', code: 'HALO_NGX_UNEXPECTED', message: 'Unexpected ;', pos: t.pos }, chain));
            continue;
          }
          if (keyword.text === 'include' && !keyword.quoted) {
            nodes.push(...include(keyword, args, chain, fileStack));
            continue;
          }
          nodes.push({ keyword, args, block: null });
          continue;
        }
        if (t.kind === '{') {
          const [keyword, ...args] = words;
          words = [];
          if (depth >= 64) {
            diagnostics.push(withChain({ severity: 'error', code: 'HALO_NGX_UNEXPECTED', message: 'Blocks nest too deep: more than 64 levels', pos: t.pos }, chain));
            return { nodes };
          }
          const inner = parseBlock(true, depth + 1);
          if (keyword === undefined) {
            diagnostics.push(withChain({ severity: 'error', code: 'HALO_NGX_UNEXPECTED', message: 'Unexpected {', pos: t.pos }, chain));
            continue;
          }
          nodes.push({ keyword, args, block: inner.nodes, ...(inner.end !== undefined ? { blockEnd: inner.end } : {}) });
          continue;
        }
        if (t.kind === '}') {
          if (words.length > 0) {
            diagnostics.push(withChain({ severity: 'error', code: 'HALO_NGX_UNEXPECTED', message: `Unexpected }: the directive ${words[0]?.text ?? ''} has no ;`, pos: t.pos }, chain));
            const [keyword, ...args] = words;
            if (keyword !== undefined) nodes.push({ keyword, args, block: null });
            words = [];
          }
          if (inBlock) return { nodes, end: t.pos };
          diagnostics.push(withChain({ severity: 'error', code: 'HALO_NGX_UNEXPECTED', message: 'Unexpected }', pos: t.pos }, chain));
          continue;
        }
        // end of file
        if (words.length > 0) {
          diagnostics.push(withChain({ severity: 'error', code: 'HALO_NGX_UNEXPECTED', message: `Unexpected end of file, expecting ; or }: after ${words[0]?.text ?? ''}`, pos: t.pos }, chain));
          const [keyword, ...args] = words;
          if (keyword !== undefined) nodes.push({ keyword, args, block: null });
        } else if (inBlock) {
          diagnostics.push(withChain({ severity: 'error', code: 'HALO_NGX_UNEXPECTED', message: 'Unexpected end of file, expecting }', pos: t.pos }, chain));
        }
        return { nodes };
      }
      return { nodes };
    };
    return parseBlock(false, 0).nodes;
  };

  const include = (keyword: Word, args: readonly Word[], chain: readonly SourcePos[], fileStack: readonly string[]): ConfNode[] => {
    const arg = args[0];
    if (args.length !== 1 || arg === undefined) {
      diagnostics.push(withChain({ severity: 'error', code: 'HALO_NGX_ARGS', message: `Invalid number of arguments in include: ${args.length} (it takes one path)`, pos: keyword.pos }, chain));
      return [];
    }
    const pattern = resolvePath(prefix, arg.text);
    if (/(^|\/)mime\.types$/.test(pattern)) {
      diagnostics.push(withChain({ severity: 'info', code: 'HALO_NGX_IGNORED', message: `Ignored because halo serves no files: include ${arg.text}`, pos: keyword.pos }, chain));
      return [];
    }
    if (chain.length >= NGINX_INCLUDE_DEPTH_MAX) {
      diagnostics.push(withChain({ severity: 'error', code: 'HALO_NGX_INCLUDE', message: `Includes nest deeper than ${NGINX_INCLUDE_DEPTH_MAX}: ${arg.text}`, pos: arg.pos }, chain));
      return [];
    }
    let paths: readonly string[];
    if (GLOB_CHARS.test(arg.text)) {
      paths = source.glob(pattern);
      // nginx accepts a glob that matches nothing; so does halo, with a note.
      if (paths.length === 0) {
        diagnostics.push(withChain({ severity: 'info', code: 'HALO_NGX_INCLUDE', message: `Include matches no file: ${arg.text}`, pos: arg.pos, length: arg.text.length }, chain));
      }
    } else {
      paths = [pattern];
    }
    const out: ConfNode[] = [];
    for (const path of paths) {
      if (fileStack.includes(path)) {
        diagnostics.push(withChain({ severity: 'error', code: 'HALO_NGX_INCLUDE', message: `Include cycle: ${path} includes itself`, pos: arg.pos, length: arg.text.length }, chain));
        continue;
      }
      const innerChain = [...chain, keyword.pos];
      const tokens = read(path, innerChain, arg.pos);
      if (tokens === undefined) continue;
      out.push(...parseTokens(tokens, innerChain, [...fileStack, path]));
    }
    return out;
  };

  const tokens = read(entryFile, [], undefined);
  const nodes = tokens === undefined ? [] : parseTokens(tokens, [], [entryFile]);
  return { nodes, diagnostics, files };
}

function withChain(d: Diagnostic, chain: readonly SourcePos[]): Diagnostic {
  return chain.length > 0 ? { ...d, includeChain: chain } : d;
}
