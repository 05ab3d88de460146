// Link state: `ip link set dev X down` and a lost carrier are reported within a second, and the
// link monitor comes back after it is killed. Everything happens inside the lab's namespaces.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, NetnsLab, must, type NetnsNode } from './harness.js';

const avail = NetnsLab.available();
const REPORT_WITHIN_MS = 1000;

describe('link state', { skip: avail.ok ? false : avail.reason }, () => {
  let lab: NetnsLab;
  let node: NetnsNode;
  let agent: Agent;

  before(async () => {
    lab = new NetnsLab(3);
    lab.addSegment();
    lab.addSegment();
    node = lab.addNode('d1', [0, 1]);
    agent = await Agent.start(node);
    assert.equal(await agent.call('linkWatch', { ifnames: ['eth0', 'eth1'] }), true);
    // The watch reads the current state first; give the monitor a moment to be listening.
    await new Promise((r) => setTimeout(r, 300));
  });

  after(async () => {
    await lab?.destroy();
    assert.deepEqual(lab?.leftovers() ?? [], []);
  });

  async function expectChange(ifname: string, up: boolean, act: () => void): Promise<number> {
    const start = performance.now();
    act();
    const e = await agent.waitEvent((x) => x.event === 'link' && x['ifname'] === ifname && x['up'] === up, 3000);
    const ms = performance.now() - start;
    assert.ok(e, `no ${up ? 'up' : 'down'} event for ${ifname}`);
    assert.ok(ms < REPORT_WITHIN_MS, `${ifname} ${up ? 'up' : 'down'} reported after ${ms.toFixed(0)} ms`);
    console.log(`${ifname} ${up ? 'up' : 'down'} reported after ${ms.toFixed(1)} ms`);
    return ms;
  }

  test('isUp reads the current state', async () => {
    assert.equal(await agent.call('linkIsUp', { ifname: 'eth0' }), true);
    assert.equal(await agent.call('linkIsUp', { ifname: 'eth9' }), false);
  });

  test('ip link set dev eth0 down / up is reported within a second', async () => {
    await expectChange('eth0', false, () => node.setLink('eth0', false));
    assert.equal(await agent.call('linkIsUp', { ifname: 'eth0' }), false);
    await expectChange('eth0', true, () => node.setLink('eth0', true));
  });

  test('a lost carrier (the switch port goes down) is reported within a second, for that link only', async () => {
    // p1 is eth1's peer in the switch namespace (ports are numbered in creation order).
    await expectChange('eth1', false, () => must(['ip', '-n', lab.switchNs, 'link', 'set', 'p1', 'down']));
    assert.equal(agent.events.filter((e) => e.event === 'link' && e['ifname'] === 'eth0').length, 0, 'eth0 did not change');
    await expectChange('eth1', true, () => must(['ip', '-n', lab.switchNs, 'link', 'set', 'p1', 'up']));
  });

  test('a killed monitor is restarted and changes are still reported', async () => {
    const pid = (await agent.call('monitorPid', {})) as number;
    assert.ok(pid > 0);
    process.kill(pid, 'SIGKILL');
    const restarted = await agent.waitEvent((e) => e.event === 'linkError' && e['code'] === 'HALO_NET_LINK_MONITOR', 2000);
    assert.ok(restarted, 'no HALO_NET_LINK_MONITOR report');
    // Changed while no monitor ran: the resync after the restart reports it.
    node.setLink('eth0', false);
    const e = await agent.waitEvent((x) => x.event === 'link' && x['ifname'] === 'eth0' && x['up'] === false, 3000);
    assert.ok(e, 'the change made while the monitor was down was lost');
    const newPid = (await agent.call('monitorPid', {})) as number;
    assert.ok(newPid > 0 && newPid !== pid);
    await expectChange('eth0', true, () => node.setLink('eth0', true));
  });
});
