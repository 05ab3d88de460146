import type { ErrorTable } from './types.js';

/** The data plane: services mapped from nginx.conf and keepalived.conf, and the proxy plane that runs them. */
export const DATAPLANE_ERRORS = {
  HALO_DPL_FULL_PROXY: {
    summary: 'The virtual server is served by the halo proxy, not by kernel IPVS',
    help: 'halo carries the traffic itself: `lb_kind` NAT, DR and TUN all behave as a full proxy (the real servers see connections from the proxy host, not from the client). Nothing to do unless the real servers rely on the client address.',
  },
  HALO_DPL_NOT_SERVED: {
    summary: 'The virtual server or nginx server cannot be served by the halo proxy',
    help: 'The proxy serves `virtual_server IP PORT` over TCP or UDP and nginx servers with proxy_pass. fwmark and group virtual servers, SCTP, and servers without a usable proxy_pass are left out; the rest of the file still runs.',
  },
  HALO_DPL_SHARED_LISTEN: {
    summary: 'Several nginx servers listen on the same address and port',
    help: 'No longer reported: halo now chooses among the servers of one listening address by server_name, as nginx does. Older halo versions kept only the `default_server` one, or the first.',
  },
  HALO_DPL_EXACT_LOCATION: {
    summary: 'An nginx exact location is served as a prefix location',
    help: 'No longer reported: halo now serves `location = /path` as an exact match, as nginx does. Older halo versions served it as a prefix.',
  },
  HALO_DPL_SCHEDULER: {
    summary: 'The LVS scheduler has no halo picker and another one is used',
    help: 'lblc and lblcr (locality-based, for cache clusters) are served with wlc, which keeps the weights. Choose another lb_algo to silence this.',
  },
  HALO_DPL_START: {
    summary: 'The proxy plane could not start',
    help: 'The proxy workers did not all bind their listening sockets and apply the services in time. The message names the cause (a port in use, a missing address, no permission for a port below 1024).',
  },
} as const satisfies ErrorTable;
