/**
 * `loadNginxConfig(entryFile, source)`: the nginx.conf subset halo serves, read through the
 * ConfigSource port (pure), with every diagnostic positioned and sorted by file, line, column.
 */
import type { Diagnostic } from '../../core/diagnostic.js';
import type { ConfigSource } from '../tree.js';
import { buildNginxModel } from './build.js';
import type { NginxModel } from './model.js';
import { parseNginx } from './parse.js';

export interface NginxLoadResult {
  readonly model: NginxModel;
  readonly diagnostics: readonly Diagnostic[];
  /** Every file read, entry file first (for reload and caret snippets). */
  readonly files: ReadonlyMap<string, string>;
}

export function loadNginxConfig(entryFile: string, source: ConfigSource): NginxLoadResult {
  const parsed = parseNginx(entryFile, source);
  const built = buildNginxModel(parsed.nodes);
  const order = [...parsed.files.keys()];
  const rank = (d: Diagnostic): number => {
    const f = d.pos === undefined ? -1 : order.indexOf(d.pos.file);
    return f < 0 ? order.length : f;
  };
  const diagnostics = [...parsed.diagnostics, ...built.diagnostics]
    .map((d, k) => ({ d, k }))
    .sort((a, b) => rank(a.d) - rank(b.d) || (a.d.pos?.line ?? 0) - (b.d.pos?.line ?? 0) || (a.d.pos?.col ?? 0) - (b.d.pos?.col ?? 0) || a.k - b.k)
    .map((x) => x.d);
  return { model: built.model, diagnostics, files: parsed.files };
}
