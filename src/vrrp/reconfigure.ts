/**
 * What a configuration reload means for the VRRP instances of one director, as pure functions.
 *
 * keepalived on SIGHUP matches the instances of the new config with the running ones and keeps
 * the state of those it finds, so a reload is not an election. halo matches by VRID + address
 * family + interface (the three things that name a virtual router on the wire, RFC 5798 §5.2.3);
 * the instance name may change. A matched instance keeps its state, timers and counters; its
 * settings change in place; its VIPs, excluded VIPs and routes change BY DIFFERENCE (only what
 * was added or removed is touched, and only while it holds them as MASTER). Instances that are
 * new start as at boot; instances that are gone are shut down (priority 0 if MASTER) by the
 * runtime, which tells the notifiers they were deleted.
 */
import type { RouteConfig, VipConfig, VrrpInstanceConfig } from './config.js';
import { conditionsChanged, type VrrpEffect, type VrrpInstanceState } from './fsm.js';

/** How a virtual router is named on the wire: interface, family, VRID. */
export function instanceKey(c: Pick<VrrpInstanceConfig, 'ifname' | 'family' | 'vrid'>): string {
  return `${c.ifname}/IPv${c.family}/${c.vrid}`;
}

export interface KeptInstance {
  readonly before: VrrpInstanceConfig;
  readonly after: VrrpInstanceConfig;
  /** Names of the config fields that differ (empty: the instance is unchanged). */
  readonly changes: readonly string[];
}

export interface ReloadPlan {
  readonly kept: readonly KeptInstance[];
  readonly added: readonly VrrpInstanceConfig[];
  readonly removed: readonly VrrpInstanceConfig[];
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The fields of `after` that differ from `before`, in a stable order. */
export function changedFields(before: VrrpInstanceConfig, after: VrrpInstanceConfig): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const b = before as unknown as Record<string, unknown>;
  const a = after as unknown as Record<string, unknown>;
  return keys.filter((k) => !same(b[k], a[k]));
}

/**
 * Matches the running instances with the new ones. When two new instances claim one key (the
 * config loader refuses that), the first one is matched and the second one is new.
 */
export function planReload(before: readonly VrrpInstanceConfig[], after: readonly VrrpInstanceConfig[]): ReloadPlan {
  const old = new Map<string, VrrpInstanceConfig>();
  for (const c of before) if (!old.has(instanceKey(c))) old.set(instanceKey(c), c);
  const kept: KeptInstance[] = [];
  const added: VrrpInstanceConfig[] = [];
  const matched = new Set<VrrpInstanceConfig>();
  for (const c of after) {
    const prev = old.get(instanceKey(c));
    if (prev === undefined || matched.has(prev)) {
      added.push(c);
      continue;
    }
    matched.add(prev);
    kept.push({ before: prev, after: c, changes: changedFields(prev, c) });
  }
  const removed = before.filter((c) => !matched.has(c));
  return { kept, added, removed };
}

export interface AddressDiff {
  readonly vipsAdded: readonly VipConfig[];
  readonly vipsRemoved: readonly VipConfig[];
  readonly excludedAdded: readonly VipConfig[];
  readonly excludedRemoved: readonly VipConfig[];
  readonly routesAdded: readonly RouteConfig[];
  readonly routesRemoved: readonly RouteConfig[];
}

export const NO_ADDRESS_CHANGES: AddressDiff = { vipsAdded: [], vipsRemoved: [], excludedAdded: [], excludedRemoved: [], routesAdded: [], routesRemoved: [] };

/**
 * A VIP is the same VIP when the kernel would see the same address: `no_track` is halo's own
 * bookkeeping, so changing it alone touches nothing on the interface.
 */
function vipIdentity(v: VipConfig): string {
  const { noTrack: _ignored, ...kernel } = v;
  return JSON.stringify(Object.fromEntries(Object.entries(kernel).sort(([x], [y]) => x.localeCompare(y))));
}

function routeIdentity(r: RouteConfig): string {
  return JSON.stringify([r.kind, r.family, r.args]);
}

function diffBy<T>(before: readonly T[], after: readonly T[], id: (x: T) => string): { added: T[]; removed: T[] } {
  const b = new Set(before.map(id));
  const a = new Set(after.map(id));
  return { added: after.filter((x) => !b.has(id(x))), removed: before.filter((x) => !a.has(id(x))) };
}

export function addressDiff(before: VrrpInstanceConfig, after: VrrpInstanceConfig): AddressDiff {
  const vips = diffBy(before.vips, after.vips, vipIdentity);
  const excluded = diffBy(before.excludedVips ?? [], after.excludedVips ?? [], vipIdentity);
  const routes = diffBy(before.routes ?? [], after.routes ?? [], routeIdentity);
  return {
    vipsAdded: vips.added,
    vipsRemoved: vips.removed,
    excludedAdded: excluded.added,
    excludedRemoved: excluded.removed,
    routesAdded: routes.added,
    routesRemoved: routes.removed,
  };
}

export function isEmptyDiff(d: AddressDiff): boolean {
  return Object.values(d).every((list: readonly unknown[]) => list.length === 0);
}

export interface ReconfigureResult {
  readonly state: VrrpInstanceState;
  /**
   * Addresses to change on the interfaces, before `effects` are carried out: removals first,
   * then additions. Empty unless the instance was MASTER (a BACKUP holds nothing to change).
   */
  readonly addresses: AddressDiff;
  /** Announcements (gratuitous ARP / unsolicited NA) for the VIPs a MASTER just added. */
  readonly announce: readonly VipConfig[];
  /** Engine effects of the new settings (a new priority advertised, FAULT in or out). */
  readonly effects: readonly VrrpEffect[];
}

/**
 * The new config of a matched instance applied to its running state. Kept: the state name,
 * timers (a MASTER's advert timer and a BACKUP's master down timer run on; the next one uses the
 * new advert_int), counters, the last master heard, and the state of trackers that stay. New
 * trackers start at their initial value (`init_fail`); the effective priority and FAULT are then
 * worked out as after a tracker change.
 */
export function reconfigure(before: VrrpInstanceConfig, after: VrrpInstanceConfig, state: VrrpInstanceState, nowMs: number): ReconfigureResult {
  const trackersUp: Record<string, boolean> = {};
  for (const t of after.trackers) trackersUp[t.name] = state.trackersUp[t.name] ?? t.initiallyUp;
  // RFC 5798 §6.1: a v3 backup keeps the interval it learned from the master's adverts; otherwise
  // the interval is our own configured one.
  const learned = after.version === 3 && before.version === 3 && state.state === 'BACKUP';
  const base: VrrpInstanceState = {
    ...state,
    trackersUp,
    masterAdverIntervalCs: learned ? state.masterAdverIntervalCs : after.advertIntervalCs,
  };
  const holding = state.state === 'MASTER';
  const addresses = holding ? addressDiff(before, after) : NO_ADDRESS_CHANGES;
  const r = conditionsChanged(after, base, 'Configuration reloaded', nowMs);
  return { state: r.state, addresses, announce: addresses.vipsAdded, effects: r.effects };
}
