/**
 * keepalived.conf syntax: files (include), line features (`@` conditionals, `$` macros), words
 * (lexer.ts) and blocks, into a tree of statements that keep their positions. The keyword schema
 * is not known here: the model layer gives a StatementShape oracle, used only to separate
 * statements that were joined on one line.
 *
 * Pure: files come in through ConfigSource; problems are returned as diagnostics; never throws.
 */
import { posix } from 'node:path';
import type { Diagnostic, Severity, SourcePos } from '../core/diagnostic.js';
import type { ErrorCode } from '../core/errors/index.js';
import { expandBraces, hasGlobMagic } from './glob.js';
import { commentStart, InternTable, isSpaceCode, lexText, type LexSink } from './lexer.js';
import { conditional, definitionValue, expandMacros, matchDefinition, matchSeq, seqValues, type Expansion, type MacroUse } from './preprocess.js';
import type { ConfigSource, ParseOptions, ParsedConfig, StatementShape, Word } from './tree.js';

/**
 * Nested include levels halo follows. keepalived 2.2.7 has no bound and no cycle check: a file
 * that includes itself is read until the process runs out of file descriptors (measured: about
 * 80,000 times). 20 leaves room for any real layout; a cycle is reported as such before it.
 */
export const INCLUDE_DEPTH_MAX_DEFAULT = 20;

/** Runs up to this many words get a reused array of texts for the shape oracle. */
const TEXTS_REUSE_MAX = 16;

/** At most this many keywords are named in one HALO_CFG_JOINED_LINES message. */
const JOINED_NAMES_MAX = 6;

/** The file a word was read from and the include chain that led there: one per file read. */
interface FileRef {
  readonly file: string;
  readonly chain: readonly SourcePos[];
}

/**
 * A word as the parser makes it. A config has a few hundred thousand words, all alive until the
 * model is built, and a SourcePos object each would double the objects the garbage collector must
 * copy: the position is kept as numbers and its object is made on first use (the same object on
 * every later use, since model nodes keep it and load.ts maps include chains by it).
 */
class ParsedWord implements Word {
  private posObject: SourcePos | null = null;

  constructor(
    readonly text: string,
    readonly quoted: boolean,
    readonly fileRef: FileRef,
    readonly lineNo: number,
    readonly colNo: number,
  ) {}

  get pos(): SourcePos {
    return (this.posObject ??= { file: this.fileRef.file, line: this.lineNo, col: this.colNo });
  }

  get includeChain(): readonly SourcePos[] {
    return this.fileRef.chain;
  }
}

interface MutNode {
  keyword: Word;
  args: Word[];
  block: MutNode[] | null;
  blockEnd?: SourcePos;
}

interface Frame {
  readonly keyword: string;
  readonly nodes: MutNode[];
  readonly owner: MutNode | null;
  readonly open: SourcePos;
  readonly openChain: readonly SourcePos[];
  /** True once a statement of the block was indented deeper than the block's keyword. */
  indented: boolean;
  /**
   * The first later statement indented no deeper than the block's keyword: where the missing `}`
   * most likely belongs when the block is never closed.
   */
  dedent: Word | null;
}

interface PendingDefinition {
  readonly name: string;
  readonly parts: string[];
  readonly pos: SourcePos;
  readonly chain: readonly SourcePos[];
}

/** Parses keepalived.conf starting at `entryFile` (an absolute path). Never throws. */
export function parseConfig(entryFile: string, source: ConfigSource, options: ParseOptions): ParsedConfig {
  const parser = new Parser(source, options);
  return parser.parse(entryFile);
}

