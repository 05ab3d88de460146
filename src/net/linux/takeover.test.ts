// The takeover thread (native/takeover.c) through LinuxTakeover and the addon, on the loopback
// interface only (127.0.0.1): adverts sent at a deadline, claims, re-arms, unread input, closed
// sockets. Adding VIPs and announcing them is covered end to end by the namespace failover tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TakeoverPlan, VrrpDatagram, VrrpSendRequest } from '../ports.js';
import { loadAddon, type HaloNetAddon } from './native.js';
import { LinuxTakeover } from './takeover.js';
import { LinuxVrrpSockets } from './vrrp-socket.js';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const load = loadAddon();
const addon: HaloNetAddon | undefined = load.ok && typeof load.addon.takeoverArm === 'function' ? load.addon : undefined;
const skip = !isRoot ? 'needs root: raw sockets need CAP_NET_RAW' : addon === undefined ? `needs the native addon with the takeover thread: ${load.ok ? 'takeoverArm missing (rebuild native/)' : load.error}` : false;
const ENOENT = -2;

/** A VRRP-shaped payload with a tag, so this file's packets are its own. */
function advert(vrid: number, tag: number): Uint8Array {
  return Uint8Array.from([0x31, vrid, 100, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x7a, tag]);
}

function request(vrid: number, tag: number): VrrpSendRequest {
  return { ifname: 'lo', family: 4, src: '127.0.0.1', dst: '127.0.0.1', ttl: 255, payload: advert(vrid, tag) };
}

