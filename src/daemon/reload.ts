/**
 * Reload of a running director (SIGHUP, and anyone else through `Reloader.reload()`, e.g. a
 * control-socket request): the files are read again with the loader `halo run` starts with; a
 * configuration with errors changes nothing (its diagnostics are logged by the loader, then one
 * HALO_DMN_RELOAD_REFUSED line). A good one goes to each part of the director:
 *
 *  - the VRRP process: matched instances keep their state (src/vrrp/reconfigure.ts), added ones
 *    start, removed ones are released;
 *  - the checker process: untouched when the check set is the same (every server keeps its
 *    state), started again on the new file when it changed;
 *  - the proxy plane: the new services and pools applied in place by every worker (listeners
 *    that stay are never closed: no connection is dropped or refused);
 *  - the trackers (in the VRRP process): runners whose spec is unchanged go on, removed ones
 *    stop, new ones start;
 *  - the notifiers (in the supervisor): a new set from the new model, which carries on from the
 *    last state of each instance, so a reload notifies no transition that did not happen.
 *
 * One summary line says what was added, changed and removed. Reloads run one at a time; a
 * request during a reload runs once more after it (several requests meanwhile fold into one),
 * as keepalived folds SIGHUPs that arrive during a reload.
 */
import type { KeepalivedModel } from '../config/keepalived/model.js';
import type { PoolSpec, ServiceSpec } from '../proxy/types.js';
import type { ProxyConfig } from '../proxy/workers.js';
import type { VrrpInstanceConfig } from '../vrrp/config.js';
import { planReload } from '../vrrp/reconfigure.js';
import type { ReloadReport } from './ipc.js';
import { trackerSpecsFromModel, type TrackerSpecs } from './tracker-specs.js';
import type { Logger } from './log.js';
import type { MappedServices } from './services-from-nginx.js';

/** What a reload needs from the loaded files. */
export interface DirectorConfig {
  readonly instances: readonly VrrpInstanceConfig[];
  /** Services and pools of keepalived's virtual_servers and `--nginx`, merged. */
  readonly services: MappedServices;
  /** The checker's plan as stable text (equal text: the same check set); undefined: no virtual_server. */
  readonly checks: string | undefined;
  /** The whole model: trackers and notifiers are built from it. */
  readonly model: KeepalivedModel;
}

/** The loader logs every diagnostic itself (with positions); it says only whether there were errors. */
export type LoadOutcome = { readonly ok: true; readonly config: DirectorConfig } | { readonly ok: false; readonly errors: number };

export interface ReloadTargets {
  /** Reads the files again, as at start. */
  load(): LoadOutcome;
  readonly vrrp: { reloadInstances(instances: readonly VrrpInstanceConfig[], trackers: TrackerSpecs): Promise<ReloadReport | undefined> };
  /**
   * The notifiers of the supervisor: `reload` before the VRRP process gets the new instances (the
   * reports of kept and added instances then go to the new set, a removed instance's to the old
   * one, which knows its notify_deleted), `retire` once it answered (the old set finishes what it
   * queued, bounded, and closes).
   */
  readonly notifiers?: { reload(model: KeepalivedModel): void; retire(): Promise<void> };
  readonly checker: { restartChecker(run: boolean): void };
  /** The proxy plane, when halo started one (it starts with the first services). */
  readonly proxy?: { reload(config: ProxyConfig): Promise<void> };
  /** New services are in force (the CLI maps checker states to the new pools). */
  onServices?(services: MappedServices): void;
  readonly log: Logger;
  /** Names the files in messages. */
  readonly source: string;
}

export interface ReloadResult {
  readonly ok: boolean;
  readonly summary: string;
  /** Set when the files had errors and nothing changed: how many. */
  readonly errors?: number;
}

export interface ReloadStatus {
  readonly reloads: number;
  readonly refused: number;
  readonly last: ReloadResult | null;
}

interface NamedDiff {
  readonly added: string[];
  readonly changed: string[];
  readonly removed: string[];
}

/** Services or pools by name: added, changed (any field), removed. */
export function diffByName<T extends { readonly name: string }>(before: readonly T[], after: readonly T[]): NamedDiff {
  const old = new Map(before.map((x) => [x.name, JSON.stringify(x)]));
  const now = new Set(after.map((x) => x.name));
  return {
    added: after.filter((x) => !old.has(x.name)).map((x) => x.name),
    changed: after.filter((x) => old.has(x.name) && old.get(x.name) !== JSON.stringify(x)).map((x) => x.name),
    removed: before.filter((x) => !now.has(x.name)).map((x) => x.name),
  };
}

