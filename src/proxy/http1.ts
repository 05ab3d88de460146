/**
 * halo's own incremental HTTP/1.1 parser (RFC 9112). It works on the raw bytes of `node:net`
 * sockets: heads are parsed once the blank line has arrived, bodies are framed by a small state
 * machine that never copies payload bytes. It never throws on input from the network: every
 * rejection is a named reason with the status nginx/HAProxy answer, and the caller counts it.
 *
 * Strictness is deliberate (request smuggling, RFC 9112 section 11.2): Content-Length together
 * with Transfer-Encoding, two different Content-Lengths, a Transfer-Encoding other than
 * `chunked`, bad chunk sizes, bare CR or LF, obs-fold, whitespace before the colon and invalid
 * field names are all refused.
 */

export type RejectReason =
  | 'head-too-large'
  | 'request-line-too-long'
  | 'too-many-headers'
  | 'bad-request-line'
  | 'bad-status-line'
  | 'bad-version'
  | 'bare-cr-or-lf'
  | 'obs-fold'
  | 'bad-header-name'
  | 'bad-header-value'
  | 'cl-and-te'
  | 'bad-content-length'
  | 'conflicting-content-length'
  | 'unsupported-transfer-encoding'
  | 'missing-host'
  | 'duplicate-host'
  | 'body-too-large'
  | 'bad-chunk-size'
  | 'bad-chunk-extension'
  | 'bad-chunk-terminator'
  | 'trailer-too-large'
  | 'bad-trailer';

/** The status halo answers for each reason (request side); nginx/HAProxy choices in comments. */
export const REJECT_STATUS: Readonly<Record<RejectReason, number>> = {
  'head-too-large': 431, // HAProxy 431; nginx 400 "Request Header Or Cookie Too Large"
  'request-line-too-long': 414, // nginx 414 Request-URI Too Large
  'too-many-headers': 431, // HAProxy tune.http.maxhdr
  'bad-request-line': 400,
  'bad-status-line': 502,
  'bad-version': 505, // nginx 505 for HTTP/2.0+ on the 1.x parser
  'bare-cr-or-lf': 400,
  'obs-fold': 400, // RFC 9112 section 5.2: a server MUST reject or replace; halo rejects
  'bad-header-name': 400,
  'bad-header-value': 400,
  'cl-and-te': 400, // RFC 9112 section 6.1: MAY reject; halo rejects (smuggling)
  'bad-content-length': 400,
  'conflicting-content-length': 400,
  'unsupported-transfer-encoding': 501, // nginx 501 for anything but chunked
  'missing-host': 400, // RFC 9112 section 3.2
  'duplicate-host': 400,
  'body-too-large': 413, // nginx client_max_body_size
  'bad-chunk-size': 400,
  'bad-chunk-extension': 400,
  'bad-chunk-terminator': 400,
  'trailer-too-large': 400,
  'bad-trailer': 400,
};

export interface HeadLimits {
  /** Whole head including the blank line (nginx large_client_header_buffers: 4 x 8k). */
  readonly maxHeadBytes: number;
  /** Request or status line (nginx: one large buffer, 8k). */
  readonly maxLineBytes: number;
  /** Header field count (HAProxy tune.http.maxhdr is 101). */
  readonly maxHeaders: number;
}

export const DEFAULT_HEAD_LIMITS: HeadLimits = { maxHeadBytes: 32 * 1024, maxLineBytes: 8 * 1024, maxHeaders: 100 };

/** A header as received: `name` keeps its case for forwarding, `lname` is for lookups. */
export interface Header {
  readonly name: string;
  readonly lname: string;
  readonly value: string;
}

/** How a message body is delimited (RFC 9112 section 6.3). */
export type Framing =
  | { readonly kind: 'none' }
  | { readonly kind: 'length'; readonly length: number }
  | { readonly kind: 'chunked' }
  | { readonly kind: 'close' };