class Parser implements LexSink {
  private readonly diagnostics: Diagnostic[] = [];
  private readonly files = new Map<string, string>();
  private readonly macros = new Map<string, string>();
  private readonly root: MutNode[] = [];
  private readonly frames: Frame[] = [];
  /** Keywords of the open blocks, outermost first (what the shape oracle gets). */
  private readonly parents: string[] = [];
  /** Words of the statement being read (up to the next brace or line end). */
  private readonly run: Word[] = [];
  /** How many words of `run` belong to the statement being read (the buffer is reused, never shrunk). */
  private runLength = 0;
  /** A statement that ended at a line end without a block: a `{` first on a later line opens its block. */
  private candidate: MutNode | null = null;
  private tokensOnLine = 0;
  /** Keywords where statements joined on the current source line were separated. */
  private joinedSplits: Word[] = [];
  private lastJoinedKey = '';
  private readonly undefinedSeen = new Set<string>();
  /** Files being read, outermost first, to detect include cycles. */
  private readonly reading: string[] = [];
  private pendingDef: PendingDefinition | null = null;
  // The line being lexed (LexSink context): words get `col = origin[start] + 1` after macro
  // expansion, else `col = start - lineBase + 1`.
  private curFile = '';
  private curLine = 0;
  private curChain: readonly SourcePos[] = [];
  private curRef: FileRef = { file: '', chain: [] };
  private readonly intern = new InternTable();
  /** The texts of the run for the shape oracle: one reused array per run length (short runs). */
  private readonly textsByLength: string[][] = [];
  private curBase = 0;
  private curOrigin: Int32Array | null = null;
  private curText = '';
  private curEnd = 0;
  private readonly configId: string;
  private readonly shape: StatementShape | undefined;
  private readonly includeDepthMax: number;

  constructor(
    private readonly source: ConfigSource,
    options: ParseOptions,
  ) {
    this.configId = options.configId;
    this.shape = options.shape;
    this.includeDepthMax = options.includeDepthMax ?? INCLUDE_DEPTH_MAX_DEFAULT;
  }

  parse(entryFile: string): ParsedConfig {
    const read = this.readFile(entryFile);
    if (!read.ok) {
      this.report('error', 'HALO_CFG_CANNOT_READ', `Cannot read configuration file ${entryFile}: ${read.error}`);
    } else {
      this.readText(entryFile, read.text, []);
      this.finish();
    }
    return { nodes: this.root, diagnostics: this.diagnostics, files: this.files };
  }

  /** The source port is outside halo's control: a throwing implementation becomes a read error. */
  private readFile(path: string): ReturnType<ConfigSource['readFile']> {
    try {
      return this.source.readFile(path);
    } catch (err) {
      return { ok: false, error: err instanceof Error ? err.message : String(err), missing: false };
    }
  }

  private glob(pattern: string): readonly string[] {
    try {
      return this.source.glob(pattern);
    } catch {
      return [];
    }
  }

  // ---- files and lines ---------------------------------------------------------------------

  private readText(file: string, text: string, chain: readonly SourcePos[]): void {
    if (!this.files.has(file)) this.files.set(file, text);
    this.reading.push(file);
    // Lines are index ranges of the file's text: no string per line on the common path.
    let dollar = text.indexOf('$');
    let start = 0;
    for (let lineNo = 1; ; lineNo++) {
      const nl = text.indexOf('\n', start);
      const end = nl < 0 ? text.length : nl;
      if (dollar >= 0 && dollar < start) dollar = text.indexOf('$', start);
      this.lineRange(file, text, start, end, lineNo, chain, dollar >= 0 && dollar < end);
      if (nl < 0) break;
      start = nl + 1;
    }
    // A multi-line definition does not continue into the next file.
    this.finishDefinition();
    this.reading.pop();
  }

  /** The common path: a line with no `$`, `@` or include is lexed in place. */
  private lineRange(file: string, text: string, start: number, end: number, lineNo: number, chain: readonly SourcePos[], hasDollar: boolean): void {
    if (this.pendingDef === null && !hasDollar) {
      let i = start;
      while (i < end && isSpaceCode(text.charCodeAt(i))) i++;
      if (i >= end) return;
      const c = text.charCodeAt(i);
      if (c === 0x23 || c === 0x21) {
        // comment line
        if (this.shape !== undefined) this.checkComment(file, lineNo, chain, text, i, end, start, null);
        return;
      }
      if (c !== 0x40 && c !== 0x7e && !(c === 0x69 && isIncludeAt(text, i, end))) {
        this.beginLine();
        this.lex(file, lineNo, chain, text, i, end, start, null);
        this.endLine();
        this.endPhysicalLine(file, lineNo, chain);
        return;
      }
    }
    this.line(file, text.slice(start, end), lineNo, chain);
  }

