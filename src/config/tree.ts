/**
 * The contract between the config parser (lexer, include, macros, conditionals, blocks) and the
 * model builders (keepalived.conf and nginx.conf): a tree of statements in which every word keeps
 * its position and the include chain that led to it.
 */
import type { Diagnostic, SourcePos } from '../core/diagnostic.js';

/**
 * One word of a statement: a keyword, an argument, or an entry of a list block. The parser's words
 * may compute `pos` and `includeChain` on first read (getters); every read returns the same objects.
 */
export interface Word {
  readonly text: string;
  /** True when the word was written in quotes (its text has the quotes and escapes removed). */
  readonly quoted: boolean;
  readonly pos: SourcePos;
  /** The `include` statements that led to this word's file, outermost first. */
  readonly includeChain: readonly SourcePos[];
}

/**
 * One statement: `keyword arg arg ...`, optionally followed by a block `{ ... }`. Entries of list
 * blocks (`virtual_ipaddress`, `notification_email`, `track_script`, ...) are statements too: the
 * first word is the entry, the rest its options.
 */
export interface ConfNode {
  readonly keyword: Word;
  readonly args: readonly Word[];
  /** The statements inside `{ ... }`, or null when the statement has no block. */
  readonly block: readonly ConfNode[] | null;
  /** Where the block's `}` is (absent when there is no block or it was never closed). */
  readonly blockEnd?: SourcePos;
}

/**
 * How many of `words` (a keyword followed by everything up to the next brace on the same line)
 * form the first statement, given the keywords of the enclosing blocks (`parents`, outermost
 * first). Used only to recover statements that were joined on one line (a config pasted without
 * its line breaks). Returns undefined when the keyword is not known, and the parser keeps the line
 * as one statement. Both arrays are buffers the parser reuses: an oracle that keeps one must copy it.
 */
export type StatementShape = (parents: readonly string[], words: readonly string[]) => number | undefined;

/** Files come in through this port so that the parser stays pure. Paths are absolute. */
export interface ConfigSource {
  readFile(path: string): { ok: true; text: string } | { ok: false; error: string; missing: boolean };
  /** Expands a glob (with `*`, `?`, `[...]` and `{a,b}`) to the sorted list of existing files. */
  glob(pattern: string): readonly string[];
}

export interface ParseOptions {
  /** Selects `@ID` conditional lines; keepalived's default is the short host name. */
  readonly configId: string;
  readonly shape?: StatementShape;
  /** Bound on nested includes (keepalived's is small; a cycle is an error regardless). */
  readonly includeDepthMax?: number;
}

export interface ParsedConfig {
  readonly nodes: readonly ConfNode[];
  readonly diagnostics: readonly Diagnostic[];
  /** Every file read, entry file first, for reload and for caret snippets. */
  readonly files: ReadonlyMap<string, string>;
}
