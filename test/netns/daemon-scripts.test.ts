// `halo run` with the tutorials' own tracker scripts, unchanged (test/fixtures/scripts: seeds 001
// and 003), real nginx in each director, notify scripts and email to a real SMTP server on the
// director's loopback. Each director runs in its own PID and mount namespace (unshare --pid
// --mount-proc) so that the scripts' `ps -C nginx` and `killall` see that director's processes
// only, as on a real machine, and the path the scripts start nginx from
// (/usr/local/nginx/sbin/nginx) exists there only: a tmpfs on /usr/local inside the namespace
// holds a starter that works while the test allows it (file `can-start`).
// Only addresses inside the lab are used; every wait is bounded; processes are killed by PID.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NetnsLab, run, type NetnsNode } from './harness.js';
import { MAIN, until, vrrpInstance, watchHalo, type Halo } from './daemon-run.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/scripts/', import.meta.url));
const SMTP_SINK = fileURLToPath(new URL('./smtp-sink.js', import.meta.url));
const SMTP_PORT = 2525;
const WEB_PORT = 8080;

const avail = NetnsLab.available();
const tools = ['nginx', 'unshare', 'ps', 'killall'].filter((t) => !NetnsLab.hasCommand(t));
const skip = !avail.ok ? avail.reason : tools.length > 0 ? `needs ${tools.join(', ')}` : false;

interface Director {
  readonly node: NetnsNode;
  readonly halo: Halo;
  readonly dir: string;
}

function nginxConf(dir: string, body: string): string {
  return `daemon on;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  server { listen ${WEB_PORT}; location / { return 200 "${body}"; } }
}
`;
}

function haloConf(dir: string, priority: number, vip: string, script: string, interval: number, weight: string): string {
  return `global_defs {
    notification_email {
        ops@example.test
    }
    notification_email_from halo@example.test
    smtp_server 127.0.0.1 ${SMTP_PORT}
    smtp_connect_timeout 5
    router_id LVS_DEVEL
}
vrrp_script chk_nginx {
    script "${script}"
    interval ${interval}
    ${weight}
}
${vrrpInstance(47, priority, [vip], { tail: `
    track_script {
        chk_nginx
    }
    notify ${dir}/notify.sh
    notify_stop "${dir}/notify.sh stop"
    smtp_alert` })}`;
}

/** nginx, then `halo run` as PID 1 of a new PID namespace inside the director's network namespace. */
function startDirector(lab: NetnsLab, node: NetnsNode, priority: number, vip: string, script: string, interval: number, weight: string): Director {
  const dir = mkdtempSync(join(tmpdir(), `${node.ns}-scripts-`));
  lab.cleanupDir(dir);
  writeFileSync(join(dir, 'nginx.conf'), nginxConf(dir, node.name));
  writeFileSync(join(dir, 'notify.sh'), `#!/bin/sh\necho "$*" >> ${dir}/notify.log\n`);
  chmodSync(join(dir, 'notify.sh'), 0o755);
  writeFileSync(join(dir, 'keepalived.conf'), haloConf(dir, priority, vip, script, interval, weight));
  writeFileSync(join(dir, 'start-nginx'), `#!/bin/sh\n[ -e ${dir}/can-start ] || exit 1\nexec nginx -c ${dir}/nginx.conf\n`);
  chmodSync(join(dir, 'start-nginx'), 0o755);
  const setup = `mount -t tmpfs tmpfs /usr/local && mkdir -p /usr/local/nginx/sbin && cp ${dir}/start-nginx /usr/local/nginx/sbin/nginx || exit 1`;
  const argv = [process.execPath, MAIN, 'run', '-f', join(dir, 'keepalived.conf'), '-p', join(dir, 'halo.pid'), '--status-file', join(dir, 'status.json')];
  // --kill-child: when the lab kills unshare by PID, the namespace's processes go with it. The
  // shell stays PID 1 (no exec) because it reaps orphans, as init does on a real machine: a killed
  // nginx must not linger as a zombie that `ps -C nginx` still counts.
  const child: ChildProcess = node.spawn(['unshare', '--pid', '--fork', '--mount-proc', '--kill-child', 'sh', '-c', `${setup}; nginx -c ${dir}/nginx.conf || exit 1; "$0" "$@"; status=$?; exit $status`, ...argv]);
  return { node, dir, halo: watchHalo(node, child, dir) };
}

/** Host PIDs of the nginx processes in a director's network namespace. */
function nginxPids(node: NetnsNode): number[] {
  const pids = run(['ip', 'netns', 'pids', node.ns]).stdout.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
  return pids.filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'nginx';
    } catch {
      return false;
    }
  });
}

function killNginx(node: NetnsNode): number {
  const pids = nginxPids(node);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  return pids.length;
}

async function startSmtp(node: NetnsNode): Promise<{ child: ChildProcess; messages: Array<{ to: string[]; data: string }> }> {
  const child = node.spawn([process.execPath, SMTP_SINK, String(SMTP_PORT)]);
  const messages: Array<{ to: string[]; data: string }> = [];
  let partial = '';
  let listening = false;
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const l of parts) {
      if (l === 'listening') listening = true;
      else if (l.startsWith('{') && messages.length < 100) messages.push(JSON.parse(l) as { to: string[]; data: string });
    }
  });
  await until('the SMTP server listens', () => listening, 5000);
  return { child, messages };
}