  private line(file: string, line: string, lineNo: number, chain: readonly SourcePos[]): void {
    if (this.pendingDef !== null) {
      const v = definitionValue(line, 0);
      this.pendingDef.parts.push(v.value);
      if (!v.continues) this.finishDefinition();
      return;
    }
    let i = 0;
    const len = line.length;
    while (i < len && isSpaceCode(line.charCodeAt(i))) i++;
    if (i >= len) return;
    let c = line.charCodeAt(i);
    if (c === 0x23 || c === 0x21) {
      // comment line
      if (this.shape !== undefined) this.checkComment(file, lineNo, chain, line, i, len, 0, null);
      return;
    }

    if (c === 0x40) {
      // `@ID` / `@^ID` conditional line
      const cond = conditional(line, i, this.configId);
      if (cond.kind === 'bad') {
        this.report('error', 'HALO_CFG_BAD_CONDITIONAL', 'Conditional line names no config id: write `@ID` or `@^ID` with no space after `@`', {
          pos: { file, line: lineNo, col: cond.start + 1 },
          length: cond.end - cond.start,
          chain,
        });
        return;
      }
      if (cond.kind === 'drop') return;
      if (cond.kind === 'keep') {
        i = cond.from;
        if (i >= len) return;
        c = line.charCodeAt(i);
      }
    }

    // `include` is a line of its own, recognised before macros (keepalived.conf(5)).
    if (c === 0x69 && isIncludeAt(line, i, len)) {
      this.include(file, line, i, lineNo, chain);
      return;
    }

    if (c === 0x24) {
      const def = matchDefinition(line, i);
      if (def !== null) {
        const pos = { file, line: lineNo, col: i + 1 };
        if (def.kind === 'bad') {
          this.report('error', 'HALO_CFG_BAD_MACRO', `Not a valid macro definition: ${line.slice(def.start, def.end)}`, {
            pos,
            length: def.end - def.start,
            chain,
            hint: 'a definition is `$NAME=value`, NAME of letters, digits and `_`',
          });
          return;
        }
        const v = definitionValue(line, def.valueStart);
        this.pendingDef = { name: def.name, parts: [v.value], pos, chain };
        if (!v.continues) this.finishDefinition();
        return;
      }
    }

    if (c === 0x7e) {
      const seq = matchSeq(line, i);
      if (seq !== null) {
        if (seq.kind === 'bad') {
          this.report('error', 'HALO_CFG_BAD_SEQ', `Not a valid ~SEQ: ${seq.why}`, {
            pos: { file, line: lineNo, col: seq.start + 1 },
            length: seq.end - seq.start,
            chain,
            hint: '~SEQ(VAR, START, STEP, END) repeats the rest of the line with $VAR from START to END',
          });
          return;
        }
        // The rest of the line once per value, with $VAR set; VAR's outer value comes back after.
        const outer = this.macros.get(seq.name);
        for (const v of seqValues(seq)) {
          this.macros.set(seq.name, String(v));
          this.lineContent(file, line, seq.restFrom, lineNo, chain);
        }
        if (outer === undefined) this.macros.delete(seq.name);
        else this.macros.set(seq.name, outer);
        return;
      }
    }

    this.lineContent(file, line, i, lineNo, chain);
  }

