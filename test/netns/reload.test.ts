// SIGHUP reload of `halo run` in network namespaces, with a client sending requests all along:
//  - a pair of directors; the master is reloaded with the same config, an added VIP, a removed
//    VIP and a broken config: no request on the kept VIP fails and the backup never becomes
//    MASTER; the added VIP answers, the removed one is gone, the broken config changes nothing;
//    SIGUSR1 / SIGUSR2 write the data and statistics dumps; `halo reload` over the control socket
//    adds a tracked vrrp_script and an instance, then removes the instance (notify_deleted);
//  - one director serving a virtual_server: its pool changes under a client loop, no request fails.
// Only addresses inside the lab are used; the client loops are bounded in count and time (20
// requests/s, at most 15 s); processes are killed by PID (the lab tracks them).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetnsLab, type NetnsNode } from './harness.js';
import { MAIN, PORT, startHalo, until, vrrpInstance, type Halo } from './daemon-run.js';

const avail = NetnsLab.available();
const LOOP_INTERVAL_MS = 50;
const LOOP_MAX_MS = 15_000;

/** A director's config: one instance with the given VIPs (and optional virtual_server text). */
function config(priority: number, vips: readonly string[], extra = ''): string {
  return vrrpInstance(70, priority, vips) + extra;
}

interface ClientLoop {
  readonly results: string[];
  readonly done: Promise<void>;
  /** Ends the loop early (the next tick stops it). */
  stop(): void;
}

/**
 * A client in its namespace sending one GET every 50 ms (at most `count`, at most 15 s), each
 * bounded by a 1 s timeout, printing `ok BODY` or `fail REASON` per request.
 */
function clientLoop(node: NetnsNode, address: string, port: number, count: number, stopFile: string): ClientLoop {
  const script = `
const http = require('http'); const fs = require('fs');
const [address, port, count, interval, maxMs, stopFile] = process.argv.slice(1);
const t0 = Date.now(); let sent = 0; let open = 0;
const timer = setInterval(() => {
  if (sent >= Number(count) || Date.now() - t0 > Number(maxMs) || fs.existsSync(stopFile)) { clearInterval(timer); return; }
  sent++; open++;
  const req = http.get({ host: address, port: Number(port), path: '/', agent: false, timeout: 1000 }, (res) => {
    let body = ''; res.setEncoding('utf8'); res.on('data', (d) => (body += d));
    res.on('end', () => { open--; console.log(res.statusCode === 200 ? 'ok ' + body.trim() : 'fail status ' + res.statusCode); });
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', (e) => { open--; console.log('fail ' + e.message); });
}, Number(interval));
`;
  const child: ChildProcess = node.spawn([process.execPath, '-e', script, address, String(port), String(count), String(LOOP_INTERVAL_MS), String(LOOP_MAX_MS), stopFile]);
  const results: string[] = [];
  let partial = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const l of parts) if (l !== '' && results.length < 1000) results.push(l);
  });
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { results, done, stop: () => writeFileSync(stopFile, 'stop\n') };
}

const countOf = (h: Halo, re: RegExp): number => h.lines.filter((l) => re.test(l)).length;

