/**
 * keepalived model → the VRRP engine's instance configs (src/vrrp/config.ts). Pure: the one thing
 * it cannot know from the file, an interface's primary address, comes in through `primaryAddress`
 * (the shell reads it from the system). Problems are diagnostics; an instance that cannot run is
 * left out and named in an error, so `halo run` refuses to start rather than run half a config.
 *
 * What keepalived does that the mapping follows:
 *  - `interface` falls back to `global_defs { default_interface }`.
 *  - the source address is `unicast_src_ip`, else `mcast_src_ip`, else the interface's primary
 *    address (IPv4) or link-local address (IPv6).
 *  - trackers are named `KIND:NAME` (`interface:eth1`, `script:chk`, `file:f`, `process:p`), the
 *    one naming the engine, the VRRP process's runners and the logs share (trackerId), with the
 *    weight written at the reference, else the tracked object's own weight, and `reverse`.
 *  - VIPs without `dev` live on the instance's interface; VIPs of the other family than the
 *    instance go in no advert (keepalived lists only the instance's family there).
 */
import type { Diagnostic } from '../../core/diagnostic.js';
import type { GarpConfig, RouteConfig, TrackerConfig, VipConfig, VrrpInstanceConfig } from '../../vrrp/config.js';
import { DEFAULT_DOWN_TIMER_ADVERTS } from '../../vrrp/timers.js';
import { instanceBindings } from '../../vrrp/track/bindings.js';
import { trackerId } from '../../vrrp/track/types.js';
import type { KeepalivedModel, RouteEntry, VipEntry, VrrpInstance } from './model.js';

export interface ToEngineOptions {
  /**
   * The interface's primary IPv4 address or IPv6 link-local address, skipping `exclude` (the
   * config's own VIPs: a VIP left by a crashed run must never become the source address).
   */
  readonly primaryAddress: (ifname: string, family: 4 | 6, exclude: ReadonlySet<string>) => string | undefined;
}

export interface SyncGroupConfig {
  readonly name: string;
  readonly members: readonly string[];
}

export interface EngineConfig {
  readonly instances: readonly VrrpInstanceConfig[];
  readonly syncGroups: readonly SyncGroupConfig[];
  readonly diagnostics: readonly Diagnostic[];
}

const fam = (f: 'inet' | 'inet6'): 4 | 6 => (f === 'inet6' ? 6 : 4);

export function vipConfig(v: VipEntry, ifname: string): VipConfig {
  return {
    address: v.address,
    prefixLength: v.prefixLength,
    family: fam(v.family),
    ifname: v.dev ?? ifname,
    ...(v.label !== undefined ? { label: v.label } : {}),
    ...(v.scope !== undefined ? { scope: v.scope } : {}),
    ...(v.brd !== undefined ? { broadcast: v.brd } : {}),
    ...(v.noTrack ? { noTrack: true } : {}),
  };
}

function routeConfig(kind: 'route' | 'rule', r: RouteEntry): RouteConfig {
  return { kind, family: fam(r.family), args: [...r.words], ...(r.noTrack ? { noTrack: true } : {}) };
}

/** Every VIP (and excluded VIP) the config's instances may hold, by interface: what a crashed run can leave. */
export function configuredVips(model: KeepalivedModel): VipConfig[] {
  const out: VipConfig[] = [];
  for (const inst of model.vrrpInstances) {
    const ifname = inst.interface ?? model.globalDefs.defaultInterface;
    if (ifname === undefined) continue;
    for (const v of [...inst.virtualIpaddress, ...inst.virtualIpaddressExcluded]) out.push(vipConfig(v, ifname));
  }
  return out;
}

type TrackLists = Pick<VrrpInstance, 'trackInterface' | 'trackScript' | 'trackFile' | 'trackProcess' | 'trackBfd'>;

/**
 * The instance's own trackers, then those of its sync group (keepalived applies a group's to every
 * member), each named `KIND:NAME` (trackerId) with its effective weight and `reverse` as the
 * tracker rules compute them (src/vrrp/track/bindings.ts: the reference's weight, else the tracked
 * object's, clamped to the kind's limits; members of a sync group without
 * `sync_group_tracking_weight` get weight 0, so a failing tracker takes the whole group to FAULT).
 */
