import type { ErrorTable } from './types.js';

/** Health checks of real servers (src/check): specs, probes, the runner and `halo genhash`. */
export const CHECK_ERRORS = {
  HALO_CHK_SPEC_INVALID: {
    summary: 'A health check is configured with a value it cannot use',
    help: 'Fix the option named in the message; docs/checks.md lists every option, its range and its default.',
  },
  HALO_CHK_PROBE_FAILED: {
    summary: 'A health check of a real server failed',
    help: 'The detail after the colon says what the probe saw (status, digest, timeout, reset, TLS error). The server leaves the pool only after the configured number of failed tries.',
  },
  HALO_CHK_SERVER_DOWN: {
    summary: 'A real server was taken out of its pool by its health checks',
    help: 'Look at the cause for the failing checker; the server comes back on its own when its checks pass again.',
  },
  HALO_CHK_QUORUM_LOST: {
    summary: 'A virtual server has less live weight than its quorum',
    help: 'Too many real servers are down. The sorry_server, if configured, takes the traffic until the quorum is back.',
  },
  HALO_CHK_SCRIPT_TIMEOUT: {
    summary: 'A MISC_CHECK script ran past its misc_timeout and was killed',
    help: 'Make the script finish sooner or raise misc_timeout; a killed script counts as a failed check.',
  },
  HALO_CHK_GENHASH_FETCH: {
    summary: 'The genhash command could not fetch the page',
    help: 'Check the server, port, path and whether the server speaks TLS (-S). The message says what went wrong.',
  },
} as const satisfies ErrorTable;
