/**
 * NeighborAnnouncePort on Linux, through the addon in native/: a gratuitous ARP request for an
 * IPv4 VIP (AF_PACKET, RFC 5227 section 3), an unsolicited neighbour advertisement with the
 * Override flag for an IPv6 VIP (raw ICMPv6, hop limit 255, RFC 4861 section 7.2.6). One call sends
 * one packet. The addon keeps one socket per interface and kind open between calls (closing a
 * packet socket waits for an RCU grace period, ~10 ms measured, which would stall the event loop
 * between the messages of a takeover burst); `close()` releases them. Repeats and delays (`garp_master_repeat`, `garp_master_delay`, `vrrp_garp_interval`,
 * ...) are the runtime's timers, as they are decisions.
 */
import { readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import type { AnnounceOptions, Family, NeighborAnnouncePort, PortResult } from '../ports.js';
import { describeErrno } from './errno-hint.js';
import { errnoOf, loadAddon } from './native.js';

/**
 * Whether the interface forwards IPv6 (a router): the default for the Router flag, so a director
 * that routes for its clients says so (RFC 5798 section 6.4.1), and one that only serves a VIP does
 * not make clients take it for a router (RFC 4861 section 7.2.5). /proc/sys/net shows the network
 * namespace of the reading process.
 */
export function forwardsIpv6(ifname: string): boolean {
  if (!/^[^/\0]{1,15}$/.test(ifname) || ifname === '.' || ifname === '..') return false;
  try {
    return readFileSync(`/proc/sys/net/ipv6/conf/${ifname}/forwarding`, 'utf8').trim() === '1';
  } catch {
    return false;
  }
}

/** Passes of an announcement's checks in `prepare` (V8 optimises code it has run often). */
const PREPARE_PASSES = 50;

export class LinuxNeighborAnnounce implements NeighborAnnouncePort {
  announce(ifname: string, family: Family, address: string, options: AnnounceOptions = {}): PortResult {
    const what = family === 4 ? 'gratuitous ARP' : 'unsolicited neighbour advertisement';
    if (family === 4 ? !isIPv4(address) : !isIPv6(address)) {
      return { ok: false, error: `Cannot send ${what} on ${ifname}: ${address} is not an IPv${family} address`, code: 'HALO_NET_ANNOUNCE' };
    }
    const loaded = loadAddon();
    if (!loaded.ok) return { ok: false, error: loaded.error, code: 'HALO_NET_NATIVE_MISSING' };
    try {
      if (family === 4) loaded.addon.sendGratuitousArp(ifname, address);
      else loaded.addon.sendUnsolicitedNa(ifname, address, options.router ?? forwardsIpv6(ifname));
      return { ok: true };
    } catch (err) {
      const errno = errnoOf(err);
      return {
        ok: false,
        error: `Cannot send ${what} for ${address} on ${ifname}: ${describeErrno(errno)}`,
        code: errno === 'ENODEV' ? 'HALO_NET_INTERFACE_UNKNOWN' : 'HALO_NET_ANNOUNCE',
      };
    }
  }

  /**
   * Runs the first announcement's checks without sending and opens its socket. Measured: the
   * first announce() of a process took 1.5-2.7 ms (address check compiled, then its regular
   * expression tiered up on the next run), the third 0.01 ms; opening the packet socket added
   * 0.04 ms to the first gratuitous ARP. An interface that is not there yet gets its socket at
   * its first announcement, as before.
   */
  prepare(ifname: string, family: Family, address: string): void {
    for (let i = 0; i < PREPARE_PASSES; i++) {
      if (family === 4) isIPv4(address);
      else isIPv6(address);
      isIPv4(ifname);
    }
    const loaded = loadAddon();
    try {
      if (loaded.ok) loaded.addon.openAnnounceSocket?.(ifname, family);
    } catch {
      // No such interface (yet), or no permission: the announcement itself will say so.
    }
  }

  /** Closes the sockets kept open for announcements (all interfaces, or one); returns how many. */
  close(ifname?: string): number {
    const loaded = loadAddon();
    if (!loaded.ok) return 0;
    return ifname === undefined ? loaded.addon.closeAnnounceSockets() : loaded.addon.closeAnnounceSockets(ifname);
  }

  /** Announcement sockets opened since the addon was loaded, and open now (tests, status). */
  stats(): { opened: number; open: number } {
    const loaded = loadAddon();
    return loaded.ok ? loaded.addon.announceStats() : { opened: 0, open: 0 };
  }
}
