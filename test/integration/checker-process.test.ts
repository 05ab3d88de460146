// The tutorial scenario of seed 003 in keepalived terms, from a config FILE and with real
// processes: `halo check-run` forks the checker process, which checks two web servers (loopback
// listeners on 127.0.0.2 and 127.0.0.3) with TCP_CHECK and HTTP_GET. web2 is stopped and started
// again; the checker reports it down and up within the configured times, with causes, runs
// notify_down/notify_up, and writes keepalived's lines to lvs_notify_fifo (a real FIFO).
// Loopback only; every wait is bounded; processes are stopped by PID.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { constants, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { Socket, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HALO = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const DELAY_LOOP_MS = 300;
const RETRY = 2;
const DELAY_BEFORE_RETRY_MS = 100;
const CONNECT_TIMEOUT_MS = 200;
/** Timers, IPC and a loaded CI machine. */
const SLACK_MS = 600;

class Web {
  server: Server | undefined;
  readonly sockets = new Set<Socket>();
  port = 0;
  constructor(
    readonly name: string,
    readonly address: string,
  ) {}
  async start(): Promise<void> {
    const server = createServer((req, res) => res.end(req.url === '/health' ? `ok from ${this.name}` : 'page'));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.address, () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server = undefined;
  }
}

interface Line {
  t: string;
  type: string;
  [k: string]: unknown;
}

/** Reads check-run's JSON lines and lets the test wait for one, bounded. */
class Lines {
  readonly all: { atMs: number; line: Line }[] = [];
  private buf = '';
  constructor(child: ChildProcess) {
    child.stdout?.on('data', (d: Buffer) => {
      this.buf += d.toString();
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const text = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        if (text.trim() !== '') this.all.push({ atMs: performance.now(), line: JSON.parse(text) as Line });
      }
    });
  }
  async waitFor(pred: (l: Line) => boolean, limitMs: number, from = 0): Promise<{ atMs: number; line: Line }> {
    const t0 = performance.now();
    while (performance.now() - t0 < limitMs) {
      const hit = this.all.slice(from).find((x) => pred(x.line));
      if (hit) return hit;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`no matching line within ${limitMs} ms; got:\n${this.all.map((x) => JSON.stringify(x.line)).join('\n')}`);
  }
}

function checker(name: string, extra = ''): string {
  return `        ${name} {
            connect_timeout ${CONNECT_TIMEOUT_MS / 1000}
            retry ${RETRY}
            delay_before_retry ${DELAY_BEFORE_RETRY_MS / 1000}
            warmup 0
${extra}        }
`;
}

