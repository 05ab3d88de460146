/**
 * The frame every one-shot probe shares: one attempt, bounded by a timer, that ends exactly once.
 * Sockets report an error and then a close, a reply can race the timer, and a probe must still
 * resolve one outcome, free its socket once and leave no timer behind; that is done here once
 * instead of in every probe. Also the bindto/bind_port plumbing the socket probes share.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ProbeOutcome, ProbeTarget } from './types.js';

/** Ends the attempt; the first call wins and later ones are ignored. */
export type Finish = (ok: boolean, detail: string) => void;

export interface AttemptHooks {
  /** Called when the timer fires first; decides the outcome (normally a failing `finish`). */
  readonly onTimeout: () => void;
  /** Frees what the attempt holds (socket, child); runs once, right after the outcome is decided. */
  readonly close?: (ok: boolean) => void;
}

/**
 * Runs one probe attempt: `start` begins the I/O and wires its events to `finish`; the promise
 * resolves with the first outcome and the time it took. Never rejects.
 */
export function settleOnce(timeoutMs: number, start: (finish: Finish) => AttemptHooks): Promise<ProbeOutcome> {
  const startMs = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const held: { hooks?: AttemptHooks } = {};
    let closeWith: boolean | undefined; // set when `finish` ran before `start` returned its hooks
    const finish: Finish = (ok, detail) => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      if (held.hooks !== undefined) held.hooks.close?.(ok);
      else closeWith = ok;
      resolve({ ok, detail, durationMs: Math.round(performance.now() - startMs) });
    };
    const h = start(finish);
    held.hooks = h;
    if (closeWith !== undefined) h.close?.(closeWith);
    if (!settled) timer = setTimeout(h.onTimeout, timeoutMs);
  });
}

/** Local address and port a check binds to (keepalived's bindto and bind_port). */
export interface ProbeBind {
  readonly bindTo?: string | undefined;
  readonly bindPort?: number | undefined;
}

/** `net.connect`/`tls.connect` options for the target with the check's bindto/bind_port. */
export function tcpConnectOptions(target: ProbeTarget, bind: ProbeBind): { host: string; port: number; localAddress?: string; localPort?: number } {
  return {
    host: target.address,
    port: target.port,
    ...(bind.bindTo !== undefined ? { localAddress: bind.bindTo } : {}),
    ...(bind.bindPort !== undefined ? { localPort: bind.bindPort } : {}),
  };
}

/** A UDP socket of the target's family. */
export function udpSocketFor(address: string): UdpSocket {
  return createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
}

/** Binds the UDP socket to bindto/bind_port first when either is set, then runs `go`. */
export function bindThen(socket: UdpSocket, bind: ProbeBind, go: () => void): void {
  if (bind.bindTo !== undefined || bind.bindPort !== undefined) {
    socket.bind({ ...(bind.bindTo !== undefined ? { address: bind.bindTo } : {}), port: bind.bindPort ?? 0 }, go);
  } else go();
}
