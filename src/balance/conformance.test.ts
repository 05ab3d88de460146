/**
 * The one conformance suite every picker passes (rule of thumb 6: one interface, one suite).
 * Each algorithm of the registry, with each of its flags, is driven through random pools and
 * random event sequences (fast-check; the seed is printed on failure and HALO_SEED replays it),
 * checked against a model of what any picker may do, and measured for long-run fairness.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Picker, PickerBackend, PickerOptions, PickContext } from './picker.js';
import { PICKERS, createPicker } from './registry.js';
import { withPersistence } from './persistence.js';
import { SeededPrng } from '../core/prng.js';
import { backend, clientIp } from './testkit.js';

const seed = process.env.HALO_SEED !== undefined ? Number(process.env.HALO_SEED) : undefined;
const fcParams = { numRuns: 60, ...(seed !== undefined ? { seed } : {}) };

interface Case {
  readonly name: string;
  readonly flags: readonly string[];
  /** Long-run shares: by weight, equal among weight > 0, or not a fairness algorithm. */
  readonly fairness: 'weighted' | 'equal' | 'none';
  /** May refuse a client although some backend could take it (LVS sh/dh/mh without fallback, ovf). */
  readonly mayRefuse: boolean;
  /** Shares depend on open connections: the fairness run keeps connections open. */
  readonly connAware: boolean;
  readonly tolerance?: number;
  readonly persistent?: boolean;
}

const CASES: readonly Case[] = [
  { name: 'rr', flags: [], fairness: 'equal', mayRefuse: false, connAware: false },
  { name: 'wrr', flags: [], fairness: 'weighted', mayRefuse: false, connAware: false },
  { name: 'lc', flags: [], fairness: 'equal', mayRefuse: false, connAware: true },
  { name: 'wlc', flags: [], fairness: 'weighted', mayRefuse: false, connAware: true },
  { name: 'sed', flags: [], fairness: 'weighted', mayRefuse: false, connAware: true, tolerance: 0.06 },
  { name: 'nq', flags: [], fairness: 'weighted', mayRefuse: false, connAware: true, tolerance: 0.06 },
  { name: 'dh', flags: [], fairness: 'equal', mayRefuse: true, connAware: false },
  { name: 'sh', flags: [], fairness: 'weighted', mayRefuse: true, connAware: false },
  { name: 'sh', flags: ['sh-port'], fairness: 'weighted', mayRefuse: true, connAware: false },
  { name: 'sh', flags: ['sh-fallback'], fairness: 'weighted', mayRefuse: false, connAware: false },
  { name: 'sh', flags: ['sh-port', 'sh-fallback'], fairness: 'weighted', mayRefuse: false, connAware: false },
  { name: 'mh', flags: [], fairness: 'weighted', mayRefuse: true, connAware: false },
  { name: 'mh', flags: ['mh-port'], fairness: 'weighted', mayRefuse: true, connAware: false },
  { name: 'mh', flags: ['mh-fallback'], fairness: 'weighted', mayRefuse: false, connAware: false },
  { name: 'fo', flags: [], fairness: 'none', mayRefuse: false, connAware: false },
  { name: 'ovf', flags: [], fairness: 'none', mayRefuse: true, connAware: true },
  { name: 'twos', flags: [], fairness: 'weighted', mayRefuse: false, connAware: true, tolerance: 0.06 },
  { name: 'round_robin', flags: [], fairness: 'weighted', mayRefuse: false, connAware: false },
  { name: 'least_conn', flags: [], fairness: 'weighted', mayRefuse: false, connAware: true },
  { name: 'ip_hash', flags: [], fairness: 'weighted', mayRefuse: false, connAware: false },
  { name: 'hash', flags: [], fairness: 'weighted', mayRefuse: false, connAware: false },
  { name: 'hash', flags: ['consistent'], fairness: 'weighted', mayRefuse: false, connAware: false, tolerance: 0.08 },
  { name: 'random', flags: [], fairness: 'weighted', mayRefuse: false, connAware: false },
  { name: 'random', flags: ['two'], fairness: 'weighted', mayRefuse: false, connAware: true, tolerance: 0.06 },
  { name: 'wlc', flags: [], fairness: 'none', mayRefuse: false, connAware: true, persistent: true },
  { name: 'round_robin', flags: [], fairness: 'none', mayRefuse: false, connAware: false, persistent: true },
];

function label(c: Case): string {
  return [c.name, ...c.flags, ...(c.persistent ? ['persistent'] : [])].join(' ');
}