  /** Words of a line from `i` on, after macro expansion. */
  private lineContent(file: string, line: string, i: number, lineNo: number, chain: readonly SourcePos[]): void {
    const len = line.length;
    if (i >= len) return;
    this.beginLine();
    const dollar = line.indexOf('$', i);
    if (dollar >= 0) {
      const end = commentStart(line, i);
      if (dollar < end) {
        const exp = expandMacros(line, i, end, (name) => this.macros.get(name), (use) => this.undefinedMacro(file, lineNo, chain, use));
        if (exp !== null) {
          this.lexExpanded(file, lineNo, chain, exp);
          this.endPhysicalLine(file, lineNo, chain);
          return;
        }
      }
    }
    this.lex(file, lineNo, chain, line, i, len, 0, null);
    this.endLine();
    this.endPhysicalLine(file, lineNo, chain);
  }

  private undefinedMacro(file: string, lineNo: number, chain: readonly SourcePos[], use: MacroUse): void {
    // A ~SEQ line is expanded once per value: report each use once.
    const key = `${file}\n${lineNo}\n${use.start}`;
    if (this.undefinedSeen.has(key)) return;
    this.undefinedSeen.add(key);
    this.report('warning', 'HALO_CFG_UNDEFINED_MACRO', `Macro is not defined: $${use.name} (kept as written)`, {
      pos: { file, line: lineNo, col: use.start + 1 },
      length: use.end - use.start,
      chain,
      hint: `define it earlier with a line \`$${use.name}=value\``,
    });
  }

  private finishDefinition(): void {
    const def = this.pendingDef;
    if (def === null) return;
    this.pendingDef = null;
    let value = def.parts.join('\n');
    // Macros used in a value are expanded when it is defined, so a use can never recurse.
    const exp = expandMacros(value, 0, value.length, (name) => this.macros.get(name), (use) =>
      this.report('warning', 'HALO_CFG_UNDEFINED_MACRO', `Macro is not defined: $${use.name} (in the value of $${def.name}, kept as written)`, {
        pos: def.pos,
        length: def.name.length + 1,
        chain: def.chain,
      }),
    );
    if (exp !== null) value = exp.text;
    this.macros.set(def.name, value);
  }

  /**
   * `include PATH` and keepalived's checked variants: `includer` (an existing file must be
   * readable), `includem` (the pattern must match), `includew` (as m for halo: every wildcard
   * must match), `includeb` (every brace alternative must match) and `includea` (all checks). A
   * failed check is an error, and `keepalived -t` exits 6 for it; plain `include` stays silent.
   */
  private include(file: string, line: string, at: number, lineNo: number, chain: readonly SourcePos[]): void {
    const kwLength = includeKeywordLength(line, at, line.length);
    const keyword = line.slice(at, at + kwLength);
    const flag = kwLength === 8 ? line[at + 7] : '';
    const checkReadable = flag === 'r' || flag === 'a';
    const checkMatch = flag === 'm' || flag === 'w' || flag === 'a';
    const checkBraces = flag === 'b' || flag === 'a';
    const pos: SourcePos = { file, line: lineNo, col: at + 1 };
    const where = { pos, length: kwLength, chain };
    const pattern = includePattern(line, at + kwLength);
    if (pattern === null) {
      this.report('error', 'HALO_CFG_BAD_INCLUDE', `Include names no file: write \`${keyword} PATH\``, where);
      return;
    }
    const path = pattern.startsWith('/') ? posix.normalize(pattern) : posix.join(posix.dirname(file), pattern);
    if (chain.length >= this.includeDepthMax) {
      this.report('error', 'HALO_CFG_INCLUDE_DEPTH', `Includes nested deeper than ${this.includeDepthMax} levels: ${path} is not read`, {
        ...where,
        hint: 'an included file probably includes itself through a pattern, or the include layout is too deep',
      });
      return;
    }
    const inner: readonly SourcePos[] = [...chain, pos];
    let targets: readonly string[];
    if (hasGlobMagic(path)) {
      targets = this.glob(path);
      if (checkBraces) {
        for (const alt of expandBraces(path)) {
          if (alt !== path && (hasGlobMagic(alt) ? this.glob(alt).length === 0 : !this.readFile(alt).ok)) {
            this.report('error', 'HALO_CFG_INCLUDE_CHECK', `${keyword}: brace alternative matches no file: ${alt}`, where);
          }
        }
      }
      if (targets.length === 0) {
        if (checkMatch) this.report('error', 'HALO_CFG_INCLUDE_CHECK', `${keyword}: pattern matches no file: ${path}`, where);
        else if (!checkBraces) this.report('info', 'HALO_CFG_INCLUDE_MISSING', `Include pattern matches no file: ${path}`, where);
        return;
      }
    } else {
      targets = [path];
    }
    for (const target of targets) {
      if (this.reading.includes(target)) {
        const from = this.reading.indexOf(target);
        const cycle = [...this.reading.slice(from), target].join(' -> ');
        this.report('error', 'HALO_CFG_INCLUDE_CYCLE', `Include cycle: ${cycle}`, where);
        continue;
      }
      const read = this.readFile(target);
      if (!read.ok) {
        if (read.missing) {
          if (checkMatch) this.report('error', 'HALO_CFG_INCLUDE_CHECK', `${keyword}: included file does not exist: ${target}`, where);
          else this.report('info', 'HALO_CFG_INCLUDE_MISSING', `Included file does not exist: ${target}`, where);
        } else if (checkReadable) {
          this.report('error', 'HALO_CFG_INCLUDE_CHECK', `${keyword}: cannot read included file ${target}: ${read.error}`, where);
        } else {
          this.report('warning', 'HALO_CFG_CANNOT_READ', `Cannot read included file ${target}: ${read.error}`, where);
        }
        continue;
      }
      this.readText(target, read.text, inner);
    }
  }

