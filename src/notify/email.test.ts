import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { EmailNotifier, transitionMail } from './email.js';
import { MemoryLog } from './log.js';

interface Received { from: string; to: string[]; data: string }

/** A real SMTP server on loopback that keeps what it receives. */
async function startSmtp(): Promise<{ port: number; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      let data = '';
      stream.on('data', (c: Buffer) => (data += c.toString()));
      stream.on('end', () => {
        const envelope = session.envelope;
        received.push({ from: envelope.mailFrom ? envelope.mailFrom.address : '', to: envelope.rcptTo.map((r) => r.address), data });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { port, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

test('keepalived-like subject and body', () => {
  const m = transitionMail('LVS_DEVEL', { scope: 'INSTANCE', name: 'VI_1', state: 'MASTER', priority: 100 });
  assert.equal(m.subject, '[LVS_DEVEL] VRRP Instance VI_1 - Entering MASTER state');
  assert.match(m.body, /^=> VRRP Instance is now owning VRRP VIPs <=/);
  const g = transitionMail('LVS_DEVEL', { scope: 'GROUP', name: 'VG_1', state: 'BACKUP', priority: 0 });
  assert.equal(g.subject, '[LVS_DEVEL] VRRP Group VG_1 - Entering BACKUP state');
});

test('the message arrives at a real SMTP server with the right envelope, subject and body', async () => {
  const smtp = await startSmtp();
  try {
    const log = new MemoryLog();
    const mail = new EmailNotifier({ to: ['1012447978@qq.com', 'ops@example.test'], from: 'Alexandre.Cassen@firewall.loc', host: '127.0.0.1', port: smtp.port, connectTimeoutMs: 5000, routerId: 'LVS_DEVEL' }, log.sink);
    mail.send(transitionMail(mail.routerId, { scope: 'INSTANCE', name: 'VI_1', state: 'MASTER', priority: 100, cause: 'Master down timer fired' }));
    mail.send(transitionMail(mail.routerId, { scope: 'INSTANCE', name: 'VI_1', state: 'BACKUP', priority: 100 }));
    await mail.idle();
    mail.close();
    assert.deepEqual(log.events, []);
    assert.equal(smtp.received.length, 2);
    const first = smtp.received[0] as Received;
    assert.equal(first.from, 'Alexandre.Cassen@firewall.loc');
    assert.deepEqual(first.to, ['1012447978@qq.com', 'ops@example.test']);
    assert.match(first.data, /^Subject: \[LVS_DEVEL\] VRRP Instance VI_1 - Entering MASTER state\r?$/m);
    assert.match(first.data, /=> VRRP Instance is now owning VRRP VIPs <=/);
    assert.match(first.data, /Cause: Master down timer fired/);
    assert.match(smtp.received[1]?.data ?? '', /Entering BACKUP state/);
  } finally {
    await smtp.close();
  }
});

test('a dead SMTP server (refused, or silent) fails within the connect timeout and is logged, never thrown', async () => {
  // A port with nothing listening: take one and close it.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const deadPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  // A server that accepts and never says hello.
  const sockets: Socket[] = [];
  const silent: Server = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const silentPort = (silent.address() as AddressInfo).port;
  try {
    for (const port of [deadPort, silentPort]) {
      const log = new MemoryLog();
      const mail = new EmailNotifier({ to: ['ops@example.test'], host: '127.0.0.1', port, connectTimeoutMs: 300 }, log.sink);
      const t0 = performance.now();
      mail.send({ subject: 's', body: 'b' });
      assert.ok(performance.now() - t0 < 50, 'send() returns at once');
      await mail.idle();
      const took = performance.now() - t0;
      mail.close();
      assert.ok(took < 3000, `gave up after ${took} ms`);
      assert.deepEqual(log.codes(), ['HALO_NTF_SMTP_FAILED']);
      assert.equal(mail.counters.failed, 1);
    }
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  }
});
