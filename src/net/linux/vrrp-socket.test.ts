// Raw sockets on the loopback interface only: packets go to 127.0.0.1 and ::1. Other test files
// may run VRRP on lo at the same time, so every wait matches this file's own payloads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { VrrpDatagram } from '../ports.js';
import { LinuxVrrpSockets } from './vrrp-socket.js';
import { LinuxNeighborAnnounce } from './announce.js';
import { describeErrno } from './errno-hint.js';
import { addonPath, loadAddon } from './native.js';
import { spawnSync } from 'node:child_process';
import { networkInterfaces } from 'node:os';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function nextPacket(port: LinuxVrrpSockets, timeoutMs: number, payload?: Uint8Array): Promise<VrrpDatagram | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), timeoutMs);
    port.onPacket((d) => {
      if (payload && Buffer.compare(Buffer.from(d.payload), Buffer.from(payload)) !== 0) return;
      clearTimeout(timer);
      resolve(d);
    });
  });
}

test('the addon loads', () => {
  const loaded = loadAddon();
  assert.ok(loaded.ok, loaded.ok ? '' : loaded.error);
});

test('errno names come with the operator hint', () => {
  assert.equal(describeErrno('EPERM'), 'EPERM (needs CAP_NET_RAW)');
  assert.equal(describeErrno('EFOO'), 'EFOO');
});

for (const family of [4, 6] as const) {
  test(`IPv${family} VRRP socket on lo delivers src, dst, TTL and payload`, async (t) => {
    if (!isRoot) {
      t.skip('needs root: raw sockets need CAP_NET_RAW');
      return;
    }
    if (family === 6 && !(networkInterfaces()['lo'] ?? []).some((a) => a.family === 'IPv6')) {
      t.skip('needs IPv6 on lo: ::1 is not configured');
      return;
    }
    const port = new LinuxVrrpSockets();
    try {
      assert.deepEqual(await port.open('lo', family, []), { ok: true });
      if (family === 6) assert.equal(port.socketInfo('lo', 6)?.checksumOffset, -1, 'IPV6_CHECKSUM must be off: the VRRP checksum is halo\'s');
      const loop = family === 4 ? '127.0.0.1' : '::1';
      const payload = Uint8Array.from([0x31, 0x2a, 0x64, 0x01, 0x00, 0x64, 0x00, 0x00, 0xde, 0xad]);
      const got = nextPacket(port, 2000, payload);
      assert.deepEqual(port.send({ ifname: 'lo', family, dst: loop, src: loop, ttl: 255, payload }), { ok: true });
      const d = await got;
      assert.ok(d, 'no packet within 2 s');
      assert.equal(d.src, loop);
      assert.equal(d.dst, loop);
      assert.equal(d.ttl, 255);
      assert.equal(d.ifname, 'lo');
      assert.deepEqual([...d.payload], [...payload]);
      // The kernel's receive time (SO_TIMESTAMPNS) comes along as the packet's age at delivery.
      assert.ok(d.ageMs !== undefined && d.ageMs >= 0 && d.ageMs < 2000, `age ${d.ageMs}`);
      // A unicast TTL other than 255 (keepalived's unicast_ttl) is what arrives.
      const payload2 = Uint8Array.from([...payload, 7]);
      const got2 = nextPacket(port, 2000, payload2);
      assert.deepEqual(port.send({ ifname: 'lo', family, dst: loop, ttl: 7, payload: payload2 }), { ok: true });
      assert.equal((await got2)?.ttl, 7);
    } finally {
      port.close();
    }
  });
}

test('a throwing handler is counted and does not stop the others; closing inside a handler is safe', async (t) => {
  if (!isRoot) {
    t.skip('needs root: raw sockets need CAP_NET_RAW');
    return;
  }
  const port = new LinuxVrrpSockets();
  try {
    assert.deepEqual(await port.open('lo', 4, []), { ok: true });
    port.onPacket((d) => {
      if (d.payload[0] === 0xfe) throw new Error('handler bug');
    });
    const got = nextPacket(port, 2000, Uint8Array.of(0xfe, 1));
    let closedInside = false;
    port.onPacket((d) => {
      if (d.payload[0] !== 0xfe) return;
      port.close();
      closedInside = true;
    });
    // Two packets in one wake-up: the second must not be read from a closed socket.
    port.send({ ifname: 'lo', family: 4, dst: '127.0.0.1', ttl: 255, payload: Uint8Array.of(0xfe, 1) });
    port.send({ ifname: 'lo', family: 4, dst: '127.0.0.1', ttl: 255, payload: Uint8Array.of(0xfe, 2) });
    assert.ok(await got, 'the second handler did not get the packet');
    assert.ok(closedInside);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(port.dropCounts(), { handler_threw: 1 });
    // Reopening after a close works: the port owns no stale state.
    assert.deepEqual(await port.open('lo', 4, []), { ok: true });
  } finally {
    port.close();
  }
});

