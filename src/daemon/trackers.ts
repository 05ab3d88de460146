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
 * The supervisor sends `TrackerSpecs` (plain data, from `trackerSpecsFromModel`) to the VRRP
 * process in its `start` message; the tracker names everywhere are trackerId's `KIND:NAME`.
 */
import type { KeepalivedModel } from '../config/keepalived/model.js';
import type { VrrpInstanceConfig } from '../vrrp/config.js';
import type { TrackerKind, TrackerSignal } from '../vrrp/track/types.js';
import type { InstanceTrackers } from '../vrrp/track/board.js';
import type { LogEvent } from '../notify/log.js';
import type { RunAs } from '../notify/script-exec.js';
import { lookupUser } from '../notify/script-exec.js';
import { compatEnv } from '../track/compat.js';
import type { ProcessTrackerSpec } from '../track/process-tracker.js';
import { TrackerSet } from '../track/tracker-set.js';
import type { Logger } from './log.js';

export interface ScriptTrackerSpec {
  readonly name: string;
  readonly script: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly riseCount: number;
  readonly fallCount: number;
  readonly initFail: boolean;
  readonly user?: { readonly user: string; readonly group?: string };
}

export interface FileTrackerSpec {
  readonly name: string;
  readonly path: string;
  readonly initFile?: { readonly value: number; readonly overwrite: boolean };
}

/** Everything the VRRP process needs to run the trackers: plain data, sent over IPC. */
export interface TrackerSpecs {
  readonly scripts: readonly ScriptTrackerSpec[];
  readonly files: readonly FileTrackerSpec[];
  readonly processes: readonly ProcessTrackerSpec[];
  readonly scriptUser?: { readonly user: string; readonly group?: string };
  readonly enableScriptSecurity: boolean;
  /** `/proc` scan period of `vrrp_track_process`; default 1000 ms. */
  readonly processScanIntervalMs?: number;
}

export const NO_TRACKERS: TrackerSpecs = { scripts: [], files: [], processes: [], enableScriptSecurity: false };

/**
 * keepalived's `vrrp_script`, `track_file` and `vrrp_track_process` declarations as runner specs.
 * Without `timeout` a script may run as long as it takes (the tutorials' scripts sleep 1 to 5 s
 * inside a 1 to 2 s interval before they give up); runs due meanwhile are skipped, never doubled.
 */
export function trackerSpecsFromModel(model: KeepalivedModel): TrackerSpecs {
  const g = model.globalDefs;
  const scripts: ScriptTrackerSpec[] = [];
  for (const s of model.vrrpScripts) {
    if (s.script === undefined) continue;
    const user = s.user ?? (s.script.user !== undefined ? { user: s.script.user, ...(s.script.group !== undefined ? { group: s.script.group } : {}) } : undefined);
    scripts.push({
      name: s.name,
      script: s.script.command,
      intervalMs: Math.max(1, s.intervalMs),
      timeoutMs: s.timeoutMs ?? 0,
      riseCount: s.rise,
      fallCount: s.fall,
      initFail: s.initFail,
      ...(user !== undefined ? { user } : {}),
    });
  }
  const files: FileTrackerSpec[] = [];
  for (const f of model.trackFiles) {
    if (f.file === undefined) continue;
    files.push({ name: f.name, path: f.file, ...(f.initFile !== undefined ? { initFile: f.initFile } : {}) });
  }
  const processes: ProcessTrackerSpec[] = [];
  for (const p of model.trackProcesses) {
    if (p.process === undefined || p.process.length === 0) continue;
    processes.push({
      name: p.name,
      process: p.process,
      ...(p.paramMatch !== undefined ? { paramMatch: p.paramMatch } : {}),
      fullCommand: p.fullCommand,
      quorum: p.quorum,
      ...(p.quorumMax !== undefined ? { quorumMax: p.quorumMax } : {}),
      forkDelayMs: p.forkDelayMs ?? 0,
      terminateDelayMs: p.terminateDelayMs ?? 0,
    });
  }
  return { scripts, files, processes, enableScriptSecurity: g.enableScriptSecurity, ...(g.scriptUser !== undefined ? { scriptUser: g.scriptUser } : {}) };
}

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
