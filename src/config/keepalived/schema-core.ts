/**
 * The machinery of the keyword schema: what one keyword is (how many words, whether a block
 * follows, whether halo models it) and the small constructors the tables in schema.ts are written
 * with. A keyword's `apply` writes its value into the model node being built.
 */
import type { ConfNode, Word } from '../tree.js';
import type { ScriptRef } from './model.js';
import type { BuildContext} from './values.js';
import { isBoolWord, isIntWord, parseBool, parseInt10, parseIp, parseTimerMs, parseTimerUs } from './values.js';

export type KeywordStatus = 'modelled' | 'unsupported' | 'deprecated';

export type Target = Record<string, unknown>;

/** Facts a keyword's apply may need beyond its own node (filled by build.ts). */
export interface BuildEnv {
  /** The keyword of the enclosing block (absent at the top level), for messages. */
  readonly keyword?: string;
  readonly parent?: BuildEnv;
}

export type Apply = (ctx: BuildContext, node: ConfNode, target: Target, env: BuildEnv) => void;

export interface KeywordDef {
  /** Fewest and most argument words after the keyword. */
  readonly min: number;
  readonly max: number;
  /** Whether an optional argument word (beyond `min`) belongs to this statement. */
  readonly more?: (word: string) => boolean;
  /** The block that follows (`{ ... }`); absent when the keyword takes none. */
  readonly block?: BlockDef;
  readonly status: KeywordStatus;
  /** For unsupported keywords: why; for deprecated: what it is read as. */
  readonly note?: string;
  /** For deprecated synonyms: the keyword it is read as. */
  readonly replacement?: string;
  /** Synonym of another modelled keyword (documented, no warning). */
  readonly synonymOf?: string;
  readonly apply?: Apply;
  /** Shown in docs/keepalived-compat.md: the argument syntax. */
  readonly syntax?: string;
}

export interface BlockDef {
  readonly id: string;
  /** Keyword blocks hold statements; list blocks hold entries (`virtual_ipaddress { ... }`). */
  readonly kind: 'keywords' | 'list';
  keywords: Record<string, KeywordDef>;
  /** For list blocks: how many words of `words` form one entry (see StatementShape). */
  readonly entryShape?: (words: readonly string[]) => number | undefined;
  /** For list blocks: the entry syntax, for the docs. */
  readonly entrySyntax?: string;
}

export function keywordsBlock(id: string, keywords: Record<string, KeywordDef>): BlockDef {
  return { id, kind: 'keywords', keywords };
}

export function listBlock(id: string, entrySyntax: string, entryShape: ((words: readonly string[]) => number | undefined) | undefined): BlockDef {
  return entryShape === undefined ? { id, kind: 'list', keywords: {}, entrySyntax } : { id, kind: 'list', keywords: {}, entrySyntax, entryShape };
}