  // ---- words -------------------------------------------------------------------------------

  private lex(
    file: string,
    lineNo: number,
    chain: readonly SourcePos[],
    text: string,
    from: number,
    to: number,
    lineBase: number,
    origin: Int32Array | null,
  ): void {
    if (file !== this.curRef.file || chain !== this.curRef.chain) this.curRef = { file, chain };
    this.curFile = file;
    this.curLine = lineNo;
    this.curChain = chain;
    this.curBase = lineBase;
    this.curOrigin = origin;
    this.curText = text;
    this.curEnd = to;
    lexText(text, from, to, this, this.intern);
  }

  private colOf(index: number): number {
    const origin = this.curOrigin;
    return (origin === null ? index - this.curBase : (origin[index] ?? 0)) + 1;
  }

  /** LexSink: a word of the current line. */
  word(text: string, quoted: boolean, start: number): void {
    this.tokensOnLine++;
    this.candidate = null;
    const w = new ParsedWord(text, quoted, this.curRef, this.curLine, this.colOf(start));
    if (this.runLength < this.run.length) this.run[this.runLength] = w;
    else this.run.push(w);
    this.runLength++;
  }

  /** LexSink: a brace of the current line. */
  brace(open: boolean, at: number): void {
    const pos: SourcePos = { file: this.curFile, line: this.curLine, col: this.colOf(at) };
    if (open) this.open(pos, this.curChain);
    else this.close(pos, this.curChain);
  }

  /** LexSink: a quote that does not close on its line. */
  unterminated(start: number, end: number, quote: '"' | "'"): void {
    const col = this.colOf(start);
    const endCol = this.colOf(end);
    this.report('error', 'HALO_CFG_UNTERMINATED_STRING', `String is not closed: missing ${quote} before the end of the line`, {
      pos: { file: this.curFile, line: this.curLine, col },
      length: Math.max(1, endCol - col),
      chain: this.curChain,
    });
  }

  /** LexSink: a comment after words on the current line. */
  comment(at: number): void {
    if (this.shape !== undefined) this.checkComment(this.curFile, this.curLine, this.curChain, this.curText, at, this.curEnd, this.curBase, this.curOrigin);
  }

