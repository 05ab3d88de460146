/**
 * Small builders for picker tests (used by the tests in this folder and by other layers' tests
 * that need a pool). Pure; no test framework here.
 */
import type { Picker, PickerBackend, PickContext } from './picker.js';

export function backend(id: string, weight = 1, extra: Partial<PickerBackend> = {}): PickerBackend {
  return { id, weight, backup: false, maxConns: 0, ...extra };
}

/** `weights({a: 5, b: 1})` → backends a and b with those weights, in that order. */
export function weights(spec: Readonly<Record<string, number>>): PickerBackend[] {
  return Object.entries(spec).map(([id, w]) => backend(id, w));
}

/** `n` picks with the same context; `-` where nothing was picked. */
export function sequence(picker: Picker, n: number, ctx: Partial<PickContext> = {}): string[] {
  const out: string[] = [];
  for (let k = 0; k < n; k++) out.push(picker.pick({ nowMs: 0, ...ctx }) ?? '-');
  return out;
}

/** How many picks each backend got out of `n`, with `ctx(k)` giving the k-th context. */
export function tally(picker: Picker, n: number, ctx: (k: number) => Partial<PickContext> = () => ({})): Map<string, number> {
  const counts = new Map<string, number>();
  for (let k = 0; k < n; k++) {
    const id = picker.pick({ nowMs: 0, ...ctx(k) }) ?? '-';
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** A deterministic IPv4 address for client number k (spread over many /24s). */
export function clientIp(k: number): string {
  const v = (Math.imul(k + 1, 0x9e3779b1) >>> 0) ^ (k >>> 3);
  return `${10 + ((v >>> 24) % 200)}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}
