import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { addCounters, decodeFromWorker, decodeToWorker } from './ipc.js';
import { backendSpec, newCounters, poolSpec, serviceSpec } from './types.js';
import { ProxyWorker } from './worker.js';
import { SeededPrng } from '../core/prng.js';
import { createRr as testRoundRobin } from '../balance/lvs-rr.js';
import type { FromWorker } from './ipc.js';

const seed = process.env['HALO_SEED'] !== undefined ? Number(process.env['HALO_SEED']) : undefined;

test('config, states and drain messages decode; misfits are refused with a reason', () => {
  const cfg = { t: 'config', gen: 1, services: [serviceSpec({ name: 's', pool: 'p', listenPort: 0 })], pools: [poolSpec('p', [backendSpec('127.0.0.1', 1)])] };
  assert.equal(decodeToWorker(structuredClone(cfg)).ok, true);
  assert.deepEqual(decodeToWorker({ ...cfg, gen: '1' }), { ok: false, reason: 'bad-field' });
  assert.deepEqual(decodeToWorker({ ...cfg, services: [{ name: 's' }] }), { ok: false, reason: 'bad-field' });
  assert.deepEqual(decodeToWorker({ ...cfg, pools: [{ ...cfg.pools[0], backends: [{ id: 'x' }] }] }), { ok: false, reason: 'bad-field' });
  assert.deepEqual(decodeToWorker({ t: 'nope' }), { ok: false, reason: 'unknown-type' });
  assert.deepEqual(decodeToWorker(null), { ok: false, reason: 'not-an-object' });
  assert.deepEqual(decodeToWorker([1]), { ok: false, reason: 'not-an-object' });
  assert.equal(decodeToWorker({ t: 'drain', deadlineMs: 5 }).ok, true);
  assert.equal(decodeToWorker({ t: 'states', states: [{ id: 'a', effectiveWeight: 1 }] }).ok, true);
  assert.equal(decodeToWorker({ t: 'states', states: [{ id: 'a' }] }).ok, false);
  assert.equal(decodeFromWorker({ t: 'ready', gen: 2, ports: { s: 80 } }).ok, true);
  assert.equal(decodeFromWorker({ t: 'counters', counters: newCounters() }).ok, true);
  assert.equal(decodeFromWorker({ t: 'counters', counters: {} }).ok, false);
  assert.equal(decodeFromWorker({ t: 'hello', pid: 3 }).ok, true);
  assert.equal(decodeFromWorker({ t: 'log', code: 'X' }).ok, false);
  assert.equal(decodeFromWorker({ t: 'log', level: 'warn', code: 'HALO_PRX_UPSTREAM_FAILED', message: 'm' }).ok, true);
  assert.equal(decodeFromWorker({ t: 'log', level: 'warn', code: 'HALO_PRX_NOT_A_CODE', message: 'm' }).ok, false, 'uncatalogued codes are refused');
  assert.equal(decodeFromWorker({ t: 'log', level: 'loud', code: 'HALO_PRX_UPSTREAM_FAILED', message: 'm' }).ok, false);
});

test('property: the decoders never throw, whatever arrives', () => {
  fc.assert(
    fc.property(fc.anything(), (x) => {
      const a = decodeToWorker(x);
      const b = decodeFromWorker(x);
      assert.ok(typeof a.ok === 'boolean' && typeof b.ok === 'boolean');
    }),
    seed !== undefined ? { seed } : {},
  );
});

test('counters add up, rejected reasons included', () => {
  const a = { ...newCounters(), requests: 2, rejected: { 'cl-and-te': 1 } };
  const b = { ...newCounters(), requests: 3, rejected: { 'cl-and-te': 2, 'bare-cr-or-lf': 1 } };
  const c = addCounters(a, b);
  assert.equal(c.requests, 5);
  assert.deepEqual(c.rejected, { 'cl-and-te': 3, 'bare-cr-or-lf': 1 });
});

test('a worker applies a config, keeps its listener across a reload, and reports unknown pickers', async () => {
  const sent: FromWorker[] = [];
  const w = new ProxyWorker((n) => (n === 'rr' ? testRoundRobin : undefined), new SeededPrng(1), (m) => sent.push(m), 20);
  const svc = serviceSpec({ name: 's', pool: 'p', listenPort: 0 });
  await w.applyConfig(1, [svc], [poolSpec('p', [backendSpec('127.0.0.1', 1)])]);
  const first = sent.find((m) => m.t === 'ready');
  assert.ok(first?.t === 'ready' && (first.ports['s'] ?? 0) > 0);
  await w.applyConfig(2, [svc], [poolSpec('p', [backendSpec('127.0.0.1', 2)], { algorithm: 'nope' })]);
  const second = sent.filter((m) => m.t === 'ready').at(-1);
  assert.ok(second?.t === 'ready' && first.t === 'ready' && second.ports['s'] === first.ports['s'], 'same listener, same port');
  assert.ok(sent.some((m) => m.t === 'log' && m.code === 'HALO_PRX_UNKNOWN_PICKER'));
  assert.ok(sent.some((m) => m.t === 'log' && m.code === 'HALO_PRX_UNKNOWN_POOL'));
  await w.drain(500);
  assert.equal(sent.at(-1)?.t, 'drained');
});
