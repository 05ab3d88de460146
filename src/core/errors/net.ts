import type { ErrorTable } from './types.js';

/** Errors of the network adapters (src/net): raw VRRP sockets, VIPs, announcements, links. */
export const NET_ERRORS = {
  HALO_NET_NATIVE_MISSING: {
    summary: 'The native network addon is not built or cannot be loaded',
    help: 'halo opens raw VRRP sockets through its Node-API addon in native/. Run `npm ci` (it builds the addon with node-gyp; needs python3, make and a C compiler) or `node scripts/build-native.mjs`.',
  },
  HALO_NET_INTERFACE_UNKNOWN: {
    summary: 'The named network interface does not exist',
    help: 'Check the `interface` (or `dev`) names in the configuration against `ip link`; in a network namespace, the interface must be inside it.',
  },
  HALO_NET_SOCKET_OPEN: {
    summary: 'A raw VRRP socket cannot be opened',
    help: 'Raw sockets need root or CAP_NET_RAW. EPERM/EACCES: run halo as root or grant the capability; ENODEV: the interface is missing.',
  },
  HALO_NET_GROUP_JOIN: {
    summary: 'A multicast group cannot be joined on an interface',
    help: 'The interface must be up and have multicast enabled (`ip link set dev IF multicast on`); the group must be a multicast address of the socket family.',
  },
  HALO_NET_SEND: {
    summary: 'A VRRP packet cannot be sent',
    help: 'EADDRNOTAVAIL: the source address is not on the interface; ENETUNREACH: no route to the unicast peer; ENETDOWN: the interface is down.',
  },
  HALO_NET_RECEIVE: {
    summary: 'A received packet was dropped before decoding',
    help: 'Counted per reason (truncated, short IP header, missing ancillary data, wrong interface); repeated drops point at a misbehaving peer or a kernel setting.',
  },
  HALO_NET_ADDRESS_ADD: {
    summary: 'A virtual address cannot be added to an interface',
    help: 'The message carries what iproute2 answered. Check the interface name, the prefix and that halo runs as root.',
  },
  HALO_NET_ADDRESS_REMOVE: {
    summary: 'A virtual address cannot be removed from an interface',
    help: 'The message carries what iproute2 answered. An address that is already gone is not an error.',
  },
  HALO_NET_ROUTE_ADD: {
    summary: 'A virtual route or rule cannot be added',
    help: 'The message carries what iproute2 answered for `ip route add` / `ip rule add`. Check the `virtual_routes` / `virtual_rules` entry: the gateway must be reachable on the named device.',
  },
  HALO_NET_ROUTE_REMOVE: {
    summary: 'A virtual route or rule cannot be removed',
    help: 'The message carries what iproute2 answered for `ip route del` / `ip rule del`. One that is already gone is not an error.',
  },
  HALO_NET_ANNOUNCE: {
    summary: 'A gratuitous ARP or unsolicited neighbour advertisement cannot be sent',
    help: 'Needs root or CAP_NET_RAW, an Ethernet-like interface that is up, and for IPv6 an interface with IPv6 enabled.',
  },
  HALO_NET_LINK_MONITOR: {
    summary: 'The link monitor stopped and is being restarted',
    help: 'halo watches links with `ip monitor link`; it restarts the monitor and re-reads every watched link. Repeated restarts mean iproute2 is missing or failing.',
  },
  HALO_NET_ADDRESS_MONITOR: {
    summary: 'The address monitor stopped and is being restarted',
    help: 'halo watches its VIPs with `ip monitor address` so it can re-add one that someone deleted; it restarts the monitor and re-reads the watched interfaces. Repeated restarts mean iproute2 is missing or failing.',
  },
  HALO_NET_COMMAND: {
    summary: 'An iproute2 command could not be run',
    help: 'halo runs the `ip` command of iproute2 without a shell. Install iproute2 and check that `ip` is on PATH.',
  },
} as const satisfies ErrorTable;
