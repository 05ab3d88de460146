// `halo run` in network namespaces, what the VRRP process watches: a VIP deleted by hand comes
// back, a tracked interface (track_interface, weight 0) and the instance's own interface going
// down move the instance to FAULT within a second, and the peer takes over.
// Only addresses inside the lab are used; every loop is bounded; processes are killed by PID.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NetnsLab, type NetnsNode } from './harness.js';
import { conf, PORT, startHalo, until, type Halo } from './daemon-run.js';

const avail = NetnsLab.available();
describe('halo run: VIP and link tracking', { skip: avail.ok ? false : avail.reason, timeout: 90_000 }, () => {
  let lab: NetnsLab;
  let d1: NetnsNode, d2: NetnsNode, client: NetnsNode;
  let h1: Halo, h2: Halo;
  let vip: string;

  const answer = (): string => {
    const r = client.httpGet(vip, PORT, 300);
    return r.ok ? r.body : '';
  };
  const holders = (): string[] => [d1, d2].filter((d) => d.hasAddress(vip)).map((d) => d.name);
  const transitions = (h: Halo, to: string): number => h.lines.filter((l) => l.includes(`to=${to}`)).length;

  before(async () => {
    lab = new NetnsLab(41);
    lab.addSegment();
    lab.addSegment();
    d1 = lab.addNode('d1', [0, 1]);
    d2 = lab.addNode('d2', [0]);
    client = lab.addNode('client', [0]);
    vip = lab.ipv4Of(0, 100);
    await Promise.all([d1.startWebServer(PORT, 'd1'), d2.startWebServer(PORT, 'd2')]);
    h1 = startHalo(lab, d1, conf(41, 100, vip, '\n    track_interface {\n        eth1\n    }'));
    h2 = startHalo(lab, d2, conf(41, 90, vip));
    await until('d1 holds the VIP alone', () => holders().join() === 'd1', 15_000, [h1, h2]);
  });

  after(async () => {
    await lab?.destroy();
    assert.deepEqual(lab?.leftovers() ?? [], []);
  });

  test('a VIP deleted by hand on the MASTER is added again within a second', async () => {
    d1.must(['ip', 'addr', 'del', `${vip}/24`, 'dev', 'eth0']);
    const ms = await until('d1 holds the VIP again', () => d1.hasAddress(vip), 1000, [h1]);
    // The log line comes through a pipe and may follow the address by a moment.
    await until('the re-add is logged', () => h1.lines.some((l) => l.includes('deleted from eth0 by someone else')), 1000, [h1]);
    process.stdout.write(`VIP re-added after ${ms} ms\n`);
    await until('the client reaches d1', () => answer() === 'd1', 3000, [h1, h2]);
  });

  test('a tracked interface going down moves the MASTER to FAULT within a second; priority 0 hands over', async () => {
    const faults = transitions(h1, 'FAULT');
    d1.setLink('eth1', false);
    const ms = await until('d1 in FAULT', () => transitions(h1, 'FAULT') > faults, 1000, [h1]);
    assert.equal(d1.hasAddress(vip), false);
    await until('d2 answers on the VIP', () => answer() === 'd2', 2500, [h1, h2]);
    assert.deepEqual(holders(), ['d2']);
    process.stdout.write(`track_interface down: FAULT after ${ms} ms\n`);
    d1.setLink('eth1', true);
    await until('d1 preempts back', () => holders().join() === 'd1', 8000, [h1, h2]);
  });

  test('the instance interface going down moves the MASTER to FAULT within a second; the backup takes over', async () => {
    const faults = transitions(h1, 'FAULT');
    d1.setLink('eth0', false);
    const ms = await until('d1 in FAULT', () => transitions(h1, 'FAULT') > faults, 1000, [h1]);
    assert.equal(d1.hasAddress(vip), false);
    await until('d2 answers on the VIP', () => answer() === 'd2', 6000, [h1, h2]);
    process.stdout.write(`own interface down: FAULT after ${ms} ms\n`);
    d1.setLink('eth0', true);
    await until('d1 preempts back', () => holders().join() === 'd1', 8000, [h1, h2]);
    await until('the client reaches d1', () => answer() === 'd1', 3000, [h1, h2]);
  });
});