interface HeadCommon {
  readonly versionMinor: 0 | 1;
  readonly headers: readonly Header[];
  /** Lower-cased tokens of every Connection header. */
  readonly connectionTokens: readonly string[];
  /** Content-Length when present (already checked for conflicts), else -1. */
  readonly contentLength: number;
  readonly chunked: boolean;
  /** Bytes of the head, blank line included. */
  readonly headBytes: number;
}

export interface RequestHead extends HeadCommon {
  readonly method: string;
  readonly target: string;
  readonly host: string | undefined;
  /** The Upgrade header when Connection lists `upgrade` (a tunnel is asked for). */
  readonly upgrade: string | undefined;
  readonly expectContinue: boolean;
  /** Whether the client wants the connection kept after this exchange (RFC 9112 section 9.3). */
  readonly keepAlive: boolean;
  readonly framing: Framing;
}

export interface ResponseHead extends HeadCommon {
  readonly status: number;
  readonly reason: string;
  readonly keepAlive: boolean;
}

export type HeadResult<T> =
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'ok'; readonly head: T }
  | { readonly kind: 'error'; readonly reason: RejectReason };

const INCOMPLETE = { kind: 'incomplete' } as const;

// RFC 9110 section 5.6.2 token characters.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** TOKEN as a table by char code, for the per-header checks (a loop beats a regex call there). */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TCHAR[c.charCodeAt(0)] = 1;

/** Whether text[from, to) is a non-empty token. */
function isToken(text: string, from: number, to: number): boolean {
  if (to <= from) return false;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c > 127 || TCHAR[c] === 0) return false;
  }
  return true;
}

/** Whether text[from, to) holds a character a field value may not (BAD_VALUE_CHAR below). */
function hasBadValueChar(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if ((c < 32 && c !== 9) || c === 127) return true;
  }
  return false;
}
// Field values: HTAB, SP, VCHAR, obs-text. Anything else (NUL, CR, LF, other CTLs, DEL) is refused.
const BAD_VALUE_CHAR = /[\x00-\x08\x0a-\x1f\x7f]/;
// origin-form, absolute-form, authority-form or asterisk-form: visible characters only.
const TARGET = /^[\x21-\x7e\x80-\xff]+$/;
const DIGITS = /^[0-9]+$/;

/**
 * Finds the end of a head (the CRLF CRLF) at or after `start`. Returns the offset just past it,
 * -1 while incomplete, or -2 when a bare LF shows the sender does not end lines with CRLF.
 * Up to two leading empty lines are tolerated before a request line (RFC 9112 section 2.2).
 */
export function findHeadEnd(buf: Buffer, start: number): number {
  const end = buf.indexOf('\r\n\r\n', start, 'latin1');
  const limit = end >= 0 ? end + 4 : buf.length;
  // A bare LF anywhere in the head is refused here, before the whole head arrives, so a client
  // ending lines with LF alone gets its 400 at once instead of a timeout.
  let lf = buf.indexOf(10, start);
  while (lf >= 0 && lf < limit) {
    if (lf === start || buf[lf - 1] !== 13) return -2;
    lf = buf.indexOf(10, lf + 1);
  }
  return end >= 0 ? end + 4 : -1;
}

function skipLeadingEmptyLines(buf: Buffer, start: number): number {
  let p = start;
  for (let i = 0; i < 2 && buf[p] === 13 && buf[p + 1] === 10; i++) p += 2;
  return p;
}

interface ParsedFields {
  headers: Header[];
  connectionTokens: string[];
  contentLength: number;
  chunked: boolean;
  transferEncoding: string | undefined;
  host: string | undefined;
  hostCount: number;
  upgrade: string | undefined;
  expectContinue: boolean;
}

