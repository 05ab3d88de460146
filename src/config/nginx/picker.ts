/**
 * From an nginx upstream to a picker: the backends as the picker sees them, the ones nginx
 * starts as unavailable (`down`), and the registry's factory for the upstream's method.
 */
import type { Prng } from '../../core/prng.js';
import type { Picker, PickerBackend } from '../../balance/picker.js';
import { createPicker } from '../../balance/registry.js';
import type { NginxUpstream } from './model.js';

export interface UpstreamPicker {
  readonly picker: Picker;
  readonly backends: readonly PickerBackend[];
}

/**
 * Builds the picker of an upstream. Servers marked `down` are in the pool but unavailable, so that
 * hash methods keep nginx's mapping (a down server keeps its share of the hash space and its keys
 * rehash), exactly as nginx does. Returns undefined only if the registry lacks the method, which
 * the loader never produces.
 */
export function upstreamPicker(upstream: NginxUpstream, prng: Prng): UpstreamPicker | undefined {
  const backends: PickerBackend[] = upstream.servers.map((s) => ({
    id: s.id,
    weight: s.weight,
    backup: s.backup,
    maxConns: s.maxConns,
    name: s.address,
  }));
  const made = createPicker(upstream.method.name, backends, { prng, flags: new Set(upstream.method.flags) });
  if (!made.ok) return undefined;
  for (const s of upstream.servers) if (s.down) made.picker.setAvailable(s.id, false);
  return { picker: made.picker, backends };
}