describe('halo run: the tutorials\' tracker scripts, notify scripts and email', { skip, timeout: 120_000 }, () => {
  let lab: NetnsLab;
  let d1: Director, d2: Director;
  let client: NetnsNode;
  let vip: string;
  let smtp1: Awaited<ReturnType<typeof startSmtp>>;

  const answer = (): string => {
    const r = client.httpGet(vip, WEB_PORT, 300);
    return r.ok ? r.body : '';
  };
  const holders = (): string[] => [d1, d2].filter((d) => d.node.hasAddress(vip)).map((d) => d.node.name);
  const notified = (d: Director): string[] => (existsSync(join(d.dir, 'notify.log')) ? readFileSync(join(d.dir, 'notify.log'), 'utf8').trim().split('\n') : []);

  before(async () => {
    lab = new NetnsLab(47);
    lab.addSegment();
    const n1 = lab.addNode('d1', [0]);
    const n2 = lab.addNode('d2', [0]);
    client = lab.addNode('client', [0]);
    vip = lab.ipv4Of(0, 100);
    smtp1 = await startSmtp(n1);
    // seed 003: nginx_pid.sh, interval 2, fall 1: restart nginx, else `systemctl stop keepalived`.
    d1 = startDirector(lab, n1, 100, vip, join(FIXTURES, 'nginx_pid.sh'), 2, 'fall 1');
    // seed 001: nginx_check.sh, interval 2, weight -20: restart nginx, else `killall keepalived`.
    d2 = startDirector(lab, n2, 90, vip, join(FIXTURES, 'nginx_check.sh'), 2, 'weight -20');
    await until('d1 holds the VIP alone', () => holders().join() === 'd1', 15_000, [d1.halo, d2.halo]);
    await until('nginx on d1 answers on the VIP', () => answer() === 'd1', 5000, [d1.halo, d2.halo]);
  });

  after(async () => {
    await lab?.destroy();
    assert.deepEqual(lab?.leftovers() ?? [], []);
  });

  test('MASTER: the generic notify script gets INSTANCE VI_1 MASTER 100 and the SMTP server gets the mail', async () => {
    await until('notify ran on d1', () => notified(d1).includes('INSTANCE VI_1 MASTER 100'), 5000, [d1.halo]);
    await until('notify ran on d2', () => notified(d2).includes('INSTANCE VI_1 BACKUP 90'), 5000, [d2.halo]);
    await until('the MASTER mail arrived', () => smtp1.messages.some((m) => /Entering MASTER state/.test(m.data)), 10_000, [d1.halo]);
    const mail = smtp1.messages.find((m) => /Entering MASTER state/.test(m.data));
    assert.deepEqual(mail?.to, ['ops@example.test']);
    assert.match(mail?.data ?? '', /^Subject: \[LVS_DEVEL\] VRRP Instance VI_1 - Entering MASTER state\r?$/m);
    assert.match(mail?.data ?? '', /=> VRRP Instance is now owning VRRP VIPs <=/);
  });

  test('nginx killed on the MASTER while it can start: nginx_pid.sh starts it again and d1 keeps the VIP', async () => {
    writeFileSync(join(d1.dir, 'can-start'), '');
    try {
      const before = nginxPids(d1.node).join();
      assert.ok(killNginx(d1.node) > 0, 'nginx ran on d1');
      await until('nginx runs again on d1', () => nginxPids(d1.node).length > 0 && nginxPids(d1.node).join() !== before, 10_000, [d1.halo]);
      await until('nginx on d1 answers on the VIP', () => answer() === 'd1', 5000, [d1.halo, d2.halo]);
      assert.deepEqual(holders(), ['d1']);
      assert.equal(d1.halo.child.exitCode, null, 'halo still runs on d1');
    } finally {
      rmSync(join(d1.dir, 'can-start'), { force: true });
    }
  });

  test('nginx killed on the MASTER for good: nginx_pid.sh\'s `systemctl stop keepalived` stops halo cleanly and the VIP moves', async () => {
    const startedMs = Date.now();
    assert.ok(killNginx(d1.node) > 0, 'nginx ran on d1');
    const code = await Promise.race([d1.halo.exited, new Promise<string>((r) => setTimeout(() => r('still running'), 20_000))]);
    assert.equal(code, 0, `halo on d1 stopped cleanly\n${d1.halo.lines.join('\n')}`);
    const stoppedMs = Date.now() - startedMs;
    assert.ok(d1.halo.lines.some((l) => l.includes('HALO_TRK_COMPAT_STOP') && l.includes('systemctl stop keepalived')), d1.halo.lines.join('\n'));
    await until('d2 answers on the VIP', () => answer() === 'd2', 5000, [d2.halo]);
    assert.deepEqual(holders(), ['d2']);
    await until('notify_stop and notify STOP ran on d1', () => notified(d1).includes('stop') && notified(d1).includes('INSTANCE VI_1 STOP 100'), 5000, [d1.halo]);
    process.stdout.write(`nginx_pid.sh: halo stopped ${stoppedMs} ms after nginx was killed\n`);
  });

  test('nginx killed on the new MASTER for good: nginx_check.sh\'s `killall keepalived` stops halo cleanly, VIP removed', async () => {
    assert.ok(killNginx(d2.node) > 0, 'nginx ran on d2');
    const code = await Promise.race([d2.halo.exited, new Promise<string>((r) => setTimeout(() => r('still running'), 20_000))]);
    assert.equal(code, 0, `halo on d2 stopped cleanly\n${d2.halo.lines.join('\n')}`);
    assert.ok(d2.halo.lines.some((l) => l.includes('HALO_TRK_COMPAT_STOP') && l.includes('killall keepalived')), d2.halo.lines.join('\n'));
    assert.deepEqual(holders(), []);
    await until('notify STOP ran on d2', () => notified(d2).includes('INSTANCE VI_1 STOP 90'), 5000, [d2.halo]);
  });
});
