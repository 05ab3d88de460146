/**
 * nginx `location` selection, compiled once per service (and per virtual host) at load and
 * reload, so a request does one map lookup, a short prefix scan and, only when needed, the
 * regexes. nginx's order (ngx_http_core_module, "location"):
 *
 *   1. an exact location (`= /path`) equal to the path wins at once;
 *   2. else the longest matching prefix is remembered; when it is `^~` it wins at once;
 *   3. else the regex locations (`~`, `~*`) are tried in the order written: the first match wins;
 *   4. else the remembered longest prefix.
 *
 * The path matched is the request target without its query string, as nginx matches `$uri`.
 */
import type { Route } from './types.js';

export interface RouteTable {
  readonly size: number;
  readonly exact: ReadonlyMap<string, Route>;
  /** Prefix routes, longest first (so the first hit is the longest match). */
  readonly prefixes: readonly Route[];
  readonly regexes: readonly { readonly re: RegExp; readonly route: Route }[];
}

export const EMPTY_ROUTES: RouteTable = { size: 0, exact: new Map(), prefixes: [], regexes: [] };

/** Compiles a route list; a regex that does not compile is left out (the loader reported it). */
export function compileRoutes(routes: readonly Route[]): RouteTable {
  if (routes.length === 0) return EMPTY_ROUTES;
  const exact = new Map<string, Route>();
  const prefixes: Route[] = [];
  const regexes: { re: RegExp; route: Route }[] = [];
  for (const r of routes) {
    const kind = r.match ?? 'prefix';
    if (kind === 'exact') {
      if (!exact.has(r.pathPrefix)) exact.set(r.pathPrefix, r);
    } else if (kind === 'regex') {
      try {
        regexes.push({ re: new RegExp(r.pathPrefix, r.caseless === true ? 'i' : ''), route: r });
      } catch {
        // the nginx loader refuses a bad regex with a positioned diagnostic before it gets here
      }
    } else prefixes.push(r);
  }
  // stable sort: of two equal prefixes the first written stays first (the loader refuses duplicates)
  prefixes.sort((a, b) => b.pathPrefix.length - a.pathPrefix.length);
  return { size: routes.length, exact, prefixes, regexes };
}

/** The path nginx matches locations against: the target up to `?`. */
export function matchPath(target: string): string {
  const q = target.indexOf('?');
  return q < 0 ? target : target.slice(0, q);
}

/** The location for a request target (origin-form), in nginx's order; undefined: none. */
export function findRoute(t: RouteTable, target: string): Route | undefined {
  if (t.size === 0) return undefined;
  const path = matchPath(target);
  if (t.exact.size > 0) {
    const e = t.exact.get(path);
    if (e !== undefined) return e;
  }
  let prefix: Route | undefined;
  for (const r of t.prefixes) {
    if (path.startsWith(r.pathPrefix)) {
      prefix = r;
      break;
    }
  }
  if (prefix?.noRegex === true) return prefix;
  for (const x of t.regexes) if (x.re.test(path)) return x.route;
  return prefix;
}
