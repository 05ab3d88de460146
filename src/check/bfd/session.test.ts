import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededPrng } from '../../core/prng.js';
import { decodeBfd, encodeBfd, type BfdPacket, type BfdPacketFields, type BfdState } from './packet.js';
import {
  adminDown, adminUp, changeConfig, createSession, detectionTimeUs, nextWakeMs, onPacket, onTimer, txIntervalUs,
  type BfdEffect, type BfdSession, type BfdSessionConfig, type BfdStep,
} from './session.js';

const seed = process.env['HALO_SEED'] !== undefined ? Number(process.env['HALO_SEED']) : 1234;

const FAST: BfdSessionConfig = { desiredMinTxUs: 10_000, requiredMinRxUs: 10_000, idleTxUs: 1_000_000, detectMult: 5, passive: false };

function wire(p: BfdPacketFields): BfdPacket {
  const r = decodeBfd(encodeBfd(p));
  assert.ok(r.ok, 'halo must only send packets that pass its own reception checks');
  return r.packet;
}

interface Side {
  s: BfdSession;
  states: { atMs: number; to: BfdState; diag: number }[];
  sent: { atMs: number; packet: BfdPacketFields }[];
}

/**
 * Two sessions joined by a link with a fixed one-way delay, driven on a fake clock. `cut(dir)`
 * drops a direction; `step` advances to the next event (timer or delivery). Bounded in events.
 */
class Link {
  readonly a: Side;
  readonly b: Side;
  nowMs = 0;
  readonly prng = new SeededPrng(seed);
  private inFlight: { atMs: number; to: 'a' | 'b'; packet: BfdPacket }[] = [];
  dropToA = false;
  dropToB = false;

  constructor(ca: BfdSessionConfig, cb: BfdSessionConfig, readonly delayMs = 1) {
    this.a = { s: undefined as unknown as BfdSession, states: [], sent: [] };
    this.b = { s: undefined as unknown as BfdSession, states: [], sent: [] };
    this.apply('a', createSession(ca, 0x1111, 0, this.prng));
    this.apply('b', createSession(cb, 0x2222, 0, this.prng));
  }

  side(n: 'a' | 'b'): Side { return n === 'a' ? this.a : this.b; }

  apply(n: 'a' | 'b', step: BfdStep): void {
    const me = this.side(n);
    me.s = step.session;
    for (const e of step.effects as BfdEffect[]) {
      if (e.type === 'StateChanged') me.states.push({ atMs: this.nowMs, to: e.to, diag: e.diag });
      else {
        me.sent.push({ atMs: this.nowMs, packet: e.packet });
        const to = n === 'a' ? 'b' : 'a';
        if ((to === 'a' && this.dropToA) || (to === 'b' && this.dropToB)) continue;
        this.inFlight.push({ atMs: this.nowMs + this.delayMs, to, packet: wire(e.packet) });
      }
    }
  }

  runUntil(endMs: number, maxEvents = 100_000): void {
    for (let i = 0; i < maxEvents; i++) {
      const candidates: number[] = [endMs];
      const wa = nextWakeMs(this.a.s);
      const wb = nextWakeMs(this.b.s);
      if (wa !== undefined) candidates.push(wa);
      if (wb !== undefined) candidates.push(wb);
      for (const f of this.inFlight) candidates.push(f.atMs);
      const t = Math.min(...candidates);
      if (t >= endMs) { this.nowMs = endMs; return; }
      this.nowMs = Math.max(this.nowMs, t);
      const due = this.inFlight.filter((f) => f.atMs <= this.nowMs);
      this.inFlight = this.inFlight.filter((f) => f.atMs > this.nowMs);
      for (const f of due) this.apply(f.to, onPacket(this.side(f.to).s, f.packet, this.nowMs, this.prng));
      for (const n of ['a', 'b'] as const) {
        const w = nextWakeMs(this.side(n).s);
        if (w !== undefined && w <= this.nowMs) this.apply(n, onTimer(this.side(n).s, this.nowMs, this.prng));
      }
    }
    assert.fail('event bound reached');
  }
}

test('three-way handshake: both sides come Up through Init, then poll to the fast rate', () => {
  const link = new Link(FAST, FAST);
  link.runUntil(50);
  assert.equal(link.a.s.state, 'Up');
  assert.equal(link.b.s.state, 'Up');
  // Both start Down; each hears Down (→ Init) or the other's Init (→ Up).
  assert.ok(link.a.states.some((x) => x.to === 'Init') || link.b.states.some((x) => x.to === 'Init'));
  assert.deepEqual(link.a.states.at(-1), { atMs: link.a.states.at(-1)?.atMs, to: 'Up', diag: 0 });
  // Going Up raised the rate from idle_tx to min_tx with a poll that the peer answered.
  assert.ok(link.a.sent.some((x) => x.packet.poll), 'a poll was sent');
  assert.ok(link.b.sent.some((x) => x.packet.final), 'the peer answered with a final');
  assert.ok(!link.a.sent.some((x) => x.packet.poll && x.packet.final), 'never P and F together');
  assert.equal(link.a.s.pollActive, false);
  assert.equal(txIntervalUs(link.a.s), 10_000);
  // Detection time = remote multiplier × max(our min_rx, remote min_tx) = 5 × 10 ms.
  assert.equal(detectionTimeUs(link.a.s), 50_000);
});

