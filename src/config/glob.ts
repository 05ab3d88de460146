/**
 * Glob patterns as keepalived's `include` sees them through glob(3) with GLOB_BRACE: csh-style
 * braces (`{a,b}`, nested), then `*`, `?` and `[...]` per path segment. A leading `.` in a name is
 * matched only by a pattern segment that starts with `.`, as glob(3) does. Results of each brace
 * alternative are sorted and appended in the order of the alternatives (glibc expands braces into
 * separate glob calls with GLOB_APPEND), and directories are left out (keepalived reads files).
 *
 * Pure: directories are listed through the `DirLister` port, so the same walk serves the
 * file-system source (src/daemon/config-source.ts) and the in-memory one used by tests.
 */
import { posix } from 'node:path';

export interface DirEntry {
  readonly name: string;
  readonly dir: boolean;
}

/** Lists a directory (absolute path); null when it does not exist or cannot be read. */
export type DirLister = (dir: string) => readonly DirEntry[] | null;

/** Bound on brace alternatives, so `{a,b}{c,d}...` cannot grow without limit. */
export const BRACE_EXPANSION_MAX = 4096;

export function hasGlobMagic(pattern: string): boolean {
  return /[*?[{]/.test(pattern);
}

/** Expands csh-style braces; a brace without a top-level comma or without its `}` stays literal. */
export function expandBraces(pattern: string, max = BRACE_EXPANSION_MAX): string[] {
  const out: string[] = [];
  const work: string[] = [pattern];
  // Bounded: every step either emits a result or replaces one pattern by its alternatives, and
  // the total is capped at `max`.
  while (work.length > 0 && out.length + work.length <= max) {
    const p = work.shift() as string;
    const b = findBrace(p);
    if (b === null) {
      out.push(p);
      continue;
    }
    const prefix = p.slice(0, b.open);
    const suffix = p.slice(b.close + 1);
    const alts = b.alternatives.map((a) => prefix + a + suffix);
    work.unshift(...alts);
  }
  return out;
}

function findBrace(p: string): { open: number; close: number; alternatives: string[] } | null {
  for (let open = p.indexOf('{'); open >= 0; open = p.indexOf('{', open + 1)) {
    if (open > 0 && p[open - 1] === '\\') continue;
    let depth = 0;
    const commas: number[] = [];
    for (let i = open; i < p.length; i++) {
      const c = p[i];
      if (c === '\\') {
        i++;
        continue;
      }
      if (c === '{') depth++;
      else if (c === ',' && depth === 1) commas.push(i);
      else if (c === '}') {
        depth--;
        if (depth === 0) {
          if (commas.length === 0) break; // `{x}`: literal, look for a later brace
          const bounds = [open, ...commas, i];
          const alternatives: string[] = [];
          for (let k = 0; k + 1 < bounds.length; k++) alternatives.push(p.slice((bounds[k] as number) + 1, bounds[k + 1]));
          return { open, close: i, alternatives };
        }
      }
    }
  }
  return null;
}

/** A regular expression for one path segment with `*`, `?`, `[...]` (and `[!...]`, `[^...]`). */
export function segmentRegExp(segment: string): RegExp {
  let re = '^';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i] as string;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < segment.length) re += escapeRe(segment[++i] as string);
    else if (c === '[') {
      const close = segment.indexOf(']', i + 2);
      if (close < 0) {
        re += '\\[';
        continue;
      }
      let body = segment.slice(i + 1, close);
      let negate = false;
      if (body.startsWith('!') || body.startsWith('^')) {
        negate = true;
        body = body.slice(1);
      }
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, (m) => '\\' + m)}]`;
      i = close;
    } else re += escapeRe(c);
  }
  try {
    return new RegExp(re + '$', 'u');
  } catch {
    // A class such as `[z-a]` is no valid range: like glob(3), match the segment literally.
    return new RegExp('^' + [...segment].map(escapeRe).join('') + '$', 'u');
  }
}

function escapeRe(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? '\\' + c : c;
}

/** Expands an absolute glob pattern to existing files. */
export function globFiles(pattern: string, list: DirLister): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const alt of expandBraces(pattern)) {
    const found = walk(posix.normalize(alt), list).sort();
    for (const f of found) {
      if (!seen.has(f)) {
        seen.add(f);
        out.push(f);
      }
    }
  }
  return out;
}

function walk(pattern: string, list: DirLister): string[] {
  if (!pattern.startsWith('/')) return [];
  const segments = pattern.split('/').filter((s) => s.length > 0);
  let current: Array<{ path: string; dir: boolean }> = [{ path: '/', dir: true }];
  for (let s = 0; s < segments.length; s++) {
    const seg = segments[s] as string;
    const last = s === segments.length - 1;
    const magic = /[*?[]/.test(seg);
    const re = magic ? segmentRegExp(seg) : null;
    const next: Array<{ path: string; dir: boolean }> = [];
    for (const c of current) {
      if (!c.dir) continue;
      const entries = list(c.path);
      if (entries === null) continue;
      for (const e of entries) {
        const hit = re === null ? e.name === unescapeLiteral(seg) : re.test(e.name) && (!e.name.startsWith('.') || seg.startsWith('.'));
        if (!hit) continue;
        if (!last && !e.dir) continue;
        next.push({ path: posix.join(c.path, e.name), dir: e.dir });
      }
    }
    current = next;
    if (current.length === 0) return [];
  }
  return current.filter((c) => !c.dir).map((c) => c.path);
}

function unescapeLiteral(seg: string): string {
  return seg.includes('\\') ? seg.replace(/\\(.)/g, '$1') : seg;
}

/**
 * A ConfigSource over a map of absolute paths to file contents: for tests, fixtures and tools
 * that hold a config in memory.
 */
export function memorySource(files: Readonly<Record<string, string>> | ReadonlyMap<string, string>): {
  readFile(path: string): { ok: true; text: string } | { ok: false; error: string; missing: boolean };
  glob(pattern: string): readonly string[];
} {
  const map = files instanceof Map ? (files as ReadonlyMap<string, string>) : new Map(Object.entries(files));
  const list: DirLister = (dir) => {
    const prefix = dir.endsWith('/') ? dir : dir + '/';
    const entries = new Map<string, boolean>();
    for (const path of map.keys()) {
      if (!path.startsWith(prefix)) continue;
      const rest = path.slice(prefix.length);
      const slash = rest.indexOf('/');
      const name = slash < 0 ? rest : rest.slice(0, slash);
      if (name.length > 0) entries.set(name, slash >= 0 || (entries.get(name) ?? false));
    }
    if (entries.size === 0 && dir !== '/') return null;
    return [...entries].map(([name, isDir]) => ({ name, dir: isDir }));
  };
  return {
    readFile(path) {
      const text = map.get(path);
      if (text !== undefined) return { ok: true, text };
      return { ok: false, error: 'ENOENT: no such file or directory', missing: true };
    },
    glob: (pattern) => globFiles(pattern, list),
  };
}
