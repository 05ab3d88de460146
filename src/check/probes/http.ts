/**
 * HTTP_GET and SSL_GET. The request is written by hand on a TCP (or TLS) socket rather than with
 * node:http, because keepalived's checks speak HTTP/1.0 (node:http only sends 1.1), and because
 * the probe must bound what it reads: headers up to 64 KiB, the body up to maxBodyBytes.
 *
 * Like keepalived, one connection per url; the check passes when every url passes:
 * status in `status_code` (default 200-299), MD5 of the body equal to `digest`, `regex` found
 * (or, with `regex_no_match`, not found), and halo's `expectBody` text contained in the body.
 * The whole exchange must end within connect_timeout (keepalived applies it to each read too).
 */
import { createHash } from 'node:crypto';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { connect as tlsConnect } from 'node:tls';
import { statusMatches, type HttpCheckSpec, type HttpProtocol, type UrlSpec } from '../spec.js';
import { errorText, type ProbeOutcome, type ProbeTarget } from './types.js';
import { tcpConnectOptions } from './settle.js';

const MAX_HEADER_BYTES = 64 * 1024;

export interface HttpResponse {
  readonly status: number;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Buffer;
  /** The body was longer than the limit and was cut. */
  readonly truncated: boolean;
}

export type FetchResult = { readonly ok: true; readonly response: HttpResponse } | { readonly ok: false; readonly detail: string };

export interface FetchOptions {
  readonly target: ProbeTarget;
  readonly tls: boolean;
  readonly path: string;
  readonly host: string;
  readonly protocol: HttpProtocol;
  readonly method: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body?: string;
  readonly timeoutMs: number;
  readonly maxBodyBytes: number;
  readonly sniName?: string;
  readonly verifyTls: boolean;
  readonly bindTo?: string;
  readonly bindPort?: number;
}

