/**
 * FILE_CHECK: reads the `file` of a track_file and judges the number in it as keepalived.conf(5)
 * says for track files: with weight 0, 0 is OK and any other value is a failure; otherwise the
 * value is multiplied by the weight (negated with `reverse`). With `dynamic` that product is added
 * to the real server's weight; without it, halo fails the check when the product is negative
 * (keepalived notes real-server track_file weights are "not fully implemented": this is halo's
 * reading). A missing file or one without a number fails the check.
 */
import { open } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { FileCheckSpec } from '../spec.js';
import { errorText, type ProbeOutcome } from './types.js';

/** Pure judgement of the file's text. */
export function judgeFileValue(spec: Pick<FileCheckSpec, 'weight' | 'reverse' | 'dynamic'>, text: string): Omit<ProbeOutcome, 'durationMs'> {
  const m = /^\s*(-?\d+)/.exec(text);
  if (!m) return { ok: false, detail: 'no number in the file' };
  const value = Number(m[1]);
  if (spec.weight === 0) return value === 0 ? { ok: true, detail: 'value 0' } : { ok: false, detail: `value ${value}` };
  const product = value * spec.weight * (spec.reverse ? -1 : 1);
  if (spec.dynamic) return { ok: true, detail: `value ${value}: weight ${product >= 0 ? '+' : ''}${product}`, weightDelta: product };
  return product < 0 ? { ok: false, detail: `value ${value}: weight ${product}` } : { ok: true, detail: `value ${value}` };
}

export async function probeFile(spec: Pick<FileCheckSpec, 'path' | 'weight' | 'reverse' | 'dynamic'>): Promise<ProbeOutcome> {
  const startMs = performance.now();
  try {
    // Bounded: a track file holds one number; read at most its first 64 bytes.
    const fh = await open(spec.path, 'r');
    try {
      const buf = Buffer.alloc(64);
      const { bytesRead } = await fh.read(buf, 0, 64, 0);
      return { ...judgeFileValue(spec, buf.subarray(0, bytesRead).toString('latin1')), durationMs: Math.round(performance.now() - startMs) };
    } finally {
      await fh.close();
    }
  } catch (err) {
    return { ok: false, detail: `cannot read ${spec.path}: ${errorText(err)}`, durationMs: Math.round(performance.now() - startMs) };
  }
}
