// halo's raw VRRP sockets against the Debian keepalived, inside the lab: halo receives
// keepalived's adverts with the right addresses and TTL, and keepalived accepts adverts halo's
// sockets send (v2, v3 over IPv4 with the pseudo-header checksum, v3 over IPv6): a higher priority
// from halo makes keepalived leave MASTER and drop its VIP, as its own log and `ip addr` show.
// The adverts are built by a test-only builder (vrrp-craft.ts), not by halo's codec.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, NetnsLab, until, type Keepalived, type NetnsNode } from './harness.js';
import { hex, vrrpV2, vrrpV3 } from './vrrp-craft.js';

const avail = NetnsLab.available();
const haveKeepalived = avail.ok && NetnsLab.hasCommand('keepalived');
const skip = !avail.ok ? avail.reason : !haveKeepalived ? 'needs keepalived (Debian package)' : false;

function config(name: string, vrid: number, version: 2 | 3, vip: string, extra = ''): string {
  return `global_defs {
  router_id ${name}
  vrrp_garp_master_repeat 1
  vrrp_garp_master_refresh 0
}
vrrp_instance VI_${vrid} {
  state MASTER
  interface eth0
  virtual_router_id ${vrid}
  priority 100
  advert_int 1
  version ${version}
  ${extra}
  virtual_ipaddress {
    ${vip}
  }
}
`;
}

