/**
 * All the trackers of one VRRP process, wired to the pure board: runners produce signals, the
 * board turns each into per-instance statuses (weight, reverse, FAULT), and every change goes to
 * `onChange` — the `TrackerChanged` events for the engine — and to the log with the tracker and
 * its cause. keepalived runs a tracker only when some instance or group watches it; so does halo.
 */
import type { LogSink } from '../notify/log.js';
import type { RunAs } from '../notify/script-exec.js';
import { defaultScriptUser } from '../notify/script-exec.js';
import type { LinkPort } from '../net/ports.js';
import type { InstanceTrackers, TrackerChange } from '../vrrp/track/board.js';
import { TrackerBoard } from '../vrrp/track/board.js';
import { initialScriptState, scriptSignal } from '../vrrp/track/script.js';
import type { TrackerSignal } from '../vrrp/track/types.js';
import { trackerId } from '../vrrp/track/types.js';
import { FileTracker } from './file-tracker.js';
import type { FileTrackerOptions } from './file-tracker.js';
import { InterfaceTracker } from './interface-tracker.js';
import { ProcessWatcher } from './process-tracker.js';
import type { ProcessTrackerSpec } from './process-tracker.js';
import { ScriptTracker } from './script-tracker.js';
import type { ScriptTrackerOptions } from './script-tracker.js';

export interface TrackerSetConfig {
  /** Bindings name trackers by trackerId (`script:chk`, `file:prio`, `interface:eth1`): the engine's names. */
  readonly instances: readonly InstanceTrackers[];
  readonly scripts: readonly Omit<ScriptTrackerOptions, 'onSignal' | 'log'>[];
  readonly files: readonly Omit<FileTrackerOptions, 'onSignal' | 'log'>[];
  readonly processes: readonly ProcessTrackerSpec[];
  readonly processScanIntervalMs?: number;
  /** Interfaces are tracked by name: a binding's trackerName is the interface name. */
  readonly links?: LinkPort;
  readonly env: Readonly<Record<string, string>>;
  /**
   * The user of scripts that name none: `script_user`, else keepalived's `keepalived_script` when
   * it exists (resolved here when absent), else halo's own user.
   */
  readonly defaultRunAs?: RunAs;
  /** Every new signal of a tracker, by trackerId (before the per-instance changes): the engine's input. */
  readonly onSignal?: (trackerId: string, signal: TrackerSignal) => void;
}

export class TrackerSet {
  private readonly board: TrackerBoard;
  private readonly scripts: ScriptTracker[] = [];
  private readonly files: FileTracker[] = [];
  private readonly processes: ProcessWatcher | null;
  private readonly interfaces: InterfaceTracker | null;
  private readonly onSignal: TrackerSetConfig['onSignal'];

  constructor(config: TrackerSetConfig, private readonly onChange: (change: TrackerChange) => void, private readonly log: LogSink) {
    const watched = new Set(config.instances.flatMap((i) => i.bindings.map((b) => b.trackerName)));
    const initial = new Map<string, TrackerSignal>();
    const self = process.getuid?.();
    const fallback = config.defaultRunAs ?? defaultScriptUser();
    // Switching users needs root; a non-root halo runs scripts as itself.
    const defaultRunAs = self === 0 && fallback.uid !== 0 ? fallback : undefined;
    for (const s of config.scripts) {
      const id = trackerId('script', s.name);
      if (!watched.has(id)) continue;
      initial.set(id, scriptSignal(initialScriptState(s)));
      const runAs = s.runAs ?? defaultRunAs;
      this.scripts.push(new ScriptTracker({ ...s, ...(runAs ? { runAs } : {}), onSignal: (sig) => this.signal(id, sig), log }));
    }
    for (const f of config.files) {
      const id = trackerId('file', f.name);
      if (!watched.has(id)) continue;
      this.files.push(new FileTracker({ ...f, onSignal: (sig) => this.signal(id, sig), log }));
    }
    const procs = config.processes.filter((p) => watched.has(trackerId('process', p.name)));
    this.processes = procs.length > 0 ? new ProcessWatcher({ trackers: procs, env: config.env, log, onSignal: (n, sig) => this.signal(trackerId('process', n), sig), ...(config.processScanIntervalMs !== undefined ? { intervalMs: config.processScanIntervalMs } : {}) }) : null;
    const prefix = trackerId('interface', '');
    const ifnames = [...new Set(config.instances.flatMap((i) => i.bindings.filter((b) => b.kind === 'interface').map((b) => b.trackerName.slice(prefix.length))))];
    this.interfaces = config.links && ifnames.length > 0 ? new InterfaceTracker(config.links, ifnames, (n, sig) => this.signal(trackerId('interface', n), sig)) : null;
    this.onSignal = config.onSignal;
    this.board = new TrackerBoard(config.instances, initial);
  }

  /** Starts every runner; resolves once files, processes and links have their first reading. */
  async start(): Promise<void> {
    for (const s of this.scripts) s.start();
    await Promise.all([...this.files.map((f) => f.start()), this.processes?.start(), this.interfaces?.start()]);
  }

  stop(): void {
    for (const s of this.scripts) s.stop();
    for (const f of this.files) f.stop();
    this.processes?.stop();
    this.interfaces?.stop();
  }

  summaryOf(owner: string): ReturnType<TrackerBoard['summaryOf']> {
    return this.board.summaryOf(owner);
  }

  statusesOf(owner: string): ReturnType<TrackerBoard['statusesOf']> {
    return this.board.statusesOf(owner);
  }

  private signal(trackerName: string, signal: TrackerSignal): void {
    this.onSignal?.(trackerName, signal);
    for (const change of this.board.signalChanged(trackerName, signal)) {
      const s = change.status;
      const effect = s.fault ? 'FAULT' : `priority ${s.weightDelta >= 0 ? '+' : ''}${s.weightDelta}`;
      this.log({ level: s.fault ? 'warn' : 'info', code: 'HALO_TRK_CHANGED', message: `${change.owner}: tracker ${s.trackerName} ${s.ok ? 'ok' : 'failed'}, ${effect}: ${s.cause}`, fields: { instance: change.owner, tracker: s.trackerName } });
      this.onChange(change);
    }
  }
}
