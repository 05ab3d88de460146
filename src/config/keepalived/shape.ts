/**
 * The StatementShape oracle (see tree.ts), read from the keyword tables: given the enclosing
 * blocks and the words of a line up to the next brace, how many words form the first statement.
 * The parser uses it only to split statements that were joined on one line, as in a config pasted
 * without its line breaks (seed 000). A statement takes its required arguments, then optional ones
 * while they fit the keyword and are not themselves a keyword of the block.
 */
import type { StatementShape } from '../tree.js';
import type { BlockDef, KeywordDef } from './schema-core.js';
import { TOP } from './schema.js';
import { keywordMap } from './walk.js';

/**
 * The blocks reached by paths of enclosing keywords, as a tree walked one map lookup per level:
 * the parser asks once per statement. Only paths through known blocks are stored, so the tree is
 * bounded by the schema whatever the config holds.
 */
interface PathNode {
  readonly block: BlockDef;
  readonly lookup: Map<string, KeywordDef>;
  readonly next: Map<string, PathNode>;
}

const ROOT: PathNode = { block: TOP, lookup: keywordMap(TOP), next: new Map() };

function blockAt(parents: readonly string[]): PathNode | undefined {
  let at = ROOT;
  for (const p of parents) {
    let n = at.next.get(p);
    if (n === undefined) {
      if (at.block.kind !== 'keywords') return undefined;
      const b = at.lookup.get(p)?.block;
      if (b === undefined) return undefined;
      n = { block: b, lookup: keywordMap(b), next: new Map() };
      at.next.set(p, n);
    }
    at = n;
  }
  return at;
}

export const keepalivedShape: StatementShape = (parents, words) => {
  if (words.length === 0) return undefined;
  const at = blockAt(parents);
  if (at === undefined) return undefined;
  const b = at.block;
  if (b.kind === 'list') {
    const n = b.entryShape?.(words);
    return n === undefined ? undefined : Math.max(1, Math.min(n, words.length));
  }
  const kw = words[0] ?? '';
  const lookup = at.lookup;
  const kd = lookup.get(kw);
  if (kd === undefined) return undefined;
  let n = 1 + kd.min;
  while (n < words.length && n < 1 + kd.max) {
    const w = words[n] ?? '';
    if (lookup.has(w)) break;
    if (kd.more !== undefined && !kd.more(w)) break;
    n++;
  }
  // A word left over that is no keyword of this block starts no statement: it is a bad or extra
  // value of this one (`smtp_alert maybe`), which the builder reports as such.
  if (n < words.length && !lookup.has(words[n] ?? '')) return words.length;
  return Math.min(n, words.length);
};
