/**
 * TCP_CHECK and plain HTTP_GET on the native batch prober (native-prober.ts), with the Node
 * socket probes (tcp.ts, http.ts fetchOnce) as the fallback: when the addon is missing or turned
 * off, for SSL_GET, and for a target that is not an IP address. Both paths give the same verdicts
 * and, for the common outcomes, the same details (src/check/probes/probe-paths.test.ts runs one
 * suite against both). bindto and bind_port are done natively (bind before connect).
 *
 * HTTP: C connects, writes the request halo built, reads the response (until the server closes,
 * the byte limit, or a visibly complete response), and the bytes are parsed and judged here by
 * the same code as on the Node path (parseResponse, judgeResponse).
 */
import { performance } from 'node:perf_hooks';
import type { TcpCheckSpec } from '../spec.js';
import { buildRequest, fetchOnce, parseResponse, readLimitBytes, type FetchOptions, type FetchResult } from './http.js';
import { errnoName } from '../../net/linux/native.js';
import { NativePhase, nativeProber, NativeStatus, type NativeProber, type NativeResult } from './native-prober.js';
import { probeTcp } from './tcp.js';
import type { ProbeOutcome, ProbeTarget } from './types.js';

/** The detail for a failed connection, worded as errorText words Node's errors. */
function errorDetail(r: NativeResult, target: ProbeTarget): string {
  if (r.status === NativeStatus.Refused) return 'connection refused';
  if (r.status === NativeStatus.Reset) return 'connection reset';
  const name = errnoName(r.errno);
  switch (name) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset';
    case 'EHOSTUNREACH':
      return 'host unreachable';
    case 'ENETUNREACH':
      return 'network unreachable';
    case 'EADDRNOTAVAIL':
      return 'bindto address not available';
    case 'EADDRINUSE':
      return 'bind_port in use';
    default:
      return `${name}: connect ${name} ${target.address}:${target.port}`;
  }
}

function usable(target: ProbeTarget, bindTo: string | undefined): NativeProber | undefined {
  const load = nativeProber();
  return load.ok && load.prober.canProbe(target.address, bindTo) ? load.prober : undefined;
}

/** TCP_CHECK: natively when it can, else on a Node socket. */
export function probeTcpFast(spec: Pick<TcpCheckSpec, 'connectTimeoutMs' | 'bindTo' | 'bindPort'>, target: ProbeTarget): Promise<ProbeOutcome> {
  const prober = usable(target, spec.bindTo);
  return prober ? probeTcpNative(prober, spec, target) : probeTcp(spec, target);
}

export async function probeTcpNative(prober: NativeProber, spec: Pick<TcpCheckSpec, 'connectTimeoutMs' | 'bindTo' | 'bindPort'>, target: ProbeTarget): Promise<ProbeOutcome> {
  const startMs = performance.now();
  const r = await prober.probe({ address: target.address, port: target.port, timeoutMs: spec.connectTimeoutMs, bindTo: spec.bindTo, bindPort: spec.bindPort });
  const durationMs = Math.round(performance.now() - startMs);
  if (r.status === NativeStatus.Connected) return { ok: true, detail: 'connected', durationMs };
  if (r.status === NativeStatus.Timeout) return { ok: false, detail: `connect timeout after ${spec.connectTimeoutMs} ms`, durationMs };
  return { ok: false, detail: errorDetail(r, target), durationMs };
}

/** One HTTP exchange on the native prober; `fetchOnce`'s contract (never rejects). */
export async function fetchNative(prober: NativeProber, o: FetchOptions): Promise<FetchResult> {
  const r = await prober.probe({
    address: o.target.address,
    port: o.target.port,
    timeoutMs: o.timeoutMs,
    request: Buffer.from(buildRequest(o)),
    maxReadBytes: readLimitBytes(o.maxBodyBytes),
    noBody: o.method === 'HEAD',
    bindTo: o.bindTo,
    bindPort: o.bindPort,
  });
  switch (r.status) {
    case NativeStatus.Eof:
    case NativeStatus.Limit:
      return parseResponse(r.data, true, o) ?? { ok: false, detail: 'connection closed without a response' };
    case NativeStatus.Complete:
      return parseResponse(r.data, false, o) ?? parseResponse(r.data, true, o) ?? { ok: false, detail: 'connection closed without a response' };
    case NativeStatus.Reset:
      // What arrived before the reset may already be a whole response, as on the Node path,
      // where each read is parsed before the reset is seen.
      return (r.phase === NativePhase.Reading ? parseResponse(r.data, false, o) : undefined) ?? { ok: false, detail: 'connection reset' };
    case NativeStatus.Timeout:
      return { ok: false, detail: `timeout after ${o.timeoutMs} ms` };
    case NativeStatus.Connected:
      return { ok: false, detail: 'connection closed without a response' };
    default:
      return { ok: false, detail: errorDetail(r, o.target) };
  }
}

/** HTTP_GET's fetcher: natively for plain HTTP to an IP address, else fetchOnce. */
export function fetchFast(o: FetchOptions): Promise<FetchResult> {
  const prober = o.tls ? undefined : usable(o.target, o.bindTo);
  return prober ? fetchNative(prober, o) : fetchOnce(o);
}