/** Parses the header lines of `text` (which starts after the first line and ends with CRLF CRLF). */
function parseFields(text: string, from: number, limits: HeadLimits): ParsedFields | RejectReason {
  const out: ParsedFields = {
    headers: [],
    connectionTokens: [],
    contentLength: -1,
    chunked: false,
    transferEncoding: undefined,
    host: undefined,
    hostCount: 0,
    upgrade: undefined,
    expectContinue: false,
  };
  let p = from;
  const end = text.length - 2; // the final CRLF of the blank line
  while (p < end) {
    const eol = text.indexOf('\r\n', p);
    if (eol < 0) return 'bare-cr-or-lf';
    const c0 = text.charCodeAt(p);
    if (c0 === 32 || c0 === 9) return 'obs-fold';
    const colon = text.indexOf(':', p);
    if (colon < 0 || colon > eol) return 'bad-header-name';
    if (!isToken(text, p, colon)) return 'bad-header-name'; // also catches "Name : value"
    const name = text.slice(p, colon);
    let vs = colon + 1;
    let ve = eol;
    while (vs < ve && (text.charCodeAt(vs) === 32 || text.charCodeAt(vs) === 9)) vs++;
    while (ve > vs && (text.charCodeAt(ve - 1) === 32 || text.charCodeAt(ve - 1) === 9)) ve--;
    const value = text.slice(vs, ve);
    if (hasBadValueChar(text, vs, ve)) return value.includes('\r') || value.includes('\n') ? 'bare-cr-or-lf' : 'bad-header-value';
    if (out.headers.length >= limits.maxHeaders) return 'too-many-headers';
    const lname = name.toLowerCase();
    out.headers.push({ name, lname, value });
    switch (lname) {
      case 'content-length': {
        if (!DIGITS.test(value) || value.length > 15) return 'bad-content-length';
        const n = Number(value);
        if (out.contentLength >= 0 && out.contentLength !== n) return 'conflicting-content-length';
        out.contentLength = n;
        break;
      }
      case 'transfer-encoding':
        out.transferEncoding = out.transferEncoding === undefined ? value : `${out.transferEncoding}, ${value}`;
        break;
      case 'connection':
        for (const t of value.split(',')) {
          const tok = t.trim().toLowerCase();
          if (tok.length > 0) out.connectionTokens.push(tok);
        }
        break;
      case 'host':
        out.hostCount++;
        out.host = value;
        break;
      case 'upgrade':
        out.upgrade = value;
        break;
      case 'expect':
        if (value.toLowerCase() === '100-continue') out.expectContinue = true;
        break;
      default:
        break;
    }
    p = eol + 2;
  }
  if (out.transferEncoding !== undefined) {
    // nginx accepts only `chunked` (501 otherwise); a list such as `gzip, chunked` is refused too.
    if (out.transferEncoding.trim().toLowerCase() !== 'chunked') return 'unsupported-transfer-encoding';
    if (out.contentLength >= 0) return 'cl-and-te';
    out.chunked = true;
  }
  return out;
}

function versionOf(s: string): 0 | 1 | 'bad' | 'unsupported' {
  if (s === 'HTTP/1.1') return 1;
  if (s === 'HTTP/1.0') return 0;
  if (/^HTTP\/[0-9]\.[0-9]$/.test(s)) return 'unsupported';
  return 'bad';
}

