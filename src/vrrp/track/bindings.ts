/**
 * From keepalived's tracker references to bindings. The shapes below are structural: they match
 * the config model's `TrackRef`, `VrrpScript`, `TrackFile` and `TrackProcess` (src/config/keepalived)
 * without importing it, so either side can change its internals.
 *
 * keepalived's rules (keepalived.conf(5)):
 * - an instance's `weight W` overrides the tracker's own; without it the tracker's weight (and its
 *   `reverse`) applies; interfaces have no own weight: 0;
 * - members of a sync group have their tracker weights forced to 0 unless the group sets
 *   `sync_group_tracking_weight`, so that a failing tracker takes the whole group to FAULT
 *   rather than splitting it;
 * - weights are clamped to the kind's limits.
 */
import type { TrackerBinding, TrackerKind } from './types.js';
import { WEIGHT_LIMITS } from './types.js';

export interface TrackRefLike {
  readonly name: string;
  readonly weight?: number;
  readonly reverse: boolean;
}

export interface TrackerDefaults {
  readonly weight: number;
  readonly weightReverse: boolean;
}

export interface InstanceTrackRefs {
  readonly trackInterface: readonly TrackRefLike[];
  readonly trackScript: readonly TrackRefLike[];
  readonly trackFile: readonly TrackRefLike[];
  readonly trackProcess: readonly TrackRefLike[];
}

export interface TrackerCatalog {
  readonly scripts: ReadonlyMap<string, TrackerDefaults>;
  readonly files: ReadonlyMap<string, TrackerDefaults>;
  readonly processes: ReadonlyMap<string, TrackerDefaults>;
}

export interface BindingOptions {
  /** Member of a sync group without `sync_group_tracking_weight`: every weight becomes 0. */
  readonly forceWeightZero: boolean;
}

function bind(kind: TrackerKind, ref: TrackRefLike, def: TrackerDefaults | undefined, opts: BindingOptions): TrackerBinding {
  const limits = WEIGHT_LIMITS[kind];
  const raw = opts.forceWeightZero ? 0 : (ref.weight ?? def?.weight ?? 0);
  const weight = Math.min(limits.max, Math.max(limits.min, raw));
  const reverse = ref.reverse || (ref.weight === undefined && (def?.weightReverse ?? false));
  return { trackerName: ref.name, kind, weight, reverse };
}

/**
 * The bindings of one instance (or sync group). A reference to a tracker the catalog does not
 * have is skipped: the config validation reports it as an error before this runs.
 */
export function instanceBindings(refs: InstanceTrackRefs, catalog: TrackerCatalog, opts: BindingOptions): TrackerBinding[] {
  const out: TrackerBinding[] = [];
  for (const r of refs.trackInterface) out.push(bind('interface', r, undefined, opts));
  for (const r of refs.trackScript) if (catalog.scripts.has(r.name)) out.push(bind('script', r, catalog.scripts.get(r.name), opts));
  for (const r of refs.trackFile) if (catalog.files.has(r.name)) out.push(bind('file', r, catalog.files.get(r.name), opts));
  for (const r of refs.trackProcess) if (catalog.processes.has(r.name)) out.push(bind('process', r, catalog.processes.get(r.name), opts));
  return out;
}
