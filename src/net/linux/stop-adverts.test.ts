// The stop-signal fast path of LinuxVrrpSockets (native/stop_adverts.c), on the loopback
// interface only (127.0.0.1 and ::1). This file runs in its own process: it installs the
// addon's SIGTERM handler and signals itself, with a JS SIGTERM listener that must still run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import type { VrrpDatagram } from '../ports.js';
import { LinuxVrrpSockets } from './vrrp-socket.js';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** A VRRP-shaped payload: version/type, VRID, priority, then a tag so this file's packets are its own. */
function advert(vrid: number, priority: number, tag: number): Uint8Array {
  return Uint8Array.from([0x31, vrid, priority, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x5e, tag]);
}

function collect(port: LinuxVrrpSockets, vrid: number): VrrpDatagram[] {
  const got: VrrpDatagram[] = [];
  port.onPacket((d) => {
    if (d.payload[1] === vrid && d.payload[8] === 0x5e) got.push(d);
  });
  return got;
}

const until = async (check: () => boolean, timeoutMs: number): Promise<boolean> => {
  const start = Date.now();
  while (!check() && Date.now() - start < timeoutMs) await new Promise((r) => setTimeout(r, 5));
  return check();
};

test('without the option nothing is armed and every advert leaves', async (t) => {
  if (!isRoot) return t.skip('needs root: raw sockets need CAP_NET_RAW');
  const port = new LinuxVrrpSockets();
  try {
    assert.deepEqual(await port.open('lo', 4, []), { ok: true });
    const request = { ifname: 'lo', family: 4 as const, src: '127.0.0.1', dst: '127.0.0.1', ttl: 255, payload: advert(201, 0, 1) };
    port.armStopAdverts('VI', [request]);
    assert.equal(port.stopAdvertStats().armed, 0);
  } finally {
    port.close();
  }
});

test('SIGTERM sends the armed priority-0 adverts from C, Node still sees the signal, and the stop path sends neither again nor a later advert', async (t) => {
  if (!isRoot) return t.skip('needs root: raw sockets need CAP_NET_RAW');
  const six = (networkInterfaces()['lo'] ?? []).some((a) => a.family === 'IPv6');
  let terms = 0;
  const onTerm = (): void => void terms++;
  // Node's listener first: the addon chains to the handler libuv installs for it.
  process.on('SIGTERM', onTerm);
  const port = new LinuxVrrpSockets({ stopAdvertsOnSignal: true });
  try {
    assert.deepEqual(await port.open('lo', 4, []), { ok: true });
    if (six) assert.deepEqual(await port.open('lo', 6, []), { ok: true });
    const got = collect(port, 202);
    const v4 = { ifname: 'lo', family: 4 as const, src: '127.0.0.1', dst: '127.0.0.1', ttl: 200, payload: advert(202, 0, 4) };
    const v6 = { ifname: 'lo', family: 6 as const, src: '::1', dst: '::1', ttl: 255, payload: advert(202, 0, 6) };
    port.armStopAdverts('VI_A', six ? [v4, v6] : [v4]);
    assert.equal(port.stopAdvertStats().armed, six ? 2 : 1);
    // Arming the same packets again changes nothing; a backup's instance arms nothing.
    port.armStopAdverts('VI_A', six ? [v4, v6] : [v4]);
    port.armStopAdverts('VI_B', []);
    assert.equal(port.stopAdvertStats().armed, six ? 2 : 1);
    assert.equal(got.length, 0, 'arming sends nothing');

    process.kill(process.pid, 'SIGTERM');
    assert.ok(await until(() => terms === 1 && got.length === (six ? 2 : 1), 2000), `signal seen by Node: ${terms}, packets: ${got.length}`);
    const d4 = got.find((d) => d.family === 4);
    assert.ok(d4 !== undefined);
    assert.deepEqual([...d4.payload], [...v4.payload]);
    assert.equal(d4.ttl, 200, 'the TTL of the request (unicast_ttl) travels with the packet');
    assert.equal(d4.src, '127.0.0.1');
    if (six) assert.deepEqual([...(got.find((d) => d.family === 6)?.payload ?? [])], [...v6.payload]);

    // The stop path's priority 0 (the same bytes) is not sent a second time.
    assert.deepEqual(port.send(v4), { ok: true });
    // An advert with the instance's priority after its priority 0 would undo the release.
    assert.deepEqual(port.send({ ...v4, payload: advert(202, 100, 4) }), { ok: true });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(got.length, six ? 2 : 1, 'nothing more left');
    const stats = port.stopAdvertStats();
    assert.equal(stats.sentBySignal, 1);
    assert.equal(stats.droppedAfterSignal, 1);
    // Leaving MASTER disarms; from then on adverts leave again.
    port.armStopAdverts('VI_A', []);
    assert.equal(port.stopAdvertStats().armed, 0);
    assert.deepEqual(port.send({ ...v4, payload: advert(202, 100, 4) }), { ok: true });
    assert.ok(await until(() => got.length === (six ? 3 : 2), 2000), 'an advert after disarming leaves');
  } finally {
    port.close();
    process.off('SIGTERM', onTerm);
  }
});

test('a priority-0 advert sent by the stop path before any signal leaves once and disarms its slot', async (t) => {
  if (!isRoot) return t.skip('needs root: raw sockets need CAP_NET_RAW');
  const onTerm = (): void => undefined;
  process.on('SIGTERM', onTerm);
  const port = new LinuxVrrpSockets({ stopAdvertsOnSignal: true });
  try {
    assert.deepEqual(await port.open('lo', 4, []), { ok: true });
    const got = collect(port, 203);
    const request = { ifname: 'lo', family: 4 as const, src: '127.0.0.1', dst: '127.0.0.1', ttl: 255, payload: advert(203, 0, 7) };
    port.armStopAdverts('VI_C', [request]);
    assert.deepEqual(port.send(request), { ok: true });
    assert.ok(await until(() => got.length === 1, 2000), 'the stop path sent it');
    assert.equal(port.stopAdvertStats().armed, 0, 'claimed: a signal now cannot send it again');
    process.kill(process.pid, 'SIGTERM');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(got.length, 1, 'one priority 0 only');
  } finally {
    port.close();
    process.off('SIGTERM', onTerm);
  }
});
