/**
 * DNS_CHECK: one query over UDP, built and parsed with `dns-packet` (a small, widely used
 * encoder/decoder). node:dns's Resolver was the other choice; it hides the answer's header
 * (id, flags, rcode) and retries on its own, while the check must judge exactly one exchange
 * within connect_timeout and leave retries to the policy.
 * The check passes when a reply with our id, the QR flag, RCODE NOERROR, our question and at
 * least one answer of the asked type comes back in time.
 */
import { randomInt } from 'node:crypto';
import dnsPacket from 'dns-packet';
import type { DnsCheckSpec } from '../spec.js';
import { bindThen, settleOnce, udpSocketFor } from './settle.js';
import { errorText, type ProbeOutcome, type ProbeTarget } from './types.js';

const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

function normName(name: string): string {
  const n = name.toLowerCase().replace(/\.$/, '');
  return n === '' ? '.' : n;
}

export function probeDns(spec: Pick<DnsCheckSpec, 'type' | 'name' | 'connectTimeoutMs' | 'bindTo' | 'bindPort'>, target: ProbeTarget): Promise<ProbeOutcome> {
  const id = randomInt(0, 65536);
  const query = dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: spec.type, name: spec.name, class: 'IN' }] });
  return settleOnce(spec.connectTimeoutMs, (finish) => {
    const socket = udpSocketFor(target.address);
    socket.on('error', (err) => finish(false, errorText(err)));
    socket.on('message', (msg) => {
      let p: dnsPacket.Packet;
      try {
        p = dnsPacket.decode(msg);
      } catch {
        return finish(false, 'malformed DNS reply');
      }
      if (p.id !== id) return; // not ours: wait for ours until the timeout
      if (p.type !== 'response') return finish(false, 'reply without the QR flag');
      const rcode = (p.flags ?? 0) & 0x0f; // RFC 1035 §4.1.1: the low 4 bits of the flags
      if (rcode !== 0) return finish(false, `rcode ${RCODES[rcode] ?? rcode}`);
      const q = p.questions?.[0];
      if (!q || q.type !== spec.type || normName(q.name) !== normName(spec.name)) return finish(false, 'reply to another question');
      const n = (p.answers ?? []).filter((a) => a.type === spec.type).length;
      if (n === 0) return finish(false, `no ${spec.type} answer`);
      finish(true, `${n} ${spec.type} answer${n > 1 ? 's' : ''}`);
    });
    bindThen(socket, spec, () => socket.send(query, target.port, target.address, (err) => err && finish(false, errorText(err))));
    return {
      onTimeout: () => finish(false, `no answer after ${spec.connectTimeoutMs} ms`),
      close: () => socket.close(),
    };
  });
}
