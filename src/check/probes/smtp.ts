/**
 * SMTP_CHECK: connect, read the 220 greeting, send HELO, expect 250, send QUIT (keepalived's
 * exchange). Replies may span lines (`250-...` continues, `250 ...` ends, RFC 5321 §4.2).
 * What is read is bounded to 8 KiB; the whole exchange must end within connect_timeout.
 */
import { connect } from 'node:net';
import type { SmtpCheckSpec } from '../spec.js';
import { settleOnce, tcpConnectOptions } from './settle.js';
import { errorText, type ProbeOutcome, type ProbeTarget } from './types.js';

const MAX_REPLY_BYTES = 8192;

export function probeSmtp(spec: Pick<SmtpCheckSpec, 'heloName' | 'connectTimeoutMs' | 'bindTo' | 'bindPort'>, target: ProbeTarget, defaultHelo = 'localhost'): Promise<ProbeOutcome> {
  return settleOnce(spec.connectTimeoutMs, (finish) => {
    let buf = '';
    let stage: 'greeting' | 'helo' | 'quit' = 'greeting';
    const socket = connect(tcpConnectOptions(target, spec));
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      buf += d;
      if (buf.length > MAX_REPLY_BYTES) return finish(false, 'reply too long');
      for (;;) {
        const eol = buf.indexOf('\n');
        if (eol < 0) return;
        const line = buf.slice(0, eol).replace(/\r$/, '');
        buf = buf.slice(eol + 1);
        if (/^\d{3}-/.test(line)) continue; // a continuation line
        const code = Number(line.slice(0, 3));
        if (stage === 'greeting') {
          if (code !== 220) return finish(false, `greeting ${JSON.stringify(line.slice(0, 60))}`);
          stage = 'helo';
          socket.write(`HELO ${spec.heloName ?? defaultHelo}\r\n`);
        } else if (stage === 'helo') {
          if (code !== 250) return finish(false, `HELO answered ${JSON.stringify(line.slice(0, 60))}`);
          stage = 'quit';
          socket.write('QUIT\r\n');
          return finish(true, 'greeting 220, HELO 250');
        }
      }
    });
    socket.on('error', (err) => finish(false, errorText(err)));
    socket.on('close', () => finish(false, `connection closed waiting for ${stage}`));
    return {
      onTimeout: () => finish(false, `timeout after ${spec.connectTimeoutMs} ms waiting for ${stage}`),
      close: () => socket.destroy(),
    };
  });
}
