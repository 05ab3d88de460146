import type { ErrorTable } from './types.js';

/** Errors of reload (SIGHUP), the data and statistics dumps (SIGUSR1, SIGUSR2) and `halo --signum`. */
export const RELOAD_ERRORS = {
  HALO_DMN_RELOAD_REFUSED: {
    summary: 'The new configuration has errors: the running one is kept',
    help: 'The diagnostics logged before this line give the file, line and column of each error. Fix them (`halo check-config -f FILE` shows the same list) and send SIGHUP again; nothing changed meanwhile.',
  },
  HALO_DMN_RELOAD_FAILED: {
    summary: 'A part of the director could not apply the new configuration',
    help: 'The message names the part (VRRP process, proxy plane, checker process) and the reason. The other parts run the new configuration; the failed one runs the old one until the next reload or restart.',
  },
  HALO_DMN_DUMP_FAILED: {
    summary: 'A data or statistics dump could not be written',
    help: 'Check that the directory of the file exists and is writable (see --data-file and --stats-file in docs/operations.md).',
  },
  HALO_CLI_SIGNUM_UNKNOWN: {
    summary: 'The name given to halo --signum is not a signal halo knows',
    help: 'Names: RELOAD, DATA, STATS, STOP, JSON (keepalived\'s names); STATS_CLEAR and TDATA have no halo signal.',
  },
} as const satisfies ErrorTable;
