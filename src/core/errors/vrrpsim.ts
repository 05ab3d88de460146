import type { ErrorTable } from './types.js';

/** The VRRP runtime (src/daemon/vrrp-runtime.ts) and the multi-director simulator (test/sim). */
export const VRRPSIM_ERRORS = {
  HALO_VRRP_SOCKET_OPEN_FAILED: {
    summary: 'The VRRP socket of an interface could not be opened',
    help: 'halo needs CAP_NET_RAW and an existing interface. The instances on that interface stay in FAULT until it opens.',
  },
  HALO_VRRP_SEND_FAILED: {
    summary: 'A VRRP advertisement could not be sent',
    help: 'Check the interface is up and has the source address. Backups take over if adverts keep failing.',
  },
  HALO_VRRP_ENCODE_FAILED: {
    summary: 'An instance configuration produced an advertisement the wire cannot carry',
    help: 'Check advert_int (whole seconds for VRRPv2), the auth_pass length and the number of virtual addresses.',
  },
  HALO_VRRP_VIP_FAILED: {
    summary: 'A virtual address could not be added or removed',
    help: 'Check the interface exists and halo has CAP_NET_ADMIN. The message names the address and the error.',
  },
  HALO_VRRP_EVENT_BOUND: {
    summary: 'The VRRP runtime hit its bound of events handled in one turn',
    help: 'This is a bug in halo (instances ordering each other in a loop). Report it with the log lines before it.',
  },
  HALO_VRRP_TIMER_BOUND: {
    summary: 'The VRRP runtime deadline queue is full',
    help: 'This is a bug in halo: each instance holds a fixed number of timers. Report it with the log lines before it.',
  },
  HALO_SIM_INVARIANT: {
    summary: 'A simulated run broke a VRRP invariant',
    help: 'Replay it with `npm run sim -- --seed S` using the seed printed with the failure, and read the trace file it names.',
  },
} as const satisfies ErrorTable;