describe('halo run: SIGHUP reload of the master of a pair under client traffic', { skip: avail.ok ? false : avail.reason, timeout: 120_000 }, () => {
  let lab: NetnsLab;
  let d1: NetnsNode, d2: NetnsNode, client: NetnsNode;
  let h1: Halo, h2: Halo;
  let vip: string, vip2: string;

  const answer = (address: string): string => {
    const r = client.httpGet(address, PORT, 500);
    return r.ok ? r.body : '';
  };
  const stateOf = (h: Halo): string | undefined => {
    try {
      return (JSON.parse(readFileSync(join(h.dir, 'status.json'), 'utf8')) as { instances: Array<{ state: string }> }).instances[0]?.state;
    } catch {
      return undefined;
    }
  };
  /** Writes the master's new config, sends SIGHUP, waits for the reload's summary (or refusal) line. */
  async function reload(text: string, expect: RegExp): Promise<void> {
    const before = h1.lines.length;
    writeFileSync(join(h1.dir, 'keepalived.conf'), text);
    h1.child.kill('SIGHUP');
    await until(`reload logged (${String(expect)})`, () => h1.lines.slice(before).some((l) => expect.test(l)), 5000, [h1]);
  }

  before(async () => {
    lab = new NetnsLab(47);
    lab.addSegment();
    d1 = lab.addNode('d1');
    d2 = lab.addNode('d2');
    client = lab.addNode('client');
    vip = lab.ipv4Of(0, 100);
    vip2 = lab.ipv4Of(0, 101);
    await Promise.all([d1.startWebServer(PORT, 'd1'), d2.startWebServer(PORT, 'd2')]);
  });

  after(async () => {
    await lab?.destroy();
    assert.deepEqual(lab?.leftovers() ?? [], []);
  });

  test('the pair elects d1', async () => {
    h2 = startHalo(lab, d2, config(90, [vip]));
    h1 = startHalo(lab, d1, config(100, [vip]));
    // d2 may win the first election while d1 starts; d1 (priority 100) preempts.
    await until('d1 holds the VIP alone', () => d1.hasAddress(vip) && !d2.hasAddress(vip), 15_000, [h1, h2]);
    await until('the client reaches d1', () => answer(vip) === 'd1', 5000, [h1, h2]);
    await until('d2 reports BACKUP', () => stateOf(h2) === 'BACKUP', 5000, [h2]);
  });

  test('reloads (same, VIP added, VIP removed, broken): no failed request on the kept VIP, no failover', async () => {
    const loop = clientLoop(client, vip, PORT, 280, join(h1.dir, 'stop-loop'));
    const masterLinesBefore = countOf(h1, /from=MASTER/);
    const backupLinesBefore = countOf(h2, /to=MASTER/);
    try {
      await new Promise((r) => setTimeout(r, 1000));
      // (a) the same config
      await reload(config(100, [vip]), /Reloaded .*instances unchanged \(1 kept as they were\)/);
      await new Promise((r) => setTimeout(r, 1000));
      // (b) an added VIP: added by difference and answering
      await reload(config(100, [vip, vip2]), /Reloaded .*instances ~VI_1\(vips\)/);
      await until('d1 holds the added VIP', () => d1.hasAddress(vip2), 3000, [h1]);
      await until('the added VIP answers', () => answer(vip2) === 'd1', 3000, [h1]);
      assert.equal(d2.hasAddress(vip2), false);
      await new Promise((r) => setTimeout(r, 1000));
      // (c) the VIP removed again
      await reload(config(100, [vip]), /Reloaded .*instances ~VI_1\(vips\)/);
      await until('the removed VIP is gone', () => !d1.hasAddress(vip2), 3000, [h1]);
      assert.equal(answer(vip2), '', 'nobody answers on the removed VIP');
      await new Promise((r) => setTimeout(r, 1000));
      // (d) a broken config: refused with its positioned diagnostics, nothing changes
      const refusedBefore = countOf(h1, /HALO_DMN_RELOAD_REFUSED/);
      await reload(config(100, [vip]).replace('virtual_router_id 70', 'virtual_router_id 300'), /HALO_DMN_RELOAD_REFUSED/);
      assert.equal(countOf(h1, /HALO_DMN_RELOAD_REFUSED/), refusedBefore + 1);
      assert.ok(h1.lines.some((l) => /keepalived\.conf:4:\d+: error HALO_CFG_OUT_OF_RANGE/.test(l)), `the diagnostic carries its position:\n${h1.lines.filter((l) => l.includes('HALO_')).join('\n')}`);
      assert.ok(d1.hasAddress(vip));
      await new Promise((r) => setTimeout(r, 1500));
    } finally {
      loop.stop();
      await loop.done;
    }
    const failed = loop.results.filter((r) => !r.startsWith('ok '));
    const ok = loop.results.filter((r) => r === 'ok d1');
    process.stdout.write(`reload under traffic: ${ok.length} requests answered by d1, ${failed.length} failed, 4 reloads\n`);
    assert.deepEqual(failed, [], 'no request on the kept VIP failed');
    assert.equal(ok.length, loop.results.length, 'every request was answered by the master');
    assert.ok(ok.length >= 40, `the loop ran (${ok.length} requests)`);
    // No failover: d1 never left MASTER, d2 never became MASTER and never held the VIP.
    assert.equal(countOf(h1, /from=MASTER/), masterLinesBefore, h1.lines.join('\n'));
    assert.equal(countOf(h2, /to=MASTER/), backupLinesBefore, h2.lines.join('\n'));
    assert.equal(stateOf(h2), 'BACKUP');
    assert.equal(d2.hasAddress(vip), false);
  });

  test('SIGUSR1 writes the data dump and SIGUSR2 the statistics, as text and JSON', async () => {
    h1.child.kill('SIGUSR1');
    h1.child.kill('SIGUSR2');
    await until('both dumps written', () => ['halo.data', 'halo.data.json', 'halo.stats', 'halo.stats.json'].every((f) => existsSync(join(h1.dir, f))), 3000, [h1]);
    await until('the statistics are logged as written', () => h1.lines.some((l) => l.includes('statistics to')), 3000, [h1]);
    const data = readFileSync(join(h1.dir, 'halo.data'), 'utf8');
    assert.match(data, /VRRP instance = VI_1\n {3}state = MASTER/);
    assert.match(data, /reloads: 3 \(refused 1\)/);
    const json = JSON.parse(readFileSync(join(h1.dir, 'halo.data.json'), 'utf8')) as { instances: Array<{ state: string; config: { vips: Array<{ address: string }> } }> };
    assert.deepEqual(json.instances.map((i) => [i.state, i.config.vips.map((v) => v.address)]), [['MASTER', [vip]]]);
    const stats = JSON.parse(readFileSync(join(h1.dir, 'halo.stats.json'), 'utf8')) as { instances: Record<string, Record<string, number>> };
    assert.ok((stats.instances['VI_1']?.['advert_sent'] ?? 0) > 0, JSON.stringify(stats));
  });

  test('halo reload: an added vrrp_script runs, unchanged it keeps running, a removed instance notifies DELETED', async () => {
    const dir = h1.dir;
    const runs = join(dir, 'chk.runs');
    const notified = join(dir, 'notified');
    const notify = join(dir, 'notify.sh');
    writeFileSync(notify, `#!/bin/sh\necho "$*" >> ${notified}\n`);
    chmodSync(notify, 0o755);
    const script = `vrrp_script chk {\n    script "/bin/sh -c 'echo run >> ${runs}'"\n    interval 0.2\n    weight -5\n}\n`;
    const tracked = config(100, [vip]).replace('    virtual_ipaddress {', '    track_script {\n        chk\n    }\n    virtual_ipaddress {');
    const second = `vrrp_instance VI_2 {\n    interface eth0\n    virtual_router_id 71\n    priority 100\n    advert_int 1\n    virtual_ipaddress {\n        ${vip2}/24\n    }\n    notify ${notify}\n    notify_deleted "${notify} deleted-script"\n}\n`;
    const halo = (): { code: number | null; out: string; err: string } => {
      const r = spawnSync(process.execPath, [MAIN, 'reload', '--socket', join(dir, 'halo.sock')], { encoding: 'utf8', timeout: 40_000 });
      return { code: r.status, out: r.stdout, err: r.stderr };
    };
    const masterLinesBefore = countOf(h1, /^(?!.*VI_2).*from=MASTER/);
    writeFileSync(join(dir, 'keepalived.conf'), `${script}${tracked}${second}`);
    const added = halo();
    assert.equal(added.code, 0, added.err);
    assert.match(added.out, /^instances \+VI_2 ~VI_1\(trackers\) \(0 kept as they were\)/);
    const lines = (f: string): string[] => (existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n') : []);
    await until('the added vrrp_script runs', () => lines(runs).length >= 3, 5000, [h1]);
    await until('VI_2 becomes MASTER and is notified', () => lines(notified).includes('INSTANCE VI_2 MASTER 100'), 8000, [h1]);
    assert.ok(h1.lines.some((l) => /Trackers reloaded: 1 started, 0 stopped, 0 kept running/.test(l)), h1.lines.join('\n'));

    // VI_2 removed, chk unchanged: chk goes on (no runner restarted), VI_2's removal is DELETED.
    const trackerLines = countOf(h1, /Trackers reloaded/);
    writeFileSync(join(dir, 'keepalived.conf'), `${script}${tracked}`);
    const removed = halo();
    assert.equal(removed.code, 0, removed.err);
    assert.match(removed.out, /^instances -VI_2 \(1 kept as they were\)/);
    await until('notify_deleted and the generic notify ran', () => lines(notified).includes('deleted-script') && lines(notified).includes('INSTANCE VI_2 DELETED 100'), 5000, [h1]);
    await until('the VIP of the removed instance is gone', () => !d1.hasAddress(vip2), 3000, [h1]);
    const ranBefore = lines(runs).length;
    await until('chk goes on running', () => lines(runs).length >= ranBefore + 3, 5000, [h1]);
    assert.equal(countOf(h1, /Trackers reloaded/), trackerLines, 'no tracker started or stopped');
    assert.deepEqual(lines(notified).filter((l) => l.startsWith('INSTANCE VI_2')), ['INSTANCE VI_2 BACKUP 100', 'INSTANCE VI_2 MASTER 100', 'INSTANCE VI_2 DELETED 100'], 'no STOP: DELETED instead');

    // A file with errors: refused with the count, exit 1, nothing changes.
    writeFileSync(join(dir, 'keepalived.conf'), `${script}${tracked}`.replace('virtual_router_id 70', 'virtual_router_id 300'));
    const refused = halo();
    assert.equal(refused.code, 1);
    assert.match(refused.err, /Reload refused: Configuration .* has [1-9]\d* error\(s\): the running configuration is kept \(HALO_CTL_REFUSED\)/);
    assert.ok(d1.hasAddress(vip));
    assert.equal(countOf(h1, /^(?!.*VI_2).*from=MASTER/), masterLinesBefore, 'VI_1 stayed MASTER through the reloads');
  });

  test('SIGTERM after the reloads still releases cleanly', async () => {
    h1.child.kill('SIGTERM');
    assert.equal(await h1.exited, 0);
    await until('d2 takes over', () => d2.hasAddress(vip), 5000, [h1, h2]);
    assert.equal(d1.hasAddress(vip), false);
  });
});

describe('halo run: SIGHUP reload of a virtual_server pool under client traffic', { skip: avail.ok ? false : avail.reason, timeout: 90_000 }, () => {
  const VS_PORT = 80;
  let lab: NetnsLab;
  let d1: NetnsNode, r1: NetnsNode, r2: NetnsNode, client: NetnsNode;
  let h: Halo;
  let vip: string;

  const vs = (servers: readonly string[]): string => `
virtual_server ${vip} ${VS_PORT} {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
${servers
  .map(
    (addr) => `    real_server ${addr} ${PORT} {
        weight 1
        TCP_CHECK {
            connect_timeout 1
        }
    }
`,
  )
  .join('')}}
`;

  before(async () => {
    lab = new NetnsLab(48);
    lab.addSegment();
    d1 = lab.addNode('d1');
    r1 = lab.addNode('r1');
    r2 = lab.addNode('r2');
    client = lab.addNode('client');
    vip = lab.ipv4Of(0, 100);
    await Promise.all([r1.startWebServer(PORT, 'r1'), r2.startWebServer(PORT, 'r2')]);
    d1.must(['sysctl', '-qw', 'net.ipv4.ip_nonlocal_bind=1']);
  });

  after(async () => {
    await lab?.destroy();
    assert.deepEqual(lab?.leftovers() ?? [], []);
  });

  test('the pool grows and shrinks by reload; no request fails', async () => {
    h = startHalo(lab, d1, config(100, [vip], vs([r1.ipv4()])));
    await until('d1 holds the VIP', () => d1.hasAddress(vip), 15_000, [h]);
    await until('the virtual server answers', () => client.httpGet(vip, VS_PORT, 500).body === 'r1', 10_000, [h]);
    const loop = clientLoop(client, vip, VS_PORT, 240, join(h.dir, 'stop-loop'));
    const step = async (servers: readonly string[], expect: RegExp): Promise<void> => {
      const before = h.lines.length;
      writeFileSync(join(h.dir, 'keepalived.conf'), config(100, [vip], vs(servers)));
      h.child.kill('SIGHUP');
      await until(`reload logged (${String(expect)})`, () => h.lines.slice(before).some((l) => expect.test(l)), 5000, [h]);
    };
    let sawR2 = false;
    try {
      await new Promise((r) => setTimeout(r, 1000));
      await step([r1.ipv4(), r2.ipv4()], /Reloaded .*pools ~tcp\//);
      await until('r2 gets requests', () => loop.results.some((l) => l === 'ok r2'), 5000, [h]);
      // The checker process started again on the new check set, with r1's health kept.
      const causeOf = (addr: string): string | undefined => {
        try {
          const st = JSON.parse(readFileSync(join(h.dir, 'status.json'), 'utf8')) as { pools: Array<{ backends: Array<{ id: string; cause: { detail: string } }> }> };
          return st.pools.flatMap((p) => p.backends).find((b) => b.id === `${addr}:${PORT}`)?.cause.detail;
        } catch {
          return undefined;
        }
      };
      await until('r1 kept up by the new checker', () => causeOf(r1.ipv4()) === 'up before the reload (kept)', 5000, [h]);
      sawR2 = true;
      await new Promise((r) => setTimeout(r, 1000));
      const mark = loop.results.length;
      await step([r2.ipv4()], /Reloaded .*pools ~tcp\//);
      await new Promise((r) => setTimeout(r, 1500));
      const afterShrink = loop.results.slice(mark + 10);
      assert.ok(afterShrink.length > 0 && afterShrink.every((l) => l === 'ok r2'), `after r1 left the pool: ${afterShrink.join(',')}`);
    } finally {
      loop.stop();
      await loop.done;
    }
    const failed = loop.results.filter((r) => !r.startsWith('ok '));
    process.stdout.write(`pool reload under traffic: ${loop.results.length} requests, ${failed.length} failed\n`);
    assert.ok(sawR2);
    assert.deepEqual(failed, [], h.lines.join('\n'));
    assert.ok(loop.results.length >= 40, `the loop ran (${loop.results.length} requests)`);
    h.child.kill('SIGTERM');
    assert.equal(await h.exited, 0);
  });
});