test('an open socket costs no CPU while idle, and a burst is read completely in bounded batches', async (t) => {
  if (!isRoot) {
    t.skip('needs root: raw sockets need CAP_NET_RAW');
    return;
  }
  const port = new LinuxVrrpSockets();
  try {
    assert.deepEqual(await port.open('lo', 4, []), { ok: true });
    // uv_poll wakes the loop only when the kernel has packets: no spinning while idle.
    const before = process.cpuUsage();
    await new Promise((r) => setTimeout(r, 500));
    const used = process.cpuUsage(before);
    const cpuMs = (used.user + used.system) / 1000;
    assert.ok(cpuMs < 100, `idle socket used ${cpuMs.toFixed(1)} ms of CPU in 500 ms`);
    // 150 packets queued before the loop runs: more than one batch of 64 per wake-up.
    let received = 0;
    port.onPacket((d) => {
      if (d.payload.length === 3 && d.payload[0] === 0xfb) received += 1;
    });
    const burst = 150;
    for (let i = 0; i < burst; i++) {
      assert.deepEqual(port.send({ ifname: 'lo', family: 4, dst: '127.0.0.1', ttl: 255, payload: Uint8Array.of(0xfb, 0xfb, i & 0xff) }), { ok: true });
    }
    const deadline = Date.now() + 2000;
    while (received < burst && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(received, burst);
  } finally {
    port.close();
  }
});

test('handles nobody closed are collected with their fds; a started one is closed by close()', (t) => {
  if (!isRoot) {
    t.skip('needs root: raw sockets need CAP_NET_RAW');
    return;
  }
  // In a child with --expose-gc: open 1000 sockets, close the started half, drop all, collect.
  const script = `
    const a = require(${JSON.stringify(addonPath())});
    const fs = require('node:fs');
    const before = fs.readdirSync('/proc/self/fd').length;
    for (let i = 0; i < 1000; i++) { const h = a.open(4, 112, 'lo'); if (i % 2) { a.start(h, () => {}); a.close(h); } }
    const opened = fs.readdirSync('/proc/self/fd').length;
    global.gc();
    setTimeout(() => { global.gc(); setTimeout(() => {
      console.log(JSON.stringify({ before, opened, after: fs.readdirSync('/proc/self/fd').length }));
    }, 50); }, 50);`;
  const r = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  const counts = JSON.parse(r.stdout) as { before: number; opened: number; after: number };
  assert.ok(counts.opened >= counts.before + 100, `the unclosed half should hold fds: ${r.stdout}`);
  assert.ok(counts.after <= counts.before + 5, `fds leaked after collection: ${r.stdout}`);
});

test('failures are results with catalogued codes', async (t) => {
  if (!isRoot) {
    t.skip('needs root: raw sockets need CAP_NET_RAW');
    return;
  }
  const port = new LinuxVrrpSockets();
  const r = await port.open('halo-nope0', 4, []);
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.code, 'HALO_NET_INTERFACE_UNKNOWN');
  assert.match(!r.ok ? r.error : '', /^Cannot open VRRP socket on halo-nope0: ENODEV/);
  const s = port.send({ ifname: 'lo', family: 4, dst: '127.0.0.1', ttl: 255, payload: new Uint8Array(8) });
  assert.equal(!s.ok && s.code, 'HALO_NET_SEND');
  const bad = await port.open('lo', 4, ['ff02::12']);
  assert.equal(!bad.ok && bad.code, 'HALO_NET_GROUP_JOIN');
  const a = new LinuxNeighborAnnounce().announce('halo-nope0', 4, '10.213.0.1');
  assert.equal(!a.ok && a.code, 'HALO_NET_INTERFACE_UNKNOWN');
  const b = new LinuxNeighborAnnounce().announce('lo', 6, '10.213.0.1');
  assert.equal(!b.ok && b.code, 'HALO_NET_ANNOUNCE');
  port.close();
});