function camel(keyword: string): string {
  return keyword.replace(/[-_]([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

const arg0 = (node: ConfNode): Word => node.args[0] as Word;

export function str(field: string, syntax = 'STRING'): KeywordDef {
  return { min: 1, max: 1, status: 'modelled', syntax, apply: (_c, n, t) => { t[field] = arg0(n).text; } };
}

export function words(field: string, syntax = 'STRING...'): KeywordDef {
  return { min: 1, max: 64, status: 'modelled', syntax, apply: (_c, n, t) => { t[field] = n.args.map((w) => w.text); } };
}

export function int(field: string, min: number, max: number): KeywordDef {
  return {
    min: 1, max: 1, status: 'modelled', syntax: `INTEGER ${min}..${max}`,
    apply: (c, n, t) => { const v = parseInt10(c, n.keyword.text, arg0(n), min, max); if (v !== undefined) t[field] = v; },
  };
}

export function timerMs(field: string, maxSeconds?: number): KeywordDef {
  return {
    min: 1, max: 1, status: 'modelled', syntax: 'TIMER',
    apply: (c, n, t) => { const v = parseTimerMs(c, n.keyword.text, arg0(n), maxSeconds); if (v !== undefined) t[field] = v; },
  };
}

export function timerUs(field: string, maxSeconds?: number): KeywordDef {
  return {
    min: 1, max: 1, status: 'modelled', syntax: 'TIMER',
    apply: (c, n, t) => { const v = parseTimerUs(c, n.keyword.text, arg0(n), maxSeconds); if (v !== undefined) t[field] = v; },
  };
}

/** `keyword [<BOOL>]`: bare keyword means true, as keepalived allows for these. */
export function bool(field: string): KeywordDef {
  return {
    min: 0, max: 1, more: isBoolWord, status: 'modelled', syntax: '[BOOL]',
    apply: (c, n, t) => {
      const w = n.args[0];
      if (w === undefined) { t[field] = true; return; }
      const v = parseBool(c, n.keyword.text, w);
      if (v !== undefined) t[field] = v;
    },
  };
}

/** A bare keyword that sets a field (`nopreempt`, `vrrp_strict`). */
export function flag(field: string, value: unknown = true): KeywordDef {
  return { min: 0, max: 0, status: 'modelled', syntax: '', apply: (_c, _n, t) => { t[field] = value; } };
}

export function ip(field: string): KeywordDef {
  return {
    min: 1, max: 1, status: 'modelled', syntax: 'IPADDR',
    apply: (c, n, t) => { const v = parseIp(c, n.keyword.text, arg0(n)); if (v !== undefined) t[field] = v.address; },
  };
}

export function oneOf(field: string, values: readonly string[], opts: { ignoreCase?: boolean } = {}): KeywordDef {
  return {
    min: 1, max: 1, status: 'modelled', syntax: values.join('|'),
    apply: (c, n, t) => {
      const w = arg0(n);
      const found = values.find((v) => (opts.ignoreCase === true ? v.toLowerCase() === w.text.toLowerCase() : v === w.text));
      if (found === undefined) {
        c.error('HALO_CFG_BAD_VALUE', `Value of ${n.keyword.text} is not valid: "${w.text}" (expected one of ${values.join(', ')})`, w);
        return;
      }
      t[field] = found;
    },
  };
}

/** `keyword SCRIPT [username [groupname]]`: notify scripts, `script`, `misc_path`. */
export function script(field: string): KeywordDef {
  return {
    min: 1, max: 3, status: 'modelled', syntax: 'STRING|QUOTED-STRING [username [groupname]]',
    apply: (_c, n, t) => { t[field] = scriptRef(n); },
  };
}

export function scriptRef(n: ConfNode): ScriptRef {
  const [cmd, user, group] = n.args;
  const ref: ScriptRef = { command: (cmd as Word).text, pos: n.keyword.pos };
  if (user !== undefined) ref.user = user.text;
  if (group !== undefined) ref.group = group.text;
  return ref;
}

/** `keyword USER [GROUP]`. */
export function userGroup(field: string): KeywordDef {
  return {
    min: 1, max: 2, status: 'modelled', syntax: 'USERNAME [GROUPNAME]',
    apply: (_c, n, t) => {
      const v: { user: string; group?: string } = { user: arg0(n).text };
      if (n.args[1] !== undefined) v.group = n.args[1].text;
      t[field] = v;
    },
  };
}

export function custom(min: number, max: number, syntax: string, apply: Apply, more?: (w: string) => boolean): KeywordDef {
  return more === undefined ? { min, max, status: 'modelled', syntax, apply } : { min, max, status: 'modelled', syntax, apply, more };
}

/** A keyword halo recognises but does not implement: a named warning, never silence. */
export function unsupported(note: string, min = 0, max = 64, block?: BlockDef): KeywordDef {
  return block === undefined ? { min, max, status: 'unsupported', note } : { min, max, status: 'unsupported', note, block };
}

/** An older spelling read as `replacement` (with a HALO_CFG_DEPRECATED warning). */
export function deprecated(def: KeywordDef, replacement: string, note?: string): KeywordDef {
  return { ...def, status: 'deprecated', replacement, note: note ?? `read as ${replacement}` };
}

/** Another spelling keepalived accepts without complaint (`lb_algo` for `lvs_sched`). */
export function synonym(def: KeywordDef, of: string): KeywordDef {
  return { ...def, synonymOf: of };
}

export function block(def: BlockDef, min: number, max: number, apply: Apply, syntax = ''): KeywordDef {
  return { min, max, block: def, status: 'modelled', apply, syntax };
}

export { camel, isIntWord };
