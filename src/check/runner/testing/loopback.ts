/**
 * Loopback helpers for tests that run two BFD endpoints in one process: addresses of this process
 * only (all of 127/8 is on lo), so test files running in parallel never hear each other's
 * sessions whatever ports they draw, a free UDP port, and a bounded wait.
 */
import { createSocket } from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';

const NET = `127.${(process.pid >> 8) & 255}.${process.pid & 255}`;
export const LOOP_A = `${NET}.1`;
export const LOOP_B = `${NET}.2`;

export async function freeUdpPort(address = LOOP_A): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, address, () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Polls `cond` every 2 ms for at most `limitMs`; resolves with the time it took, or rejects naming `what`. */
export async function waitFor(what: string, cond: () => boolean, limitMs: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < 20_000; i++) {
    if (cond()) return performance.now() - t0;
    if (performance.now() - t0 > limitMs) break;
    await sleep(2);
  }
  throw new Error(`${what}: not within ${limitMs} ms`);
}
