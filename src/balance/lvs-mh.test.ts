import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMh, isPrime, maglevTable, primeAtLeast, MH_TABLE_SIZE_DEFAULT } from './lvs-mh.js';
import { SeededPrng } from '../core/prng.js';
import { backend, clientIp } from './testkit.js';

const prng = new SeededPrng(1);

test('table sizes are primes; 65521 by default as LVS', () => {
  assert.ok(isPrime(MH_TABLE_SIZE_DEFAULT));
  assert.equal(primeAtLeast(250), 251);
  assert.equal(primeAtLeast(65521), 65521);
  assert.equal(isPrime(1), false);
  assert.equal(isPrime(91), false);
});

test('the table is fully populated and shares follow the turns', () => {
  const size = 65521;
  const table = maglevTable(['a', 'b', 'c'], [1, 2, 1], size);
  const counts = [0, 0, 0];
  for (const k of table) {
    assert.ok(k >= 0);
    counts[k] = (counts[k] ?? 0) + 1;
  }
  assert.ok(Math.abs((counts[1] ?? 0) / size - 0.5) < 0.01, JSON.stringify(counts));
  assert.ok(Math.abs((counts[0] ?? 0) / size - 0.25) < 0.01, JSON.stringify(counts));
});

test('minimal disruption: removing one of ten backends moves its slots and few others', () => {
  const names = Array.from({ length: 10 }, (_, k) => `10.0.0.${k + 1}:80`);
  const size = 65521;
  const before = maglevTable(names, new Array<number>(10).fill(1), size);
  const after = maglevTable(names.filter((_, k) => k !== 3), new Array<number>(9).fill(1), size);
  const remap = (k: number): number => (k < 3 ? k : k + 1); // index in the 9-list → index in the 10-list
  let otherMoved = 0;
  let other = 0;
  for (let s = 0; s < size; s++) {
    const was = before[s] ?? -1;
    const now = remap(after[s] ?? -1);
    assert.notEqual(now, 3);
    if (was !== 3) {
      other++;
      if (now !== was) otherMoved++;
    }
  }
  // The Maglev paper reports a few percent at most for such a change.
  assert.ok(otherMoved / other < 0.05, `moved ${otherMoved}/${other}`);
});

test('mh picks by client address; the same client always lands on the same backend', () => {
  const p = createMh([backend('a'), backend('b'), backend('c')], { prng, tableSize: 251 });
  const counts = new Map<string, number>();
  for (let k = 0; k < 3000; k++) {
    const ip = clientIp(k);
    const id = p.pick({ nowMs: 0, clientIp: ip, clientPort: 1000 + k });
    assert.equal(p.pick({ nowMs: 0, clientIp: ip, clientPort: 9 }), id, 'port ignored without mh-port');
    counts.set(id ?? '-', (counts.get(id ?? '-') ?? 0) + 1);
  }
  for (const id of ['a', 'b', 'c']) assert.ok(Math.abs((counts.get(id) ?? 0) / 3000 - 1 / 3) < 0.07, JSON.stringify([...counts]));
});

test('mh-port spreads one address over backends by port', () => {
  const p = createMh([backend('a'), backend('b'), backend('c')], { prng, tableSize: 251, flags: new Set(['mh-port']) });
  const seen = new Set<string | undefined>();
  for (let port = 1000; port < 1100; port++) seen.add(p.pick({ nowMs: 0, clientIp: '10.1.1.1', clientPort: port }));
  assert.equal(seen.size, 3);
});

test('a weight-0 backend leaves the table; a full one refuses unless mh-fallback', () => {
  const plain = createMh([backend('a', 1, { maxConns: 1 }), backend('b')], { prng, tableSize: 251 });
  const fb = createMh([backend('a', 1, { maxConns: 1 }), backend('b')], { prng, tableSize: 251, flags: new Set(['mh-fallback']) });
  plain.connectionOpened('a');
  fb.connectionOpened('a');
  let refused = 0;
  for (let k = 0; k < 200; k++) {
    const ip = clientIp(k);
    const r = plain.pick({ nowMs: 0, clientIp: ip });
    if (r === undefined) refused++;
    else assert.equal(r, 'b');
    assert.equal(fb.pick({ nowMs: 0, clientIp: ip }), 'b');
  }
  assert.ok(refused > 50, `refused ${refused}`);
  plain.connectionClosed('a');
  plain.setWeight('a', 0);
  for (let k = 0; k < 50; k++) assert.equal(plain.pick({ nowMs: 0, clientIp: clientIp(k) }), 'b');
});
