/**
 * nginx value syntax: times (`3`, `3s`, `500ms`, `1m30s`, `1h`), counts, and `host:port` addresses.
 */
import { parseIpv4, parseIpv6 } from '../../core/ip.js';

const UNIT_MS: Readonly<Record<string, number>> = {
  y: 365 * 86_400_000,
  M: 30 * 86_400_000,
  w: 7 * 86_400_000,
  d: 86_400_000,
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
};
const UNIT_ORDER = ['y', 'M', 'w', 'd', 'h', 'm', 's', 'ms'];

/**
 * An nginx time in milliseconds, as ngx_parse_time reads it: parts `<number><unit>` in falling
 * order of units, a bare number meaning seconds; `ms` only where the directive takes milliseconds
 * (`allowMs`; `fail_timeout` does not). Returns undefined for anything else.
 */
export function parseNginxTimeMs(text: string, allowMs: boolean): number | undefined {
  const t = text.trim();
  if (t.length === 0 || t.length > 64) return undefined;
  const re = /([0-9]+)(ms|[yMwdhms])?\s*/gy;
  let total = 0;
  let lastUnit = -1;
  let at = 0;
  let bare = false;
  while (at < t.length) {
    re.lastIndex = at;
    const m = re.exec(t);
    if (m === null || bare) return undefined;
    const unit = m[2] ?? 's';
    if (m[2] === undefined) bare = true;
    if (unit === 'ms' && !allowMs) return undefined;
    const order = UNIT_ORDER.indexOf(unit);
    if (order <= lastUnit) return undefined;
    lastUnit = order;
    total += Number(m[1]) * (UNIT_MS[unit] ?? 1000);
    at = re.lastIndex;
  }
  return Number.isSafeInteger(total) ? total : undefined;
}

/** A non-negative decimal integer (nginx's ngx_atoi), or undefined. */
export function parseCount(text: string): number | undefined {
  if (!/^[0-9]{1,9}$/.test(text)) return undefined;
  return Number(text);
}

export function parsePort(text: string): number | undefined {
  const n = parseCount(text);
  return n !== undefined && n >= 1 && n <= 65535 ? n : undefined;
}

export type HostPort =
  | { readonly ok: true; readonly host: string; readonly port: number | null; readonly ipv6: boolean }
  | { readonly ok: false; readonly why: string };

/**
 * `host`, `host:port`, `[v6]`, `[v6]:port`, `*:port` or a bare `port` (when `portAlone`, as in
 * `listen 80`). The host comes back without brackets.
 */
export function parseHostPort(text: string, portAlone: boolean): HostPort {
  if (text.startsWith('unix:')) return { ok: false, why: 'unix sockets are not supported' };
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return { ok: false, why: 'the IPv6 address has no ]' };
    const host = text.slice(1, close);
    if (parseIpv6(host) === undefined) return { ok: false, why: `not an IPv6 address: ${host}` };
    const rest = text.slice(close + 1);
    if (rest === '') return { ok: true, host, port: null, ipv6: true };
    if (!rest.startsWith(':')) return { ok: false, why: `unexpected text after ]: ${rest}` };
    const port = parsePort(rest.slice(1));
    if (port === undefined) return { ok: false, why: `invalid port: ${rest.slice(1)}` };
    return { ok: true, host, port, ipv6: true };
  }
  if (portAlone && /^[0-9]+$/.test(text)) {
    const port = parsePort(text);
    return port === undefined ? { ok: false, why: `invalid port: ${text}` } : { ok: true, host: '*', port, ipv6: false };
  }
  const colon = text.lastIndexOf(':');
  if (colon >= 0 && text.indexOf(':') !== colon) return { ok: false, why: 'an IPv6 address is written in brackets: [addr]:port' };
  const host = colon >= 0 ? text.slice(0, colon) : text;
  if (host === '') return { ok: false, why: 'no host' };
  if (!/^[A-Za-z0-9.*_-]+$/.test(host)) return { ok: false, why: `invalid host: ${host}` };
  if (colon < 0) return { ok: true, host, port: null, ipv6: false };
  const port = parsePort(text.slice(colon + 1));
  if (port === undefined) return { ok: false, why: `invalid port: ${text.slice(colon + 1)}` };
  return { ok: true, host, port, ipv6: false };
}

export function isIpLiteral(host: string): boolean {
  return parseIpv4(host) !== undefined || parseIpv6(host) !== undefined;
}

/** Edit distance, for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return 99;
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] ?? 0;
      row[j] = Math.min((row[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length] ?? 99;
}
