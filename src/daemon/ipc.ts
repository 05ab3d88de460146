/**
 * Messages between the supervisor (`halo run`) and the VRRP process, over the IPC channel of
 * `child_process.fork`. The supervisor sends the instance configs (config loading stays off the
 * VRRP process); the VRRP process reports every state change before carrying out its effects, so
 * the supervisor always knows which instances may hold VIPs if the process dies.
 * Received messages are checked by shape: a malformed one is ignored, never trusted.
 */
import { NO_TRACKERS, type TrackerSpecs } from './tracker-specs.js';
import type { VrrpInstanceConfig } from '../vrrp/config.js';
import type { VrrpStateName } from '../vrrp/fsm.js';

export interface InstanceReport {
  readonly name: string;
  readonly vrid: number;
  readonly family: 4 | 6;
  readonly ifname: string;
  readonly state: VrrpStateName;
  readonly priority: number;
  readonly cause: string;
  /**
   * Set on the reports of an instance a reload removed (its release and STOP): the supervisor's
   * notifiers report it as keepalived does, DELETED with `notify_deleted`, else FAULT.
   */
  readonly deleted?: boolean;
}

export interface LagReport {
  /** Event-loop delay over the last period (perf_hooks.monitorEventLoopDelay), milliseconds. */
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly periodMs: number;
}

/**
 * Per-instance statistics, keepalived's names: receive counters (src/vrrp/counters.ts), the state
 * machine's send and transition counters, and the runtime's own (`unicastSrcRejected`, `vipsReadded`).
 */
export type InstanceStats = Readonly<Record<string, number>>;

export interface StatsReport {
  readonly instances: Readonly<Record<string, InstanceStats>>;
  /** Adverts for a VRID no instance runs (keepalived counts them per interface). */
  readonly unknownVridRcvd: number;
  /** Packets the socket adapter dropped before decoding, by reason. */
  readonly socketDrops: Readonly<Record<string, number>>;
}

export type ToVrrp =
  | {
      readonly type: 'start';
      readonly instances: readonly VrrpInstanceConfig[];
      readonly logDetail: boolean;
      readonly lagReportMs: number;
      /** `--dont-release-vrrp`: leave VIPs on the interfaces at stop. */
      readonly dontRelease: boolean;
      /** vrrp_script, track_file and vrrp_track_process runners (src/daemon/trackers.ts). */
      readonly trackers: TrackerSpecs;
    }
  /**
   * SIGHUP: the new instance set; matched instances keep their state (src/vrrp/reconfigure.ts).
   * `trackers`: the new tracker runners (unchanged ones keep running); absent: keep them as they are.
   */
  | { readonly type: 'reload'; readonly instances: readonly VrrpInstanceConfig[]; readonly trackers?: TrackerSpecs }
  | { readonly type: 'stop' }
  /** An operator's step-down (control socket): `instance` null means every MASTER instance. */
  | { readonly type: 'step-down'; readonly id: number; readonly instance: string | null; readonly holdMs: number | null };

/** The VRRP process's answer to one `step-down`, matched by `id`. */
export type StepDownReply =
  | { readonly type: 'step-down-result'; readonly id: number; readonly ok: true; readonly instances: readonly string[] }
  | { readonly type: 'step-down-result'; readonly id: number; readonly ok: false; readonly error: string };

/** What the VRRP process did with a `reload` (instance names). */
export interface ReloadReport {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: ReadonlyArray<{ readonly name: string; readonly fields: readonly string[] }>;
  readonly unchanged: readonly string[];
}

export type FromVrrp =
  | { readonly type: 'ready' }
  | { readonly type: 'state'; readonly instance: InstanceReport }
  | { readonly type: 'lag'; readonly lag: LagReport }
  | { readonly type: 'stats'; readonly stats: StatsReport }
  | { readonly type: 'reloaded'; readonly report: ReloadReport }
  | { readonly type: 'stopped' }
  | StepDownReply;

const isObj = (m: unknown): m is Record<string, unknown> => typeof m === 'object' && m !== null;
const STATES: readonly string[] = ['INIT', 'BACKUP', 'MASTER', 'FAULT', 'RELEASING'];