function trackers(model: KeepalivedModel, inst: VrrpInstance, group: (TrackLists & { syncGroupTrackingWeight: boolean }) | undefined, diags: Diagnostic[]): TrackerConfig[] {
  const lists: TrackLists[] = group === undefined ? [inst] : [inst, group];
  const catalog = {
    scripts: new Map(model.vrrpScripts.map((x) => [x.name, x])),
    files: new Map(model.trackFiles.map((x) => [x.name, x])),
    processes: new Map(model.trackProcesses.map((x) => [x.name, x])),
  };
  const opts = { forceWeightZero: group !== undefined && !group.syncGroupTrackingWeight };
  const out: TrackerConfig[] = [];
  const seen = new Set<string>();
  for (const l of lists) {
    for (const b of instanceBindings(l, catalog, opts)) {
      const name = trackerId(b.kind, b.trackerName);
      if (seen.has(name)) continue;
      seen.add(name);
      const initFail = b.kind === 'script' && (catalog.scripts.get(b.trackerName)?.initFail ?? false);
      out.push({ name, kind: b.kind, weight: b.weight, ...(b.reverse ? { reverse: true } : {}), initiallyUp: !initFail });
    }
    for (const t of l.trackBfd) {
      const name = trackerId('bfd', t.name);
      if (seen.has(name)) continue;
      seen.add(name);
      diags.push({ severity: 'warning', code: 'HALO_DMN_CONFIG_UNSUPPORTED', message: `Instance ${inst.name}: halo run does not watch ${name}: it counts as up`, pos: t.pos });
      out.push({ name, weight: t.weight ?? 0, initiallyUp: true });
    }
  }
  return out;
}

function garpConfig(model: KeepalivedModel, inst: VrrpInstance): GarpConfig {
  const g = model.globalDefs;
  const group = model.garpGroups.find((gg) => gg.interface === inst.interface || (inst.interface !== undefined && gg.interfaces.includes(inst.interface)));
  return {
    masterRepeat: inst.garpMasterRepeat,
    masterDelayMs: inst.garpMasterDelayMs,
    masterRefreshMs: inst.garpMasterRefreshMs,
    masterRefreshRepeat: inst.garpMasterRefreshRepeat,
    intervalMs4: Math.round((group?.garpIntervalUs ?? g.vrrpGarpIntervalUs) / 1000),
    intervalMs6: Math.round((group?.gnaIntervalUs ?? g.vrrpGnaIntervalUs) / 1000),
    lowerPrioRepeat: inst.garpLowerPrioRepeat ?? g.vrrpGarpLowerPrioRepeat ?? 0,
    lowerPrioDelayMs: inst.garpLowerPrioDelayMs ?? g.vrrpGarpLowerPrioDelayMs ?? 0,
  };
}

/**
 * Settings `halo run` reads but does not act on yet, each a warning at its keyword so an operator
 * sees the difference from keepalived before relying on it.
 */
const NOT_ACTED_ON: ReadonlyArray<{ keywords: readonly string[]; what: string }> = [
  { keywords: ['use_vmac', 'vmac_xmit_base'], what: 'halo does not create a VRRP MAC interface: the VIPs live on the interface itself' },
  { keywords: ['notify_master_rx_lower_pri'], what: 'halo run does not run this notify script: the event is logged' },
  { keywords: ['garp_lower_prio_repeat', 'garp_lower_prio_delay'], what: 'halo sends no announcements on hearing a lower priority' },
  { keywords: ['unicast_fault_no_peer'], what: 'an instance without peers is not put in FAULT' },
];

function unsupported(inst: VrrpInstance, diags: Diagnostic[]): void {
  for (const rule of NOT_ACTED_ON) {
    for (const kw of rule.keywords) {
      const pos = inst.keywordPos[kw];
      if (pos === undefined) continue;
      diags.push({ severity: 'warning', code: 'HALO_DMN_CONFIG_UNSUPPORTED', message: `Instance ${inst.name}: \`${kw}\` is read but not acted on: ${rule.what}`, pos });
      break;
    }
  }
}

