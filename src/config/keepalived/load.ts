/**
 * keepalived.conf → model: parse (with the keyword schema's shape oracle, so statements pasted
 * onto one line are split as keepalived would read them), build with keepalived's defaults, check
 * across sections. Diagnostics come back sorted by file, line and column. Pure; never throws.
 */
import { posix } from 'node:path';
import type { Diagnostic } from '../../core/diagnostic.js';
import { loadNginxConfig } from '../nginx/load.js';
import { parseConfig } from '../parse.js';
import type { ConfNode, ConfigSource, Word } from '../tree.js';
import type { SourcePos } from '../../core/diagnostic.js';
import { buildKeepalivedModel } from './build.js';
import type { KeepalivedModel } from './model.js';
import { keepalivedShape } from './shape.js';
import { validateKeepalivedModel } from './validate.js';

export interface LoadResult {
  /** The typed model, JSON-serialisable. */
  model: KeepalivedModel;
  diagnostics: readonly Diagnostic[];
  files: ReadonlyMap<string, string>;
}

export interface LoadOptions {
  readonly configId: string;
  readonly includeDepthMax?: number;
}

export function compareDiagnostics(a: Diagnostic, b: Diagnostic, fileOrder: ReadonlyMap<string, number>): number {
  const fa = a.pos === undefined ? -1 : fileOrder.get(a.pos.file) ?? Number.MAX_SAFE_INTEGER;
  const fb = b.pos === undefined ? -1 : fileOrder.get(b.pos.file) ?? Number.MAX_SAFE_INTEGER;
  if (fa !== fb) return fa - fb;
  if (a.pos !== undefined && b.pos !== undefined) {
    if (a.pos.file !== b.pos.file) return a.pos.file < b.pos.file ? -1 : 1;
    if (a.pos.line !== b.pos.line) return a.pos.line - b.pos.line;
    if (a.pos.col !== b.pos.col) return a.pos.col - b.pos.col;
  }
  return 0;
}

/**
 * The include chain of every position that came from an included file. Model nodes keep the
 * position objects of the words they were read from, so checks made after building can still show
 * how the file was reached.
 */
function includeChains(nodes: readonly ConfNode[], out: Map<SourcePos, readonly SourcePos[]>): void {
  const note = (w: Word): void => { if (w.includeChain.length > 0) out.set(w.pos, w.includeChain); };
  for (const n of nodes) {
    if (n.keyword.includeChain.length === 0 && n.block === null) continue;
    note(n.keyword);
    for (const a of n.args) note(a);
    if (n.block !== null) includeChains(n.block, out);
  }
}

export function loadKeepalivedConfig(entryFile: string, source: ConfigSource, options: LoadOptions): LoadResult {
  const parsed = parseConfig(entryFile, source, {
    configId: options.configId,
    shape: keepalivedShape,
    ...(options.includeDepthMax !== undefined ? { includeDepthMax: options.includeDepthMax } : {}),
  });
  const built = buildKeepalivedModel(parsed.nodes);
  let checks = validateKeepalivedModel(built.model);
  if (checks.length > 0 && parsed.files.size > 1) {
    const chains = new Map<SourcePos, readonly SourcePos[]>();
    includeChains(parsed.nodes, chains);
    checks = checks.map((d) => {
      const chain = d.pos === undefined ? undefined : chains.get(d.pos);
      return chain === undefined || d.includeChain !== undefined ? d : { ...d, includeChain: chain };
    });
  }
  const nginx = loadNginxIncludes(built.model, source);
  const files = nginx.files.size === 0 ? parsed.files : new Map([...parsed.files, ...nginx.files]);
  const fileOrder = new Map<string, number>();
  let i = 0;
  for (const f of files.keys()) fileOrder.set(f, i++);
  // Stable sort: diagnostics at one place keep the order they were found in.
  const diagnostics = [...parsed.diagnostics, ...built.diagnostics, ...checks, ...nginx.diagnostics].sort((a, b) => compareDiagnostics(a, b, fileOrder));
  return { model: built.model, diagnostics, files };
}

/**
 * halo's `include_nginx FILE`: each file is loaded as `halo run --nginx FILE` loads it, its model
 * kept in the include. Its diagnostics keep their own positions, with the include_nginx line as
 * their include chain; a file that cannot be read is reported at that line.
 */
function loadNginxIncludes(model: KeepalivedModel, source: ConfigSource): { diagnostics: Diagnostic[]; files: Map<string, string> } {
  const diagnostics: Diagnostic[] = [];
  const files = new Map<string, string>();
  for (const inc of model.nginxIncludes ?? []) {
    const path = inc.file.startsWith('/') ? posix.normalize(inc.file) : posix.join(posix.dirname(inc.pos.file), inc.file);
    const r = loadNginxConfig(path, source);
    inc.path = path;
    inc.model = r.model;
    for (const [f, text] of r.files) files.set(f, text);
    for (const d of r.diagnostics) {
      diagnostics.push(d.pos === undefined ? { ...d, pos: inc.pos } : { ...d, includeChain: [inc.pos, ...(d.includeChain ?? [])] });
    }
  }
  return { diagnostics, files };
}
