/**
 * VrrpSocketPort on Linux: one raw IP socket (protocol 112) per (interface, family), through the
 * Node-API addon in native/. Each socket is bound to its interface (SO_BINDTODEVICE), so instances
 * on two interfaces never see each other's packets, joins its multicast groups by ifindex, and
 * sends with TTL / hop limit 255 (RFC 5798 section 5.1.1.3; the runtime may ask for another
 * unicast TTL, keepalived's `unicast_ttl`). Received packets arrive with their source, destination
 * and TTL, so the runtime can apply the RFC 5798 section 7.1 checks; anything the adapter drops
 * before decoding is counted by reason.
 */
import { networkInterfaces } from 'node:os';
import type { Family, PortResult, VrrpDatagram, VrrpSendRequest, VrrpSocketPort } from '../ports.js';
import { describeErrno } from './errno-hint.js';
import { errnoOf, loadAddon, type HaloNetAddon, type NativeTakeoverPlan, type RawHandle, type RawSocketInfo } from './native.js';

export const VRRP_PROTOCOL = 112;
export const VRRP_GROUP_V4 = '224.0.0.18';
export const VRRP_GROUP_V6 = 'ff02::12';

/** Receive handlers are few (the runtime's one, a test's); the bound keeps a leak visible. */
const HANDLERS_MAX = 16;

interface OpenSocket {
  readonly handle: RawHandle;
  readonly ifname: string;
  readonly family: Family;
  readonly ifindex: number;
  readonly groups: Set<string>;
}

const keyOf = (ifname: string, family: Family): string => `${ifname}/${family}`;

/** One priority-0 advert kept in a slot of the addon's stop-signal handler (native/stop_adverts.c). */
interface StopEntry {
  readonly slot: number;
  readonly dest: string;
  readonly request: VrrpSendRequest;
}

/** What the stop-signal fast path did (status and tests). */
export interface StopAdvertStats {
  /** Priority-0 adverts armed in the addon now. */
  readonly armed: number;
  /** Priority-0 adverts the stop path did not send again: the signal handler had sent them. */
  readonly sentBySignal: number;
  /** Adverts with an instance's own priority dropped after its priority 0 had left. */
  readonly droppedAfterSignal: number;
  /** Priority-0 adverts that found no free slot (they go the JS way at stop). */
  readonly noSlot: number;
}

export interface LinuxVrrpSocketsOptions {
  /**
   * Keep the priority-0 adverts of MASTER instances ready in the addon and send them from a C
   * handler of SIGTERM/SIGINT (chained to Node's), the moment the signal arrives. Only for the
   * VRRP process: it installs a process-wide signal handler on first use.
   */
  readonly stopAdvertsOnSignal?: boolean;
}

/** The addon's slots are process-wide (a signal handler has no other scope): so is their free list. */
const stopSlots: { installed: boolean; readonly free: number[] } = { installed: false, free: [] };

/** Where an advert goes: interface, family, destination and VRID (payload byte 1). */
const destOf = (ifname: string, family: Family, dst: string, vrid: number | undefined): string => `${ifname}/${family}/${dst}/${vrid ?? -1}`;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameRequest(a: VrrpSendRequest, b: VrrpSendRequest): boolean {
  return a.ifname === b.ifname && a.family === b.family && a.dst === b.dst && a.src === b.src && a.ttl === b.ttl && sameBytes(a.payload, b.payload);
}

/**
 * The source address VRRP uses when the configuration names none: the interface's primary IPv4
 * address (keepalived's default), or its IPv6 link-local address (RFC 5798 section 5.1.2.1).
 * Undefined when the interface has none; the kernel then picks.
 */
export function defaultSource(ifname: string, family: Family): string | undefined {
  const entries = networkInterfaces()[ifname] ?? [];
  if (family === 4) return entries.find((e) => e.family === 'IPv4')?.address;
  return entries.find((e) => e.family === 'IPv6' && e.address.toLowerCase().startsWith('fe80:'))?.address;
}

export class LinuxVrrpSockets implements VrrpSocketPort {
  private readonly sockets = new Map<string, OpenSocket>();
  private readonly handlers: Array<(datagram: VrrpDatagram) => void> = [];
  private readonly drops: Record<string, number> = {};
  private readonly stopFast: boolean;
  private readonly stopByKey = new Map<string, StopEntry[]>();
  private readonly stopByDest = new Map<string, StopEntry>();
  private readonly stopCounts = { sentBySignal: 0, droppedAfterSignal: 0, noSlot: 0 };

  constructor(options: LinuxVrrpSocketsOptions = {}) {
    this.stopFast = options.stopAdvertsOnSignal === true;
  }