function config(dir: string, web1: Web, web2: Web): string {
  const rs = (w: Web): string => `    real_server ${w.address} ${w.port} {
        weight 1
        notify_up "echo ${w.name}-up >> ${dir}/notify.log"
        notify_down "echo ${w.name}-down >> ${dir}/notify.log"
${checker('TCP_CHECK')}${checker('HTTP_GET', '            url {\n                path /health\n                status_code 200\n                regex "^ok from"\n            }\n')}    }
`;
  return `global_defs {
    router_id halo_test
    lvs_notify_fifo ${dir}/lvs.fifo
}
virtual_server 127.0.0.1 18080 {
    delay_loop ${DELAY_LOOP_MS / 1000}
    lb_algo rr
    lb_kind NAT
    protocol TCP
${rs(web1)}${rs(web2)}}
`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function exited(child: ChildProcess, limitMs: number): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(null), limitMs);
    child.once('exit', (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}

test('tutorial from keepalived.conf: the checker process reports web2 down and up within the configured times, with causes, scripts and FIFO lines', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-checker-it-'));
  const web1 = new Web('web1', '127.0.0.2');
  const web2 = new Web('web2', '127.0.0.3');
  let child: ChildProcess | undefined;
  let fifo: Socket | undefined;
  try {
    await web1.start();
    await web2.start();
    const file = join(dir, 'keepalived.conf');
    writeFileSync(file, config(dir, web1, web2));
    if (spawnSync('mkfifo', [join(dir, 'lvs.fifo')]).status !== 0) {
      t.skip('needs mkfifo (coreutils)');
      return;
    }
    // A non-blocking reader, so that the checker's non-blocking open for writing finds one.
    const fifoText: string[] = [];
    fifo = new Socket({ fd: openSync(join(dir, 'lvs.fifo'), constants.O_RDONLY | constants.O_NONBLOCK), readable: true, writable: false });
    fifo.on('data', (d: Buffer) => fifoText.push(d.toString()));

    child = spawn(process.execPath, [HALO, 'check-run', '-f', file, '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = new Lines(child);
    const ready = await lines.waitFor((l) => l.type === 'ready', 10_000);
    const checkerPid = ready.line['pid'] as number;
    assert.ok(alive(checkerPid));
    const id1 = `127.0.0.2:${web1.port}`;
    const id2 = `127.0.0.3:${web2.port}`;
    for (const id of [id1, id2]) {
      const v = await lines.waitFor((l) => l.type === 'verdict' && (l['state'] as { id: string }).id === id, 5000);
      assert.equal((v.line['state'] as { health: string }).health, 'up');
    }

    // Down: at most one delay_loop to the next check, then `retry` retries delay_before_retry
    // apart, each refused at once.
    const downBoundMs = DELAY_LOOP_MS + RETRY * DELAY_BEFORE_RETRY_MS + SLACK_MS;
    const mark = lines.all.length;
    await web2.stop();
    const stoppedAt = performance.now();
    const isServer = (id: string, health: string) => (l: Line) => l.type === 'event' && (l['event'] as { type: string; serverId: string; health: string }).type === 'server' && (l['event'] as { serverId: string }).serverId === id && (l['event'] as { health: string }).health === health;
    const down = await lines.waitFor(isServer(id2, 'down'), 5000, mark);
    const downMs = down.atMs - stoppedAt;
    assert.ok(downMs <= downBoundMs, `web2 reported down after ${downMs.toFixed(0)} ms (bound ${downBoundMs})`);
    assert.ok(downMs >= RETRY * DELAY_BEFORE_RETRY_MS - 20, `not before its retries: ${downMs.toFixed(0)} ms`);
    const downEvent = down.line['event'] as { cause: { detail: string } };
    assert.match(downEvent.cause.detail, /^(TCP_CHECK|HTTP_GET \/health): connection refused$/);
    assert.equal((down.line['log'] as { code: string }).code, 'HALO_CHK_SERVER_DOWN');
    const pool1 = await lines.waitFor((l) => l.type === 'pool' && (l['entries'] as unknown[]).length === 1, 2000, mark);
    assert.deepEqual((pool1.line['entries'] as { id: string }[]).map((e) => e.id), [id1]);

    // Up: one pass of each checker; at most one delay_loop plus the probes.
    const upBoundMs = DELAY_LOOP_MS + SLACK_MS;
    const mark2 = lines.all.length;
    await web2.start();
    const startedAt = performance.now();
    const up = await lines.waitFor(isServer(id2, 'up'), 5000, mark2);
    const upMs = up.atMs - startedAt;
    assert.ok(upMs <= upBoundMs, `web2 reported up after ${upMs.toFixed(0)} ms (bound ${upBoundMs})`);
    assert.match((up.line['event'] as { cause: { detail: string } }).cause.detail, /^(TCP_CHECK|HTTP_GET \/health|all checks pass)/);
    await lines.waitFor((l) => l.type === 'pool' && (l['entries'] as unknown[]).length === 2, 2000, mark2);
    console.log(`# checker process: down after ${downMs.toFixed(0)} ms (bound ${downBoundMs}), up after ${upMs.toFixed(0)} ms (bound ${upBoundMs})`);

    // Scripts ran (they are asynchronous: wait a little), and the FIFO got keepalived's lines.
    const t0 = performance.now();
    while (performance.now() - t0 < 2000) {
      let text = '';
      try {
        text = readFileSync(join(dir, 'notify.log'), 'utf8');
      } catch {
        /* not yet */
      }
      if (text.includes('web2-up')) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(readFileSync(join(dir, 'notify.log'), 'utf8').trim().split('\n'), ['web2-down', 'web2-up']);
    while (performance.now() - t0 < 2000 && !fifoText.join('').includes('UP')) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(fifoText.join('').trim().split('\n'), [`RS [127.0.0.3]:tcp:${web2.port} [127.0.0.1]:tcp:18080 DOWN`, `RS [127.0.0.3]:tcp:${web2.port} [127.0.0.1]:tcp:18080 UP`]);

    // SIGTERM: the checker stops (no omega configured: no scripts) and both processes exit.
    child.kill('SIGTERM');
    assert.equal(await exited(child, 10_000), 0);
    const stopped = await lines.waitFor((l) => l.type === 'stopped', 1000);
    assert.ok((stopped.line['probes'] as number) > 10);
    assert.equal(stopped.line['scriptsRun'], 2);
    assert.equal(alive(checkerPid), false, 'the checker process is gone');
  } finally {
    if (child && child.exitCode === null && child.pid !== undefined) child.kill('SIGKILL');
    fifo?.destroy();
    await web1.stop();
    await web2.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('check-run --once prints the first verdict of every real server and exits; a bad file fails with the reason', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-checker-it-'));
  const web1 = new Web('web1', '127.0.0.2');
  const web2 = new Web('web2', '127.0.0.3');
  try {
    await web1.start();
    await web2.start();
    const file = join(dir, 'keepalived.conf');
    writeFileSync(file, config(dir, web1, web2).replace(/lvs_notify_fifo .*\n/, ''));
    await web2.stop(); // web2 is down from the start: its verdict comes after its retries
    const run = (args: string[]): Promise<{ code: number | null; out: string; ms: number }> =>
      new Promise((resolve) => {
        const t0 = performance.now();
        const c = spawn(process.execPath, [HALO, 'check-run', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        c.stdout.on('data', (d: Buffer) => (out += d.toString()));
        c.stderr.on('data', (d: Buffer) => (out += d.toString()));
        const kill = setTimeout(() => c.kill('SIGKILL'), 15_000);
        c.once('exit', (code) => {
          clearTimeout(kill);
          resolve({ code, out, ms: performance.now() - t0 });
        });
      });
    const once = await run(['-f', file, '--once']);
    assert.equal(once.code, 0, once.out);
    const verdicts = once.out.split('\n').filter((l) => / 127\.0\.0\.[23]:\d+ (up|down) /.test(l));
    assert.equal(verdicts.length, 2, once.out);
    assert.ok(verdicts.some((l) => l.includes(`127.0.0.2:${web1.port} up weight 1`)), once.out);
    assert.ok(verdicts.some((l) => l.includes(`127.0.0.3:${web2.port} down weight 0: `) && l.includes('connection refused')), once.out);
    assert.ok(once.ms < 10_000);
    // --once applies no omega: no notify script ran on the way out (web2's notify_down did, on its verdict).
    assert.deepEqual(readFileSync(join(dir, 'notify.log'), 'utf8').trim().split('\n'), ['web2-down']);

    writeFileSync(file, 'virtual_server 127.0.0.1 80 {\n  protocol TCP\n  real_server 127.0.0.2 80 {\n    HTTP_GET {\n      url {\n        path /x\n        regex "("\n      }\n    }\n  }\n}\n');
    const bad = await run(['-f', file, '--once']);
    assert.equal(bad.code, 1);
    assert.match(bad.out, /HALO_SVC_CHECKER_FAILED: Cannot check .*Invalid regex/);
  } finally {
    await web1.stop();
    await web2.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