function list(d: NamedDiff): string {
  const parts = [...d.added.map((n) => `+${n}`), ...d.changed.map((n) => `~${n}`), ...d.removed.map((n) => `-${n}`)];
  return parts.length === 0 ? 'unchanged' : parts.join(' ');
}

/** The summary line of a reload: `+` added, `~` changed (with the fields), `-` removed. */
export function reloadSummary(before: DirectorConfig, after: DirectorConfig): string {
  const plan = planReload(before.instances, after.instances);
  const vrrp = [...plan.added.map((c) => `+${c.name}`), ...plan.kept.filter((k) => k.changes.length > 0).map((k) => `~${k.after.name}(${k.changes.join(',')})`), ...plan.removed.map((c) => `-${c.name}`)];
  const services = diffByName<ServiceSpec>(before.services.services, after.services.services);
  const pools = diffByName<PoolSpec>(before.services.pools, after.services.pools);
  const checks = before.checks === after.checks ? 'unchanged' : after.checks === undefined ? 'removed' : before.checks === undefined ? 'added' : 'changed';
  const kept = plan.kept.filter((k) => k.changes.length === 0).length;
  return `instances ${vrrp.length === 0 ? 'unchanged' : vrrp.join(' ')} (${kept} kept as they were); services ${list(services)}; pools ${list(pools)}; checks ${checks}`;
}

export class Reloader {
  private current: DirectorConfig;
  private running: Promise<ReloadResult> | undefined;
  private queued: Promise<ReloadResult> | undefined;
  private count = 0;
  private refusedCount = 0;
  private last: ReloadResult | null = null;

  constructor(
    private readonly targets: ReloadTargets,
    initial: DirectorConfig,
  ) {
    this.current = initial;
  }

  /** The configuration in force (the last one loaded without errors). */
  config(): DirectorConfig {
    return this.current;
  }

  status(): ReloadStatus {
    return { reloads: this.count, refused: this.refusedCount, last: this.last };
  }

  /** Reloads now, or once after the reload under way (requests meanwhile share that one). */
  reload(): Promise<ReloadResult> {
    if (this.running === undefined) {
      this.running = this.run().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    this.queued ??= this.running.then(() => {
      this.queued = undefined;
      return this.reload();
    });
    return this.queued;
  }

  private async run(): Promise<ReloadResult> {
    const t = this.targets;
    t.log({ level: 'info', msg: `Reloading ${t.source}` });
    const loaded = t.load();
    if (!loaded.ok) {
      this.refusedCount++;
      const summary = `Configuration ${t.source} has ${loaded.errors} error(s): the running configuration is kept`;
      t.log({ level: 'error', code: 'HALO_DMN_RELOAD_REFUSED', msg: summary });
      this.last = { ok: false, summary, errors: loaded.errors };
      return this.last;
    }
    const before = this.current;
    const after = loaded.config;
    const summary = reloadSummary(before, after);
    this.current = after;
    let ok = true;
    const fail = (part: string, e: unknown): void => {
      ok = false;
      t.log({ level: 'error', code: 'HALO_DMN_RELOAD_FAILED', msg: `${part} did not take the new configuration: ${e instanceof Error ? e.message : String(e)}` });
    };
    // Services first: a VIP added to VRRP below then finds its listener ready (with ip_nonlocal_bind).
    const services = diffByName(before.services.services, after.services.services);
    const pools = diffByName(before.services.pools, after.services.pools);
    const servicesChanged = [services, pools].some((d) => d.added.length + d.changed.length + d.removed.length > 0);
    if (servicesChanged) {
      if (t.proxy !== undefined) {
        try {
          await t.proxy.reload({ services: after.services.services, pools: after.services.pools });
          t.onServices?.(after.services);
        } catch (e) {
          fail('The proxy plane', e);
        }
      } else if (after.services.services.length > 0) {
        fail('The proxy plane', new Error(`it was not started (no service at start): restart halo to serve ${after.services.services.map((s) => s.name).join(', ')}`));
      }
    }
    if (before.checks !== after.checks) t.checker.restartChecker(after.checks !== undefined);
    try {
      t.notifiers?.reload(after.model);
    } catch (e) {
      fail('The notifiers', e);
    }
    try {
      // Trackers go with the instances: unchanged runners keep running (src/daemon/trackers.ts).
      await t.vrrp.reloadInstances(after.instances, trackerSpecsFromModel(after.model));
    } catch (e) {
      fail('The VRRP process', e);
    }
    // Not awaited: a slow notify script of the old set must not hold up the next reload.
    void t.notifiers?.retire();
    this.count++;
    t.log({ level: ok ? 'info' : 'warn', msg: `Reloaded ${t.source}: ${summary}` });
    this.last = { ok, summary };
    return this.last;
  }
}
