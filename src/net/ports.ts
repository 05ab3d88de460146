/**
 * Ports: the interfaces through which the VRRP runtime touches the network. The Linux adapters in
 * this folder implement them with real sockets and netlink; test/sim implements them with a
 * simulated segment. Failures are results, never exceptions that could stop the runtime.
 */

import type { ErrorCode } from '../core/errors/index.js';

export type Family = 4 | 6;

/** `code`, when present, is the catalogued code of the failure (the Linux adapters always set it). */
export type PortResult = { ok: true } | { ok: false; error: string; code?: ErrorCode };

/** A VRRP packet as it crossed the wire (IP protocol 112), header facts the checks need. */
export interface VrrpDatagram {
  readonly ifname: string;
  readonly family: Family;
  /** Source and destination IP addresses as text. */
  readonly src: string;
  readonly dst: string;
  /** IPv4 TTL or IPv6 hop limit as received (255 is required in multicast mode). */
  readonly ttl: number;
  /** The VRRP message (no IP header). */
  readonly payload: Uint8Array;
  /** How long before its delivery the kernel received the packet, ms (absent: unknown). */
  readonly ageMs?: number;
}

export interface VrrpSendRequest {
  readonly ifname: string;
  readonly family: Family;
  /** Source address; absent: the interface's primary IPv4 address or IPv6 link-local address. */
  readonly src?: string;
  /** 224.0.0.18 / ff02::12, another multicast group, or a unicast peer. */
  readonly dst: string;
  readonly ttl: number;
  readonly payload: Uint8Array;
}

/** One raw VRRP socket per (interface, family). */
export interface VrrpSocketPort {
  /** Joins the multicast group on the interface and starts delivering packets to `onPacket`. */
  open(ifname: string, family: Family, groups: readonly string[]): Promise<PortResult>;
  send(request: VrrpSendRequest): PortResult;
  onPacket(handler: (datagram: VrrpDatagram) => void): void;
  close(): void;
  /** Packets dropped by the adapter before decoding, by reason (optional: adapters may not count). */
  dropCounts?(): Readonly<Record<string, number>>;
  /**
   * Optional fast path of a clean stop: `requests` are the priority-0 adverts MASTER instance `key`
   * would send if it stopped now (an empty list: it is no longer MASTER). An adapter that can send
   * them the moment a stop signal arrives keeps them; it then does not send the same priority-0
   * advert a second time when the stop path asks, and drops that instance's later adverts.
   */
  armStopAdverts?(key: string, requests: readonly VrrpSendRequest[]): void;
}

/** A VIP in `ip addr` terms, as keepalived's `virtual_ipaddress` entries describe it. */
export interface VipSpec {
  readonly address: string;
  readonly prefixLength: number;
  readonly family: Family;
  readonly ifname: string;
  readonly label?: string;
  readonly scope?: string;
  readonly broadcast?: string;
}

/** An address appeared on or vanished from an interface (whoever did it). */
export interface AddressEvent {
  readonly ifname: string;
  readonly address: string;
  readonly prefixLength: number;
  readonly family: Family;
  readonly present: boolean;
}

export interface AddressPort {
  add(vip: VipSpec): Promise<PortResult>;
  remove(vip: VipSpec): Promise<PortResult>;
  /** Addresses currently on an interface, `address/prefix` form. */
  list(ifname: string): Promise<readonly string[]>;
  /**
   * Optional: calls back when addresses of the named interfaces change, so the runtime can re-add
   * a VIP someone deleted (keepalived does, unless `no_track`). Returns an unsubscribe.
   */
  watch?(ifnames: readonly string[], onChange: (event: AddressEvent) => void): () => void;
  /** Optional: readies what the first `add(vip)` needs without changing anything (see NeighborAnnouncePort.prepare). */
  prepare?(vip: VipSpec): void;
}

