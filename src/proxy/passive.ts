/**
 * Passive health and retry decisions with nginx's semantics (ngx_http_upstream_round_robin and
 * ngx_http_upstream_next, as documented for `server ... max_fails fail_timeout` and
 * `proxy_next_upstream`). Pure: time comes in as `nowMs`, nothing here does I/O.
 *
 * Per backend nginx keeps `fails`, `checked` and `accessed`:
 * - a backend with `max_fails > 0` is skipped while `fails >= max_fails` and
 *   `now - checked <= fail_timeout`;
 * - picking it when `now - checked > fail_timeout` sets `checked = now`, so after the backend
 *   was out for fail_timeout exactly one request probes it per window;
 * - a failure sets `fails++`, `accessed = checked = now`;
 * - a success resets `fails` only when `accessed < checked`, i.e. when it follows a pick made
 *   after the window of the last failure; so failures count "within fail_timeout".
 * An upstream with a single server never takes it out (nginx `peers->single`).
 */
import type { NextUpstreamCondition } from './types.js';

export type Outcome =
  | { readonly kind: 'ok'; readonly status: number }
  | { readonly kind: 'error' }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'invalid_header' };

interface PeerState {
  readonly maxFails: number;
  readonly failTimeoutMs: number;
  fails: number;
  checkedMs: number;
  accessedMs: number;
}

export interface PassivePeer {
  readonly id: string;
  readonly maxFails: number;
  readonly failTimeoutMs: number;
}

export class PassiveHealth {
  private readonly peers = new Map<string, PeerState>();
  private readonly single: boolean;
  /** How many peers have reached max_fails (so the common case builds no exclusion set). */
  private failing = 0;

  constructor(peers: readonly PassivePeer[]) {
    for (const p of peers) {
      this.peers.set(p.id, { maxFails: p.maxFails, failTimeoutMs: p.failTimeoutMs, fails: 0, checkedMs: -Infinity, accessedMs: -Infinity });
    }
    this.single = peers.length === 1;
  }

  /** Whether passive health lets `id` be picked now. */
  isAvailable(id: string, nowMs: number): boolean {
    const p = this.peers.get(id);
    if (p === undefined || this.single || p.maxFails === 0) return true;
    return !(p.fails >= p.maxFails && nowMs - p.checkedMs <= p.failTimeoutMs);
  }

  /** The peers passive health keeps out now, or undefined when there are none (the fast path). */
  unavailable(nowMs: number): Set<string> | undefined {
    if (this.failing === 0 || this.single) return undefined;
    let out: Set<string> | undefined;
    for (const [id] of this.peers) {
      if (!this.isAvailable(id, nowMs)) (out ??= new Set()).add(id);
    }
    return out;
  }

  /** A request was given to `id` (nginx get_peer): opens a new window when the old one passed. */
  picked(id: string, nowMs: number): void {
    const p = this.peers.get(id);
    if (p !== undefined && nowMs - p.checkedMs > p.failTimeoutMs) p.checkedMs = nowMs;
  }

  /** The attempt on `id` ended (nginx free_peer): `failed` per `countsAsFailure`. */
  finished(id: string, failed: boolean, nowMs: number): void {
    const p = this.peers.get(id);
    if (p === undefined) return;
    const wasFailing = p.maxFails > 0 && p.fails >= p.maxFails;
    if (failed) {
      p.fails++;
      p.accessedMs = nowMs;
      p.checkedMs = nowMs;
    } else if (p.accessedMs < p.checkedMs) {
      p.fails = 0;
    }
    const isFailing = p.maxFails > 0 && p.fails >= p.maxFails;
    if (isFailing !== wasFailing) this.failing += isFailing ? 1 : -1;
  }

  /** For the API and tests. */
  fails(id: string): number {
    return this.peers.get(id)?.fails ?? 0;
  }
}

const STATUS_CONDITION: Readonly<Record<number, NextUpstreamCondition>> = {
  500: 'http_500',
  502: 'http_502',
  503: 'http_503',
  504: 'http_504',
  403: 'http_403',
  404: 'http_404',
  429: 'http_429',
};

/** The `proxy_next_upstream` condition an outcome matches, if any. */
export function conditionOf(outcome: Outcome): NextUpstreamCondition | undefined {
  if (outcome.kind !== 'ok') return outcome.kind;
  return STATUS_CONDITION[outcome.status];
}

/**
 * nginx: error, timeout and invalid_header always count as unsuccessful attempts; http_500,
 * http_502, http_503, http_504 and http_429 only when listed in proxy_next_upstream; http_403
 * and http_404 never.
 */
export function countsAsFailure(outcome: Outcome, conditions: readonly NextUpstreamCondition[]): boolean {
  if (outcome.kind !== 'ok') return true;
  const c = STATUS_CONDITION[outcome.status];
  if (c === undefined || c === 'http_403' || c === 'http_404') return false;
  return conditions.includes(c);
}

/** nginx treats POST, LOCK and PATCH as non-idempotent. */
export function isNonIdempotent(method: string): boolean {
  return method === 'POST' || method === 'LOCK' || method === 'PATCH';
}

export interface RetryContext {
  readonly conditions: readonly NextUpstreamCondition[];
  readonly method: string;
  /** Some of the request reached the backend (for the non_idempotent rule). */
  readonly requestSent: boolean;
  /** Some of the response reached the client: never retry then. */
  readonly clientBytesSent: boolean;
  /** The request body can be sent again (halo kept a copy of it). */
  readonly replayable: boolean;
  /** Attempts made so far, this one included. */
  readonly attempts: number;
  /** proxy_next_upstream_tries (0 = unlimited). */
  readonly maxTries: number;
  readonly startedMs: number;
  /** proxy_next_upstream_timeout (0 = unlimited). */
  readonly timeoutMs: number;
  readonly nowMs: number;
}

/** Whether an attempt that ended with `outcome` goes on to the next backend (ngx_http_upstream_next). */
export function shouldRetry(outcome: Outcome, ctx: RetryContext): boolean {
  const c = conditionOf(outcome);
  if (c === undefined || !ctx.conditions.includes(c)) return false;
  if (ctx.clientBytesSent) return false;
  if (ctx.requestSent && !ctx.replayable) return false;
  if (ctx.requestSent && isNonIdempotent(ctx.method) && !ctx.conditions.includes('non_idempotent')) return false;
  if (ctx.maxTries > 0 && ctx.attempts >= ctx.maxTries) return false;
  if (ctx.timeoutMs > 0 && ctx.nowMs - ctx.startedMs >= ctx.timeoutMs) return false;
  return true;
}

/** The status halo answers when the last attempt failed without a response (nginx: 502/504). */
export function failureStatus(outcome: Outcome): number {
  return outcome.kind === 'timeout' ? 504 : outcome.kind === 'ok' ? outcome.status : 502;
}
