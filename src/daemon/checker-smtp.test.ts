// smtp_alert in the checker process: a real server with smtp_alert that goes down sends keepalived's
// "Realserver ... - DOWN" mail through src/notify/email.ts; one without smtp_alert sends none.
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SMTPServer } from 'smtp-server';
import { memorySource } from '../config/glob.js';
import { loadKeepalivedConfig } from '../config/keepalived/load.js';
import { keepalivedToChecks } from '../config/keepalived/to-checks.js';
import type { CheckerToParent } from './checker-ipc.js';
import { CheckerProcess } from './checker-process.js';

async function closedTcpPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test('smtp_alert: a real server going down is mailed, one without smtp_alert is not', async () => {
  const received: string[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      let data = '';
      stream.on('data', (c: Buffer) => (data += c.toString()));
      stream.on('end', () => {
        // Long headers come folded (RFC 5322 §2.2.3): unfold them.
        received.push(data.replace(/\r?\n[ \t]+/g, ' '));
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const smtpPort = (smtp.server.address() as AddressInfo).port;
  const [p1, p2] = [await closedTcpPort(), await closedTcpPort()];
  const conf = `global_defs {
  router_id LVS_TEST
  notification_email {
    ops@example.test
  }
  notification_email_from halo@example.test
  smtp_server 127.0.0.1 ${smtpPort}
  smtp_connect_timeout 5
}
virtual_server 10.9.0.1 80 {
  protocol TCP
  delay_loop 0.05
  real_server 127.0.0.1 ${p1} {
    smtp_alert
    TCP_CHECK {
      retry 0
    }
  }
  real_server 127.0.0.1 ${p2} {
    TCP_CHECK {
      retry 0
    }
  }
}
`;
  const loaded = loadKeepalivedConfig('/k.conf', memorySource({ '/k.conf': conf }), { configId: 'x' });
  assert.deepEqual(loaded.diagnostics.filter((d) => d.severity === 'error'), []);
  const plan = keepalivedToChecks(loaded.model);
  const messages: CheckerToParent[] = [];
  const checker = new CheckerProcess(plan, { send: (m) => messages.push(m) });
  try {
    checker.start();
    const t0 = performance.now();
    const downs = (): number => messages.filter((m) => m.type === 'event' && m.event.type === 'server' && m.event.health === 'down').length;
    while (downs() < 2 && performance.now() - t0 < 5_000) await sleep(10);
    assert.equal(downs(), 2, 'both servers went down');
    while (received.length < 1 && performance.now() - t0 < 10_000) await sleep(10);
    await sleep(300);
    assert.equal(received.length, 1, 'one mail: only the server with smtp_alert');
    assert.match(received[0] ?? '', new RegExp(`^Subject: \\[LVS_TEST\\] Realserver \\[127\\.0\\.0\\.1\\]:tcp:${p1} of virtual server .* - DOWN\\r?$`, 'm'));
    assert.match(received[0] ?? '', /CHECK failed on service/);
  } finally {
    await checker.stop(false);
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  }
});
