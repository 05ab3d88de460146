/**
 * A halo BFD endpoint as a process, for the interop test: run inside a namespace with
 *   node bfd-peer.js '{"name":..,"neighborIp":..,"sourceIp":..,"minTxUs":..,"minRxUs":..,"multiplier":..}'
 * It prints one JSON line per event: {"t":"ready","problems":[...]} then {"t":"state",...,"atMs"}.
 * SIGTERM stops it cleanly (AdminDown to the neighbor); SIGKILL is a crash.
 */
import { performance } from 'node:perf_hooks';
import { buildBfdInstance, type BfdInstanceInput } from '../../src/check/bfd/spec.js';
import { BfdEngine, type BfdStateEvent } from '../../src/check/runner/bfd-engine.js';

const input = JSON.parse(process.argv[2] ?? '{}') as BfdInstanceInput;
const engine = new BfdEngine([buildBfdInstance(input).spec]);
const print = (o: object): void => void process.stdout.write(`${JSON.stringify(o)}\n`);
engine.on('state', (_n: string, e: BfdStateEvent) => print({ t: 'state', ...e, atMs: performance.now() }));
void engine.start().then((problems) => print({ t: 'ready', problems }));
const stop = (): void => {
  engine.stop();
  setTimeout(() => process.exit(0), 50);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