  async open(ifname: string, family: Family, groups: readonly string[]): Promise<PortResult> {
    const loaded = loadAddon();
    if (!loaded.ok) return { ok: false, error: loaded.error, code: 'HALO_NET_NATIVE_MISSING' };
    const addon = loaded.addon;
    const key = keyOf(ifname, family);
    let sock = this.sockets.get(key);
    const fresh = sock === undefined;
    if (!sock) {
      let handle: RawHandle;
      try {
        handle = addon.open(family, VRRP_PROTOCOL, ifname);
      } catch (err) {
        const errno = errnoOf(err);
        return {
          ok: false,
          error: `Cannot open VRRP socket on ${ifname}: ${describeErrno(errno)}`,
          code: errno === 'ENODEV' ? 'HALO_NET_INTERFACE_UNKNOWN' : 'HALO_NET_SOCKET_OPEN',
        };
      }
      sock = { handle, ifname, family, ifindex: addon.info(handle).ifindex, groups: new Set() };
    }
    for (const group of groups) {
      if (sock.groups.has(group)) continue;
      try {
        addon.membership(sock.handle, group, true);
        sock.groups.add(group);
      } catch (err) {
        if (fresh) addon.close(sock.handle);
        return { ok: false, error: `Cannot join ${group} on ${ifname}: ${describeErrno(errnoOf(err))}`, code: 'HALO_NET_GROUP_JOIN' };
      }
    }
    if (fresh) {
      const opened = sock;
      try {
        addon.start(opened.handle, (reason, payload, src, dst, ttl, ifindex, ageMs) => this.received(opened, reason, payload, src, dst, ttl, ifindex, ageMs));
      } catch (err) {
        addon.close(opened.handle);
        return { ok: false, error: `Cannot open VRRP socket on ${ifname}: ${describeErrno(errnoOf(err))}`, code: 'HALO_NET_SOCKET_OPEN' };
      }
      this.sockets.set(key, opened);
    }
    return { ok: true };
  }

  send(request: VrrpSendRequest): PortResult {
    const sock = this.sockets.get(keyOf(request.ifname, request.family));
    const loaded = loadAddon();
    if (!sock || !loaded.ok) {
      return { ok: false, error: `Cannot send VRRP packet on ${request.ifname}: no IPv${request.family} VRRP socket is open there`, code: 'HALO_NET_SEND' };
    }
    if (this.stopByDest.size > 0 && this.alreadySaidGoodbye(request)) return { ok: true };
    const src = request.src ?? defaultSource(request.ifname, request.family) ?? null;
    try {
      loaded.addon.send(sock.handle, request.dst, src, request.ttl, request.payload);
      return { ok: true };
    } catch (err) {
      return {
        ok: false,
        error: `Cannot send VRRP packet on ${request.ifname} to ${request.dst}: ${describeErrno(errnoOf(err))}`,
        code: 'HALO_NET_SEND',
      };
    }
  }

  onPacket(handler: (datagram: VrrpDatagram) => void): void {
    if (this.handlers.length >= HANDLERS_MAX) throw new RangeError(`LinuxVrrpSockets: more than ${HANDLERS_MAX} packet handlers`);
    this.handlers.push(handler);
  }

  /**
   * Keeps the priority-0 adverts of MASTER instance `key` armed in the addon's SIGTERM/SIGINT
   * handler (replacing what was armed for it; an empty list disarms). Without the option, the
   * addon, a free slot or an open socket, an advert is simply not armed: the stop path sends it.
   */
  armStopAdverts(key: string, requests: readonly VrrpSendRequest[]): void {
    if (!this.stopFast) return;
    const loaded = loadAddon();
    if (!loaded.ok) return;
    const addon = loaded.addon;
    const { stopArm, stopDisarm, stopInstall, stopStats } = addon;
    if (stopArm === undefined || stopDisarm === undefined || stopInstall === undefined || stopStats === undefined) return;
    const resolved = requests.map((r) => {
      const src = r.src ?? defaultSource(r.ifname, r.family);
      return src === undefined ? { ...r } : { ...r, src };
    });
    const old = this.stopByKey.get(key) ?? [];
    if (old.length === resolved.length && old.every((e, i) => resolved[i] !== undefined && sameRequest(e.request, resolved[i]))) return;
    this.disarmKey(key);
    if (resolved.length === 0) return;
    if (!stopSlots.installed) {
      stopInstall.call(addon);
      stopSlots.installed = true;
      const slots = stopStats.call(addon).slots;
      for (let i = slots - 1; i >= 0; i--) stopSlots.free.push(i);
    }
    const entries: StopEntry[] = [];
    for (const request of resolved) {
      const sock = this.sockets.get(keyOf(request.ifname, request.family));
      const slot = stopSlots.free.pop();
      if (sock === undefined || slot === undefined) {
        if (slot !== undefined) stopSlots.free.push(slot);
        else this.stopCounts.noSlot++;
        continue;
      }
      let armed: number;
      try {
        armed = stopArm.call(addon, slot, addon.info(sock.handle).fd, request.family, sock.ifindex, request.dst, request.src ?? null, request.ttl, request.payload);
      } catch {
        armed = -1;
      }
      if (armed !== 0) {
        stopSlots.free.push(slot);
        continue;
      }
      const entry: StopEntry = { slot, dest: destOf(request.ifname, request.family, request.dst, request.payload[1]), request };
      entries.push(entry);
      this.stopByDest.set(entry.dest, entry);
    }
    if (entries.length > 0) this.stopByKey.set(key, entries);
  }