/** Parses one request head starting at `start` (pipelined requests follow it in `buf`). */
export function parseRequestHead(buf: Buffer, start: number, limits: HeadLimits = DEFAULT_HEAD_LIMITS): HeadResult<RequestHead> {
  const s = skipLeadingEmptyLines(buf, start);
  const endOff = findHeadEnd(buf, s);
  if (endOff === -2) return { kind: 'error', reason: 'bare-cr-or-lf' };
  if (endOff === -1) {
    const firstEol = buf.indexOf('\r\n', s, 'latin1');
    if ((firstEol < 0 ? buf.length - s : firstEol - s) > limits.maxLineBytes) return { kind: 'error', reason: 'request-line-too-long' };
    if (buf.length - s > limits.maxHeadBytes) return { kind: 'error', reason: 'head-too-large' };
    return INCOMPLETE;
  }
  if (endOff - s > limits.maxHeadBytes) return { kind: 'error', reason: 'head-too-large' };
  const text = buf.toString('latin1', s, endOff);
  const eol = text.indexOf('\r\n');
  if (eol > limits.maxLineBytes) return { kind: 'error', reason: 'request-line-too-long' };
  // request-line = method SP request-target SP HTTP-version (exactly one SP each, section 3)
  const sp1 = text.indexOf(' ');
  const sp2 = sp1 < 0 ? -1 : text.indexOf(' ', sp1 + 1);
  if (sp1 <= 0 || sp2 < 0 || sp2 > eol) return { kind: 'error', reason: 'bad-request-line' };
  const method = text.slice(0, sp1);
  const target = text.slice(sp1 + 1, sp2);
  const version = versionOf(text.slice(sp2 + 1, eol));
  if (!TOKEN.test(method) || !TARGET.test(target)) return { kind: 'error', reason: 'bad-request-line' };
  if (version === 'bad') return { kind: 'error', reason: 'bad-request-line' };
  if (version === 'unsupported') return { kind: 'error', reason: 'bad-version' };
  const f = parseFields(text, eol + 2, limits);
  if (typeof f === 'string') return { kind: 'error', reason: f };
  if (f.hostCount > 1) return { kind: 'error', reason: 'duplicate-host' };
  if (version === 1 && f.hostCount === 0) return { kind: 'error', reason: 'missing-host' };
  if (f.chunked && version === 0) return { kind: 'error', reason: 'unsupported-transfer-encoding' };
  const closeTok = f.connectionTokens.includes('close');
  const keepAlive = version === 1 ? !closeTok : f.connectionTokens.includes('keep-alive') && !closeTok;
  const upgrade = f.upgrade !== undefined && f.connectionTokens.includes('upgrade') && version === 1 ? f.upgrade : undefined;
  const framing: Framing = f.chunked
    ? { kind: 'chunked' }
    : f.contentLength > 0
      ? { kind: 'length', length: f.contentLength }
      : { kind: 'none' };
  return {
    kind: 'ok',
    head: {
      method,
      target,
      versionMinor: version,
      headers: f.headers,
      connectionTokens: f.connectionTokens,
      contentLength: f.contentLength,
      chunked: f.chunked,
      headBytes: endOff - start,
      host: f.host,
      upgrade,
      expectContinue: f.expectContinue,
      keepAlive,
      framing,
    },
  };
}

/** Parses one response head starting at `start`. Upstream violations map to 502 by the caller. */
export function parseResponseHead(buf: Buffer, start: number, limits: HeadLimits = DEFAULT_HEAD_LIMITS): HeadResult<ResponseHead> {
  const endOff = findHeadEnd(buf, start);
  if (endOff === -2) return { kind: 'error', reason: 'bare-cr-or-lf' };
  if (endOff === -1) {
    if (buf.length - start > limits.maxHeadBytes) return { kind: 'error', reason: 'head-too-large' };
    return INCOMPLETE;
  }
  if (endOff - start > limits.maxHeadBytes) return { kind: 'error', reason: 'head-too-large' };
  const text = buf.toString('latin1', start, endOff);
  const eol = text.indexOf('\r\n');
  // status-line = HTTP-version SP status-code SP [ reason-phrase ] (section 4)
  if (eol < 12 || text.charCodeAt(8) !== 32) return { kind: 'error', reason: 'bad-status-line' };
  const version = versionOf(text.slice(0, 8));
  if (version === 'bad' || version === 'unsupported') return { kind: 'error', reason: 'bad-status-line' };
  const code = text.slice(9, 12);
  if (!/^[1-9][0-9][0-9]$/.test(code)) return { kind: 'error', reason: 'bad-status-line' };
  if (eol > 12 && text.charCodeAt(12) !== 32) return { kind: 'error', reason: 'bad-status-line' };
  const reason = eol > 13 ? text.slice(13, eol) : '';
  if (BAD_VALUE_CHAR.test(reason)) return { kind: 'error', reason: 'bad-status-line' };
  const f = parseFields(text, eol + 2, limits);
  if (typeof f === 'string') return { kind: 'error', reason: f };
  const closeTok = f.connectionTokens.includes('close');
  const keepAlive = version === 1 ? !closeTok : f.connectionTokens.includes('keep-alive') && !closeTok;
  return {
    kind: 'ok',
    head: {
      status: Number(code),
      reason,
      versionMinor: version,
      headers: f.headers,
      connectionTokens: f.connectionTokens,
      contentLength: f.contentLength,
      chunked: f.chunked,
      headBytes: endOff - start,
      keepAlive,
    },
  };
}

