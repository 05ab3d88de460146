import type { ErrorTable } from './types.js';

/** Balancing (pickers): names and flags that a config or the API asks for. */
export const BALANCE_ERRORS = {
  HALO_LB_UNKNOWN_ALGORITHM: {
    summary: 'The balancing algorithm is not one halo knows',
    help: 'Use an LVS scheduler name (rr, wrr, lc, wlc, sed, nq, dh, sh, mh, fo, ovf, twos) or an nginx method (round_robin, least_conn, ip_hash, hash, random). docs/balancing.md lists them all.',
  },
  HALO_LB_UNKNOWN_FLAG: {
    summary: 'The flag does not apply to this balancing algorithm',
    help: 'Scheduler flags are per algorithm: sh-port and sh-fallback for sh, mh-port and mh-fallback for mh, consistent for hash, two for random. docs/balancing.md lists them.',
  },
} as const satisfies ErrorTable;
