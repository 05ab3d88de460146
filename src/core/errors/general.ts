import type { ErrorTable } from './types.js';

/** Errors that belong to no single area: the CLI, the runtime's own invariants. */
export const GENERAL_ERRORS = {
  HALO_GEN_ASSERTION: {
    summary: 'An internal invariant did not hold',
    help: 'This is a bug in halo. Report it with the log lines before it.',
  },
  HALO_CLI_USAGE: {
    summary: 'The command line is not valid',
    help: 'Run `halo --help` for the commands and their flags.',
  },
} as const satisfies ErrorTable;
