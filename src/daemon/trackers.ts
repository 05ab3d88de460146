/**
 * The trackers of `halo run`, built from the config in one place so that a reload can build a new
 * set and close the old one (`buildTrackers(...)` / `close()`).
 *
 * They run in the VRRP process (design notes: "the VRRP process runs the instances, their
 * trackers and the VIPs"): vrrp_script runs as child processes and file reads and /proc scans are
 * asynchronous and chunked, so nothing here holds up an advert. Interfaces (`track_interface`) are
 * followed by the VRRP runtime itself through its LinkPort, as before; every other kind goes
 * through the TrackerSet (src/track/tracker-set.ts), whose board logs each instance's change with
 * the tracker and its cause, and whose raw signals feed the engine as `TrackerChanged` events.
 *
 * The supervisor sends `TrackerSpecs` (plain data, from `trackerSpecsFromModel` in
 * tracker-specs.ts) to the VRRP process in its `start` message; the VRRP process loads this module
 * only when the config has trackers. The tracker names everywhere are trackerId's `KIND:NAME`.
 */
import type { VrrpInstanceConfig } from '../vrrp/config.js';
import type { TrackerKind, TrackerSignal } from '../vrrp/track/types.js';
import type { InstanceTrackers } from '../vrrp/track/board.js';
import type { LogEvent } from '../notify/log.js';
import type { RunAs } from '../notify/script-exec.js';
import { lookupUser } from '../notify/script-exec.js';
import { compatEnv } from '../track/compat.js';
import { TrackerSet } from '../track/tracker-set.js';
import type { Logger } from './log.js';
import type { TrackerSpecs } from './tracker-specs.js';

export { NO_TRACKERS, trackerSpecsFromModel, type FileTrackerSpec, type ScriptTrackerSpec, type TrackerSpecs } from './tracker-specs.js';

export interface BuildTrackersOptions {
  /** The process a script's `systemctl stop keepalived` / `killall keepalived` stops (the supervisor). */
  readonly haloPid: number;
  /** Base environment of the scripts; the compat directory goes first on its PATH. */
  readonly env: Readonly<Record<string, string>>;
  readonly log: Logger;
  /** A tracker's new signal, by trackerId: the VRRP runtime's `trackerChanged`. */
  readonly onSignal: (trackerId: string, signal: TrackerSignal) => void;
  /** Where to read users; tests point it at their own files. */
  readonly userDb?: { readonly passwd: string; readonly group: string };
}

export interface RunningTrackers {
  /** Starts every runner; resolves once files and processes have their first reading. */
  start(): Promise<void>;
  /** Stops every runner (scripts in flight finish on their own; their result is ignored). */
  close(): void;
}

/** The bindings of each instance as the engine has them (one rule set: to-engine made them). */
export function instanceTrackers(instances: readonly VrrpInstanceConfig[]): InstanceTrackers[] {
  return instances.map((i) => ({
    owner: i.name,
    bindings: i.trackers
      .filter((t) => t.kind !== undefined && t.kind !== 'interface')
      .map((t) => ({ trackerName: t.name, kind: t.kind as TrackerKind, weight: t.weight, reverse: t.reverse === true })),
  }));
}

function userOf(who: { readonly user: string; readonly group?: string }, what: string, log: Logger, userDb: BuildTrackersOptions['userDb']): RunAs | undefined {
  const r = lookupUser(who.user, who.group, userDb);
  if ('error' in r) {
    log({ level: 'error', code: 'HALO_TRK_USER_UNKNOWN', msg: `Cannot run ${what} as ${who.user}${who.group !== undefined ? `:${who.group}` : ''}: ${r.error}` });
    return undefined;
  }
  return r;
}

/** The runners of every tracker some instance watches. Nothing runs before `start()`. */
export function buildTrackers(specs: TrackerSpecs, instances: readonly VrrpInstanceConfig[], opts: BuildTrackersOptions): RunningTrackers {
  const log = opts.log;
  const sink = (e: LogEvent): void => log({ level: e.level, code: e.code, msg: e.message, ...(e.fields !== undefined ? { fields: e.fields } : {}) });
  const env = compatEnv(opts.env, { haloPid: opts.haloPid });
  const defaultRunAs = specs.scriptUser !== undefined ? userOf(specs.scriptUser, 'scripts (script_user)', log, opts.userDb) : undefined;
  const set = new TrackerSet(
    {
      instances: instanceTrackers(instances),
      scripts: specs.scripts.map((s) => {
        const runAs = s.user !== undefined ? userOf(s.user, `vrrp_script ${s.name}`, log, opts.userDb) : undefined;
        return {
          name: s.name,
          script: s.script,
          intervalMs: s.intervalMs,
          timeoutMs: s.timeoutMs,
          riseCount: s.riseCount,
          fallCount: s.fallCount,
          initFail: s.initFail,
          env,
          scriptSecurity: specs.enableScriptSecurity,
          ...(runAs !== undefined ? { runAs } : {}),
        };
      }),
      files: specs.files.map((f) => ({ name: f.name, path: f.path, ...(f.initFile !== undefined ? { initFile: f.initFile } : {}) })),
      processes: specs.processes,
      ...(specs.processScanIntervalMs !== undefined ? { processScanIntervalMs: specs.processScanIntervalMs } : {}),
      env,
      ...(defaultRunAs !== undefined ? { defaultRunAs } : {}),
      onSignal: opts.onSignal,
    },
    () => undefined,
    sink,
  );
  return {
    start: () => set.start(),
    close: () => set.stop(),
  };
}

/** The engine's `TrackerChanged` fields for a signal: up/down, and a track_file's value. */
export function engineUpdate(signal: TrackerSignal): { up: boolean; value?: number; cause: string } {
  return signal.kind === 'file' ? { up: true, value: signal.value, cause: signal.cause } : { up: signal.up, cause: signal.cause };
}
