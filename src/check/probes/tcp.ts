/** TCP_CHECK: a TCP connection to the target opens within connect_timeout. */
import { connect } from 'node:net';
import type { TcpCheckSpec } from '../spec.js';
import { settleOnce, tcpConnectOptions } from './settle.js';
import { errorText, type ProbeOutcome, type ProbeTarget } from './types.js';

export function probeTcp(spec: Pick<TcpCheckSpec, 'connectTimeoutMs' | 'bindTo' | 'bindPort'>, target: ProbeTarget): Promise<ProbeOutcome> {
  return settleOnce(spec.connectTimeoutMs, (finish) => {
    const socket = connect(tcpConnectOptions(target, spec));
    socket.once('connect', () => finish(true, 'connected'));
    socket.once('error', (err) => finish(false, errorText(err)));
    return {
      onTimeout: () => finish(false, `connect timeout after ${spec.connectTimeoutMs} ms`),
      // Close with a reset (SO_LINGER 0), as HAProxy does for its checks: an orderly close would
      // leave one TIME_WAIT socket per check on the director, and at thousands of checks a
      // second those fill the ephemeral port range and slow every connect().
      close: (ok) => (ok ? socket.resetAndDestroy() : socket.destroy()),
    };
  });
}