  /**
   * A comment that holds several blocks of statements the schema knows is most likely a config
   * that lost its line breaks after a `#` or `!`: everything after it is not read, by keepalived
   * either. Commented-out config on its own lines has at most one brace pair per line, so needing
   * two of each keeps ordinary comments quiet.
   */
  private checkComment(
    file: string,
    lineNo: number,
    chain: readonly SourcePos[],
    text: string,
    at: number,
    end: number,
    lineBase: number,
    origin: Int32Array | null,
  ): void {
    const shape = this.shape;
    if (shape === undefined) return;
    let opens = 0;
    let closes = 0;
    for (let k = at + 1; k < end; k++) {
      const c = text.charCodeAt(k);
      if (c === 0x7b) opens++;
      else if (c === 0x7d) closes++;
    }
    if (opens < 2 || closes < 2) return;
    // Find the first `keyword ... {` in the comment whose keyword the schema knows.
    let run: string[] = [];
    let found: string | null = null;
    const parents = this.parents;
    const body = at + 1;
    // The body may hold a comment character of its own: look past every one of them.
    for (let from = body; from < end && found === null; ) {
      let next = end;
      lexText(text, from, end, {
        word: (w) => void run.push(w),
        brace: (open) => {
          // The statement that opens the block is a tail of the words before `{` (prose may come first).
          for (let k = run.length - 1; found === null && open && k >= Math.max(0, run.length - 8); k--) {
            const tail = run.slice(k);
            if (shape(parents, tail) === tail.length) found = tail.join(' ');
          }
          run = [];
        },
        unterminated: () => undefined,
        comment: (c) => {
          next = c + 1;
        },
      });
      from = next;
    }
    if (found === null) return;
    const col = (origin === null ? at - lineBase : (origin[at] ?? 0)) + 1;
    this.report('warning', 'HALO_CFG_CONFIG_IN_COMMENT', `Comment hides configuration: \`${found} {\` and what follows on this line are not read`, {
      pos: { file, line: lineNo, col },
      length: 1,
      chain,
      hint: 'a `#` or `!` comments out the rest of its line; if the file lost its line breaks, restore them',
    });
  }

  /** A line after macro expansion: a multi-line macro value makes it several lines. */
  private lexExpanded(file: string, lineNo: number, chain: readonly SourcePos[], exp: Expansion): void {
    const text = exp.text;
    let from = 0;
    for (;;) {
      const nl = text.indexOf('\n', from);
      const to = nl < 0 ? text.length : nl;
      this.lex(file, lineNo, chain, text, from, to, 0, exp.origin);
      this.endLine();
      if (nl < 0) break;
      from = nl + 1;
      this.beginLine();
    }
  }

  // ---- statements and blocks ---------------------------------------------------------------

  private beginLine(): void {
    this.tokensOnLine = 0;
  }

  private open(pos: SourcePos, chain: readonly SourcePos[]): void {
    const first = this.tokensOnLine === 0;
    this.tokensOnLine++;
    let owner: MutNode | null = null;
    if (this.runLength > 0) {
      owner = this.flushRun();
    } else if (first && this.candidate !== null) {
      // keepalived accepts the brace of a block on the line after its statement.
      owner = this.candidate;
    } else {
      this.report('error', 'HALO_CFG_UNBALANCED_BRACE', 'Unexpected `{`: no statement before it to open a block for', {
        pos,
        chain,
        hint: 'a block follows its statement, as in `vrrp_instance VI_1 {`',
      });
    }
    this.candidate = null;
    const nodes: MutNode[] = [];
    if (owner !== null) owner.block = nodes;
    const keyword = owner === null ? '{' : owner.keyword.text;
    this.frames.push({ keyword, nodes, owner, open: pos, openChain: chain, indented: false, dedent: null });
    this.parents.push(keyword);
  }

  private close(pos: SourcePos, chain: readonly SourcePos[]): void {
    this.tokensOnLine++;
    if (this.runLength > 0) this.flushRun();
    this.candidate = null;
    const frame = this.frames.pop();
    if (frame === undefined) {
      this.report('error', 'HALO_CFG_UNBALANCED_BRACE', 'Unexpected `}`: no block is open here', { pos, chain, hint: 'remove it, or look for a block closed too early above' });
      return;
    }
    this.parents.pop();
    if (frame.owner !== null) frame.owner.blockEnd = pos;
  }

