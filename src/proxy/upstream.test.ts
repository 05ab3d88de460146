import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededPrng } from '../core/prng.js';
import { pickerRegistry } from './pickers.js';
import { backendSpec, poolSpec } from './types.js';
import { UpstreamPool } from './upstream.js';

function pool(persistence?: { timeoutMs: number; ipv4PrefixLen?: number }): UpstreamPool {
  const factory = pickerRegistry('rr');
  assert.ok(factory !== undefined);
  const spec = poolSpec('p', [backendSpec('127.0.0.1', 1001), backendSpec('127.0.0.1', 1002)], persistence !== undefined ? { persistence } : {});
  return new UpstreamPool(spec, factory, new SeededPrng(1));
}

function picks(p: UpstreamPool, clientIp: string, n: number, nowMs: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const b = p.pick({ clientIp, exclude: new Set(), nowMs });
    assert.ok(b !== undefined);
    out.push(b.id);
    p.release(b.id, false, nowMs);
  }
  return out;
}

test('without persistence rr alternates for one client', () => {
  assert.deepEqual(picks(pool(), '10.0.0.1', 4, 0), ['127.0.0.1:1001', '127.0.0.1:1002', '127.0.0.1:1001', '127.0.0.1:1002']);
});

test('persistence_timeout pins a client to its backend until it stays away longer than the timeout', () => {
  const p = pool({ timeoutMs: 50_000 });
  const first = picks(p, '10.0.0.1', 4, 0);
  assert.equal(new Set(first).size, 1);
  // a second client is decided by rr, so it goes to the other backend
  const other = picks(p, '10.0.0.2', 1, 1000)[0];
  assert.notEqual(other, first[0]);
  // granularity /32 by default: a neighbour is another client
  assert.equal(new Set(picks(p, '10.0.0.1', 3, 40_000)).size, 1);
});

test('persistence_granularity 24 pins a whole /24 to one backend', () => {
  const p = pool({ timeoutMs: 50_000, ipv4PrefixLen: 24 });
  const ids = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.200'].map((ip) => picks(p, ip, 1, 0)[0]);
  assert.equal(new Set(ids).size, 1);
});