/**
 * A keepalived `virtual_routes` or `virtual_rules` entry, as its words in `ip route` / `ip rule`
 * syntax (`to 10.1.0.0/16 via 10.0.0.254 dev eth0 table 100`, `from 10.0.0.5 table 100`).
 */
export interface RouteSpec {
  readonly kind: 'route' | 'rule';
  readonly family: Family;
  readonly args: readonly string[];
}

/** Routes and policy rules held by a MASTER, like its VIPs. Adding twice and removing twice succeed. */
export interface RoutePort {
  add(spec: RouteSpec): Promise<PortResult>;
  remove(spec: RouteSpec): Promise<PortResult>;
}

/** Gratuitous ARP (IPv4) and unsolicited neighbour advertisements (IPv6) after a takeover. */
export interface AnnounceOptions {
  /**
   * IPv6 only: set the Router flag of the neighbour advertisement (RFC 5798 section 6.4.1 sets it
   * for a virtual router). Adapters default to whether the interface forwards IPv6.
   */
  readonly router?: boolean;
}

export interface NeighborAnnouncePort {
  announce(ifname: string, family: Family, address: string, options?: AnnounceOptions): PortResult;
  /**
   * Optional: readies what the first announcement of `address` needs (code compiled, addon
   * loaded) without sending anything, so that a takeover's first announcement is not its slowest.
   */
  prepare?(ifname: string, family: Family, address: string): void;
}

export interface LinkEvent {
  readonly ifname: string;
  readonly up: boolean;
}

export interface LinkPort {
  isUp(ifname: string): Promise<boolean>;
  /** Calls back on every carrier/admin change of the named interfaces; returns an unsubscribe. */
  watch(ifnames: readonly string[], onChange: (event: LinkEvent) => void): () => void;
}

/**
 * What a backup's Master_Down expiry would do on the wire and the interfaces, worked out ahead. A
 * port carries it out VIPs first, then the adverts, then the announcements: an old master that
 * releases its VIPs the moment it hears the new one (halo's make before break) then does not
 * contend with the new master's address add (rtnetlink requests of every namespace share one
 * kernel lock; measured in the failover lab, the add took 0.5-1 ms when it followed the advert,
 * 0.06-0.23 ms before it).
 */
export interface TakeoverPlan {
  /** The takeover's adverts (one per unicast peer, or the multicast one). */
  readonly adverts: readonly VrrpSendRequest[];
  /** The VIPs and excluded VIPs to add, in order. */
  readonly vips: readonly VipSpec[];
  /** The first announcements (gratuitous ARP / unsolicited NA). */
  readonly announce: ReadonlyArray<{ readonly ifname: string; readonly family: Family; readonly address: string }>;
}

/** A takeover the adapter carried out: ms from the deadline to its start, from its start to the end of each part. */
export interface TakeoverReport {
  readonly lateMs: number;
  readonly advertMs: number;
  readonly vipsMs: number;
  readonly announceMs: number;
  /** What failed, by the part and the index of its entry in the plan, with the reason. */
  readonly errors: ReadonlyArray<{ readonly part: 'advert' | 'vip' | 'announce'; readonly index: number; readonly error: string }>;
}

/**
 * Optional: carries out a planned takeover at its deadline without waiting for the runtime (the
 * Linux adapter: a native thread, native/takeover.c). The runtime claims an armed takeover before
 * its instance handles any event, so an event that comes first always wins.
 */
export interface TakeoverPort {
  /** Arms instance `key`'s takeover `inMs` from now; without a plan, the last plan armed for it. False: not armed (the runtime acts itself). */
  arm(key: string, inMs: number, plan?: TakeoverPlan): boolean;
  /** Disarms it (`forget`: the instance is gone); the report when it had already been carried out. */
  claim(key: string, forget?: boolean): TakeoverReport | undefined;
  /** Optional: calls back, on the runtime's thread, soon after the takeover of `key` was carried out. */
  onCarriedOut?(handler: (key: string) => void): void;
}
