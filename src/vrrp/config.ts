/**
 * The VRRP engine's own configuration of one instance. This is not keepalived's model: the
 * config layer reads `vrrp_instance` blocks and maps them to this shape, with keepalived's
 * defaults already applied, so the state machine never has to guess.
 */
import type { TrackerKind } from './track/types.js';
import type { VrrpVersion } from './timers.js';
import { DEFAULT_DOWN_TIMER_ADVERTS, PRIORITY_OWNER } from './timers.js';

export type AddressFamily = 4 | 6;

/** A VIP as `virtual_ipaddress` describes it (same shape as the net layer's VipSpec). */
export interface VipConfig {
  readonly address: string;
  readonly prefixLength: number;
  readonly family: AddressFamily;
  readonly ifname: string;
  readonly label?: string;
  readonly scope?: string;
  readonly broadcast?: string;
  /** keepalived `no_track`: not re-added when someone else deletes it while MASTER. */
  readonly noTrack?: boolean;
}

/** A `virtual_routes` / `virtual_rules` entry, as its `ip route` / `ip rule` words. */
export interface RouteConfig {
  readonly kind: 'route' | 'rule';
  readonly family: AddressFamily;
  readonly args: readonly string[];
  readonly noTrack?: boolean;
}

/**
 * Gratuitous ARP / unsolicited NA repeats (keepalived `garp_master_*`, `vrrp_garp_interval`,
 * `vrrp_gna_interval`, `garp_lower_prio_*`). Absent: one announcement per VIP on takeover.
 */
export interface GarpConfig {
  /** `garp_master_repeat`: announcements per VIP in each burst (keepalived default 5). */
  readonly masterRepeat: number;
  /** `garp_master_delay`: a second burst this long after becoming MASTER; 0 for none. */
  readonly masterDelayMs: number;
  /** `garp_master_refresh`: a burst every this long while MASTER; 0 for none. */
  readonly masterRefreshMs: number;
  /** `garp_master_refresh_repeat`: announcements per VIP in each refresh burst. */
  readonly masterRefreshRepeat: number;
  /** `vrrp_garp_interval` / `vrrp_gna_interval`: spacing of announcements inside one burst. */
  readonly intervalMs4: number;
  readonly intervalMs6: number;
  /** `garp_lower_prio_repeat`: a burst when a MASTER hears a lower-priority advert; 0 for none. */
  readonly lowerPrioRepeat: number;
  /** `garp_lower_prio_delay`: delay before that burst. */
  readonly lowerPrioDelayMs: number;
}

/**
 * Something whose state moves the priority: `track_script`, `track_interface`, `track_file`, ...
 * keepalived's rule: a positive weight is added while the tracker is up, a negative weight is
 * added while it is down, and weight 0 means "down puts the instance in FAULT".
 */
export interface TrackerConfig {
  /** `KIND:NAME` (trackerId in src/vrrp/track/types.ts): `script:chk_nginx`, `interface:eth1`. */
  readonly name: string;
  /** Absent: a boolean tracker. `file`: the delta is the value read × weight (keepalived track_file). */
  readonly kind?: TrackerKind;
  /** keepalived `reverse`: the adjustment goes the other way (weight 0: up means FAULT). */
  readonly reverse?: boolean;
  readonly weight: number;
  /** keepalived `init_fail`: the tracker starts down until its first success. */
  readonly initiallyUp: boolean;
}

export interface VrrpInstanceConfig {
  readonly name: string;
  readonly vrid: number;
  readonly family: AddressFamily;
  readonly version: VrrpVersion;
  readonly ifname: string;
  /** `priority`; 255 makes the instance the address owner. */
  readonly basePriority: number;
  readonly advertIntervalCs: number;
  /** Default true; keepalived `nopreempt` sets false. */
  readonly preempt: boolean;
  /** keepalived `preempt_delay`, 0 for none. */
  readonly preemptDelayMs: number;
  /** keepalived `state`: only an owner (255) that wishes MASTER starts as master at once. */
  readonly initialState: 'MASTER' | 'BACKUP';
  /** The address this director sends from and is compared by on equal priority. */
  readonly primaryAddress: string;
  readonly vips: readonly VipConfig[];
  /** keepalived `lower_prio_no_advert`: do not answer a lower-priority advert. */
  readonly lowerPrioNoAdvert: boolean;
  /** keepalived `down_timer_adverts`, 3 by default (the RFC's factor). */
  readonly downTimerAdverts: number;
  /** keepalived `vrrp_startup_delay`: wait this long after start before running the protocol. */
  readonly startupDelayMs: number;
  readonly trackers: readonly TrackerConfig[];
  /** `unicast_peer`; empty means multicast. */
  readonly unicastPeers: readonly string[];
  /** `vrrp_sync_group` this instance belongs to, if any. */
  readonly syncGroup?: string;
  /** v2 `authentication { auth_type PASS auth_pass ... }`; absent means no authentication. */
  readonly authPass?: string;
  /** keepalived `v3_checksum_as_v2`: VRRPv3 IPv4 checksum without the pseudo-header. */
  readonly v3ChecksumAsV2?: boolean;
  /** `virtual_ipaddress_excluded`: held by the MASTER like VIPs, never listed in adverts. */
  readonly excludedVips?: readonly VipConfig[];
  /** `virtual_routes` and `virtual_rules`: held by the MASTER like VIPs. */
  readonly routes?: readonly RouteConfig[];
  /** `vrrp_mcast_group4/6` or `mcast_dst_ip`; absent: 224.0.0.18 / ff02::12. */
  readonly mcastGroup?: string;
  /** `unicast_ttl`: TTL / hop limit of unicast adverts (keepalived default 255). */
  readonly unicastTtl?: number;
  /** `check_unicast_src`: drop unicast adverts whose source is not a `unicast_peer`. */
  readonly checkUnicastSrc?: boolean;
  readonly garp?: GarpConfig;
}

export function isOwner(config: VrrpInstanceConfig): boolean {
  return config.basePriority === PRIORITY_OWNER;
}

/** keepalived's defaults for the fields a test or a mapping does not care about. */
export function instanceConfig(
  required: Pick<VrrpInstanceConfig, 'name' | 'vrid' | 'ifname' | 'basePriority' | 'primaryAddress'> & Partial<VrrpInstanceConfig>,
): VrrpInstanceConfig {
  return {
    family: 4,
    version: 2,
    advertIntervalCs: 100,
    preempt: true,
    preemptDelayMs: 0,
    initialState: 'BACKUP',
    vips: [],
    lowerPrioNoAdvert: false,
    downTimerAdverts: DEFAULT_DOWN_TIMER_ADVERTS,
    startupDelayMs: 0,
    trackers: [],
    unicastPeers: [],
    ...required,
  };
}
