/**
 * Value types of keepalived.conf (keepalived.conf(5) "PARAMETER SYNTAX"): BOOL, TIMER (decimal
 * seconds, microsecond resolution), integers with ranges, IP addresses. Pure: every parser returns
 * a value or undefined and reports through the context; nothing throws.
 */
import type { Diagnostic, SourcePos } from '../../core/diagnostic.js';
import type { ErrorCode } from '../../core/errors/index.js';
import type { Word } from '../tree.js';
import type { Family } from './model.js';

export class BuildContext {
  readonly diagnostics: Diagnostic[] = [];

  report(severity: Diagnostic['severity'], code: ErrorCode, message: string, at: Word | SourcePos | undefined, extra?: { hint?: string; length?: number }): void {
    const d: { -readonly [K in keyof Diagnostic]: Diagnostic[K] } = { severity, code, message };
    if (at !== undefined) {
      if ('text' in at) {
        d.pos = at.pos;
        d.length = Math.max(1, at.text.length + (at.quoted ? 2 : 0));
        if (at.includeChain.length > 0) d.includeChain = at.includeChain;
      } else {
        d.pos = at;
      }
    }
    if (extra?.hint !== undefined) d.hint = extra.hint;
    if (extra?.length !== undefined) d.length = extra.length;
    this.diagnostics.push(d);
  }
  error(code: ErrorCode, message: string, at: Word | SourcePos | undefined, hint?: string): void {
    this.report('error', code, message, at, hint === undefined ? undefined : { hint });
  }
  warn(code: ErrorCode, message: string, at: Word | SourcePos | undefined, hint?: string): void {
    this.report('warning', code, message, at, hint === undefined ? undefined : { hint });
  }
}

const TRUE_WORDS = new Set(['on', 'true', 'yes']);
const FALSE_WORDS = new Set(['off', 'false', 'no']);

export function isBoolWord(text: string): boolean {
  const t = text.toLowerCase();
  return TRUE_WORDS.has(t) || FALSE_WORDS.has(t);
}

/** `<BOOL>`: on|off|true|false|yes|no. keepalived compares without case. */
export function parseBool(ctx: BuildContext, keyword: string, w: Word): boolean | undefined {
  const t = w.text.toLowerCase();
  if (TRUE_WORDS.has(t)) return true;
  if (FALSE_WORDS.has(t)) return false;
  ctx.error('HALO_CFG_BAD_VALUE', `Value of ${keyword} is not a BOOL: "${w.text}" (expected on, off, true, false, yes or no)`, w);
  return undefined;
}

/**
 * `<TIMER>`: decimal seconds with up to microsecond resolution (keepalived reads them as
 * microseconds). Returns whole microseconds, computed from the digits so that 0.1 is exactly
 * 100000 (no binary floating point on the way).
 */
export function parseTimerUs(ctx: BuildContext, keyword: string, w: Word, maxSeconds = 4294): number | undefined {
  // A char loop rather than regular expressions: delay_loop and friends appear once per checker.
  const t = w.text;
  let whole = 0;
  let fracUs = 0;
  let fracDigits = 0;
  let wholeDigits = 0;
  let seenDot = false;
  let roundUp = 0;
  let ok = t.length > 0;
  for (let i = 0; i < t.length && ok; i++) {
    const c = t.charCodeAt(i);
    if (c === 46) {
      if (seenDot) ok = false;
      seenDot = true;
    } else if (c >= 48 && c <= 57) {
      if (!seenDot) {
        if (++wholeDigits > 10) ok = false;
        whole = whole * 10 + (c - 48);
      } else if (fracDigits < 6) {
        fracUs = fracUs * 10 + (c - 48);
        fracDigits++;
      } else if (fracDigits === 6) {
        // Digits beyond microseconds round half up, as strtod-and-multiply would.
        roundUp = c >= 53 ? 1 : 0;
        fracDigits++;
      }
    } else ok = false;
  }
  if (!ok || wholeDigits + fracDigits === 0) {
    ctx.error('HALO_CFG_BAD_VALUE', `Value of ${keyword} is not a TIMER: "${w.text}" (expected decimal seconds such as 1 or 0.5)`, w);
    return undefined;
  }
  for (let d = Math.min(fracDigits, 6); d < 6; d++) fracUs *= 10;
  const us = whole * 1_000_000 + fracUs + roundUp;
  if (us > maxSeconds * 1_000_000) {
    ctx.error('HALO_CFG_OUT_OF_RANGE', `Value of ${keyword} is out of range: ${w.text} (at most ${maxSeconds} seconds)`, w);
    return undefined;
  }
  return us;
}

export function parseTimerMs(ctx: BuildContext, keyword: string, w: Word, maxSeconds?: number): number | undefined {
  const us = parseTimerUs(ctx, keyword, w, maxSeconds);
  return us === undefined ? undefined : Math.round(us / 1000);
}