export function buildRequest(o: Pick<FetchOptions, 'path' | 'host' | 'protocol' | 'method' | 'headers' | 'body'>): string {
  const version = o.protocol === '1.1' ? '1.1' : '1.0';
  const lines = [`${o.method} ${o.path} HTTP/${version}`, 'User-Agent: halo-check', `Host: ${o.host}`];
  if (o.protocol !== '1.0') lines.push('Connection: close');
  for (const [k, v] of o.headers) lines.push(`${k}: ${v}`);
  if (o.body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(o.body)}`);
  return lines.join('\r\n') + '\r\n\r\n' + (o.body ?? '');
}

/** Decodes a chunked body; returns undefined while incomplete, or the body (cut at maxBytes). */
function dechunk(raw: Buffer, maxBytes: number): { body: Buffer; done: boolean; truncated: boolean } | { error: string } {
  const parts: Buffer[] = [];
  let size = 0;
  let i = 0;
  for (let guard = 0; guard < 1_000_000; guard++) {
    const eol = raw.indexOf('\r\n', i);
    if (eol < 0) return { body: Buffer.concat(parts), done: false, truncated: false };
    const len = parseInt(raw.subarray(i, eol).toString('latin1').split(';')[0]!.trim(), 16);
    if (!Number.isFinite(len) || len < 0) return { error: 'bad chunk size' };
    if (len === 0) return { body: Buffer.concat(parts), done: true, truncated: false };
    const start = eol + 2;
    const take = Math.min(len, raw.length - start);
    const room = maxBytes - size;
    parts.push(raw.subarray(start, start + Math.min(take, room)));
    size += Math.min(take, room);
    if (size >= maxBytes && (take > room || len > room)) return { body: Buffer.concat(parts), done: true, truncated: true };
    if (take < len) return { body: Buffer.concat(parts), done: false, truncated: false };
    i = start + len + 2;
  }
  return { error: 'too many chunks' };
}

/**
 * Reads an HTTP/1.x response from the bytes received so far: the outcome, or undefined while
 * more bytes are needed. `ended` says the connection closed (or the byte limit was reached), so
 * what is there is all there will be. Shared by the Node path (fetchOnce, on every read) and the
 * native prober (once, on what it read), so both judge the same bytes the same way.
 */
export function parseResponse(all: Buffer, ended: boolean, o: Pick<FetchOptions, 'method' | 'maxBodyBytes'>): FetchResult | undefined {
  const headerEnd = all.indexOf('\r\n\r\n');
  const firstEol = all.indexOf('\r\n');
  const first = all.subarray(0, firstEol >= 0 ? firstEol : Math.min(all.length, 12)).toString('latin1');
  if ((firstEol >= 0 || all.length >= 12) && !/^HTTP\/1\.[01] \d{3}/.test(first)) return { ok: false, detail: `not an HTTP response: ${JSON.stringify(first.slice(0, 40))}` };
  if (headerEnd < 0) {
    if (all.length > MAX_HEADER_BYTES) return { ok: false, detail: `headers larger than ${MAX_HEADER_BYTES} bytes` };
    if (ended) return { ok: false, detail: all.length === 0 ? 'connection closed without a response' : 'connection closed inside the headers' };
    return undefined;
  }
  const head = all.subarray(0, headerEnd).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '');
  if (!m) return { ok: false, detail: `not an HTTP response: ${JSON.stringify((head[0] ?? '').slice(0, 40))}` };
  const status = Number(m[1]);
  const headers = new Map<string, string>();
  for (const line of head.slice(1)) {
    const c = line.indexOf(':');
    if (c > 0) headers.set(line.slice(0, c).trim().toLowerCase(), line.slice(c + 1).trim());
  }
  let contentLength: number | undefined;
  const cl = headers.get('content-length');
  if (cl !== undefined && /^\d+$/.test(cl)) contentLength = Number(cl);
  const chunked = /chunked/i.test(headers.get('transfer-encoding') ?? '');
  if (o.method === 'HEAD' || status === 204 || status === 304) contentLength = 0;
  const raw = all.subarray(headerEnd + 4);
  if (chunked) {
    const d = dechunk(raw, o.maxBodyBytes);
    if ('error' in d) return { ok: false, detail: `bad chunked body: ${d.error}` };
    if (d.done) return { ok: true, response: { status, headers, body: d.body, truncated: d.truncated } };
    if (ended) return { ok: false, detail: 'connection closed inside a chunked body' };
    return undefined;
  }
  if (contentLength !== undefined) {
    if (raw.length >= contentLength || raw.length >= o.maxBodyBytes) {
      const n = Math.min(contentLength, o.maxBodyBytes);
      return { ok: true, response: { status, headers, body: raw.subarray(0, n), truncated: contentLength > o.maxBodyBytes } };
    }
    if (ended) return { ok: false, detail: `connection closed after ${raw.length} of ${contentLength} body bytes` };
    return undefined;
  }
  if (raw.length >= o.maxBodyBytes) return { ok: true, response: { status, headers, body: raw.subarray(0, o.maxBodyBytes), truncated: true } };
  if (ended) return { ok: true, response: { status, headers, body: raw, truncated: false } };
  return undefined;
}

/** Bytes a probe reads at most: headers, the body limit, and room for chunk framing. */
export function readLimitBytes(maxBodyBytes: number): number {
  return MAX_HEADER_BYTES + maxBodyBytes + 64 * 1024;
}

/** One HTTP exchange with every bound applied. Never throws. */
export function fetchOnce(o: FetchOptions): Promise<FetchResult> {
  return new Promise((resolve) => {
    let settled = false;
    let socket: Socket;
    const chunks: Buffer[] = [];
    let received = 0;
    const limit = readLimitBytes(o.maxBodyBytes);

    const finish = (r: FetchResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // A plain TCP check connection is closed with a reset so that it leaves no TIME_WAIT
      // behind (see tcp.ts); TLS sockets cannot be reset from Node and are closed normally.
      if (!o.tls && !socket.destroyed && socket.readyState === 'open') socket.resetAndDestroy();
      else socket.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, detail: `timeout after ${o.timeoutMs} ms` }), o.timeoutMs);

    const tryComplete = (ended: boolean): void => {
      const all = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      // Keep one buffer so the next read appends to it instead of joining every chunk again.
      chunks.length = 0;
      chunks.push(all);
      const r = parseResponse(all, ended, o);
      if (r !== undefined) finish(r);
    };

    const common = tcpConnectOptions(o.target, o);
    const request = buildRequest(o);
    if (o.tls) {
      const servername = o.sniName !== undefined && isIP(o.sniName) === 0 ? o.sniName : undefined;
      socket = tlsConnect({ ...common, rejectUnauthorized: o.verifyTls, ...(servername !== undefined ? { servername } : {}) }, () => socket.write(request));
    } else {
      socket = netConnect(common, () => socket.write(request));
    }
    socket.on('data', (d: Buffer) => {
      if (settled) return;
      received += d.length;
      chunks.push(d);
      if (received > limit) {
        // More than headers + body + chunk framing: stop reading, decide on what is there.
        tryComplete(true);
        return;
      }
      tryComplete(false);
    });
    socket.on('end', () => tryComplete(true));
    socket.on('close', () => tryComplete(true));
    socket.on('error', (err) => {
      const code = (err as { code?: string }).code ?? '';
      const isTls = o.tls && (/^ERR_SSL|^ERR_TLS|CERT|SSL/i.test(code) || /ssl|tls|certificate|handshake/i.test(err.message));
      finish({ ok: false, detail: isTls ? `TLS error: ${errorText(err)}` : errorText(err) });
    });
  });
}

export function md5Hex(body: Buffer): string {
  return createHash('md5').update(body).digest('hex');
}

/** Judges one response against one url block; returns the failure detail, or undefined. */
export function judgeResponse(url: UrlSpec, r: HttpResponse): string | undefined {
  // Causes say what was expected too, so a log line alone explains the verdict.
  if (!statusMatches(r.status, url.statusCodes)) return `status ${r.status} not in ${url.statusCodes.map((c) => (c.from === c.to ? String(c.from) : `${c.from}-${c.to}`)).join(' ')}`;
  if (url.digest !== undefined) {
    if (r.truncated) return 'body larger than max_body_bytes: cannot check its digest';
    const got = md5Hex(r.body);
    if (got !== url.digest) return `digest mismatch: got ${got}, expected ${url.digest}`;
  }
  if (url.regex !== undefined || url.expectBody !== undefined) {
    const text = r.body.toString('utf8');
    if (url.regex !== undefined) {
      let found: boolean;
      try {
        found = new RegExp(url.regex).test(text);
      } catch {
        return `invalid regex ${url.regex}`;
      }
      if (found && url.regexNoMatch) return `regex ${url.regex} matched`;
      if (!found && !url.regexNoMatch) return `regex ${url.regex} did not match`;
    }
    if (url.expectBody !== undefined && !text.includes(url.expectBody)) return `body does not contain ${JSON.stringify(url.expectBody.slice(0, 40))}`;
  }
  return undefined;
}

/** How one exchange is done: fetchOnce (Node sockets) or the native prober (native-probes.ts). */
export type Fetcher = (o: FetchOptions) => Promise<FetchResult>;

/** Checks the given urls (indexes into spec.urls) one after the other, stopping at the first failure. */
export async function probeHttp(spec: HttpCheckSpec, target: ProbeTarget, urlIndexes: readonly number[], defaultHost?: string, fetch: Fetcher = fetchOnce): Promise<ProbeOutcome> {
  const startMs = performance.now();
  const indexes = urlIndexes.length > 0 ? urlIndexes : spec.urls.map((_, i) => i);
  let lastStatus = 0;
  for (const i of indexes) {
    const url = spec.urls[i];
    if (!url) continue;
    const hostName = url.virtualhost ?? spec.virtualhost ?? defaultHost ?? target.address;
    const host = isIP(hostName) === 6 ? `[${hostName}]` : hostName;
    const hostHeader = target.port === (spec.kind === 'SSL_GET' ? 443 : 80) ? host : `${host}:${target.port}`;
    const sni = spec.enableSni ? (spec.sniName ?? url.virtualhost ?? spec.virtualhost ?? defaultHost) : undefined;
    const r = await fetch({
      target,
      tls: spec.kind === 'SSL_GET',
      path: url.path,
      host: hostHeader,
      protocol: spec.httpProtocol,
      method: spec.method,
      headers: spec.headers,
      timeoutMs: spec.connectTimeoutMs,
      maxBodyBytes: spec.maxBodyBytes,
      verifyTls: spec.verifyTls,
      ...(spec.requestBody !== undefined ? { body: spec.requestBody } : {}),
      ...(sni !== undefined ? { sniName: sni } : {}),
      ...(spec.bindTo !== undefined ? { bindTo: spec.bindTo } : {}),
      ...(spec.bindPort !== undefined ? { bindPort: spec.bindPort } : {}),
    });
    const durationMs = Math.round(performance.now() - startMs);
    const prefix = indexes.length > 1 ? `${url.path}: ` : '';
    if (!r.ok) return { ok: false, detail: prefix + r.detail, durationMs };
    const bad = judgeResponse(url, r.response);
    if (bad !== undefined) return { ok: false, detail: prefix + bad, durationMs };
    lastStatus = r.response.status;
  }
  const durationMs = Math.round(performance.now() - startMs);
  return { ok: true, detail: indexes.length > 1 ? `${indexes.length} urls ok` : `status ${lastStatus}`, durationMs };
}
