import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Notifier } from './notifier.js';
import type { NotifierConfig, OwnerNotifyConfig } from './notifier.js';
import { MemoryLog } from './log.js';
import { lookupUser } from './script-exec.js';

const ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };

function config(over: Partial<NotifierConfig>): NotifierConfig {
  return { owners: [], enableScriptSecurity: false, fifos: [], webhooks: [], env: ENV, ...over };
}

/** A script that appends its name and arguments to a log, optionally after a delay. */
function recorder(dir: string, name: string, out: string, delayS = 0): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/bash\n${delayS ? `sleep ${delayS}\n` : ''}echo "${name} $*" >> ${out}\n`, { mode: 0o755 });
  return path;
}

const lines = (path: string): string[] => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : []);

test('notify_master / notify_backup with their own arguments, then the generic notify with keepalived\'s four', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-ntf-'));
  try {
    const out = join(dir, 'out');
    const ks = recorder(dir, 'keepalive.sh', out);
    const owner: OwnerNotifyConfig = {
      scope: 'INSTANCE', name: 'VI_1', smtpAlert: false,
      master: { command: `${ks} master` }, backup: { command: `${ks} backup` }, fault: { command: `${ks} fault` },
      notify: { command: recorder(dir, 'notify.sh', out) },
    };
    const group: OwnerNotifyConfig = { scope: 'GROUP', name: 'VG_1', smtpAlert: false, notify: { command: `${recorder(dir, 'group.sh', out)} "quoted arg"` } };
    const log = new MemoryLog();
    const n = new Notifier(config({ owners: [owner, group] }), log.sink);
    n.transition({ scope: 'INSTANCE', name: 'VI_1', state: 'BACKUP', priority: 90 });
    n.transition({ scope: 'INSTANCE', name: 'VI_1', state: 'MASTER', priority: 100 });
    n.transition({ scope: 'GROUP', name: 'VG_1', state: 'MASTER', priority: 0 });
    n.transition({ scope: 'INSTANCE', name: 'VI_9', state: 'MASTER', priority: 100 }); // not configured: nothing runs
    await n.idle();
    n.close();
    const got = lines(out);
    // Per-script order is kept; different scripts may interleave.
    assert.deepEqual(got.filter((l) => l.startsWith('keepalive.sh')), ['keepalive.sh backup', 'keepalive.sh master']);
    assert.deepEqual(got.filter((l) => l.startsWith('notify.sh')), ['notify.sh INSTANCE VI_1 BACKUP 90', 'notify.sh INSTANCE VI_1 MASTER 100']);
    assert.deepEqual(got.filter((l) => l.startsWith('group.sh')), ['group.sh quoted arg GROUP VG_1 MASTER 0']);
    assert.equal(got.length, 5);
    assert.deepEqual(log.events, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a slow script keeps its own order and delays no other script; transition() returns at once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-ntf-'));
  try {
    const out = join(dir, 'out');
    const slow = recorder(dir, 'slow.sh', out, 0.6);
    const fast = recorder(dir, 'fast.sh', out);
    const n = new Notifier(config({ owners: [
      { scope: 'INSTANCE', name: 'VI_1', smtpAlert: false, master: { command: `${slow} m` }, backup: { command: `${slow} b` } },
      { scope: 'INSTANCE', name: 'VI_2', smtpAlert: false, master: { command: fast } },
    ] }), new MemoryLog().sink);
    const t0 = performance.now();
    n.transition({ scope: 'INSTANCE', name: 'VI_1', state: 'MASTER', priority: 100 });
    n.transition({ scope: 'INSTANCE', name: 'VI_1', state: 'BACKUP', priority: 100 });
    n.transition({ scope: 'INSTANCE', name: 'VI_2', state: 'MASTER', priority: 100 });
    assert.ok(performance.now() - t0 < 100, 'transition() does not wait for scripts');
    await sleep(300);
    assert.deepEqual(lines(out), ['fast.sh '], 'the fast script ran while the slow one sleeps');
    await n.idle();
    n.close();
    assert.deepEqual(lines(out), ['fast.sh ', 'slow.sh m', 'slow.sh b']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a hung script is never killed, and after orderWaitMs it stops holding back its next run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-ntf-'));
  try {
    const out = join(dir, 'out');
    const pidFile = join(dir, 'pid');
    const script = join(dir, 'hang.sh');
    writeFileSync(script, `#!/bin/bash\necho "$1" >> ${out}\n[ "$1" = first ] && { echo $$ > ${pidFile}; sleep 30; }\nexit 0\n`, { mode: 0o755 });
    const n = new Notifier(config({ owners: [{ scope: 'INSTANCE', name: 'VI_1', smtpAlert: false, master: { command: `${script} first` }, backup: { command: `${script} second` } }], scriptLimits: { orderWaitMs: 300 } }), new MemoryLog().sink);
    // Two different commands (different arguments) are different lanes; use one lane via notify.
    n.transition({ scope: 'INSTANCE', name: 'VI_1', state: 'MASTER', priority: 100 });
    await sleep(100);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    n.transition({ scope: 'INSTANCE', name: 'VI_1', state: 'BACKUP', priority: 100 });
    await sleep(500);
    assert.deepEqual(lines(out), ['first', 'second']);
    assert.doesNotThrow(() => process.kill(pid, 0), 'the hung script is still alive: halo did not kill it');
    process.kill(pid, 'SIGKILL');
    await n.idle();
    n.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('DELETED is reported as FAULT unless notify_deleted is set; STOP runs notify_stop', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-ntf-'));
  try {
    const out = join(dir, 'out');
    const notify = recorder(dir, 'notify.sh', out);
    const del = recorder(dir, 'deleted.sh', out);
    const stop = recorder(dir, 'stop.sh', out);
    const n = new Notifier(config({ owners: [
      { scope: 'INSTANCE', name: 'VI_1', smtpAlert: false, notify: { command: notify } },
      { scope: 'INSTANCE', name: 'VI_2', smtpAlert: false, notify: { command: notify }, deleted: { command: del } },
      { scope: 'INSTANCE', name: 'VI_3', smtpAlert: false, notify: { command: notify }, stop: { command: stop } },
    ] }), new MemoryLog().sink);
    n.transition({ scope: 'INSTANCE', name: 'VI_1', state: 'DELETED', priority: 100 });
    n.transition({ scope: 'INSTANCE', name: 'VI_2', state: 'DELETED', priority: 100 });
    n.transition({ scope: 'INSTANCE', name: 'VI_3', state: 'STOP', priority: 0 });
    await n.idle();
    n.close();
    assert.deepEqual(lines(out).sort(), ['deleted.sh ', 'notify.sh INSTANCE VI_1 FAULT 100', 'notify.sh INSTANCE VI_2 DELETED 100', 'notify.sh INSTANCE VI_3 STOP 0', 'stop.sh ']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('script users: script_user, a per-script user, keepalived_script by default, unknown users refused', async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root: switching users');
  const nobody = lookupUser('nobody');
  if ('error' in nobody) return t.skip('no nobody user');
  const dir = mkdtempSync(join(tmpdir(), 'halo-ntf-'));
  try {
    chmodSync(dir, 0o777);
    const out = join(dir, 'out');
    writeFileSync(out, '', { mode: 0o666 });
    chmodSync(out, 0o666);
    const who = join(dir, 'who.sh');
    writeFileSync(who, `#!/bin/sh\necho "$1 $(id -u)" >> ${out}\n`, { mode: 0o755 });
    // A passwd file where keepalived_script is nobody's uid, to see the default apply.
    const passwd = join(dir, 'passwd');
    const group = join(dir, 'group');
    writeFileSync(passwd, `root:x:0:0::/root:/bin/sh\nkeepalived_script:x:${nobody.uid}:${nobody.gid}::/:/bin/false\nnobody:x:${nobody.uid}:${nobody.gid}::/:/bin/false\n`);
    writeFileSync(group, `root:x:0:\nnogroup:x:${nobody.gid}:\n`);
    const log = new MemoryLog();
    const n = new Notifier(config({ userDb: { passwd, group }, owners: [
      { scope: 'INSTANCE', name: 'VI_1', smtpAlert: false, master: { command: `${who} default` } },
      { scope: 'INSTANCE', name: 'VI_2', smtpAlert: false, master: { command: `${who} root`, user: 'root' } },
      { scope: 'INSTANCE', name: 'VI_3', smtpAlert: false, master: { command: `${who} ghost`, user: 'ghost' } },
    ] }), log.sink);
    for (const name of ['VI_1', 'VI_2', 'VI_3']) n.transition({ scope: 'INSTANCE', name, state: 'MASTER', priority: 100 });
    await n.idle();
    n.close();
    assert.deepEqual(lines(out).sort(), [`default ${nobody.uid}`, 'root 0']);
    assert.deepEqual(log.codes(), ['HALO_NTF_USER_UNKNOWN']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('enable_script_security refuses a root script in a path others can write; a safe one runs', async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root: the check applies to root-run scripts');
  const dir = mkdtempSync(join(tmpdir(), 'halo-ntf-'));
  try {
    const out = join(dir, 'out');
    const unsafeDir = join(dir, 'open');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(unsafeDir, { mode: 0o777 });
    chmodSync(unsafeDir, 0o777); // writable by all, no sticky bit: anyone could swap the script
    const unsafe = recorder(unsafeDir, 'a.sh', out);
    const safe = recorder(dir, 'b.sh', out);
    const log = new MemoryLog();
    const passwd = join(dir, 'passwd');
    writeFileSync(passwd, 'root:x:0:0::/root:/bin/sh\n');
    const n = new Notifier(config({ enableScriptSecurity: true, userDb: { passwd, group: passwd }, owners: [
      { scope: 'INSTANCE', name: 'VI_1', smtpAlert: false, master: { command: unsafe }, backup: { command: safe } },
    ] }), log.sink);
    n.transition({ scope: 'INSTANCE', name: 'VI_1', state: 'MASTER', priority: 100 });
    n.transition({ scope: 'INSTANCE', name: 'VI_1', state: 'BACKUP', priority: 100 });
    await n.idle();
    n.close();
    assert.deepEqual(lines(out), ['b.sh ']);
    assert.deepEqual(log.codes(), ['HALO_NTF_SCRIPT_UNSAFE']);
    assert.match(log.events[0]?.message ?? '', /open is writable by others/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fan-out: FIFO, webhook and scripts all get the transition while the SMTP server is dead', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-ntf-'));
  const posted: unknown[] = [];
  const server = createServer((req, res) => {
    let d = '';
    req.on('data', (c: Buffer) => (d += c.toString()));
    req.on('end', () => {
      posted.push(JSON.parse(d));
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  // An SMTP server that accepts connections and never greets: the worst kind of dead.
  const { createServer: createTcpServer } = await import('node:net');
  const held: Socket[] = [];
  const silent = createTcpServer((sock) => held.push(sock));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  try {
    const out = join(dir, 'out');
    const fifo = join(dir, 'vrrp_fifo');
    const log = new MemoryLog();
    const n = new Notifier(config({
      routerId: 'LVS_DEVEL',
      owners: [
        { scope: 'INSTANCE', name: 'VI_1', smtpAlert: true, master: { command: recorder(dir, 'm.sh', out) } },
        { scope: 'INSTANCE', name: 'WARM_UP', smtpAlert: true, backup: { command: recorder(dir, 'w.sh', out) } },
      ],
      fifos: [{ path: fifo, kind: 'vrrp' }],
      email: { to: ['ops@example.test'], host: '127.0.0.1', port: (silent.address() as AddressInfo).port, connectTimeoutMs: 1500 },
      webhooks: [{ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/h` }],
    }), log.sink);
    const reader = spawn('/bin/bash', ['-c', `read -r line < ${fifo}; echo "$line"`], { stdio: ['ignore', 'pipe', 'ignore'] });
    const readerExited = new Promise((r) => reader.on('exit', r));
    let fifoOut = '';
    reader.stdout.on('data', (c: Buffer) => (fifoOut += c.toString()));
    // The very first call pays Node's one-time lazy loading (child_process, http, nodemailer's
    // modules: ~70 ms measured here); the daemon pays it at start. Steady state is what matters.
    n.transition({ scope: 'INSTANCE', name: 'WARM_UP', state: 'BACKUP', priority: 1 });
    const t0 = performance.now();
    n.transition({ scope: 'INSTANCE', name: 'VI_1', state: 'MASTER', priority: 100, previousState: 'BACKUP', cause: 'Master down timer fired' });
    const tookMs = performance.now() - t0;
    // Bounded well below the SMTP timeout (1500 ms per mail): nothing waited for the mail server.
    // (Not a tight figure: test files run in parallel on a shared machine.)
    assert.ok(tookMs < 300, `transition() took ${tookMs} ms`);
    // The script and the webhook are done long before the mail queue gives up on the server.
    const deadline = performance.now() + 1000;
    while ((lines(out).length < 2 || posted.length < 2) && performance.now() < deadline) await sleep(10);
    assert.deepEqual(lines(out), ['w.sh ', 'm.sh '], 'scripts ran while email still waits');
    assert.equal(posted.length, 2, 'webhooks delivered while email still waits');
    await n.idle();
    await readerExited;
    n.close();
    assert.equal(fifoOut, 'INSTANCE "WARM_UP" BACKUP 1\n', 'the first line is the first event: FIFO order');
    assert.deepEqual(lines(out), ['w.sh ', 'm.sh ']);
    assert.equal(posted.length, 2);
    assert.deepEqual({ ...(posted[1] as object), time: 'x' }, { type: 'vrrp', seq: 2, time: 'x', routerId: 'LVS_DEVEL', scope: 'INSTANCE', name: 'VI_1', state: 'MASTER', priority: 100, previousState: 'BACKUP', cause: 'Master down timer fired' });
    assert.deepEqual(log.codes(), ['HALO_NTF_SMTP_FAILED', 'HALO_NTF_SMTP_FAILED'], 'two failed emails, nothing else lost');
  } finally {
    server.close();
    for (const sock of held) sock.destroy();
    silent.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('vrrp_notify_fifo_script: halo starts the reader with the FIFO path, lines arrive in order, SIGTERM on close', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-ntf-'));
  try {
    const out = join(dir, 'out');
    const pidFile = join(dir, 'pid');
    const reader = join(dir, 'reader.sh');
    // Shaped like keepalived's sample_notify_fifo.sh: the FIFO is the last argument.
    writeFileSync(reader, `#!/bin/bash\nFIFO=$1\necho $$ > ${pidFile}\ntrap 'echo STOPPING >> ${out}; exit 0' TERM\nwhile true; do\n  while read -r line; do echo "$line" >> ${out}; done < "$FIFO"\ndone\n`, { mode: 0o755 });
    const fifo = join(dir, 'vrrp_notify_fifo');
    const n = new Notifier(config({ fifos: [{ path: fifo, kind: 'vrrp', script: { command: reader } }] }), new MemoryLog().sink);
    for (let i = 0; i < 20; i++) n.transition({ scope: 'INSTANCE', name: `VI_${i}`, state: i % 2 ? 'MASTER' : 'BACKUP', priority: 100 + i });
    n.lvs({ kind: 'VS', vs: '[10.0.0.1]:tcp:80', up: true }); // not for a vrrp-only FIFO
    const end = Date.now() + 3000;
    while (lines(out).length < 20 && Date.now() < end) await sleep(20);
    assert.deepEqual(lines(out), Array.from({ length: 20 }, (_, i) => `INSTANCE "VI_${i}" ${i % 2 ? 'MASTER' : 'BACKUP'} ${100 + i}`));
    const pid = Number(readFileSync(pidFile, 'utf8'));
    n.close();
    const end2 = Date.now() + 3000;
    while (!lines(out).includes('STOPPING') && Date.now() < end2) await sleep(20);
    assert.ok(lines(out).includes('STOPPING'), 'the reader got SIGTERM');
    const alive = (): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    const end3 = Date.now() + 3000;
    while (alive() && Date.now() < end3) await sleep(20); // give node time to reap it
    assert.equal(alive(), false, 'the reader is gone');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
