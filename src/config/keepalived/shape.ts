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

// One-entry cache: the parser asks about the same enclosing blocks many times in a row.
let lastParents: string[] = [];
let lastBlock: BlockDef | undefined = TOP;

function blockAt(parents: readonly string[]): BlockDef | undefined {
  if (parents.length === lastParents.length) {
    let same = true;
    for (let i = 0; i < parents.length; i++) if (parents[i] !== lastParents[i]) { same = false; break; }
    if (same) return lastBlock;
  }
  lastParents = parents.slice();
  lastBlock = walkTo(parents);
  return lastBlock;
}

function walkTo(parents: readonly string[]): BlockDef | undefined {
  let b: BlockDef | undefined = TOP;
  for (const p of parents) {
    if (b === undefined || b.kind !== 'keywords') return undefined;
    const kd: KeywordDef | undefined = keywordMap(b).get(p);
    b = kd?.block;
  }
  return b;
}

export const keepalivedShape: StatementShape = (parents, words) => {
  if (words.length === 0) return undefined;
  const b = blockAt(parents);
  if (b === undefined) return undefined;
  if (b.kind === 'list') {
    const n = b.entryShape?.(words);
    return n === undefined ? undefined : Math.max(1, Math.min(n, words.length));
  }
  const kw = words[0] ?? '';
  const lookup = keywordMap(b);
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
