/**
 * Applies one block's statements to a model node through the block's keyword table. Linear: one
 * map lookup per statement. Everything a table does not model is reported, never dropped quietly.
 */
import type { ConfNode } from '../tree.js';
import type { BlockDef, BuildEnv, KeywordDef, Target } from './schema-core.js';
import type { BuildContext } from './values.js';
import { closest } from './values.js';

/** Keyword → the ids of the blocks it is valid in (filled by schema.ts), for "belongs in" hints. */
export const KEYWORD_HOMES = new Map<string, string[]>();

function describe(env: BuildEnv): string {
  return env.keyword === undefined ? 'at the top level' : `in ${env.keyword}`;
}

/**
 * Each block's keywords as a Map, built once: one lookup per statement, no prototype surprises.
 * The definitions are copied into one object shape so that the walk's property reads stay
 * monomorphic (the table constructors make objects of many shapes).
 */
const LOOKUP = new WeakMap<BlockDef, Map<string, KeywordDef>>();
export function keywordMap(def: BlockDef): Map<string, KeywordDef> {
  // Called once per block of the config: kept small, so that optimising it costs little; the
  // table is built out of line, once per block definition.
  return LOOKUP.get(def) ?? buildKeywordMap(def);
}

function buildKeywordMap(def: BlockDef): Map<string, KeywordDef> {
  const m = new Map<string, KeywordDef>();
  for (const [kw, d] of Object.entries(def.keywords)) {
    const uniform = { min: d.min, max: d.max, more: d.more, block: d.block, status: d.status, note: d.note, replacement: d.replacement, synonymOf: d.synonymOf, apply: d.apply, syntax: d.syntax };
    m.set(kw, uniform as KeywordDef);
  }
  LOOKUP.set(def, m);
  return m;
}

/** Checks the statement's shape against its definition; false when apply must not run. */
export function checkShape(ctx: BuildContext, def: KeywordDef, node: ConfNode): boolean {
  const kw = node.keyword.text;
  if (def.block !== undefined && node.block === null) {
    ctx.error('HALO_CFG_MISSING_VALUE', `Keyword ${kw} needs a block: ${kw}${def.syntax ? ' ' + def.syntax : ''} { ... }`, node.keyword);
    return false;
  }
  if (def.block === undefined && node.block !== null) {
    ctx.error('HALO_CFG_BAD_VALUE', `Keyword ${kw} takes no block: the { ... } after it is ignored`, node.keyword);
    return false;
  }
  if (node.args.length < def.min) {
    ctx.error('HALO_CFG_MISSING_VALUE', `Keyword ${kw} needs a value: ${kw} ${def.syntax ?? ''}`.trimEnd(), node.keyword);
    return false;
  }
  if (node.args.length > def.max) {
    const extra = node.args[def.max];
    ctx.warn('HALO_CFG_EXTRA_VALUE', `Keyword ${kw} takes at most ${def.max} value${def.max === 1 ? '' : 's'}: "${extra?.text ?? ''}" and what follows are ignored`, extra ?? node.keyword);
  }
  return true;
}

export function unknownKeyword(ctx: BuildContext, def: BlockDef, node: ConfNode, env: BuildEnv): void {
  const kw = node.keyword.text;
  const homes = KEYWORD_HOMES.get(kw);
  if (homes !== undefined && homes.length > 0) {
    ctx.error('HALO_CFG_MISPLACED_KEYWORD', `Keyword ${kw} is not valid ${describe(env)}: it belongs in ${homes.join(' or ')}`, node.keyword);
    return;
  }
  const near = closest(kw, Object.keys(def.keywords));
  const hint = near === undefined ? undefined : `did you mean \`${near}\`?`;
  ctx.error('HALO_CFG_UNKNOWN_KEYWORD', `Unknown keyword ${describe(env)}: ${kw}`, node.keyword, hint);
}

export function walkBlock(ctx: BuildContext, def: BlockDef, nodes: readonly ConfNode[], target: Target, env: BuildEnv): void {
  const kwPos = target['keywordPos'] as Record<string, unknown> | undefined;
  const lookup = keywordMap(def);
  for (const node of nodes) {
    const kw = node.keyword.text;
    const kd = lookup.get(kw);
    if (kd === undefined) {
      unknownKeyword(ctx, def, node, env);
      continue;
    }
    if (kd.status === 'unsupported') {
      ctx.warn('HALO_CFG_NOT_SUPPORTED', `Keyword ${kw} is not supported by halo and is ignored: ${kd.note ?? ''}`.trimEnd(), node.keyword);
      continue;
    }
    if (!checkShape(ctx, kd, node)) continue;
    if (kd.status === 'deprecated') {
      ctx.warn('HALO_CFG_DEPRECATED', `Keyword ${kw} is deprecated: ${kd.note ?? `read as ${kd.replacement ?? ''}`}`, node.keyword, kd.replacement === undefined ? undefined : `write \`${kd.replacement}\``);
    }
    if (kwPos !== undefined) kwPos[kd.replacement ?? kd.synonymOf ?? kw] = node.keyword.pos;
    kd.apply?.(ctx, node, target, env);
  }
}

export function childEnv(env: BuildEnv, keyword: string): BuildEnv {
  return { keyword, parent: env };
}
