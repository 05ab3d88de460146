/**
 * Loads halo's Node-API addon (native/halo_net.c, built by `npm ci`). The addon is loaded on first
 * use, so a machine without it can still run everything that does not touch raw sockets; a missing
 * addon is a result with HALO_NET_NATIVE_MISSING, not an exception at import time.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { fileURLToPath } from 'node:url';

/** An open raw socket; opaque to TypeScript, owned by the addon. */
export type RawHandle = { readonly __brand: 'halo.rawsocket' };

export interface RawSocketInfo {
  readonly fd: number;
  readonly ifindex: number;
  readonly family: 4 | 6;
  /** IPv6 only: IPV6_CHECKSUM as the kernel reports it; -1 means off. */
  readonly checksumOffset?: number;
}

/**
 * Receive callback. `reason` is null for a packet; otherwise the packet was dropped before it
 * reached TypeScript and `reason` names why (truncated, short_ip_header, missing_ancillary, or an
 * errno name for a socket error).
 */
export type RawReceive = (
  reason: string | null,
  payload: Buffer | null,
  src: string,
  dst: string,
  ttl: number,
  ifindex: number,
  /** How long before this call the kernel received the packet (SO_TIMESTAMPNS), ms; -1: unknown. */
  ageMs: number,
) => void;

export interface HaloNetAddon {
  open(family: 4 | 6, protocol: number, ifname: string): RawHandle;
  info(handle: RawHandle): RawSocketInfo;
  membership(handle: RawHandle, group: string, join: boolean): void;
  send(handle: RawHandle, dst: string, src: string | null, ttl: number, payload: Uint8Array): number;
  start(handle: RawHandle, onReceive: RawReceive): void;
  close(handle: RawHandle): void;
  sendGratuitousArp(ifname: string, ipv4: string): number;
  sendUnsolicitedNa(ifname: string, ipv6: string, router: boolean): number;
  hwaddr(ifname: string): string;
  /** Closes the announcement sockets kept open for `ifname`, or for every interface; returns how many. */
  closeAnnounceSockets(ifname?: string): number;
  /** Announcement sockets opened since the addon was loaded, and open now. */
  announceStats(): { opened: number; open: number };
  /** Opens the socket the first announcement on `ifname` would open (throws with the errno name). */
  openAnnounceSocket?(ifname: string, family: 4 | 6): void;
  /** RTM_NEWADDR (CREATE|EXCL) on the kept NETLINK_ROUTE socket (native/netlink.c): 0 or -errno. */
  addressAdd?(ifname: string, family: 4 | 6, address: Uint8Array, prefixLength: number, options?: NetlinkAddressOptions): number;
  /** RTM_DELADDR: 0 or -errno. */
  addressDel?(ifname: string, family: 4 | 6, address: Uint8Array, prefixLength: number): number;
  /** Opens the kept NETLINK_ROUTE socket now: 0 or -errno. */
  netlinkOpen?(): number;
  netlinkStats?(): { requests: number; timeouts: number; open: boolean };
  /**
   * native/stop_adverts.c: installs the SIGTERM/SIGINT handler that sends every armed slot, then
   * chains to the handler installed before (libuv's). Returns how many signals it chains to.
   */
  stopInstall?(): number;
  /** Arms a slot with one finished packet: 0 armed, 1 already sent by the handler, -errno refused. */
  stopArm?(slot: number, fd: number, family: 4 | 6, ifindex: number, dst: string, src: string | null, ttl: number, payload: Uint8Array): number;
  /** Empties a slot: 1 if the handler had sent its packet, else 0. */
  stopDisarm?(slot: number): number;
  /** 0 empty, 1 armed, 2 sent by the handler. */
  stopState?(slot: number): number;
  stopStats?(): { slots: number; signals: number; sent: number; errors: number };
  /**
   * native/takeover.c: arms slot `slot` to carry out `plan` in `inMs` ms on the takeover thread
   * (no plan: the slot's last plan, with this deadline). 0 armed, 1 fired and not yet claimed
   * (nothing changed), or -errno (-ENOENT: no plan).
   */
  takeoverArm?(slot: number, inMs: number, plan?: NativeTakeoverPlan): number;
  /** Disarms the slot (`forget`: drops its plan too); the report when the thread had fired it. */
  takeoverClaim?(slot: number, forget?: boolean): NativeTakeoverReport | null;
  /** Calls `callback` on this thread after the takeover thread carried a slot out. */
  takeoverOnFired?(callback: () => void): void;
  /** The slots carried out and not yet claimed. */
  takeoverFired?(): number[];
  takeoverStats?(): { slots: number; armed: number; fired: number; skipped: number; waited: number; realtime: boolean };
}

