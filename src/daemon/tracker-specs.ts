/**
 * What the VRRP process needs to run a config's trackers, as plain data sent over IPC in the
 * supervisor's `start` message. Kept apart from the runners (trackers.ts) so that the supervisor
 * and a VRRP process without trackers do not load them.
 */
import type { KeepalivedModel } from '../config/keepalived/model.js';
import type { ProcessTrackerSpec } from '../track/process-tracker.js';

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

/** True when some tracker runner has work (the VRRP process then loads them). */
export function hasTrackers(specs: TrackerSpecs): boolean {
  return specs.scripts.length + specs.files.length + specs.processes.length > 0;
}