function make(c: Case, backends: readonly PickerBackend[], prngSeed: number): Picker {
  const options: PickerOptions = { prng: new SeededPrng(prngSeed), flags: new Set(c.flags), tableSize: 251 };
  const made = createPicker(c.name, backends, options);
  assert.ok(made.ok, `${label(c)} is registered`);
  if (!c.persistent) return made.picker;
  const info = PICKERS[c.name];
  assert.ok(info);
  return withPersistence(info.factory, { timeoutMs: 1000, ipv4PrefixLen: 24 })(backends, options);
}

test('every registered algorithm is covered by the conformance cases', () => {
  const covered = new Set(CASES.map((c) => c.name));
  assert.deepEqual(Object.keys(PICKERS).filter((n) => !covered.has(n)), []);
  for (const [name, info] of Object.entries(PICKERS)) {
    for (const flag of info.flags) assert.ok(CASES.some((c) => c.name === name && c.flags.includes(flag)), `${name} ${flag}`);
  }
});

/** What the test itself knows of each backend, to judge every pick. */
interface ModelBackend {
  readonly id: string;
  readonly backup: boolean;
  readonly maxConns: number;
  weight: number;
  available: boolean;
  conns: number;
}

type Op =
  | { kind: 'pick'; client: number; port: number; key: number; exclude: number[]; open: boolean }
  | { kind: 'avail'; b: number; available: boolean }
  | { kind: 'weight'; b: number; weight: number }
  | { kind: 'close'; b: number }
  | { kind: 'tick'; ms: number };

const backendArb = fc.record({ weight: fc.integer({ min: 0, max: 5 }), backup: fc.boolean(), maxConns: fc.integer({ min: 0, max: 3 }) });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('pick' as const), client: fc.integer({ min: 0, max: 50 }), port: fc.integer({ min: 1, max: 65535 }), key: fc.integer({ min: 0, max: 50 }), exclude: fc.array(fc.integer({ min: 0, max: 7 }), { maxLength: 3 }), open: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('avail' as const), b: fc.integer({ min: 0, max: 7 }), available: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('weight' as const), b: fc.integer({ min: 0, max: 7 }), weight: fc.integer({ min: 0, max: 5 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('close' as const), b: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 2000 }) }) },
);

function eligible(m: ModelBackend, exclude: ReadonlySet<string>): boolean {
  return m.available && m.weight > 0 && !(m.maxConns > 0 && m.conns >= m.maxConns) && !exclude.has(m.id);
}

/** Runs `ops` against a fresh picker, checking every pick; returns the picks for determinism checks. */
function drive(c: Case, specs: readonly { weight: number; backup: boolean; maxConns: number }[], ops: readonly Op[], prngSeed: number): string[] {
  const backends = specs.map((s, k) => backend(`b${k}`, s.weight, { backup: s.backup, maxConns: s.maxConns }));
  const model: ModelBackend[] = specs.map((s, k) => ({ id: `b${k}`, backup: s.backup, maxConns: s.maxConns, weight: s.weight, available: true, conns: 0 }));
  const picker = make(c, backends, prngSeed);
  const picks: string[] = [];
  let nowMs = 0;
  for (const op of ops) {
    if (op.kind === 'tick') {
      nowMs += op.ms;
      continue;
    }
    if (op.kind !== 'pick') {
      const m = model[op.b % model.length];
      if (m === undefined) continue;
      if (op.kind === 'avail') {
        m.available = op.available;
        picker.setAvailable(m.id, op.available);
      } else if (op.kind === 'weight') {
        m.weight = op.weight;
        picker.setWeight(m.id, op.weight);
      } else if (m.conns > 0) {
        m.conns -= 1;
        picker.connectionClosed(m.id);
      }
      continue;
    }
    const exclude = new Set(op.exclude.filter((b) => b < model.length).map((b) => `b${b}`));
    // Some clients are IPv6 (and one a dual-stack IPv4-mapped form), as a proxy sees them.
    const ip = op.client % 5 === 4 ? `2001:db8::${op.client.toString(16)}` : op.client % 7 === 6 ? `::ffff:${clientIp(op.client)}` : clientIp(op.client);
    const ctx: PickContext = { nowMs, clientIp: ip, clientPort: op.port, hashKey: `/k/${op.key}`, exclude };
    const got = picker.pick(ctx);
    picks.push(got ?? '-');
    const anyPrimary = model.some((m) => !m.backup && eligible(m, exclude));
    const anyAtAll = model.some((m) => eligible(m, exclude));
    if (got === undefined) {
      if (!c.mayRefuse) assert.ok(!anyAtAll, `${label(c)} refused although a backend could take it`);
      continue;
    }
    const m = model.find((x) => x.id === got);
    assert.ok(m !== undefined, `${label(c)} picked an unknown id ${got}`);
    assert.ok(m.available, `${label(c)} picked unavailable ${got}`);
    assert.ok(m.weight > 0, `${label(c)} picked zero-weight ${got}`);
    assert.ok(!exclude.has(got), `${label(c)} picked excluded ${got}`);
    assert.ok(!(m.maxConns > 0 && m.conns >= m.maxConns), `${label(c)} picked ${got} at max_conns`);
    assert.ok(!(m.backup && anyPrimary), `${label(c)} picked backup ${got} while a primary was eligible`);
    if (op.open) {
      m.conns += 1;
      picker.connectionOpened(got);
    }
  }
  return picks;
}

