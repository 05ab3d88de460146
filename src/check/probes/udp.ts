/**
 * UDP_CHECK: sends `payload` (8 random bytes when not set, as keepalived sends random data) on a
 * connected UDP socket. An ICMP port unreachable comes back as ECONNREFUSED and fails the check.
 * With `require_reply` a reply must arrive within connect_timeout, its length within
 * [min_reply_length, max_reply_length] and its first bytes matching the pattern (null = any);
 * without it the check passes when no ICMP error arrived within connect_timeout (keepalived).
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { UdpCheckSpec } from '../spec.js';
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
  const startMs = performance.now();
  const socket = createSocket(isIP(target.address) === 6 ? 'udp6' : 'udp4');
  const payload = spec.payload ?? randomBytes(8);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (ok: boolean, detail: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.close();
      resolve({ ok, detail, durationMs: Math.round(performance.now() - startMs) });
    };
    const timer = setTimeout(
      () => (spec.requireReply ? finish(false, `no reply after ${spec.connectTimeoutMs} ms`) : finish(true, `no ICMP error within ${spec.connectTimeoutMs} ms`)),
      spec.connectTimeoutMs,
    );
    socket.on('error', (err) => finish(false, (err as { code?: string }).code === 'ECONNREFUSED' ? 'ICMP port unreachable' : errorText(err)));
    socket.on('message', (msg) => {
      if (!spec.requireReply) return finish(true, `reply of ${msg.length} bytes`);
      if (msg.length < spec.minReplyLength || msg.length > spec.maxReplyLength) return finish(false, `reply of ${msg.length} bytes outside ${spec.minReplyLength}..${spec.maxReplyLength}`);
      if (spec.replyPattern !== undefined && !replyMatches(msg, spec.replyPattern)) return finish(false, 'reply does not match require_reply');
      finish(true, `reply of ${msg.length} bytes`);
    });
    const go = (): void =>
      socket.connect(target.port, target.address, () => {
        socket.send(payload, (err) => err && finish(false, errorText(err)));
      });
    if (spec.bindTo !== undefined || spec.bindPort !== undefined) socket.bind({ ...(spec.bindTo !== undefined ? { address: spec.bindTo } : {}), port: spec.bindPort ?? 0 }, go);
    else go();
  });
}