/** A decimal integer (keepalived also takes a sign) inside [min, max]. */
export function parseInt10(ctx: BuildContext, keyword: string, w: Word, min: number, max: number): number | undefined {
  if (!/^[+-]?\d{1,15}$/.test(w.text)) {
    ctx.error('HALO_CFG_BAD_VALUE', `Value of ${keyword} is not an integer: "${w.text}"`, w);
    return undefined;
  }
  const n = Number(w.text);
  if (n < min || n > max) {
    ctx.error('HALO_CFG_OUT_OF_RANGE', `Value of ${keyword} is out of range: ${n} (allowed ${min} to ${max})`, w);
    return undefined;
  }
  return n;
}

export function isIntWord(text: string): boolean {
  return /^[+-]?\d{1,15}$/.test(text);
}

/** Dotted quad, each part 0..255 with 1 to 3 digits. A char loop: this runs once per server. */
function ipv4Ok(s: string): boolean {
  let parts = 0;
  let digits = 0;
  let value = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i === s.length ? 46 : s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || value > 255) return false;
      parts++;
      digits = 0;
      value = 0;
    } else if (c >= 48 && c <= 57) {
      if (++digits > 3) return false;
      value = value * 10 + (c - 48);
    } else return false;
  }
  return parts === 4;
}

function ipv6Ok(s: string): boolean {
  if (s.length < 2 || s.length > 45) return false;
  let text = s;
  let groupsNeeded = 8;
  // An embedded IPv4 tail (::ffff:1.2.3.4) counts as two groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    if (!ipv4Ok(tail)) return false;
    text = text.slice(0, lastColon + 1) + '0';
    groupsNeeded = 7;
  }
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groupOk = (g: string): boolean => /^[0-9a-fA-F]{1,4}$/.test(g);
  const split = (h: string): string[] | null => {
    if (h === '') return [];
    const gs = h.split(':');
    return gs.every(groupOk) ? gs : null;
  };
  const left = split(halves[0] ?? '');
  if (left === null) return false;
  if (halves.length === 1) return left.length === groupsNeeded;
  const right = split(halves[1] ?? '');
  if (right === null) return false;
  return left.length + right.length < groupsNeeded;
}

/** The family of a literal address, or undefined when it is not one. */
export function ipFamily(text: string): Family | undefined {
  if (ipv4Ok(text)) return 'inet';
  const noZone = text.includes('%') ? text.slice(0, text.indexOf('%')) : text;
  if (noZone.includes(':') && ipv6Ok(noZone)) return 'inet6';
  return undefined;
}

export function parseIp(ctx: BuildContext, keyword: string, w: Word): { address: string; family: Family } | undefined {
  const family = ipFamily(w.text);
  if (family === undefined) {
    ctx.error('HALO_CFG_BAD_VALUE', `Value of ${keyword} is not an IP address: "${w.text}"`, w);
    return undefined;
  }
  return { address: w.text, family };
}

/** `ADDR[/PREFIX]`: the prefix defaults to the host length (/32 or /128) as in `ip addr add`. */
export function parseIpPrefix(ctx: BuildContext, keyword: string, w: Word): { address: string; family: Family; prefixLength: number; prefixGiven: boolean } | undefined {
  const slash = w.text.indexOf('/');
  const addr = slash < 0 ? w.text : w.text.slice(0, slash);
  const family = ipFamily(addr);
  if (family === undefined) {
    ctx.error('HALO_CFG_BAD_VALUE', `Value of ${keyword} is not an IP address: "${w.text}"`, w);
    return undefined;
  }
  const maxLen = family === 'inet' ? 32 : 128;
  if (slash < 0) return { address: addr, family, prefixLength: maxLen, prefixGiven: false };
  const p = w.text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(p) || Number(p) > maxLen) {
    ctx.error('HALO_CFG_BAD_VALUE', `Prefix length of ${keyword} is not valid: "${w.text}" (0 to ${maxLen})`, w);
    return undefined;
  }
  return { address: addr, family, prefixLength: Number(p), prefixGiven: true };
}

/** Levenshtein distance, bounded: returns max+1 as soon as the distance must exceed max. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const v = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    [prev, cur] = [cur, prev];
  }
  return prev[b.length] ?? max + 1;
}

/** The closest candidate within a distance that grows with the word's length, or undefined. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const max = word.length <= 4 ? 1 : word.length <= 8 ? 2 : 3;
  let best: string | undefined;
  let bestD = max + 1;
  const lower = word.toLowerCase();
  for (const c of candidates) {
    const d = editDistance(lower, c.toLowerCase(), max);
    if (d < bestD || (d === bestD && best !== undefined && c < best)) {
      best = c;
      bestD = d;
    }
  }
  return bestD <= max ? best : undefined;
}