describe('raw VRRP sockets against keepalived', { skip }, () => {
  let lab: NetnsLab;
  let k: NetnsNode, h: NetnsNode, client: NetnsNode;
  let agent: Agent;
  const running: Keepalived[] = [];

  before(async () => {
    lab = new NetnsLab(5);
    lab.addSegment();
    k = lab.addNode('ka');
    h = lab.addNode('halo');
    client = lab.addNode('client');
    agent = await Agent.start(h);
    assert.deepEqual(await agent.call('open', { ifname: 'eth0', family: 4, groups: ['224.0.0.18'] }), { ok: true });
    assert.deepEqual(await agent.call('open', { ifname: 'eth0', family: 6, groups: ['ff02::12'] }), { ok: true });
  });

  after(async () => {
    for (const ka of running) await ka.stop();
    await lab?.destroy();
    assert.deepEqual(lab?.leftovers() ?? [], []);
  });

  /** Sends `payload` once a second (at most `countMax` times) until `done()` holds. */
  async function sendUntil(args: Record<string, unknown>, done: () => boolean, countMax: number): Promise<boolean> {
    for (let i = 0; i < countMax; i++) {
      assert.deepEqual(await agent.call('send', args), { ok: true });
      if (await until(done, 1000)) return true;
    }
    return false;
  }

  test('VRRPv2: halo hears keepalived, and keepalived yields to a higher priority halo sends', async () => {
    const vip = lab.ipv4Of(0, 100);
    const ka = await k.startKeepalived(config('ka', 51, 2, `${vip}/32`));
    running.push(ka);
    const advert = await agent.waitEvent((e) => e.event === 'packet' && e['src'] === k.ipv4() && e['family'] === 4, 6000);
    assert.ok(advert, `no advert from keepalived; its log:\n${ka.log.join('\n')}`);
    assert.equal(advert['dst'], '224.0.0.18');
    assert.equal(advert['ttl'], 255);
    assert.equal(String(advert['payloadHex']).slice(0, 6), '213364', 'v2 advert, VRID 51, priority 100');
    assert.ok(await until(() => k.hasAddress(vip), 3000), 'keepalived did not take its VIP');
    assert.ok(client.ping(vip), 'the VIP does not answer');
    assert.equal(client.neighbor(vip)?.lladdr, k.mac());

    // Rejections first: a bad checksum and a TTL below 255 must leave keepalived MASTER.
    const good = vrrpV2(51, 200, 1, [vip]);
    const badSum = Uint8Array.from(good);
    badSum[7] = (badSum[7] ?? 0) ^ 0xff;
    const rejectFrom = ka.log.length;
    await agent.call('send', { ifname: 'eth0', family: 4, dst: '224.0.0.18', ttl: 255, payloadHex: hex(badSum) });
    await agent.call('send', { ifname: 'eth0', family: 4, dst: '224.0.0.18', ttl: 254, payloadHex: hex(good) });
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(k.hasAddress(vip), 'keepalived yielded to a bad checksum or a TTL of 254');
    assert.equal(ka.log.slice(rejectFrom).some((l) => /Entering BACKUP STATE/.test(l)), false);

    const from = ka.log.length;
    const payloadHex = hex(good);
    const yielded = await sendUntil({ ifname: 'eth0', family: 4, dst: '224.0.0.18', ttl: 255, payloadHex }, () => !k.hasAddress(vip), 4);
    assert.ok(yielded, `keepalived kept its VIP; its log:\n${ka.log.slice(from).join('\n')}`);
    assert.ok(await ka.waitLog(/Entering BACKUP STATE/, 2000, from), 'keepalived does not log BACKUP');
    await ka.stop();
  });

  test('VRRPv3 over IPv4: keepalived accepts the pseudo-header checksum halo sends', async () => {
    const vip = lab.ipv4Of(0, 101);
    const ka = await k.startKeepalived(config('ka', 52, 3, `${vip}/32`));
    running.push(ka);
    const advert = await agent.waitEvent((e) => e.event === 'packet' && e['src'] === k.ipv4() && String(e['payloadHex']).startsWith('3134'), 6000);
    assert.ok(advert, 'no v3 advert from keepalived');
    assert.equal(advert['ttl'], 255);
    assert.ok(await until(() => k.hasAddress(vip), 3000));
    const from = ka.log.length;
    const payloadHex = hex(vrrpV3(52, 200, 100, [vip], h.ipv4(), '224.0.0.18'));
    const yielded = await sendUntil({ ifname: 'eth0', family: 4, dst: '224.0.0.18', src: h.ipv4(), ttl: 255, payloadHex }, () => !k.hasAddress(vip), 4);
    assert.ok(yielded, `keepalived kept its VIP; its log:\n${ka.log.slice(from).join('\n')}`);
    assert.ok(await ka.waitLog(/Entering BACKUP STATE/, 2000, from));
    await ka.stop();
  });

  test('VRRPv3 over IPv6: link-local source, hop limit 255, and keepalived yields', async () => {
    const vip = 'fd00:213:5::102';
    const ka = await k.startKeepalived(config('ka', 53, 3, `${vip}/64`));
    running.push(ka);
    const kLinkLocal = k.addrs().find((a) => a.family === 'inet6' && a.local.startsWith('fe80:'))?.local;
    const advert = await agent.waitEvent((e) => e.event === 'packet' && e['family'] === 6 && e['src'] === kLinkLocal, 6000);
    assert.ok(advert, `no IPv6 advert from keepalived; its log:\n${ka.log.join('\n')}`);
    assert.equal(advert['dst'], 'ff02::12');
    assert.equal(advert['ttl'], 255);
    assert.ok(await until(() => k.hasAddress(vip), 3000));
    const hLinkLocal = h.addrs().find((a) => a.family === 'inet6' && a.local.startsWith('fe80:'))?.local ?? '';
    const from = ka.log.length;
    const payloadHex = hex(vrrpV3(53, 200, 100, [vip], hLinkLocal, 'ff02::12'));
    const yielded = await sendUntil({ ifname: 'eth0', family: 6, dst: 'ff02::12', ttl: 255, payloadHex }, () => !k.hasAddress(vip), 4);
    assert.ok(yielded, `keepalived kept its IPv6 VIP; its log:\n${ka.log.slice(from).join('\n')}`);
    assert.ok(await ka.waitLog(/Entering BACKUP STATE/, 2000, from));
    await ka.stop();
  });
});