for (const c of CASES) {
  test(`conformance: ${label(c)} picks only eligible backends, backups last, deterministically`, () => {
    fc.assert(
      fc.property(
        fc.array(backendArb, { minLength: 1, maxLength: 8 }),
        fc.array(opArb, { minLength: 1, maxLength: 80 }),
        fc.integer({ min: 0, max: 0xffff }),
        (specs, ops, prngSeed) => {
          const first = drive(c, specs, ops, prngSeed);
          const second = drive(c, specs, ops, prngSeed);
          assert.deepEqual(second, first, `${label(c)} is not deterministic for one seed`);
        },
      ),
      fcParams,
    );
  });

  test(`conformance: ${label(c)} returns undefined when nothing is available, and for an empty pool`, () => {
    const p = make(c, [backend('a', 1), backend('b', 2), backend('k', 1, { backup: true })], 1);
    for (const id of ['a', 'b', 'k']) p.setAvailable(id, false);
    assert.equal(p.pick({ nowMs: 0, clientIp: '10.0.0.1', hashKey: 'x' }), undefined);
    p.setAvailable('b', true);
    p.setWeight('b', 0);
    assert.equal(p.pick({ nowMs: 0, clientIp: '10.0.0.1', hashKey: 'x' }), undefined);
    assert.equal(make(c, [], 1).pick({ nowMs: 0, clientIp: '10.0.0.1', hashKey: 'x' }), undefined);
  });

  if (c.fairness !== 'none') {
    test(`conformance: ${label(c)} is fair in the long run (${c.fairness})`, () => {
      const ws = [1, 2, 3, 4];
      const p = make(c, ws.map((w, k) => backend(`b${k}`, w)), 5);
      const rng = new SeededPrng(11);
      const counts = new Map<string, number>();
      const open: string[] = [];
      const n = 8000;
      for (let k = 0; k < n; k++) {
        const id = p.pick({ nowMs: k, clientIp: clientIp(k), clientPort: 1024 + rng.nextInt(60000), hashKey: `/obj/${k}` });
        assert.ok(id !== undefined);
        counts.set(id, (counts.get(id) ?? 0) + 1);
        if (c.connAware) {
          // Connections stay open a while (40 in flight, oldest closes first).
          p.connectionOpened(id);
          open.push(id);
          if (open.length > 40) p.connectionClosed(open.shift() ?? '');
        }
      }
      const total = ws.reduce((a, b) => a + b, 0);
      const tol = c.tolerance ?? 0.05;
      ws.forEach((w, k) => {
        const expected = c.fairness === 'weighted' ? w / total : 1 / ws.length;
        const share = (counts.get(`b${k}`) ?? 0) / n;
        assert.ok(Math.abs(share - expected) <= tol, `${label(c)} b${k}: share ${share.toFixed(3)}, expected ${expected.toFixed(3)}`);
      });
    });
  }

  test(`conformance: ${label(c)} picks cheaply (256 backends, 5000 picks)`, () => {
    const bs = Array.from({ length: 256 }, (_, k) => backend(`b${k}`, 1 + (k % 4)));
    const p = make(c, bs, 3);
    const started = process.hrtime.bigint();
    for (let k = 0; k < 5000; k++) {
      const id = p.pick({ nowMs: k, clientIp: clientIp(k), clientPort: k & 0xffff, hashKey: `/obj/${k}` });
      if (c.connAware && id !== undefined && k % 2 === 0) p.connectionOpened(id);
    }
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    // O(backends) at worst, as nginx and LVS scan their lists: about 10 µs a pick on an idle
    // machine; the bound leaves room for a loaded CI runner and still catches a quadratic pick.
    assert.ok(ms < 2000, `${label(c)}: 5000 picks took ${ms.toFixed(0)} ms`);
  });
}