  private endLine(): void {
    if (this.runLength > 0) this.candidate = this.flushRun();
  }

  /** Turns the words read so far into statements of the current block; returns the last one. */
  private flushRun(): MutNode {
    const node = this.splitRun();
    this.runLength = 0;
    return node;
  }

  private splitRun(): MutNode {
    // The run buffer is reused: statements take slices of its first `count` words.
    const words = this.run;
    const count = this.runLength;
    const frame = this.frames.length === 0 ? null : (this.frames[this.frames.length - 1] as Frame);
    const target = frame === null ? this.root : frame.nodes;
    if (frame !== null && frame.dedent === null && frame.owner !== null) this.noteIndent(frame, frame.owner.keyword, words[0] as Word);
    const shape = this.shape;
    if (shape === undefined || count < 2) return pushNode(target, words, 0, count);
    let k = 0;
    const texts = this.textsOf(words, count);
    // Bounded: every step takes at least one word.
    for (;;) {
      const rest = k === 0 ? texts : texts.slice(k);
      // `parents` is the parser's live stack of block keywords and `rest` a reused buffer: an
      // oracle that keeps either must copy it.
      const n = rest.length < 2 ? undefined : shape(this.parents, rest);
      if (n === undefined || !Number.isInteger(n) || n < 1 || n >= rest.length) return pushNode(target, words, k, count);
      pushNode(target, words, k, k + n);
      k += n;
      const next = words[k];
      if (next !== undefined && k < count) this.joinedSplits.push(next);
    }
  }

  /** The texts of `words[0..count)`, in an array reused for runs of that length. */
  private textsOf(words: readonly Word[], count: number): string[] {
    if (count > TEXTS_REUSE_MAX) {
      const out: string[] = [];
      for (let i = 0; i < count; i++) out.push((words[i] as Word).text);
      return out;
    }
    let texts = this.textsByLength[count];
    if (texts === undefined) {
      texts = new Array<string>(count).fill('');
      this.textsByLength[count] = texts;
    }
    for (let i = 0; i < count; i++) texts[i] = (words[i] as Word).text;
    return texts;
  }

  /** Reports statements that were separated on one source line, once per line. */
  private endPhysicalLine(file: string, lineNo: number, chain: readonly SourcePos[]): void {
    const splits = this.joinedSplits;
    if (splits.length === 0) return;
    this.joinedSplits = [];
    // A ~SEQ line is read once per value: warn about it once.
    const key = `${file}\n${lineNo}`;
    if (key === this.lastJoinedKey) return;
    this.lastJoinedKey = key;
    const first = splits[0] as Word;
    const names = splits.slice(0, JOINED_NAMES_MAX).map((w) => `\`${w.text}\``);
    const more = splits.length > JOINED_NAMES_MAX ? ` and ${splits.length - JOINED_NAMES_MAX} more` : '';
    this.report(
      'warning',
      'HALO_CFG_JOINED_LINES',
      `Statements joined on one line were separated by keyword: new statements start at ${names.join(', ')}${more} (${splits.length} in all)`,
      {
        pos: { file, line: lineNo, col: first.pos.col },
        length: Math.max(1, first.text.length),
        chain,
        hint: 'the file may have lost its line breaks; check the result with `halo dump-config` and put each statement on its own line',
      },
    );
  }

  /** Tracks indentation inside a block, for the hint of an unclosed block. */
  private noteIndent(frame: Frame, owner: Word, first: Word): void {
    // Words of this parser: their numbers, without making position objects.
    const f = first as ParsedWord;
    const o = owner as ParsedWord;
    if (f.fileRef.file !== o.fileRef.file || f.lineNo === o.lineNo) return;
    if (f.colNo > o.colNo) frame.indented = true;
    else if (frame.indented) frame.dedent = first;
  }

