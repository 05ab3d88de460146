import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadKeepalivedConfig } from '../config/keepalived/load.js';
import type { InstanceReport } from './ipc.js';
import type { LogLine } from './log.js';
import { buildNotifiers, groupState, notifierConfigFromModel, transitionFor } from './notifications.js';

function model(text: string) {
  return loadKeepalivedConfig('/virtual/keepalived.conf', { readFile: () => ({ ok: true, text }), glob: () => [] }, { configId: 't' }).model;
}

const report = (name: string, state: InstanceReport['state'], priority: number, cause = 'why'): InstanceReport => ({ name, vrid: 1, family: 4, ifname: 'eth0', state, priority, cause });

test('state reports become keepalived transitions: INIT after running is STOP, priority changes only with notify_priority_changes', () => {
  assert.equal(transitionFor(undefined, report('A', 'INIT', 100), false), null, 'the first INIT is not a transition');
  assert.equal(transitionFor(undefined, report('A', 'BACKUP', 100), false)?.state, 'BACKUP');
  assert.equal(transitionFor({ state: 'BACKUP', priority: 100 }, report('A', 'MASTER', 100), false)?.previousState, 'BACKUP');
  assert.equal(transitionFor({ state: 'MASTER', priority: 100 }, report('A', 'INIT', 100), false)?.state, 'STOP');
  assert.equal(transitionFor({ state: 'MASTER', priority: 100 }, report('A', 'MASTER', 80), false), null);
  assert.equal(transitionFor({ state: 'MASTER', priority: 100 }, report('A', 'MASTER', 80), true)?.state, 'MASTER_PRIORITY');
  assert.equal(transitionFor({ state: 'BACKUP', priority: 100 }, report('A', 'BACKUP', 80), true)?.state, 'BACKUP_PRIORITY');
  // Make before break: RELEASING still holds the VIPs; the notification is for where it ends.
  assert.equal(transitionFor({ state: 'MASTER', priority: 100 }, report('A', 'RELEASING', 0), false), null);
  assert.equal(transitionFor({ state: 'MASTER', priority: 0 }, report('A', 'BACKUP', 100), false)?.state, 'BACKUP');
  assert.equal(groupState(['MASTER', 'MASTER']), 'MASTER');
  assert.equal(groupState(['MASTER', 'BACKUP']), null);
  assert.equal(groupState(['MASTER', 'FAULT']), 'FAULT');
});

test('config: scripts with users, notify_deleted without script, FIFOs by kind, email and smtp_alert fallbacks', () => {
  const c = notifierConfigFromModel(model(`
global_defs {
  notification_email { a@example.test b@example.test }
  notification_email_from halo@example.test
  smtp_server 127.0.0.1 2525
  smtp_connect_timeout 3
  router_id R1
  smtp_alert_vrrp
  notify_fifo /run/a.fifo
  vrrp_notify_fifo /run/v.fifo
  vrrp_notify_fifo_script "/bin/reader" nobody
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 9
  priority 100
  virtual_ipaddress { 10.9.9.9 }
  notify_master "/bin/m arg" nobody nogroup
  notify_deleted
  notify /bin/any
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 8
  priority 100
  virtual_ipaddress { 10.9.9.8 }
  smtp_alert false
}
vrrp_sync_group G { group { VI_1 VI_2 } notify_fault /bin/gf }
`), { PATH: '/bin' });
  const vi1 = c.owners.find((o) => o.name === 'VI_1');
  assert.deepEqual(vi1?.master, { command: '/bin/m arg', user: 'nobody', group: 'nogroup' });
  assert.equal(vi1?.deleted, true);
  assert.equal(vi1?.smtpAlert, true, 'smtp_alert_vrrp is the default');
  assert.equal(c.owners.find((o) => o.name === 'VI_2')?.smtpAlert, false);
  assert.deepEqual(c.owners.find((o) => o.scope === 'GROUP')?.fault, { command: '/bin/gf' });
  assert.deepEqual(c.fifos, [{ path: '/run/a.fifo', kind: 'all' }, { path: '/run/v.fifo', kind: 'vrrp', script: { command: '/bin/reader', user: 'nobody' } }]);
  assert.deepEqual(c.email, { to: ['a@example.test', 'b@example.test'], host: '127.0.0.1', port: 2525, connectTimeoutMs: 3000, from: 'halo@example.test', routerId: 'R1' });
});

test('buildNotifiers runs instance and group scripts in order with keepalived\'s arguments, and writes the FIFO lines', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-dntf-'));
  try {
    const out = join(dir, 'out');
    const script = join(dir, 'n.sh');
    writeFileSync(script, `#!/bin/sh\necho "$*" >> ${out}\n`);
    chmodSync(script, 0o755);
    const lines: LogLine[] = [];
    const n = buildNotifiers(model(`
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 9
  priority 100
  virtual_ipaddress { 10.9.9.9 }
  notify_master "${script} master-of-VI_1"
  notify ${script}
  notify_priority_changes
}
vrrp_sync_group G { group { VI_1 } notify ${script} }
`), { haloPid: process.pid, env: { PATH: '/usr/bin:/bin' }, log: (l) => lines.push(l) });
    n.onReport(report('VI_1', 'INIT', 100));
    n.onReport(report('VI_1', 'BACKUP', 100));
    n.onReport(report('VI_1', 'MASTER', 100));
    n.onReport(report('VI_1', 'MASTER', 80, 'Priority 100 -> 80: tracker script:chk'));
    n.onReport(report('VI_1', 'INIT', 80, 'Shutdown requested'));
    const end = Date.now() + 5000;
    const want = ['INSTANCE VI_1 BACKUP 100', 'GROUP G BACKUP 0', 'master-of-VI_1', 'INSTANCE VI_1 MASTER 100', 'GROUP G MASTER 0', 'INSTANCE VI_1 STOP 80', 'GROUP G STOP 0'];
    while (Date.now() < end && (!existsSync(out) || readFileSync(out, 'utf8').trim().split('\n').length < want.length)) await sleep(20);
    await n.idle();
    n.close();
    assert.deepEqual(readFileSync(out, 'utf8').trim().split('\n').sort(), [...want].sort(), 'priority changes go to FIFOs only, never to scripts');
    assert.ok(lines.some((l) => /Notifying VI_1 MASTER/.test(l.msg)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('config: notify_webhook URLs (halo extension) become webhooks; a URL that is not http(s) is a positioned error', () => {
  const text = `
global_defs {
  notify_webhook http://127.0.0.1:9000/halo
  notify_webhook https://hooks.example.test/vrrp?team=ops
}
`;
  assert.deepEqual(notifierConfigFromModel(model(text), {}).webhooks, [{ url: 'http://127.0.0.1:9000/halo' }, { url: 'https://hooks.example.test/vrrp?team=ops' }]);
  const bad = loadKeepalivedConfig('/virtual/keepalived.conf', { readFile: () => ({ ok: true, text: 'global_defs {\n  notify_webhook ftp://x/y\n}\n' }), glob: () => [] }, { configId: 't' });
  const d = bad.diagnostics.find((x) => x.code === 'HALO_CFG_BAD_VALUE');
  assert.equal(d?.severity, 'error');
  assert.equal(d?.pos?.line, 2);
  assert.match(d?.message ?? '', /notify_webhook .*"ftp:\/\/x\/y"/);
  assert.deepEqual(notifierConfigFromModel(bad.model, {}).webhooks, []);
});
