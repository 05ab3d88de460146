/**
 * A ConfigSource over a map of path → text: for tests, for configs sent over the API, and for the
 * parser's property tests. Globs support `*`, `?`, `[...]` and `{a,b}` within one path segment.
 */
import type { ConfigSource } from '../tree.js';

export class MemorySource implements ConfigSource {
  private readonly files: ReadonlyMap<string, string>;
  constructor(files: ReadonlyMap<string, string> | Readonly<Record<string, string>>) {
    this.files = files instanceof Map ? files : new Map(Object.entries(files));
  }

  readFile(path: string): { ok: true; text: string } | { ok: false; error: string; missing: boolean } {
    const text = this.files.get(path);
    return text === undefined ? { ok: false, error: 'no such file', missing: true } : { ok: true, text };
  }

  glob(pattern: string): readonly string[] {
    const re = globToRegExp(pattern);
    return [...this.files.keys()].filter((p) => re.test(p)).sort();
  }
}

export function globToRegExp(pattern: string): RegExp {
  let out = '^';
  let inBrace = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? '';
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 1);
      if (close < 0) out += '\\[';
      else {
        const body = pattern.slice(i + 1, close).replace(/\\/g, '\\\\');
        out += `[${body.startsWith('!') ? '^' + body.slice(1) : body}]`;
        i = close;
      }
    } else if (c === '{') {
      inBrace = true;
      out += '(?:';
    } else if (c === '}' && inBrace) {
      inBrace = false;
      out += ')';
    } else if (c === ',' && inBrace) out += '|';
    else out += c.replace(/[.+^$()|\\/]/g, '\\$&');
  }
  return new RegExp(out + '$');
}
