/**
 * PING_CHECK: one ICMP echo through the system `ping -c1 -W SECONDS -n` (iputils). Node has no
 * raw or ICMP datagram sockets, and the npm ICMP libraries are native add-ons that need a compiler
 * at install time; iputils' ping is on every Linux director, uses unprivileged ICMP sockets
 * (net.ipv4.ping_group_range) or its file capability, and handles IPv4 and IPv6.
 */
import { spawn } from 'node:child_process';
import { isIP } from 'node:net';
import type { PingCheckSpec } from '../spec.js';
import { settleOnce } from './settle.js';
import { errorText, type ProbeOutcome, type ProbeTarget } from './types.js';

export function probePing(spec: Pick<PingCheckSpec, 'connectTimeoutMs' | 'bindTo'>, target: Pick<ProbeTarget, 'address'>, pingPath = 'ping'): Promise<ProbeOutcome> {
  const waitS = Math.max(1, Math.ceil(spec.connectTimeoutMs / 1000));
  const args = ['-c1', '-n', '-W', String(waitS), ...(isIP(target.address) === 6 ? ['-6'] : ['-4']), ...(spec.bindTo !== undefined ? ['-I', spec.bindTo] : []), target.address];
  // ping's own -W bounds the wait; this guard covers a ping that hangs anyway.
  return settleOnce(waitS * 1000 + 1000, (finish) => {
    let out = '';
    const child = spawn(pingPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => {
      if (out.length < 4096) out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      if (out.length < 4096) out += d.toString();
    });
    child.once('error', (err) => finish(false, `cannot run ping: ${errorText(err)}`));
    child.once('close', (code) => {
      const rtt = /time[=<]([\d.]+) ?ms/.exec(out);
      if (code === 0) finish(true, rtt ? `echo reply in ${rtt[1]} ms` : 'echo reply');
      else finish(false, code === 1 ? 'no echo reply' : `ping failed: ${out.trim().split('\n')[0] ?? `exit ${code}`}`);
    });
    return {
      onTimeout: () => {
        child.kill('SIGKILL');
        finish(false, `timeout after ${spec.connectTimeoutMs} ms`);
      },
    };
  });
}
