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
import { trackerId } from '../vrrp/track/types.js';
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

/** What a tracker reload did, by trackerId (`script:chk`; `process:*` is the /proc scan of all processes). */
export interface TrackersReload {
  readonly kept: readonly string[];
  readonly started: readonly string[];
  readonly stopped: readonly string[];
}

export interface RunningTrackers {
  /** Starts every runner; resolves once files and processes have their first reading. */
  start(): Promise<void>;
  /**
   * A reload: runners whose spec is the same go on (their state, rise/fall counts and timers too:
   * a passing script neither starts over from init_fail nor causes a priority blip), removed ones
   * stop, new ones start (resolves once they have their first reading). Call it after the VRRP
   * runtime took the new instances, so a new tracker's first signal finds the instances that watch it.
   */
  reload(specs: TrackerSpecs, instances: readonly VrrpInstanceConfig[]): Promise<TrackersReload>;
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

interface Group {
  readonly id: string;
  /** The spec as text (equal text: the same runner). */
  readonly key: string;
  readonly config: Omit<ConstructorParameters<typeof TrackerSet>[0], 'instances' | 'env' | 'onSignal'>;
}

/**
 * The runners as groups that start and stop on their own: one per script and per file, and one
 * for all processes (they share one /proc scan). Only trackers some instance watches run.
 */
function groupsOf(specs: TrackerSpecs, instances: readonly VrrpInstanceConfig[], opts: BuildTrackersOptions, env: Readonly<Record<string, string>>): Group[] {
  const log = opts.log;
  const watched = new Set(instanceTrackers(instances).flatMap((i) => i.bindings.map((b) => b.trackerName)));
  const scriptDefaults = { scriptUser: specs.scriptUser ?? null, security: specs.enableScriptSecurity };
  let defaultRunAs: RunAs | undefined | null = null;
  const groups: Group[] = [];
  for (const s of specs.scripts) {
    const id = trackerId('script', s.name);
    if (!watched.has(id)) continue;
    // Looked up once, and only when some watched script needs it (a missing user is logged once).
    if (defaultRunAs === null) defaultRunAs = specs.scriptUser !== undefined ? userOf(specs.scriptUser, 'scripts (script_user)', log, opts.userDb) : undefined;
    const runAs = s.user !== undefined ? userOf(s.user, `vrrp_script ${s.name}`, log, opts.userDb) : undefined;
    groups.push({
      id,
      key: JSON.stringify({ s, scriptDefaults }),
      config: {
        scripts: [
          {
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
          },
        ],
        files: [],
        processes: [],
        ...(defaultRunAs !== undefined ? { defaultRunAs } : {}),
      },
    });
  }
  for (const f of specs.files) {
    const id = trackerId('file', f.name);
    if (!watched.has(id)) continue;
    groups.push({ id, key: JSON.stringify(f), config: { scripts: [], files: [{ name: f.name, path: f.path, ...(f.initFile !== undefined ? { initFile: f.initFile } : {}) }], processes: [] } });
  }
  const processes = specs.processes.filter((p) => watched.has(trackerId('process', p.name)));
  if (processes.length > 0) {
    const scan = specs.processScanIntervalMs !== undefined ? { processScanIntervalMs: specs.processScanIntervalMs } : {};
    groups.push({ id: trackerId('process', '*'), key: JSON.stringify({ processes, scan }), config: { scripts: [], files: [], processes, ...scan } });
  }
  return groups;
}

/** The runners of every tracker some instance watches. Nothing runs before `start()`. */
export function buildTrackers(specs: TrackerSpecs, instances: readonly VrrpInstanceConfig[], opts: BuildTrackersOptions): RunningTrackers {
  const log = opts.log;
  const sink = (e: LogEvent): void => log({ level: e.level, code: e.code, msg: e.message, ...(e.fields !== undefined ? { fields: e.fields } : {}) });
  const env = compatEnv(opts.env, { haloPid: opts.haloPid });
  const running = new Map<string, { key: string; set: TrackerSet }>();
  let closed = false;
  const make = (g: Group, bindings: readonly InstanceTrackers[]): TrackerSet => {
    const set = new TrackerSet({ ...g.config, instances: bindings, env, onSignal: opts.onSignal }, () => undefined, sink);
    running.set(g.id, { key: g.key, set });
    return set;
  };
  let pending = groupsOf(specs, instances, opts, env);
  const firstBindings = instanceTrackers(instances);
  return {
    async start() {
      const sets = pending.map((g) => make(g, firstBindings));
      pending = [];
      await Promise.all(sets.map((set) => set.start()));
    },
    async reload(next, nextInstances) {
      if (closed) return { kept: [], started: [], stopped: [] };
      const groups = groupsOf(next, nextInstances, opts, env);
      const bindings = instanceTrackers(nextInstances);
      const ids = new Set(groups.map((g) => g.id));
      const stopped: string[] = [];
      const kept: string[] = [];
      for (const [id, r] of running) {
        const g = groups.find((x) => x.id === id);
        if (g !== undefined && g.key === r.key) continue;
        r.set.stop();
        running.delete(id);
        if (!ids.has(id)) stopped.push(id);
      }
      const fresh: TrackerSet[] = [];
      const started: string[] = [];
      for (const g of groups) {
        if (running.has(g.id)) {
          kept.push(g.id);
          continue;
        }
        fresh.push(make(g, bindings));
        started.push(g.id);
      }
      pending = [];
      await Promise.all(fresh.map((set) => set.start()));
      return { kept, started, stopped };
    },
    close() {
      closed = true;
      for (const r of running.values()) r.set.stop();
      running.clear();
    },
  };
}

/** The engine's `TrackerChanged` fields for a signal: up/down, and a track_file's value. */
export function engineUpdate(signal: TrackerSignal): { up: boolean; value?: number; cause: string } {
  return signal.kind === 'file' ? { up: true, value: signal.value, cause: signal.cause } : { up: signal.up, cause: signal.cause };
}
