import type { ErrorTable } from './types.js';

/** BFD sessions (src/check/bfd, src/check/runner/bfd-engine.ts) run for BFD_CHECK. */
export const BFD_ERRORS = {
  HALO_BFD_SOCKET: {
    summary: 'A BFD socket could not be opened',
    help: 'The message names the address and port. Port 3784 must be free (no other BFD daemon, keepalived\'s included, on this director) and source_ip must be an address of this director. The session stays Down, so its BFD_CHECK keeps the real server down.',
  },
  HALO_BFD_SESSION_DOWN: {
    summary: 'A BFD session left the Up state',
    help: 'The cause says why: the detection time ran out (no packet from the neighbor for multiplier × interval), the neighbor signaled Down or AdminDown, or the session was taken down here. Real servers checked with BFD_CHECK on this session are down until it is Up again.',
  },
} as const satisfies ErrorTable;
