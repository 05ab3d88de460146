/**
 * The tracker board: every tracker's latest signal and every instance's bindings. When a signal
 * changes it returns the statuses that changed, one per watching instance: the `TrackerChanged`
 * events for the engine, each with the tracker and its cause for the log.
 */
import type { TrackerBinding, TrackerSignal, TrackerStatus } from './types.js';
import { evaluateBinding, summarize } from './weight.js';
import type { TrackerSummary } from './weight.js';

export interface InstanceTrackers {
  /** Instance (or sync group) name. */
  readonly owner: string;
  readonly bindings: readonly TrackerBinding[];
}

export interface TrackerChange {
  readonly owner: string;
  readonly status: TrackerStatus;
}

function sameStatus(a: TrackerStatus | undefined, b: TrackerStatus): boolean {
  return a !== undefined && a.ok === b.ok && a.weightDelta === b.weightDelta && a.fault === b.fault;
}

export class TrackerBoard {
  private readonly signals = new Map<string, TrackerSignal>();
  private readonly statuses = new Map<string, Map<string, TrackerStatus>>();
  private readonly watchers = new Map<string, { owner: string; binding: TrackerBinding }[]>();

  /** `initial` gives each tracker's starting signal (e.g. `init_fail` scripts start down). */
  constructor(instances: readonly InstanceTrackers[], initial: ReadonlyMap<string, TrackerSignal>) {
    for (const inst of instances) {
      const own = new Map<string, TrackerStatus>();
      this.statuses.set(inst.owner, own);
      for (const b of inst.bindings) {
        const list = this.watchers.get(b.trackerName) ?? [];
        list.push({ owner: inst.owner, binding: b });
        this.watchers.set(b.trackerName, list);
        const sig = initial.get(b.trackerName);
        if (sig) {
          this.signals.set(b.trackerName, sig);
          own.set(b.trackerName, evaluateBinding(b, sig));
        }
      }
    }
  }

  /** Trackers some instance watches (keepalived runs a script only when someone tracks it). */
  watchedTrackers(): string[] {
    return [...this.watchers.keys()];
  }

  signalChanged(trackerName: string, signal: TrackerSignal): TrackerChange[] {
    this.signals.set(trackerName, signal);
    const out: TrackerChange[] = [];
    for (const w of this.watchers.get(trackerName) ?? []) {
      const status = evaluateBinding(w.binding, signal);
      const own = this.statuses.get(w.owner);
      if (!own) continue;
      const before = own.get(trackerName);
      own.set(trackerName, status);
      if (!sameStatus(before, status)) out.push({ owner: w.owner, status });
    }
    return out;
  }

  statusesOf(owner: string): TrackerStatus[] {
    return [...(this.statuses.get(owner)?.values() ?? [])];
  }

  summaryOf(owner: string): TrackerSummary {
    return summarize(this.statusesOf(owner));
  }
}