export function toEngineConfig(model: KeepalivedModel, options: ToEngineOptions): EngineConfig {
  const diags: Diagnostic[] = [];
  const instances: VrrpInstanceConfig[] = [];
  const g = model.globalDefs;
  const vipAddresses = new Set(configuredVips(model).map((v) => v.address));
  const groupOf = new Map<string, string>();
  for (const sg of model.vrrpSyncGroups) for (const m of sg.group) groupOf.set(m.name, sg.name);
  for (const inst of model.vrrpInstances) {
    const refuse = (message: string): void => {
      diags.push({ severity: 'error', code: 'HALO_DMN_INSTANCE_UNUSABLE', message: `Instance ${inst.name} cannot run: ${message}`, pos: inst.pos });
    };
    const ifname = inst.interface ?? g.defaultInterface;
    if (ifname === undefined) {
      refuse('it has no interface and global_defs has no default_interface');
      continue;
    }
    if (inst.virtualRouterId === undefined) {
      refuse('it has no virtual_router_id');
      continue;
    }
    const family = fam(inst.family);
    if (inst.auth?.type === 'AH') {
      refuse('auth_type AH is not supported (RFC 3768 removed it; use PASS or none)');
      continue;
    }
    const primaryAddress = inst.unicastSrcIp ?? inst.mcastSrcIp ?? options.primaryAddress(ifname, family, vipAddresses);
    if (primaryAddress === undefined) {
      refuse(`interface ${ifname} has no ${family === 4 ? 'IPv4' : 'IPv6 link-local'} address to send from (set mcast_src_ip or unicast_src_ip)`);
      continue;
    }
    unsupported(inst, diags);
    const mcastGroup = inst.mcastDstIp ?? (family === 4 ? g.vrrpMcastGroup4 : g.vrrpMcastGroup6);
    const syncGroup = groupOf.get(inst.name);
    const lowerPrioNoAdvert = inst.lowerPrioNoAdvert ?? g.vrrpLowerPrioNoAdvert ?? false;
    instances.push({
      name: inst.name,
      vrid: inst.virtualRouterId,
      family,
      version: inst.version,
      ifname,
      basePriority: inst.priority,
      advertIntervalCs: inst.advertIntervalCs,
      preempt: !inst.nopreempt,
      preemptDelayMs: inst.nopreempt ? 0 : inst.preemptDelayMs,
      initialState: inst.state,
      primaryAddress,
      vips: inst.virtualIpaddress.map((v) => vipConfig(v, ifname)),
      lowerPrioNoAdvert,
      downTimerAdverts: inst.downTimerAdverts > 0 ? inst.downTimerAdverts : DEFAULT_DOWN_TIMER_ADVERTS,
      startupDelayMs: g.vrrpStartupDelayMs,
      trackers: trackers(model, inst, model.vrrpSyncGroups.find((sg) => sg.name === syncGroup), diags),
      unicastPeers: inst.unicastPeer.map((p) => p.address),
      ...(syncGroup !== undefined ? { syncGroup } : {}),
      ...(inst.version === 2 && inst.auth?.type === 'PASS' && inst.auth.pass !== undefined ? { authPass: inst.auth.pass } : {}),
      excludedVips: inst.virtualIpaddressExcluded.map((v) => vipConfig(v, ifname)),
      routes: [...inst.virtualRoutes.map((r) => routeConfig('route', r)), ...inst.virtualRules.map((r) => routeConfig('rule', r))],
      mcastGroup,
      unicastTtl: inst.unicastTtl ?? 255,
      checkUnicastSrc: inst.checkUnicastSrc,
      // Only VRRPv3 over IPv4 has a pseudo-header to leave out (v2 never sums one, IPv6 always does).
      ...(inst.v3ChecksumAsV2 && inst.version === 3 && family === 4 ? { v3ChecksumAsV2: true } : {}),
      garp: garpConfig(model, inst),
    });
  }
  const syncGroups = model.vrrpSyncGroups.map((sg) => ({ name: sg.name, members: sg.group.map((m) => m.name) }));
  return { instances, syncGroups, diagnostics: diags };
}
