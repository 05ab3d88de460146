/**
 * Cost of one pick for every algorithm: 16 and 256 backends, connections opened and closed as a
 * proxy would report them. Prints nanoseconds per pick (and picks per second); not a test, never
 * fails. Run: npx tsc -p . && node dist/bench/balance/pickers.js
 */
import { createPicker } from '../../src/balance/registry.js';
import { SeededPrng } from '../../src/core/prng.js';
import { clientIp } from '../../src/balance/testkit.js';

const CASES: readonly (readonly [string, readonly string[]])[] = [
  ['rr', []], ['wrr', []], ['lc', []], ['wlc', []], ['sed', []], ['nq', []], ['dh', []], ['sh', []], ['mh', []],
  ['fo', []], ['ovf', []], ['twos', []], ['round_robin', []], ['least_conn', []], ['ip_hash', []], ['hash', []],
  ['hash', ['consistent']], ['random', []], ['random', ['two']],
];

const PICKS = 200_000;
const clients = Array.from({ length: 1024 }, (_, k) => clientIp(k));
const keys = Array.from({ length: 1024 }, (_, k) => `/static/img/${k}.png`);

console.log('algorithm            backends   ns/pick   picks/s');
for (const size of [16, 256]) {
  for (const [name, flags] of CASES) {
    const backends = Array.from({ length: size }, (_, k) => ({ id: `10.0.${k >> 8}.${k & 255}:80`, weight: 1 + (k % 4), backup: false, maxConns: 0 }));
    const made = createPicker(name, backends, { prng: new SeededPrng(1), flags: new Set(flags) });
    if (!made.ok) throw new Error(made.message);
    const p = made.picker;
    const open: string[] = [];
    const run = (n: number): void => {
      for (let k = 0; k < n; k++) {
        const id = p.pick({ nowMs: k, clientIp: clients[k & 1023] ?? '', clientPort: k & 0xffff, hashKey: keys[k & 1023] ?? '' });
        if (id === undefined) continue;
        p.connectionOpened(id);
        open.push(id);
        if (open.length > 64) p.connectionClosed(open.shift() ?? '');
      }
    };
    run(20_000); // warm up
    const t0 = process.hrtime.bigint();
    run(PICKS);
    const ns = Number(process.hrtime.bigint() - t0) / PICKS;
    const label = [name, ...flags].join(' ').padEnd(20);
    console.log(`${label} ${String(size).padStart(8)} ${ns.toFixed(0).padStart(9)} ${Math.round(1e9 / ns).toString().padStart(9)}`);
  }
}
