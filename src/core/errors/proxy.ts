import type { ErrorTable } from './types.js';

/** The proxy data plane (src/proxy): listeners, upstreams, workers. */
export const PROXY_ERRORS = {
  HALO_PRX_LISTEN_FAILED: {
    summary: 'A service could not listen on its address',
    help: 'Check that the address is configured on this host (or net.ipv4.ip_nonlocal_bind is set for a VIP) and that no other program holds the port.',
  },
  HALO_PRX_NO_LIVE_UPSTREAMS: {
    summary: 'No backend of a pool could take a request',
    help: 'Every backend is down, in maintenance, at max_conns or kept out by passive health; halo answered 502 as nginx does. Check the backends and their health.',
  },
  HALO_PRX_UPSTREAM_FAILED: {
    summary: 'A request to a backend failed',
    help: 'The backend refused, reset, timed out or sent an invalid response. It counts toward max_fails; see proxy_next_upstream for retries.',
  },
  HALO_PRX_BAD_REQUEST: {
    summary: 'A client request was refused',
    help: 'The request broke HTTP/1.1 framing rules (a smuggling shape, a bad chunk, bare CR or LF) or a limit. The reason is in the log line and in the rejected counters.',
  },
  HALO_PRX_UNKNOWN_PICKER: {
    summary: 'A pool names a balancing algorithm halo does not have',
    help: 'Use one of the algorithms listed in docs/proxy.md.',
  },
  HALO_PRX_UNKNOWN_POOL: {
    summary: 'A service or route names a pool that does not exist',
    help: 'Define the upstream/real servers the service refers to.',
  },
  HALO_PRX_WORKER_STARTED: {
    summary: 'A proxy worker started',
    help: 'Informational: the line names the worker and the seed of its random pickers.',
  },
  HALO_PRX_WORKER_EXITED: {
    summary: 'A proxy worker exited unexpectedly',
    help: 'The supervisor restarts it; the log line before this one says why it stopped.',
  },
  HALO_PRX_IPC_BAD_MESSAGE: {
    summary: 'A proxy worker got a message it does not understand',
    help: 'This is a bug in halo, or a worker from another halo version. Restart halo.',
  },
  HALO_PRX_UDP_SESSIONS_FULL: {
    summary: 'A UDP service reached its session limit and dropped a datagram',
    help: 'Raise the session limit or shorten the UDP session timeout.',
  },
} as const satisfies ErrorTable;
