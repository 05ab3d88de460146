/** TCP_CHECK: a TCP connection to the target opens within connect_timeout. */
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { TcpCheckSpec } from '../spec.js';
import { errorText, type ProbeOutcome, type ProbeTarget } from './types.js';

export function probeTcp(spec: Pick<TcpCheckSpec, 'connectTimeoutMs' | 'bindTo' | 'bindPort'>, target: ProbeTarget): Promise<ProbeOutcome> {
  const startMs = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (ok: boolean, detail: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Close with a reset (SO_LINGER 0), as HAProxy does for its checks: an orderly close would
      // leave one TIME_WAIT socket per check on the director, and at thousands of checks a
      // second those fill the ephemeral port range and slow every connect().
      if (ok) socket.resetAndDestroy();
      else socket.destroy();
      resolve({ ok, detail, durationMs: Math.round(performance.now() - startMs) });
    };
    const socket = connect({
      host: target.address,
      port: target.port,
      ...(spec.bindTo !== undefined ? { localAddress: spec.bindTo } : {}),
      ...(spec.bindPort !== undefined ? { localPort: spec.bindPort } : {}),
    });
    const timer = setTimeout(() => finish(false, `connect timeout after ${spec.connectTimeoutMs} ms`), spec.connectTimeoutMs);
    socket.once('connect', () => finish(true, 'connected'));
    socket.once('error', (err) => finish(false, errorText(err)));
  });
}