test('periodic packets are jittered to 75-100 % of the interval (75-90 % with multiplier 1)', () => {
  for (const mult of [5, 1]) {
    const link = new Link({ ...FAST, detectMult: mult }, { ...FAST, detectMult: mult });
    link.runUntil(2_000);
    const times = link.a.sent.filter((x) => x.atMs > 200 && !x.packet.final).map((x) => x.atMs);
    assert.ok(times.length > 50, `sent ${times.length}`);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    const max = mult === 1 ? 9.0001 : 10.0001;
    for (const g of gaps) assert.ok(g >= 7.4999 && g <= max, `gap ${g} ms with multiplier ${mult}`);
    // Jitter actually varies.
    assert.ok(Math.max(...gaps) - Math.min(...gaps) > 0.5);
  }
});

test('detection timeout: a silent neighbor takes the session Down with diag 1 within the detection time', () => {
  const link = new Link(FAST, FAST);
  link.runUntil(100);
  assert.equal(link.a.s.state, 'Up');
  const lastHeard = 100;
  link.dropToA = true;
  link.runUntil(400);
  const down = link.a.states.find((x) => x.to === 'Down');
  assert.ok(down, 'a went Down');
  assert.equal(down.diag, 1);
  // Detection time is 5 × 10 ms; the last packet may have arrived up to one interval before the cut.
  assert.ok(down.atMs - lastHeard <= 50 && down.atMs - lastHeard >= 50 - 10 - 1, `down after ${down.atMs - lastHeard} ms`);
  assert.equal(link.a.s.remoteDiscr, 0);
  // b, still hearing a (which now says Down), follows with diag 3.
  assert.equal(link.b.s.state === 'Down' || link.b.s.state === 'Init', true);
  assert.ok(link.b.states.some((x) => x.to === 'Down' && x.diag === 3));
});

test('admin down: the peer goes Down with diag 3, AdminDown is sent for a detection time only', () => {
  const link = new Link(FAST, FAST);
  link.runUntil(100);
  link.apply('a', adminDown(link.a.s, link.nowMs, link.prng));
  assert.equal(link.a.s.state, 'AdminDown');
  assert.equal(link.a.s.localDiag, 7);
  link.runUntil(3_000);
  assert.ok(link.b.states.some((x) => x.to === 'Down' && x.diag === 3));
  const adminSent = link.a.sent.filter((x) => x.packet.state === 'AdminDown');
  assert.ok(adminSent.length >= 1);
  // 5 × 1 s idle interval bounds the AdminDown announcements.
  assert.ok(adminSent.every((x) => x.atMs <= 100 + 5_000));
  assert.equal(link.a.s.state, 'AdminDown', 'packets from the peer do not move an AdminDown session');
  link.apply('a', adminUp(link.a.s, link.nowMs, link.prng));
  link.runUntil(6_000);
  assert.equal(link.a.s.state, 'Up');
  assert.equal(link.b.s.state, 'Up');
});

test('poll sequence: a new min_tx while Up is sent with P until the F comes back, then used', () => {
  const link = new Link(FAST, FAST);
  link.runUntil(100);
  const before = link.a.sent.length;
  link.apply('a', changeConfig(link.a.s, { ...FAST, desiredMinTxUs: 40_000 }, link.nowMs, link.prng));
  assert.equal(link.a.s.pollActive, true);
  // An increase does not take effect before the Final.
  assert.equal(txIntervalUs(link.a.s), 10_000);
  link.dropToA = true;
  link.runUntil(130);
  assert.ok(link.a.sent.slice(before).every((x) => x.packet.poll && x.packet.desiredMinTxUs === 40_000));
  assert.equal(link.a.s.pollActive, true, 'no final heard yet');
  link.dropToA = false;
  link.runUntil(200);
  assert.equal(link.a.s.pollActive, false);
  assert.equal(txIntervalUs(link.a.s), 40_000);
  // The peer now expects a's packets at 40 ms: its detection time is 5 × 40 ms.
  assert.equal(detectionTimeUs(link.b.s), 200_000);
  assert.equal(link.b.s.state, 'Up');
});

test('passive side sends nothing until it hears the neighbor', () => {
  const quiet = new Link({ ...FAST, passive: true }, { ...FAST, passive: true });
  quiet.runUntil(5_000);
  assert.equal(quiet.a.sent.length, 0);
  assert.equal(quiet.b.sent.length, 0);
  const link = new Link({ ...FAST, passive: true }, FAST);
  link.runUntil(3_000);
  assert.equal(link.a.s.state, 'Up');
  assert.ok(link.a.sent.length > 0);
  assert.ok(link.a.sent[0]!.atMs >= link.b.sent[0]!.atMs + link.delayMs);
});

test('a packet for another discriminator is rejected with a reason', () => {
  const prng = new SeededPrng(seed);
  const s = createSession(FAST, 7, 0, prng).session;
  const p = wire({ diag: 0, state: 'Up', poll: false, final: false, detectMult: 3, myDiscr: 9, yourDiscr: 8, desiredMinTxUs: 1, requiredMinRxUs: 1 });
  const r = onPacket(s, p, 1, prng);
  assert.equal(r.rejected, 'unknown_session');
  assert.equal(r.session, s);
});

test('remote min_rx 0 stops periodic transmission', () => {
  const prng = new SeededPrng(seed);
  const s = createSession(FAST, 7, 0, prng).session;
  const p = wire({ diag: 0, state: 'Down', poll: false, final: false, detectMult: 3, myDiscr: 9, yourDiscr: 0, desiredMinTxUs: 1_000_000, requiredMinRxUs: 0 });
  const r = onPacket(s, p, 1, prng);
  assert.equal(r.session.nextTxMs, undefined);
  assert.equal(r.session.state, 'Init');
});
