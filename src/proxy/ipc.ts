/**
 * The protocol between the supervisor and the proxy workers, over node's IPC channel
 * (structured data, one object per message). Every message is checked on arrival: a message that
 * does not fit is refused with a reason (counted as HALO_PRX_IPC_BAD_MESSAGE), never thrown.
 */
import type { BackendState } from '../core/backend.js';
import { ERROR_CATALOG, type ErrorCode } from '../core/errors/index.js';
import type { PoolSpec, ProxyCounters, ServiceSpec } from './types.js';

/** Supervisor → worker. */
export type ToWorker =
  /** The whole data-plane config; `gen` increases with every reload. */
  | { readonly t: 'config'; readonly gen: number; readonly services: readonly ServiceSpec[]; readonly pools: readonly PoolSpec[] }
  /** Health/admin/weight changes from the checker and the API; `pool` absent = every pool with that backend. */
  | { readonly t: 'states'; readonly states: ReadonlyArray<BackendState & { readonly pool?: string }> }
  /** Stop accepting, finish what is in flight, exit by `deadlineMs` (relative) at the latest. */
  | { readonly t: 'drain'; readonly deadlineMs: number };

/** Worker → supervisor. */
export type FromWorker =
  /** Sent once the worker listens for messages: only then does the supervisor send the config. */
  | { readonly t: 'hello'; readonly pid: number }
  /** The config `gen` is in force; `ports` maps service name to its bound port. */
  | { readonly t: 'ready'; readonly gen: number; readonly ports: Readonly<Record<string, number>> }
  | { readonly t: 'counters'; readonly counters: ProxyCounters }
  | { readonly t: 'log'; readonly level: 'info' | 'warn' | 'error'; readonly code: ErrorCode; readonly message: string }
  | { readonly t: 'drained' };

export type IpcReject = 'not-an-object' | 'unknown-type' | 'bad-field';

export type Decoded<T> = { readonly ok: true; readonly msg: T } | { readonly ok: false; readonly reason: IpcReject };

function isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

const bad = (reason: IpcReject): { ok: false; reason: IpcReject } => ({ ok: false, reason });

function validService(s: unknown): boolean {
  return (
    isObj(s) &&
    typeof s['name'] === 'string' &&
    (s['protocol'] === 'tcp' || s['protocol'] === 'udp' || s['protocol'] === 'http') &&
    typeof s['listenAddress'] === 'string' &&
    typeof s['listenPort'] === 'number' &&
    typeof s['pool'] === 'string' &&
    Array.isArray(s['routes']) &&
    isObj(s['timeouts']) &&
    isObj(s['limits']) &&
    isObj(s['retry']) &&
    Array.isArray(s['setHeaders'])
  );
}

function validPool(p: unknown): boolean {
  if (!isObj(p) || typeof p['name'] !== 'string' || typeof p['algorithm'] !== 'string' || !Array.isArray(p['backends']) || !isObj(p['keepalive'])) return false;
  return (p['backends'] as unknown[]).every((b) => isObj(b) && typeof b['id'] === 'string' && typeof b['address'] === 'string' && typeof b['port'] === 'number' && typeof b['weight'] === 'number');
}

export function decodeToWorker(x: unknown): Decoded<ToWorker> {
  if (!isObj(x)) return bad('not-an-object');
  switch (x['t']) {
    case 'config':
      if (typeof x['gen'] !== 'number' || !Array.isArray(x['services']) || !Array.isArray(x['pools'])) return bad('bad-field');
      if (!(x['services'] as unknown[]).every(validService) || !(x['pools'] as unknown[]).every(validPool)) return bad('bad-field');
      return { ok: true, msg: x as unknown as ToWorker };
    case 'states':
      if (!Array.isArray(x['states']) || !(x['states'] as unknown[]).every((s) => isObj(s) && typeof s['id'] === 'string' && typeof s['effectiveWeight'] === 'number')) return bad('bad-field');
      return { ok: true, msg: x as unknown as ToWorker };
    case 'drain':
      if (typeof x['deadlineMs'] !== 'number') return bad('bad-field');
      return { ok: true, msg: x as unknown as ToWorker };
    default:
      return bad('unknown-type');
  }
}

export function decodeFromWorker(x: unknown): Decoded<FromWorker> {
  if (!isObj(x)) return bad('not-an-object');
  switch (x['t']) {
    case 'ready':
      if (typeof x['gen'] !== 'number' || !isObj(x['ports'])) return bad('bad-field');
      return { ok: true, msg: x as unknown as FromWorker };
    case 'counters':
      if (!isObj(x['counters']) || typeof (x['counters'] as Record<string, unknown>)['requests'] !== 'number') return bad('bad-field');
      return { ok: true, msg: x as unknown as FromWorker };
    case 'log':
      // only catalogued codes cross: the supervisor logs what it is given
      if (typeof x['code'] !== 'string' || !Object.hasOwn(ERROR_CATALOG, x['code']) || typeof x['message'] !== 'string') return bad('bad-field');
      if (x['level'] !== 'info' && x['level'] !== 'warn' && x['level'] !== 'error') return bad('bad-field');
      return { ok: true, msg: x as unknown as FromWorker };
    case 'drained':
      return { ok: true, msg: x as unknown as FromWorker };
    case 'hello':
      if (typeof x['pid'] !== 'number') return bad('bad-field');
      return { ok: true, msg: x as unknown as FromWorker };
    default:
      return bad('unknown-type');
  }
}

/** Adds `b` into `a` (the supervisor sums the latest counters of every worker). */
export function addCounters(a: ProxyCounters, b: ProxyCounters): ProxyCounters {
  const rejected: Record<string, number> = { ...a.rejected };
  for (const [k, v] of Object.entries(b.rejected)) rejected[k] = (rejected[k] ?? 0) + v;
  return {
    requests: a.requests + b.requests,
    responses: a.responses + b.responses,
    clientConns: a.clientConns + b.clientConns,
    frontConns: a.frontConns + b.frontConns,
    upstreamConnects: a.upstreamConnects + b.upstreamConnects,
    upstreamReuses: a.upstreamReuses + b.upstreamReuses,
    retries: a.retries + b.retries,
    noLiveUpstreams: a.noLiveUpstreams + b.noLiveUpstreams,
    rejected,
    bytesIn: a.bytesIn + b.bytesIn,
    bytesOut: a.bytesOut + b.bytesOut,
    udpSessions: a.udpSessions + b.udpSessions,
    udpDropped: a.udpDropped + b.udpDropped,
  };
}
