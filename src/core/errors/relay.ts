import type { ErrorTable } from './types.js';

/** The native L4 splice relay (native/relay.c, src/proxy/native-relay.ts). */
export const RELAY_ERRORS = {
  HALO_RELAY_UNAVAILABLE: {
    summary: 'The native L4 relay cannot be used; L4 bytes go through JavaScript',
    help: 'The addon native/build/Release/halo_relay.node is missing or failed to load or start (run npm ci or node scripts/build-native.mjs). L4 services keep working on the slower JavaScript path.',
  },
  HALO_RELAY_FULL: {
    summary: 'The native L4 relay could not take a connection; it goes through JavaScript',
    help: 'The relay table was full or the process is out of file descriptors for pipes (each relayed connection uses two pipes). Raise the open-file limit or expect more CPU per byte for the extra connections.',
  },
  HALO_RELAY_START: {
    summary: 'The native L4 relay thread could not start',
    help: 'A system call the relay needs (epoll, eventfd, pthread) failed; the message names it. L4 services fall back to the JavaScript path.',
  },
} as const satisfies ErrorTable;
