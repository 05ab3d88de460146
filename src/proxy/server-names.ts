/**
 * nginx's choice of a `server` among several on one listen, by the request's Host
 * (nginx docs, "Server names" and "How nginx processes a request"):
 *
 *   1. an exact name;
 *   2. the longest wildcard name starting with `*` (`*.example.org`; `.example.org` is this form
 *      and also matches `example.org` itself);
 *   3. the longest wildcard name ending with `*` (`mail.*`);
 *   4. the first regex name (`~^www\d+\.example\.net$`) in the order of the configuration;
 *   5. none: the listen's default server (`default_server`, else the first server listening there).
 *
 * Host names compare without case, without a port and without a trailing dot. A request without a
 * Host matches the name `""` (nginx's `server_name ""`).
 */

export interface ServerNameTable {
  readonly exact: ReadonlyMap<string, number>;
  /** Suffixes (`.example.org`) with the server index, longest first. */
  readonly leading: readonly { readonly suffix: string; readonly bare: string | undefined; readonly index: number }[];
  /** Prefixes (`mail.`) with the server index, longest first. */
  readonly trailing: readonly { readonly prefix: string; readonly index: number }[];
  readonly regexes: readonly { readonly re: RegExp; readonly index: number }[];
}

/** Compiles the names of servers [0..n): `names[i]` are server i's `server_name` entries. */
export function compileServerNames(names: readonly (readonly string[])[]): ServerNameTable {
  const exact = new Map<string, number>();
  const leading: { suffix: string; bare: string | undefined; index: number }[] = [];
  const trailing: { prefix: string; index: number }[] = [];
  const regexes: { re: RegExp; index: number }[] = [];
  names.forEach((list, index) => {
    for (const raw of list) {
      if (raw.startsWith('~')) {
        try {
          regexes.push({ re: new RegExp(raw.slice(1)), index });
        } catch {
          // refused by the loader with a position
        }
        continue;
      }
      const name = raw.toLowerCase();
      if (name.startsWith('*.')) leading.push({ suffix: name.slice(1), bare: undefined, index });
      else if (name.startsWith('.')) leading.push({ suffix: name, bare: name.slice(1), index });
      else if (name.endsWith('.*')) trailing.push({ prefix: name.slice(0, -1), index });
      else if (!exact.has(name)) exact.set(name, index); // nginx: the first server with a name keeps it
    }
  });
  // stable: of two equal wildcards the first written wins, as nginx keeps the first
  leading.sort((a, b) => b.suffix.length - a.suffix.length);
  trailing.sort((a, b) => b.prefix.length - a.prefix.length);
  return { exact, leading, trailing, regexes };
}

/** Host header → the name nginx compares: lower case, no port, no trailing dot. */
export function normalizeHost(host: string | undefined): string {
  if (host === undefined) return '';
  let h = host;
  if (h.startsWith('[')) {
    const close = h.indexOf(']');
    h = close < 0 ? h : h.slice(0, close + 1);
  } else {
    const colon = h.lastIndexOf(':');
    if (colon >= 0) h = h.slice(0, colon);
  }
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h.toLowerCase();
}

/** The index of the server for this Host, or -1 when no name matches (the default server then). */
export function findServer(t: ServerNameTable, host: string | undefined): number {
  const name = normalizeHost(host);
  const e = t.exact.get(name);
  if (e !== undefined) return e;
  for (const w of t.leading) if (name.endsWith(w.suffix) || name === w.bare) return w.index;
  for (const w of t.trailing) if (name.startsWith(w.prefix)) return w.index;
  for (const r of t.regexes) if (r.re.test(name)) return r.index;
  return -1;
}
