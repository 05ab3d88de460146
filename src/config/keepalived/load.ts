/**
 * PLACEHOLDER until the keepalived model layer lands (branch cfg-model replaces this file): parses
 * the syntax only and returns the statement tree as the "model", so that `halo check-config` and
 * `halo dump-config` work end to end on syntax.
 */
import type { Diagnostic } from '../../core/diagnostic.js';
import { parseConfig } from '../parse.js';
import type { ConfNode, ConfigSource } from '../tree.js';

export interface LoadResult {
  /** The typed model, JSON-serialisable. */
  model: unknown;
  diagnostics: readonly Diagnostic[];
  files: ReadonlyMap<string, string>;
}

interface PlainStatement {
  keyword: string;
  args: string[];
  line: number;
  block?: PlainStatement[];
}

function plain(nodes: readonly ConfNode[]): PlainStatement[] {
  return nodes.map((n) => {
    const s: PlainStatement = { keyword: n.keyword.text, args: n.args.map((a) => a.text), line: n.keyword.pos.line };
    if (n.block !== null) s.block = plain(n.block);
    return s;
  });
}

export function loadKeepalivedConfig(entryFile: string, source: ConfigSource, options: { configId: string }): LoadResult {
  const parsed = parseConfig(entryFile, source, { configId: options.configId });
  return { model: { statements: plain(parsed.nodes) }, diagnostics: parsed.diagnostics, files: parsed.files };
}
