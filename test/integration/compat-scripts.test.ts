/**
 * The tutorials' nginx check scripts, unchanged, run by halo's vrrp_script runner with the
 * halo-compat shims first on PATH. When nginx is down and cannot be started, their
 * `systemctl stop keepalived` / `killall keepalived` must become a SIGTERM to halo (here a stand-in
 * process whose pid is HALO_PID); when nginx runs, or starts again, nothing is signalled.
 *
 * The scripts start nginx with absolute paths (/etc/init.d/nginx, /usr/local/nginx/sbin/nginx), and
 * this machine has a real nginx installed: each run goes through `unshare --mount` into a private
 * mount namespace where those paths are fakes and /var/log is a tmpfs, so the test never starts
 * the machine's nginx or writes its logs. `ps` is a fake on PATH that answers the forms the
 * scripts use from a counter file (the real one would see any real nginx on the host).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, copyFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawn, spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { ScriptTracker } from '../../src/track/script-tracker.js';
import { compatEnv } from '../../src/track/compat.js';
import { MemoryLog } from '../../src/notify/log.js';

const FIXTURES = new URL('../../../test/fixtures/scripts/', import.meta.url).pathname;

function canUnshare(): string | null {
  if (process.getuid?.() !== 0) return 'needs root: private mount namespaces';
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'true'], { stdio: 'ignore', timeout: 5000 });
  return r.status === 0 ? null : 'needs unshare --mount (util-linux) and CAP_SYS_ADMIN';
}

interface World {
  readonly dir: string;
  setNginx(count: number): void;
  canStart(yes: boolean): void;
}

function makeWorld(): World {
  const dir = mkdtempSync(join(tmpdir(), 'halo-compat-'));
  const count = join(dir, 'nginx_count');
  mkdirSync(join(dir, 'fakebin'));
  writeFileSync(join(dir, 'fakebin', 'ps'), `#!/bin/sh
# Fake ps: the forms the tutorial scripts use, from a counter of running nginx processes.
n=$(cat ${count} 2>/dev/null || echo 0)
case "$*" in
  "-C nginx --no-heading"|"-C nginx --no-header")
    i=0; while [ $i -lt $n ]; do echo "  10$i ?        00:00:00 nginx"; i=$((i+1)); done ;;
  "-ef")
    echo "UID          PID    PPID  C STIME TTY          TIME CMD"
    echo "root           1       0  0 00:00 ?        00:00:01 /sbin/init"
    if [ $n -gt 0 ]; then
      echo "root         100       1  0 00:00 ?        00:00:00 nginx: master process /usr/sbin/nginx"
      echo "www-data     101     100  0 00:00 ?        00:00:00 nginx: worker process"
    fi ;;
  *) echo "error: garbage option" >&2; exit 1 ;;
esac
`, { mode: 0o755 });
  // What "start nginx" does in the namespace: succeeds only when the test allows it.
  writeFileSync(join(dir, 'fake-nginx'), `#!/bin/sh\nif [ -e ${dir}/can_start ]; then echo 2 > ${count}; exit 0; fi\necho "nginx: [emerg] bind() failed" >&2\nexit 1\n`, { mode: 0o755 });
  writeFileSync(join(dir, 'ns-run.sh'), `#!/bin/sh
# In a private mount namespace: fake nginx start commands, a scratch /var/log, then the script.
set -e
mount -t tmpfs tmpfs /usr/local
mkdir -p /usr/local/nginx/sbin
cp ${dir}/fake-nginx /usr/local/nginx/sbin/nginx
if [ -e /etc/init.d/nginx ]; then mount --bind ${dir}/fake-nginx /etc/init.d/nginx
else mount -t tmpfs tmpfs /etc/init.d && cp ${dir}/fake-nginx /etc/init.d/nginx; fi
mount -t tmpfs tmpfs /var/log
set +e
exec "$@"
`, { mode: 0o755 });
  return {
    dir,
    setNginx: (n) => writeFileSync(count, `${n}\n`),
    canStart: (yes) => (yes ? writeFileSync(join(dir, 'can_start'), '') : rmSync(join(dir, 'can_start'), { force: true })),
  };
}

/** Runs one script once through the tracker; returns whether the stand-in halo got SIGTERM. */
async function runOnce(world: World, script: string): Promise<{ signalled: boolean; codes: string[] }> {
  const copy = join(world.dir, script);
  if (!existsSync(copy)) copyFileSync(join(FIXTURES, script), copy);
  const standIn = spawn('sleep', ['60'], { stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((r) => standIn.on('exit', (_c, sig) => r(sig)));
  const log = new MemoryLog();
  const env = compatEnv({ PATH: `${join(world.dir, 'fakebin')}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin` }, { haloPid: standIn.pid as number });
  const tracker = new ScriptTracker({
    name: 'chk_nginx', script: `unshare --mount --propagation private ${join(world.dir, 'ns-run.sh')} ${copy}`,
    riseCount: 1, fallCount: 1, initFail: false, intervalMs: 60_000, timeoutMs: 20_000,
    env, scriptSecurity: false, onSignal: () => undefined, log: log.sink,
  });
  tracker.start();
  const end = Date.now() + 15_000;
  while (tracker.counters.successes + tracker.counters.failures === 0 && Date.now() < end) await sleep(20);
  tracker.stop();
  const sig = await Promise.race([exited, sleep(300).then(() => 'alive' as const)]);
  if (sig === 'alive') standIn.kill('SIGKILL');
  return { signalled: sig === 'SIGTERM', codes: log.codes() };
}

const SCRIPTS = [
  { file: 'check_ng.sh', canRestart: true },
  { file: 'nginx_check.sh', canRestart: true },
  { file: 'nginx_pid.sh', canRestart: true },
  // The tutorial's `systemclt start nginx.service` is a typo: its restart never works, with keepalived either.
  { file: 'monitor_nginx.sh', canRestart: false },
];

for (const { file, canRestart } of SCRIPTS) {
  test(`${file}: nginx running: halo is left alone`, async (t) => {
    const why = canUnshare();
    if (why) return t.skip(why);
    const w = makeWorld();
    try {
      w.setNginx(2);
      const r = await runOnce(w, file);
      assert.equal(r.signalled, false);
      assert.ok(!r.codes.includes('HALO_TRK_COMPAT_STOP'));
    } finally {
      rmSync(w.dir, { recursive: true, force: true });
    }
  });

  if (canRestart) {
    test(`${file}: nginx down but starts again: halo is left alone`, async (t) => {
      const why = canUnshare();
      if (why) return t.skip(why);
      const w = makeWorld();
      try {
        w.setNginx(0);
        w.canStart(true);
        const r = await runOnce(w, file);
        assert.equal(r.signalled, false);
      } finally {
        rmSync(w.dir, { recursive: true, force: true });
      }
    });
  }

  test(`${file}: nginx down and cannot start: "stop keepalived" becomes SIGTERM to halo, logged`, async (t) => {
    const why = canUnshare();
    if (why) return t.skip(why);
    const w = makeWorld();
    try {
      w.setNginx(0);
      w.canStart(false);
      const r = await runOnce(w, file);
      assert.equal(r.signalled, true, 'the stand-in halo received SIGTERM');
      assert.ok(r.codes.includes('HALO_TRK_COMPAT_STOP'), `logged codes: ${r.codes.join(', ')}`);
    } finally {
      rmSync(w.dir, { recursive: true, force: true });
    }
  });
}

test('shims pass other commands to the real programs and refuse to act without HALO_PID', async (t) => {
  const env = compatEnv({ PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }, { haloPid: 0 });
  const { HALO_PID: _drop, ...noPid } = env;
  const r1 = spawnSync('systemctl', ['stop', 'keepalived'], { env: noPid, encoding: 'utf8' });
  assert.equal(r1.status, 1);
  assert.match(r1.stderr, /HALO_PID is not set: nothing done/);
  const r2 = spawnSync('killall', ['-0', 'keepalived'], { env, encoding: 'utf8' });
  assert.equal(r2.status, 0, 'killall -0 keepalived: halo runs');
  // A name no process has: the real killall answers (exit 1, "no process found").
  const r3 = spawnSync('killall', ['-0', 'halo-no-such-process-xyz'], { env, encoding: 'utf8' });
  if (r3.error) return t.skip('killall is not installed');
  assert.equal(r3.status, 1);
  assert.match(r3.stderr, /no process found/);
  const r4 = spawnSync('killall', ['keepalived'], { env: { ...env, HALO_COMPAT_STOP: 'ignore' }, encoding: 'utf8' });
  assert.equal(r4.status, 0);
  assert.match(r4.stderr, /ignored/);
});
