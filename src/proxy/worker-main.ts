/**
 * Entry point of a proxy worker process (forked by ./workers.ts through node:cluster). Listening
 * handles are shared by the supervisor (cluster SCHED_NONE), so every worker accepts on its own.
 */
import process from 'node:process';
import { SeededPrng } from '../core/prng.js';
import { decodeToWorker, type FromWorker } from './ipc.js';
import { pickerRegistry } from './pickers.js';
import { ProxyWorker } from './worker.js';

const COUNTERS_EVERY_MS = 1000;

function send(m: FromWorker): void {
  if (process.connected) process.send?.(m);
}

// Seeded from the pid: random pickers differ between workers and a log line names the seed.
const seed = process.pid;
const worker = new ProxyWorker(pickerRegistry, new SeededPrng(seed), send);
let queue: Promise<void> = Promise.resolve();

process.on('message', (raw: unknown) => {
  const d = decodeToWorker(raw);
  if (!d.ok) {
    send({ t: 'log', level: 'error', code: 'HALO_PRX_IPC_BAD_MESSAGE', message: `Proxy worker ${process.pid} refused a message: ${d.reason}` });
    return;
  }
  const msg = d.msg;
  // messages apply in order: a config must be in force before the states that follow it
  queue = queue.then(() => worker.handle(msg)).then(() => {
    if (msg.t === 'drain') process.exit(0);
  });
});

// `systemctl stop` signals every process of the service at once (KillMode=control-group). A
// worker must not die on it: the parent orders the stop (the VIPs are released first, make before
// break, then the workers drain), and a worker whose parent is gone drains on `disconnect`.
process.on('SIGTERM', () => undefined);
process.on('SIGINT', () => undefined);

const timer = setInterval(() => worker.reportCounters(), COUNTERS_EVERY_MS);
timer.unref();
process.on('disconnect', () => {
  void worker.drain(5000).then(() => process.exit(0));
});
send({ t: 'hello', pid: process.pid });
send({ t: 'log', level: 'info', code: 'HALO_PRX_WORKER_STARTED', message: `Proxy worker ${process.pid} started (prng seed ${seed})` });
