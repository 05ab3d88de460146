/**
 * UDP_CHECK: sends `payload` (8 random bytes when not set, as keepalived sends random data) on a
 * connected UDP socket. An ICMP port unreachable comes back as ECONNREFUSED and fails the check.
 * With `require_reply` a reply must arrive within connect_timeout, its length within
 * [min_reply_length, max_reply_length] and its first bytes matching the pattern (null = any);
 * without it the check passes when no ICMP error arrived within connect_timeout (keepalived).
 */
import { randomBytes } from 'node:crypto';
import type { UdpCheckSpec } from '../spec.js';
import { bindThen, settleOnce, udpSocketFor } from './settle.js';
import { errorText, type ProbeOutcome, type ProbeTarget } from './types.js';

export function replyMatches(reply: Uint8Array, pattern: readonly (number | null)[]): boolean {
  const n = Math.min(reply.length, pattern.length);
  for (let i = 0; i < n; i++) {
    const p = pattern[i];
    if (p !== null && p !== undefined && reply[i] !== p) return false;
  }
  return true;
}

export function probeUdp(
  spec: Pick<UdpCheckSpec, 'payload' | 'requireReply' | 'replyPattern' | 'minReplyLength' | 'maxReplyLength' | 'connectTimeoutMs' | 'bindTo' | 'bindPort'>,
  target: ProbeTarget,
): Promise<ProbeOutcome> {
  return settleOnce(spec.connectTimeoutMs, (finish) => {
    const socket = udpSocketFor(target.address);
    const payload = spec.payload ?? randomBytes(8);
    socket.on('error', (err) => finish(false, (err as { code?: string }).code === 'ECONNREFUSED' ? 'ICMP port unreachable' : errorText(err)));
    socket.on('message', (msg) => {
      if (!spec.requireReply) return finish(true, `reply of ${msg.length} bytes`);
      if (msg.length < spec.minReplyLength || msg.length > spec.maxReplyLength) return finish(false, `reply of ${msg.length} bytes outside ${spec.minReplyLength}..${spec.maxReplyLength}`);
      if (spec.replyPattern !== undefined && !replyMatches(msg, spec.replyPattern)) return finish(false, 'reply does not match require_reply');
      finish(true, `reply of ${msg.length} bytes`);
    });
    bindThen(socket, spec, () =>
      socket.connect(target.port, target.address, () => {
        socket.send(payload, (err) => err && finish(false, errorText(err)));
      }),
    );
    return {
      onTimeout: () => (spec.requireReply ? finish(false, `no reply after ${spec.connectTimeoutMs} ms`) : finish(true, `no ICMP error within ${spec.connectTimeoutMs} ms`)),
      close: () => socket.close(),
    };
  });
}