export function parseFromVrrp(m: unknown): FromVrrp | undefined {
  if (!isObj(m)) return undefined;
  switch (m['type']) {
    case 'ready':
    case 'stopped':
      return { type: m['type'] };
    case 'state': {
      const i = m['instance'];
      if (!isObj(i) || typeof i['name'] !== 'string' || typeof i['state'] !== 'string' || !STATES.includes(i['state'])) return undefined;
      return {
        type: 'state',
        instance: {
          name: i['name'],
          vrid: Number(i['vrid']),
          family: i['family'] === 6 ? 6 : 4,
          ifname: String(i['ifname']),
          state: i['state'] as VrrpStateName,
          priority: Number(i['priority']),
          cause: String(i['cause']),
          ...(i['deleted'] === true ? { deleted: true } : {}),
        },
      };
    }
    case 'reloaded': {
      const r = m['report'];
      if (!isObj(r)) return undefined;
      const names = (k: string): string[] => (Array.isArray(r[k]) ? (r[k] as unknown[]).filter((x): x is string => typeof x === 'string') : []);
      const changed = Array.isArray(r['changed'])
        ? (r['changed'] as unknown[]).flatMap((c) => (isObj(c) && typeof c['name'] === 'string' ? [{ name: c['name'], fields: Array.isArray(c['fields']) ? (c['fields'] as unknown[]).map(String) : [] }] : []))
        : [];
      return { type: 'reloaded', report: { added: names('added'), removed: names('removed'), changed, unchanged: names('unchanged') } };
    }
    case 'lag': {
      const l = m['lag'];
      if (!isObj(l)) return undefined;
      const n = (k: string): number => (typeof l[k] === 'number' && Number.isFinite(l[k]) ? l[k] : 0);
      return { type: 'lag', lag: { meanMs: n('meanMs'), p50Ms: n('p50Ms'), p99Ms: n('p99Ms'), maxMs: n('maxMs'), periodMs: n('periodMs') } };
    }
    case 'stats': {
      const st = m['stats'];
      if (!isObj(st) || !isObj(st['instances'])) return undefined;
      const instances: Record<string, InstanceStats> = {};
      for (const [name, counters] of Object.entries(st['instances'])) {
        if (isObj(counters)) instances[name] = numbers(counters);
      }
      return {
        type: 'stats',
        stats: {
          instances,
          unknownVridRcvd: typeof st['unknownVridRcvd'] === 'number' ? st['unknownVridRcvd'] : 0,
          socketDrops: isObj(st['socketDrops']) ? numbers(st['socketDrops']) : {},
        },
      };
    }
    case 'step-down-result': {
      const id = m['id'];
      if (typeof id !== 'number' || !Number.isInteger(id)) return undefined;
      if (m['ok'] === true) {
        const list = m['instances'];
        if (!Array.isArray(list) || !list.every((x): x is string => typeof x === 'string')) return undefined;
        return { type: 'step-down-result', id, ok: true, instances: list };
      }
      return { type: 'step-down-result', id, ok: false, error: typeof m['error'] === 'string' ? m['error'] : 'Step-down failed' };
    }
    default:
      return undefined;
  }
}

function numbers(o: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(o)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  return out;
}

export function parseToVrrp(m: unknown): ToVrrp | undefined {
  if (!isObj(m)) return undefined;
  if (m['type'] === 'stop') return { type: 'stop' };
  if (m['type'] === 'step-down') {
    const id = m['id'];
    const instance = m['instance'];
    const holdMs = m['holdMs'];
    if (typeof id !== 'number' || !Number.isInteger(id)) return undefined;
    if (instance !== null && typeof instance !== 'string') return undefined;
    if (holdMs !== null && (typeof holdMs !== 'number' || !Number.isFinite(holdMs) || holdMs < 0)) return undefined;
    return { type: 'step-down', id, instance, holdMs };
  }
  if (m['type'] === 'reload' && Array.isArray(m['instances'])) {
    const trackers = trackerSpecsOf(m['trackers']);
    return { type: 'reload', instances: m['instances'] as VrrpInstanceConfig[], ...(trackers !== undefined ? { trackers } : {}) };
  }
  if (m['type'] === 'start' && Array.isArray(m['instances'])) {
    return {
      type: 'start',
      instances: m['instances'] as VrrpInstanceConfig[],
      logDetail: m['logDetail'] === true,
      lagReportMs: typeof m['lagReportMs'] === 'number' && m['lagReportMs'] >= 100 ? m['lagReportMs'] : 1000,
      dontRelease: m['dontRelease'] === true,
      // Sent by our own supervisor from trackerSpecsFromModel; absent from an older one: none.
      trackers: trackerSpecsOf(m['trackers']) ?? NO_TRACKERS,
    };
  }
  return undefined;
}

/** Tracker specs as our own supervisor sends them (trackerSpecsFromModel); undefined when absent or malformed. */
function trackerSpecsOf(t: unknown): TrackerSpecs | undefined {
  if (!isObj(t) || !Array.isArray(t['scripts']) || !Array.isArray(t['files']) || !Array.isArray(t['processes'])) return undefined;
  return t as unknown as TrackerSpecs;
}
