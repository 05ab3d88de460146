// `halo run` as one daemon in network namespaces: VRRP holds the VIP, the checker process runs
// TCP_CHECK against two real servers, the proxy plane serves the virtual_server on the VIP and
// follows the checker's verdicts. Only addresses inside the lab are used; every request loop is
// bounded; processes are killed by PID (the lab tracks them).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NetnsLab, type NetnsNode } from './harness.js';

const avail = NetnsLab.available();
const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const RS_PORT = 8080;
const VS_PORT = 80;

interface PoolsStatus {
  readonly checkerPid: number | null;
  readonly pools: Array<{ vsId: string; backends: Array<{ id: string; health: string; cause: { detail: string } }> }>;
}

function conf(vip: string, r1: string, r2: string): string {
  const rs = (addr: string): string => `    real_server ${addr} ${RS_PORT} {
        weight 1
        TCP_CHECK {
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
    }
`;
  return `vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 61
    priority 100
    advert_int 1
    virtual_ipaddress {
        ${vip}/24
    }
}

virtual_server ${vip} ${VS_PORT} {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
${rs(r1)}${rs(r2)}}
`;
}

describe('halo run: VRRP, checker and proxy in one daemon', { skip: avail.ok ? false : avail.reason, timeout: 90_000 }, () => {
  let lab: NetnsLab;
  let d1: NetnsNode, r1: NetnsNode, r2: NetnsNode, client: NetnsNode;
  let web1: ChildProcess;
  let halo: ChildProcess;
  let exited: Promise<number | null>;
  const lines: string[] = [];
  let dir: string;
  let vip: string;

  const status = (): PoolsStatus | undefined => {
    try {
      return JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')) as PoolsStatus;
    } catch {
      return undefined;
    }
  };
  const healthOf = (addr: string): string | undefined => status()?.pools[0]?.backends.find((b) => b.id === `${addr}:${RS_PORT}`)?.health;
  async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
    const start = Date.now();
    while (!check()) {
      if (Date.now() - start > timeoutMs) assert.fail(`${what}: not within ${timeoutMs} ms\n${lines.join('\n')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  /** `n` bounded GETs from the client through the virtual server; the bodies (empty on failure). */
  const requests = (n: number): string[] => Array.from({ length: n }, () => {
    const r = client.httpGet(vip, VS_PORT, 1000);
    return r.ok ? r.body : '';
  });

  before(async () => {
    lab = new NetnsLab(44);
    lab.addSegment();
    d1 = lab.addNode('d1');
    r1 = lab.addNode('r1');
    r2 = lab.addNode('r2');
    client = lab.addNode('client');
    vip = lab.ipv4Of(0, 100);
    web1 = await r1.startWebServer(RS_PORT, 'r1');
    await r2.startWebServer(RS_PORT, 'r2');
    // The proxy binds the VIP before VRRP has added it, as nginx beside keepalived does.
    d1.must(['sysctl', '-qw', 'net.ipv4.ip_nonlocal_bind=1']);
    dir = mkdtempSync(join(tmpdir(), `${d1.ns}-halo-`));
    lab.cleanupDir(dir);
    writeFileSync(join(dir, 'keepalived.conf'), conf(vip, r1.ipv4(), r2.ipv4()));
    halo = d1.spawn([process.execPath, MAIN, 'run', '-f', join(dir, 'keepalived.conf'), '-p', join(dir, 'halo.pid'), '--status-file', join(dir, 'status.json'), '--workers', '1', '--drain-ms', '1000']);
    let partial = '';
    halo.stderr?.setEncoding('utf8');
    halo.stderr?.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const l of parts) if (lines.length < 5000) lines.push(l);
    });
    exited = new Promise((resolve) => halo.once('exit', (code) => resolve(code)));
  });

  after(async () => {
    await lab?.destroy();
    assert.deepEqual(lab?.leftovers() ?? [], []);
  });

  test('both real servers are used once the checker has seen them up', async () => {
    await until('d1 holds the VIP', () => d1.hasAddress(vip), 15_000);
    await until('both real servers up in the status file', () => healthOf(r1.ipv4()) === 'up' && healthOf(r2.ipv4()) === 'up', 15_000);
    const st = status();
    assert.ok(st?.checkerPid !== null && st?.checkerPid !== undefined && st.checkerPid !== halo.pid, 'the checker runs in a process of its own');
    const bodies = requests(10);
    assert.deepEqual(new Set(bodies), new Set(['r1', 'r2']), `bodies: ${bodies.join(',')}`);
  });

  test('a stopped real server is marked down by TCP_CHECK and every request goes to the other', async () => {
    web1.kill('SIGKILL');
    const t0 = Date.now();
    await until('r1 down in the status file', () => healthOf(r1.ipv4()) === 'down', 15_000);
    process.stdout.write(`TCP_CHECK marked r1 down after ${Date.now() - t0} ms\n`);
    const cause = status()?.pools[0]?.backends.find((b) => b.id === `${r1.ipv4()}:${RS_PORT}`)?.cause.detail ?? '';
    assert.ok(cause.length > 0, 'the down state carries its cause');
    const bodies = requests(20);
    assert.deepEqual(bodies, Array.from({ length: 20 }, () => 'r2'));
  });

  test('the real server started again is used again', async () => {
    web1 = await r1.startWebServer(RS_PORT, 'r1');
    await until('r1 up again', () => healthOf(r1.ipv4()) === 'up', 15_000);
    const bodies = requests(10);
    assert.deepEqual(new Set(bodies), new Set(['r1', 'r2']), `bodies: ${bodies.join(',')}`);
  });

  test('SIGTERM: VRRP releases, then the proxy drains, then the checker stops; exit 0', async () => {
    halo.kill('SIGTERM');
    assert.equal(await exited, 0, lines.join('\n'));
    assert.equal(d1.hasAddress(vip), false);
    assert.equal(existsSync(join(dir, 'halo.pid')), false);
    const at = (re: RegExp): number => lines.findIndex((l) => re.test(l));
    const released = at(/VRRP process stopped/);
    const draining = at(/Proxy plane draining/);
    const checkerStopped = at(/Checker process stopped/);
    assert.ok(released >= 0 && draining > released && checkerStopped > draining, `order: ${released} ${draining} ${checkerStopped}\n${lines.join('\n')}`);
  });
});