/** What `ip addr add` would set beyond the address: IFA_LABEL, ifa_scope, IFA_BROADCAST, ifa_flags. */
/** What the takeover thread sends and adds, as tuples of the addon's other calls' arguments. */
export interface NativeTakeoverPlan {
  readonly adverts: ReadonlyArray<readonly [fd: number, family: 4 | 6, ifindex: number, dst: string, src: string | null, ttl: number, payload: Uint8Array]>;
  readonly addresses: ReadonlyArray<readonly [ifname: string, family: 4 | 6, address: Uint8Array, prefixLength: number, options: NetlinkAddressOptions]>;
  readonly announces: ReadonlyArray<readonly [ifname: string, family: 4 | 6, address: string, router: boolean]>;
}

/** A fired takeover: ms from the deadline to its start, from the start to each step's end; errors as [step 0 advert | 1 address | 2 announce, index, errno]. */
export interface NativeTakeoverReport {
  readonly lateMs: number;
  readonly advertMs: number;
  readonly addressesMs: number;
  readonly announceMs: number;
  readonly errors: ReadonlyArray<readonly [step: 0 | 1 | 2, index: number, errno: number]>;
}

export interface NetlinkAddressOptions {
  readonly label?: string;
  readonly scope?: number;
  readonly broadcast?: Uint8Array;
  readonly flags?: number;
}

/** An error the addon threw: `code` is the errno name (EPERM, ENODEV, ...). */
export function errnoOf(err: unknown): string {
  if (err !== null && typeof err === 'object' && 'code' in err && typeof err.code === 'string') return err.code;
  return 'EUNKNOWN';
}

const ERRNO_NAMES = new Map<number, string>(Object.entries(osConstants.errno).map(([name, n]) => [n, name]));

/** The name of a positive errno number the addon returned (ECONNREFUSED, ...). */
export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export type NativeLoad<T> = { ok: true; addon: T } | { ok: false; error: string };
export type AddonLoad = NativeLoad<HaloNetAddon>;

/** Where `npm ci` puts halo's native modules: native/build/Release, four levels above dist/src/net/linux. */
function nativeModulePath(file: string): string {
  return fileURLToPath(new URL(`../../../../native/build/Release/${file}`, import.meta.url));
}

export function addonPath(): string {
  return nativeModulePath('halo_net.node');
}

const loads = new Map<string, NativeLoad<unknown>>();

/**
 * Loads one of halo's native modules once (native/binding.gyp builds them): a missing or broken
 * module is a result naming `what` and the fix, never an exception at import time.
 */
export function loadNativeModule<T>(file: string, what: string): NativeLoad<T> {
  const cached = loads.get(file);
  if (cached !== undefined) return cached as NativeLoad<T>;
  const path = nativeModulePath(file);
  let r: NativeLoad<T>;
  if (!existsSync(path)) {
    r = { ok: false, error: `Cannot load ${what}: ${path} is missing (run npm ci or node scripts/build-native.mjs)` };
  } else {
    try {
      r = { ok: true, addon: createRequire(import.meta.url)(path) as T };
    } catch (err) {
      r = { ok: false, error: `Cannot load ${what}: ${messageOf(err)}` };
    }
  }
  loads.set(file, r);
  return r;
}

export function loadAddon(): AddonLoad {
  return loadNativeModule<HaloNetAddon>('halo_net.node', 'the native network addon');
}
