/**
 * Tracker types: standalone, so that the VRRP engine, the shell runners and the config layer can
 * share them without importing each other. A tracker is something whose state moves the priority
 * of the instances (and sync groups) that watch it: keepalived's `vrrp_script`, `track_file`,
 * `vrrp_track_process` and `track_interface`.
 *
 * The split follows keepalived: a tracker is declared once (`vrrp_script chk { ... }`) and produces
 * one signal; every instance that lists it (`track_script { chk weight -20 }`) turns that signal into
 * its own priority delta or FAULT, with its own weight and `reverse`.
 */

export type TrackerKind = 'script' | 'file' | 'process' | 'interface';

/**
 * What a tracker says, shared by every instance that watches it.
 * - `script`, `process`, `interface`: up or down.
 * - `file`: the number read from the file (keepalived multiplies it by the weight).
 */
export type TrackerSignal =
  | { readonly kind: 'script' | 'process' | 'interface'; readonly up: boolean; readonly cause: string }
  | { readonly kind: 'file'; readonly value: number; readonly cause: string };

/** How one instance (or sync group) watches one tracker: `track_script { NAME weight W reverse }`. */
export interface TrackerBinding {
  readonly trackerName: string;
  readonly kind: TrackerKind;
  /** Effective weight: the instance's override, else the tracker's own default. */
  readonly weight: number;
  /** keepalived `reverse`: the adjustment goes the other way (and weight 0 faults while up). */
  readonly reverse: boolean;
}

/**
 * A tracker's verdict for one instance: what the FSM consumes as `TrackerChanged`.
 * `weightDelta` is added to the base priority (the FSM clamps to 1..254 and leaves an address owner
 * at 255); `fault` puts the instance in FAULT whatever the priority.
 */
export interface TrackerStatus {
  readonly trackerName: string;
  readonly kind: TrackerKind;
  /** The tracker is in its good state (for `file`: the value did not fault the instance). */
  readonly ok: boolean;
  readonly weightDelta: number;
  readonly fault: boolean;
  /** Human-readable reason, logged with the tracker name: `Script chk_nginx failed 3 times: exit 1`. */
  readonly cause: string;
}

/** keepalived's weight limits per tracker kind (keepalived.conf(5)). */
export const WEIGHT_LIMITS: Readonly<Record<TrackerKind, { readonly min: number; readonly max: number }>> = {
  script: { min: -253, max: 253 },
  interface: { min: -253, max: 253 },
  process: { min: -254, max: 254 },
  file: { min: -254, max: 254 },
};

/**
 * A `track_file` result below this puts the watching instance in FAULT (keepalived.conf(5): "if the
 * result is less than -253 anything monitoring the script will transition to the fault state").
 * Results from -253 to 253 move the priority, which the engine then clamps to 1..254: a low
 * priority alone never means FAULT.
 */
export const FILE_FAULT_BELOW = -253;

/**
 * The one name of a tracker inside halo: `KIND:NAME` (`script:chk_nginx`, `file:prio`,
 * `interface:eth1`). keepalived keeps scripts, files and processes in separate name spaces, so
 * `vrrp_script chk` and `track_file chk` may both exist; the kind prefix keeps them apart in the
 * engine, the tracker board and the logs alike.
 */
export function trackerId(kind: TrackerKind | 'bfd', name: string): string {
  return `${kind}:${name}`;
}
