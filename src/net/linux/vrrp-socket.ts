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
import { errnoOf, loadAddon, type HaloNetAddon, type RawHandle, type RawSocketInfo } from './native.js';

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
        addon.start(opened.handle, (reason, payload, src, dst, ttl, ifindex) => this.received(opened, reason, payload, src, dst, ttl, ifindex));
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

  /** Leaves every group and closes every socket; the port can be opened again afterwards. */
  close(): void {
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

  private received(sock: OpenSocket, reason: string | null, payload: Buffer | null, src: string, dst: string, ttl: number, ifindex: number): void {
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
    const datagram: VrrpDatagram = { ifname: sock.ifname, family: sock.family, src, dst, ttl, payload: new Uint8Array(payload) };
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