/** Packets of `vrid` from this file, with their kernel receive time on performance.now()'s clock. */
function collect(port: LinuxVrrpSockets, vrid: number): Array<VrrpDatagram & { atMs: number }> {
  const got: Array<VrrpDatagram & { atMs: number }> = [];
  port.onPacket((d) => {
    if (d.payload[1] === vrid && d.payload[8] === 0x7a) got.push({ ...d, atMs: performance.now() - (d.ageMs ?? 0) });
  });
  return got;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const until = async (check: () => boolean, timeoutMs: number): Promise<boolean> => {
  const start = Date.now();
  while (!check() && Date.now() - start < timeoutMs) await sleep(2);
  return check();
};

async function withPort(vrid: number, body: (port: LinuxVrrpSockets, takeover: LinuxTakeover, got: ReturnType<typeof collect>) => Promise<void>): Promise<void> {
  const port = new LinuxVrrpSockets();
  try {
    assert.deepEqual(await port.open('lo', 4, []), { ok: true });
    await body(port, new LinuxTakeover(port), collect(port, vrid));
  } finally {
    port.close();
  }
}

const plan = (r: VrrpSendRequest, announce: TakeoverPlan['announce'] = []): TakeoverPlan => ({ adverts: [r], vips: [], announce });

test('the thread sends the armed advert at its deadline, never before, tells JavaScript, and the claim reports it once', { skip }, async () => {
  await withPort(211, async (_port, takeover, got) => {
    const told: string[] = [];
    takeover.onCarriedOut((key) => told.push(key));
    const armedMs = performance.now();
    assert.equal(takeover.arm('VI_A', 40, plan(request(211, 1))), true);
    assert.ok(await until(() => got.length === 1, 2000), `advert not received (${got.length})`);
    assert.ok(await until(() => told.length === 1, 2000), 'JavaScript is told');
    assert.deepEqual(told, ['VI_A']);
    const packet = got[0];
    assert.ok(packet !== undefined);
    assert.deepEqual([...packet.payload], [...advert(211, 1)]);
    // The kernel's receive time on the same clock; 0.05 ms for converting the deadline between clocks.
    assert.ok(packet.atMs >= armedMs + 40 - 0.05, `sent ${(packet.atMs - armedMs).toFixed(3)} ms after arming, before the 40 ms deadline`);
    const report = takeover.claim('VI_A');
    assert.ok(report !== undefined, 'the claim reports the takeover');
    assert.ok(report.lateMs >= 0 && report.vipsMs >= 0 && report.advertMs >= report.vipsMs && report.announceMs >= report.advertMs);
    assert.deepEqual(report.errors, []);
    assert.equal(takeover.claim('VI_A'), undefined, 'a takeover is reported once');
    await sleep(60);
    assert.equal(got.length, 1, 'and sent once');
  });
});

test('a claim before the deadline disarms it: nothing leaves', { skip }, async () => {
  await withPort(212, async (_port, takeover, got) => {
    assert.equal(takeover.arm('VI_B', 30, plan(request(212, 2))), true);
    assert.equal(takeover.claim('VI_B'), undefined);
    await sleep(120);
    assert.equal(got.length, 0);
  });
});

test('without a plan the last one is armed with the new deadline; a forgotten instance has none', { skip }, async () => {
  await withPort(213, async (_port, takeover, got) => {
    assert.equal(takeover.arm('VI_C', 60_000, plan(request(213, 3))), true);
    assert.equal(takeover.arm('VI_C', 20), true, 'moved to 20 ms');
    assert.ok(await until(() => got.length === 1, 2000), 'the re-armed plan was carried out');
    assert.ok(takeover.claim('VI_C', true) !== undefined);
    assert.equal(takeover.arm('VI_C', 20), false, 'forgotten: no plan to re-arm');
    assert.equal(takeover.arm('VI_D', 20), false, 'never armed: no plan');
  });
});

test('a failed part is reported with its errno: a gratuitous ARP on the loopback, which has no Ethernet address', { skip }, async () => {
  await withPort(214, async (_port, takeover, got) => {
    assert.equal(takeover.arm('VI_E', 5, plan(request(214, 4), [{ ifname: 'lo', family: 4, address: '127.0.0.1' }])), true);
    assert.ok(await until(() => got.length === 1, 2000));
    let report = takeover.claim('VI_E');
    for (let i = 0; report === undefined && i < 100; i++) {
      // The advert is out; the thread may still be on the announcement.
      await sleep(2);
      report = takeover.claim('VI_E');
    }
    assert.ok(report !== undefined);
    assert.equal(report.errors.length, 1);
    assert.equal(report.errors[0]?.part, 'announce');
    assert.match(report.errors[0]?.error ?? '', /^EAFNOSUPPORT/);
  });
});

test('unread input on the socket holds the thread back, then leaves the takeover to JavaScript; a closed socket drops its plans', { skip }, async (t) => {
  const a = addon as HaloNetAddon;
  const arm = a.takeoverArm?.bind(a);
  const claim = a.takeoverClaim?.bind(a);
  const stats = a.takeoverStats?.bind(a);
  assert.ok(arm !== undefined && claim !== undefined && stats !== undefined);
  await withPort(215, async (port, _takeover, got) => {
    // A socket nobody reads: the packet sent to it stays unread, as one JavaScript has not reached yet.
    const quiet = a.open(4, 112, 'lo');
    try {
      const fd = a.info(quiet).fd;
      const slot = 60;
      const tuple = [fd, 4, 1, '127.0.0.1', '127.0.0.1', 255, advert(215, 5)] as const;
      assert.deepEqual(port.send(request(216, 9)), { ok: true });
      await sleep(20);
      const before = stats();
      assert.equal(arm(slot, 2, { adverts: [tuple], addresses: [], announces: [] }), 0);
      assert.ok(await until(() => stats().skipped > before.skipped, 2000), 'the thread gave up waiting');
      assert.ok(stats().waited > before.waited, 'after waiting for the input to be read');
      assert.equal(claim(slot), null, 'not carried out');
      t.diagnostic(`takeover thread real-time (SCHED_FIFO): ${stats().realtime}`);
      assert.equal(got.length, 0, 'nothing sent');
      // Closing the socket forgets every plan that sends on it.
      assert.equal(arm(slot, 60_000, { adverts: [tuple], addresses: [], announces: [] }), 0);
      a.close(quiet);
      assert.equal(arm(slot, 10), ENOENT);
    } finally {
      a.close(quiet);
    }
  });
});