/** RFC 9112 section 6.3: how the response to `method` with this head is delimited. */
export function responseFraming(method: string, head: ResponseHead): Framing {
  const s = head.status;
  if (method === 'HEAD' || (s >= 100 && s < 200) || s === 204 || s === 304) return { kind: 'none' };
  if (head.chunked) return { kind: 'chunked' };
  if (head.contentLength >= 0) return head.contentLength === 0 ? { kind: 'none' } : { kind: 'length', length: head.contentLength };
  return { kind: 'close' };
}

const enum CState {
  Size,
  SizeWs,
  Ext,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  TrailerLine,
  TrailerLf,
  FinalLf,
  Done,
}

export interface BodyLimits {
  /** Body bytes (payload, not framing) allowed; 0 = unlimited (nginx client_max_body_size 0). */
  readonly maxBodyBytes: number;
  readonly maxChunkLineBytes: number;
  readonly maxTrailerBytes: number;
}

export const DEFAULT_BODY_LIMITS: BodyLimits = { maxBodyBytes: 0, maxChunkLineBytes: 4096, maxTrailerBytes: 8192 };

/** The result of feeding bytes: how many belong to this body, and whether it ended. */
export interface BodyStep {
  used: number;
  done: boolean;
  error: RejectReason | undefined;
}

/**
 * Frames one message body without copying it. `feed` reports how many bytes of `buf[off..]`
 * belong to the body (framing included, so chunked bodies are forwarded as they came);
 * `onData`, when given, sees only the payload ranges (used to de-chunk for HTTP/1.0 clients).
 */
export class BodyFramer {
  private remaining = 0;
  private state: CState = CState.Size;
  private size = 0;
  private digits = 0;
  private lineBytes = 0;
  private trailerBytes = 0;
  private payloadBytes = 0;
  private readonly step: BodyStep = { used: 0, done: false, error: undefined };

  constructor(
    readonly framing: Framing,
    private readonly limits: BodyLimits = DEFAULT_BODY_LIMITS,
  ) {
    if (framing.kind === 'length') this.remaining = framing.length;
    if (framing.kind === 'none') this.state = CState.Done;
  }

  get done(): boolean {
    return this.state === CState.Done || (this.framing.kind === 'length' && this.remaining === 0);
  }

  get payload(): number {
    return this.payloadBytes;
  }

  /** For `close` framing: the peer closed, so the body is complete. */
  feed(buf: Buffer, off: number, onData?: (start: number, end: number) => void): BodyStep {
    const st = this.step;
    st.error = undefined;
    const avail = buf.length - off;
    switch (this.framing.kind) {
      case 'none':
        st.used = 0;
        st.done = true;
        return st;
      case 'close':
        this.payloadBytes += avail;
        if (onData && avail > 0) onData(off, buf.length);
        st.used = avail;
        st.done = false;
        return this.checkLimit(st);
      case 'length': {
        const n = avail < this.remaining ? avail : this.remaining;
        this.remaining -= n;
        this.payloadBytes += n;
        if (onData && n > 0) onData(off, off + n);
        st.used = n;
        st.done = this.remaining === 0;
        return this.checkLimit(st);
      }
      case 'chunked':
        return this.checkLimit(this.feedChunked(buf, off, onData));
    }
  }

  private checkLimit(st: BodyStep): BodyStep {
    if (st.error === undefined && this.limits.maxBodyBytes > 0 && this.payloadBytes > this.limits.maxBodyBytes) st.error = 'body-too-large';
    return st;
  }

  private fail(reason: RejectReason, used: number): BodyStep {
    const st = this.step;
    st.used = used;
    st.done = false;
    st.error = reason;
    return st;
  }

