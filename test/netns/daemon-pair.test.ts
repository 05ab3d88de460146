// `halo run` in network namespaces: a pair of directors electing a master whose VIP a client
// reaches over HTTP, a stale VIP removed at start, `kill -9` of the VRRP process alone handed
// over by the supervisor in about Skew_Time, and SIGTERM releasing with priority 0.
// Only addresses inside the lab are used; every loop is bounded; processes are killed by PID.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetnsLab, type NetnsNode } from './harness.js';
import { conf, PORT, startHalo, until, type Halo } from './daemon-run.js';

const avail = NetnsLab.available();
describe('halo run: a pair of directors', { skip: avail.ok ? false : avail.reason, timeout: 90_000 }, () => {
  let lab: NetnsLab;
  let d1: NetnsNode, d2: NetnsNode, client: NetnsNode;
  let h1: Halo, h2: Halo;
  let vip: string;

  /** Who answers on the VIP (one bounded GET from the client). */
  const answer = (): string => {
    const r = client.httpGet(vip, PORT, 300);
    return r.ok ? r.body : '';
  };
  const holders = (): string[] => [d1, d2].filter((d) => d.hasAddress(vip)).map((d) => d.name);

  before(async () => {
    lab = new NetnsLab(40);
    lab.addSegment();
    d1 = lab.addNode('d1');
    d2 = lab.addNode('d2');
    client = lab.addNode('client');
    vip = lab.ipv4Of(0, 100);
    await Promise.all([d1.startWebServer(PORT, 'd1'), d2.startWebServer(PORT, 'd2')]);
  });

  after(async () => {
    await lab?.destroy();
    assert.deepEqual(lab?.leftovers() ?? [], []);
  });

  test('a stale VIP is removed at start; the pair elects d1 (priority 100) and the client reaches it', async () => {
    // A crashed earlier run left the VIP on d2, which will be BACKUP.
    d2.must(['ip', 'addr', 'add', `${vip}/24`, 'dev', 'eth0']);
    h2 = startHalo(lab, d2, conf(40, 90, vip));
    await until('d2 removes the stale VIP', () => h2.lines.some((l) => l.includes('HALO_DMN_STALE_VIP')), 10_000, [h2]);
    assert.equal(d2.hasAddress(vip), false);
    h1 = startHalo(lab, d1, conf(40, 100, vip));
    await until('d1 holds the VIP alone', () => holders().join() === 'd1', 15_000, [h1, h2]);
    await until('the client reaches d1 on the VIP', () => answer() === 'd1', 5000, [h1, h2]);
    assert.equal(client.neighbor(vip)?.lladdr, d1.mac());
    // The VIP (one netlink request) can be in place and answering before this process has read
    // d1's log line from its pipe: the checks above run ip and the client synchronously.
    await until('the transition is logged with its cause', () => h1.lines.some((l) => /instance=VI_1 .*from=BACKUP to=MASTER/.test(l)), 2000, [h1]);
    // The status file carries the instance states and the VRRP process's event-loop lag (reported every second).
    await until('a lag report', () => (JSON.parse(readFileSync(join(h1.dir, 'status.json'), 'utf8')) as { lag: unknown }).lag !== null, 3000, [h1]);
    const status = JSON.parse(readFileSync(join(h1.dir, 'status.json'), 'utf8')) as { instances: Array<{ state: string }>; vrrpPid: number; lag: { maxMs: number; p99Ms: number; periodMs: number } };
    assert.equal(status.instances[0]?.state, 'MASTER');
    assert.equal(status.lag.periodMs, 1000);
    assert.ok(Number.isFinite(status.lag.maxMs) && status.lag.maxMs >= status.lag.p99Ms && status.lag.p99Ms >= 0);
    // The backup counts the master's adverts (keepalived's statistics names) in its status file.
    const readStats = (): Record<string, number> | undefined =>
      (JSON.parse(readFileSync(join(h2.dir, 'status.json'), 'utf8')) as { stats: { instances: Record<string, Record<string, number>> } | null }).stats?.instances['VI_1'];
    await until('d2 counts adverts from d1', () => (readStats()?.['advert_rcvd'] ?? 0) > 0, 3000, [h2]);
    assert.equal(readStats()?.['auth_failure'], 0);
    assert.equal(status.vrrpPid, Number(readFileSync(join(h1.dir, 'vrrp.pid'), 'utf8')));
  });

  test('kill -9 of the VRRP process alone: the supervisor releases, d2 takes over in about Skew_Time', async () => {
    const vrrpPid = Number(readFileSync(join(h1.dir, 'vrrp.pid'), 'utf8'));
    assert.ok(vrrpPid > 0 && vrrpPid !== h1.child.pid);
    process.kill(vrrpPid, 'SIGKILL');
    const t0 = Date.now();
    await until('d2 answers on the VIP', () => answer() === 'd2', 3000, [h1, h2]);
    const ms = Date.now() - t0;
    // Skew_Time at priority 90 with v2 is 0.65 s; Master_Down_Interval would be 3.65 s.
    assert.ok(ms < 2000, `handover took ${ms} ms`);
    assert.deepEqual(holders(), ['d2']);
    assert.ok(h1.lines.some((l) => l.includes('HALO_DMN_VRRP_DIED')));
    assert.ok(h1.lines.some((l) => l.includes('Released by the supervisor')));
    process.stdout.write(`kill -9 of the VRRP process: the client reached d2 after ${ms} ms\n`);
    // The supervisor restarts the VRRP process; d1 preempts back after Master_Down_Interval.
    await until('d1 holds the VIP again', () => holders().join() === 'd1', 10_000, [h1, h2]);
    assert.notEqual(Number(readFileSync(join(h1.dir, 'vrrp.pid'), 'utf8')), vrrpPid);
    await until('the client reaches d1 again', () => answer() === 'd1', 5000, [h1, h2]);
  });

  test('SIGTERM: d1 sends priority 0 and removes its VIP; d2 takes over in about Skew_Time; pid file gone', async () => {
    h1.child.kill('SIGTERM');
    const t0 = Date.now();
    await until('d2 answers on the VIP', () => answer() === 'd2', 3000, [h1, h2]);
    const ms = Date.now() - t0;
    assert.ok(ms < 2000, `handover took ${ms} ms`);
    assert.equal(await h1.exited, 0);
    assert.deepEqual(holders(), ['d2']);
    assert.equal(existsSync(join(h1.dir, 'halo.pid')), false);
    assert.ok(h1.lines.some((l) => /from=MASTER to=INIT/.test(l)));
    assert.ok(h2.lines.some((l) => l.includes('Master released (priority 0)')));
    process.stdout.write(`SIGTERM: the client reached d2 after ${ms} ms\n`);
  });
});