  /**
   * `request` as the addon's native senders take it (the takeover thread, native/takeover.c): the
   * open socket's descriptor and index, the source resolved now. Undefined without an open socket.
   */
  nativeAdvert(request: VrrpSendRequest): NativeTakeoverPlan['adverts'][number] | undefined {
    const sock = this.sockets.get(keyOf(request.ifname, request.family));
    const loaded = loadAddon();
    if (sock === undefined || !loaded.ok) return undefined;
    const src = request.src ?? defaultSource(request.ifname, request.family) ?? null;
    return [loaded.addon.info(sock.handle).fd, request.family, sock.ifindex, request.dst, src, request.ttl, request.payload];
  }

  stopAdvertStats(): StopAdvertStats {
    return { armed: this.stopByDest.size, ...this.stopCounts };
  }

  /**
   * Whether this advert must not leave because the stop-signal handler already sent this
   * instance's priority 0: the same priority-0 packet again would restart the backups'
   * Skew_Time, and one with the instance's own priority would undo the release. A priority-0
   * advert that finds its slot still armed disarms it first, so it leaves exactly once.
   */
  private alreadySaidGoodbye(request: VrrpSendRequest): boolean {
    const entry = this.stopByDest.get(destOf(request.ifname, request.family, request.dst, request.payload[1]));
    const loaded = loadAddon();
    if (entry === undefined || !loaded.ok || loaded.addon.stopState === undefined || loaded.addon.stopDisarm === undefined) return false;
    const releasing = request.payload[2] === 0;
    let sent = loaded.addon.stopState(entry.slot) === 2;
    if (!sent && releasing) {
      // Claim it: after this the handler cannot send it again.
      sent = loaded.addon.stopDisarm(entry.slot) === 1;
      this.forget(entry);
    }
    if (!sent) return false;
    if (!releasing) {
      this.stopCounts.droppedAfterSignal++;
      return true;
    }
    if (sameBytes(request.payload, entry.request.payload)) {
      // Kept until the runtime disarms the instance (it leaves MASTER in the same turn): until
      // then an advert with its own priority is still dropped.
      this.stopCounts.sentBySignal++;
      return true;
    }
    return false;
  }

  private forget(entry: StopEntry): void {
    if (this.stopByDest.get(entry.dest) !== entry) return;
    const loaded = loadAddon();
    if (loaded.ok) loaded.addon.stopDisarm?.(entry.slot);
    this.stopByDest.delete(entry.dest);
    stopSlots.free.push(entry.slot);
    for (const [key, list] of this.stopByKey) {
      const i = list.indexOf(entry);
      if (i < 0) continue;
      list.splice(i, 1);
      if (list.length === 0) this.stopByKey.delete(key);
      break;
    }
  }

  private disarmKey(key: string): void {
    for (const entry of [...(this.stopByKey.get(key) ?? [])]) this.forget(entry);
    this.stopByKey.delete(key);
  }

  /** Leaves every group and closes every socket; the port can be opened again afterwards. */
  close(): void {
    for (const key of [...this.stopByKey.keys()]) this.disarmKey(key);
    const loaded = loadAddon();
    if (!loaded.ok) return;
    for (const sock of this.sockets.values()) loaded.addon.close(sock.handle);
    this.sockets.clear();
  }

  dropCounts(): Readonly<Record<string, number>> {
    return { ...this.drops };
  }

  /** The kernel's view of an open socket (for tests and diagnostics). */
  socketInfo(ifname: string, family: Family): RawSocketInfo | undefined {
    const sock = this.sockets.get(keyOf(ifname, family));
    const loaded = loadAddon();
    return sock && loaded.ok ? loaded.addon.info(sock.handle) : undefined;
  }

  private received(sock: OpenSocket, reason: string | null, payload: Buffer | null, src: string, dst: string, ttl: number, ifindex: number, ageMs: number): void {
    if (reason !== null || payload === null) {
      this.count(reason ?? 'no_payload');
      return;
    }
    // SO_BINDTODEVICE already filters; the ifindex check keeps that promise if the kernel ever
    // delivered across devices (e.g. a VRF enslaving the interface).
    if (ifindex !== 0 && ifindex !== sock.ifindex) {
      this.count('wrong_interface');
      return;
    }
    const datagram: VrrpDatagram = { ifname: sock.ifname, family: sock.family, src, dst, ttl, payload: new Uint8Array(payload), ...(ageMs >= 0 ? { ageMs } : {}) };
    for (const handler of this.handlers) {
      try {
        handler(datagram);
      } catch {
        // A throwing handler must not stop delivery to the others, nor unwind into the addon.
        this.count('handler_threw');
      }
    }
  }

  private count(reason: string): void {
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
  }
}

/** For tests: the addon itself, when it loads. */
export function addonOrUndefined(): HaloNetAddon | undefined {
  const loaded = loadAddon();
  return loaded.ok ? loaded.addon : undefined;
}