  private feedChunked(buf: Buffer, off: number, onData?: (start: number, end: number) => void): BodyStep {
    let p = off;
    const n = buf.length;
    while (p < n && this.state !== CState.Done) {
      if (this.state === CState.Data) {
        const take = n - p < this.remaining ? n - p : this.remaining;
        if (onData && take > 0) onData(p, p + take);
        this.remaining -= take;
        this.payloadBytes += take;
        p += take;
        if (this.remaining === 0) this.state = CState.DataCr;
        continue;
      }
      const c = buf[p] as number;
      p++;
      switch (this.state) {
        case CState.Size: {
          const h = hexVal(c);
          if (h >= 0) {
            // 2^48 bytes per chunk is far beyond any limit and keeps the arithmetic exact.
            if (++this.digits > 12) return this.fail('bad-chunk-size', p - off);
            this.size = this.size * 16 + h;
          } else if (this.digits === 0) {
            return this.fail('bad-chunk-size', p - off);
          } else if (c === 13) {
            this.state = CState.SizeLf;
          } else if (c === 59) {
            this.state = CState.Ext;
          } else if (c === 32 || c === 9) {
            this.state = CState.SizeWs;
          } else {
            return this.fail('bad-chunk-size', p - off);
          }
          break;
        }
        case CState.SizeWs:
          // BWS is allowed only before a chunk extension (RFC 9112 section 7.1.1).
          if (c === 59) this.state = CState.Ext;
          else if (c !== 32 && c !== 9) return this.fail('bad-chunk-size', p - off);
          break;
        case CState.Ext:
          if (c === 13) this.state = CState.SizeLf;
          else if ((c < 32 && c !== 9) || c === 127) return this.fail('bad-chunk-extension', p - off);
          break;
        case CState.SizeLf:
          if (c !== 10) return this.fail('bad-chunk-size', p - off);
          if (this.size === 0) {
            this.state = CState.TrailerStart;
          } else {
            this.remaining = this.size;
            this.state = CState.Data;
          }
          this.size = 0;
          this.digits = 0;
          this.lineBytes = 0;
          continue;
        case CState.DataCr:
          if (c !== 13) return this.fail('bad-chunk-terminator', p - off);
          this.state = CState.DataLf;
          continue;
        case CState.DataLf:
          if (c !== 10) return this.fail('bad-chunk-terminator', p - off);
          this.state = CState.Size;
          continue;
        case CState.TrailerStart:
          if (c === 13) {
            this.state = CState.FinalLf;
          } else if (c === 32 || c === 9 || c === 10 || c === 58) {
            return this.fail('bad-trailer', p - off);
          } else {
            this.state = CState.TrailerLine;
          }
          if (++this.trailerBytes > this.limits.maxTrailerBytes) return this.fail('trailer-too-large', p - off);
          continue;
        case CState.TrailerLine:
          if (c === 13) this.state = CState.TrailerLf;
          else if (c === 10 || c === 0) return this.fail('bad-trailer', p - off);
          if (++this.trailerBytes > this.limits.maxTrailerBytes) return this.fail('trailer-too-large', p - off);
          continue;
        case CState.TrailerLf:
          if (c !== 10) return this.fail('bad-trailer', p - off);
          this.state = CState.TrailerStart;
          continue;
        case CState.FinalLf:
          if (c !== 10) return this.fail('bad-chunk-terminator', p - off);
          this.state = CState.Done;
          continue;
        default:
          break;
      }
      if (++this.lineBytes > this.limits.maxChunkLineBytes) return this.fail('bad-chunk-extension', p - off);
    }
    const st = this.step;
    st.used = p - off;
    st.done = this.state === CState.Done;
    return st;
  }
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Hop-by-hop fields (RFC 9110 section 7.6.1) plus the non-standard ones proxies also drop. */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
]);

/** Whether a head contains any field a proxy must not forward as is. */
export function hasHopByHop(headers: readonly Header[], connectionTokens: readonly string[]): boolean {
  for (const h of headers) {
    if (HOP_BY_HOP.has(h.lname)) return true;
    if (connectionTokens.length > 0 && connectionTokens.includes(h.lname)) return true;
  }
  return false;
}