  private finish(): void {
    if (this.runLength > 0) this.flushRun();
    this.finishDefinition();
    for (let f = this.frames.pop(); f !== undefined; f = this.frames.pop()) {
      const what = f.owner === null ? 'the block' : `the block of \`${f.keyword}\``;
      const d = f.dedent;
      if (d === null) {
        // Nothing after the opener reads as if it were meant to be outside the block: the `}` is
        // missing at the very end (seed 002's LVS config as published). keepalived runs such a
        // file with the block closed at the end, so halo loads it too and says so.
        this.report('warning', 'HALO_CFG_BLOCK_CLOSED_AT_END', `Block is never closed: ${what} opened here is closed at the end of the configuration`, {
          pos: f.open,
          chain: f.openChain,
          hint: 'add the missing `}` at the end',
        });
        continue;
      }
      this.report('error', 'HALO_CFG_UNCLOSED_BLOCK', `Block is never closed: ${what} opened here has no matching \`}\``, {
        pos: f.open,
        chain: f.openChain,
        hint: `\`${d.text}\` on line ${d.pos.line} is indented like \`${f.keyword}\` but is read inside its block: the missing \`}\` probably belongs before it`,
      });
    }
    this.parents.length = 0;
  }

  private report(
    severity: Severity,
    code: ErrorCode,
    message: string,
    where?: { pos: SourcePos; length?: number; chain: readonly SourcePos[]; hint?: string },
  ): void {
    if (where === undefined) {
      this.diagnostics.push({ severity, code, message });
      return;
    }
    const d: { -readonly [K in keyof Diagnostic]: Diagnostic[K] } = { severity, code, message, pos: where.pos };
    if (where.length !== undefined) d.length = where.length;
    if (where.chain.length > 0) d.includeChain = where.chain;
    if (where.hint !== undefined) d.hint = where.hint;
    this.diagnostics.push(d);
  }
}

/** True when `text[at..end)` starts with an include keyword (`include`, `includer`, ...). */
function isIncludeAt(text: string, at: number, end: number): boolean {
  return includeKeywordLength(text, at, end) > 0;
}

/** Length of the include keyword at `at` (7 or 8), or 0 when there is none. */
function includeKeywordLength(text: string, at: number, end: number): number {
  if (!text.startsWith('include', at)) return 0;
  let n = 7;
  const f = text.charCodeAt(at + 7);
  // r m w b a: includer, includem, includew, includeb, includea
  if (f === 0x72 || f === 0x6d || f === 0x77 || f === 0x62 || f === 0x61) n = 8;
  if (at + n >= end) return at + n === end ? n : 0;
  const c = text.charCodeAt(at + n);
  return isSpaceCode(c) || c === 0x22 || c === 0x27 ? n : 0;
}

/** Shared by every statement without arguments (most block openers): it is never written to. */
const NO_WORDS: Word[] = [];

function pushNode(target: MutNode[], words: readonly Word[], from: number, to: number): MutNode {
  const node: MutNode = { keyword: words[from] as Word, args: to - from > 1 ? words.slice(from + 1, to) : NO_WORDS, block: null };
  target.push(node);
  return node;
}

/**
 * The file name of an include line, from `from` (after the keyword): one word, quotes allowed,
 * up to a comment. Brace patterns stay whole (they are not block braces here).
 */
function includePattern(line: string, from: number): string | null {
  const end = commentStart(line, from);
  let i = from;
  while (i < end && isSpaceCode(line.charCodeAt(i))) i++;
  if (i >= end) return null;
  const q = line.charCodeAt(i);
  if (q === 0x22 || q === 0x27) {
    const close = line.indexOf(String.fromCharCode(q), i + 1);
    const text = line.slice(i + 1, close < 0 ? end : close);
    return text.length > 0 ? text : null;
  }
  let j = i;
  while (j < end && !isSpaceCode(line.charCodeAt(j))) j++;
  return line.slice(i, j);
}

