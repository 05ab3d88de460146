import type { ErrorTable } from './types.js';

/**
 * Services: the keepalived.conf virtual servers turned into checked pools, and the checker process
 * that runs them (src/config/keepalived/to-checks.ts, src/daemon/checker-*.ts, `halo check-run`).
 */
export const SERVICES_ERRORS = {
  HALO_SVC_NO_PORT: {
    summary: 'A real server has no port to check',
    help: 'Real servers of fwmark and group services carry no port: give the checker a connect_port, or the real server a port.',
  },
  HALO_SVC_NO_SERVICES: {
    summary: 'The configuration has no virtual_server to check',
    help: 'Health checks run for the real servers of virtual_server blocks; add one or do not start the checker process.',
  },
  HALO_SVC_CHECKER_FAILED: {
    summary: 'The checker process could not start or stopped unexpectedly',
    help: 'The message says why (configuration errors, a crash, a signal). The supervisor restarts it; `halo check-run -f FILE` runs it alone to see the problem.',
  },
  HALO_SVC_NOTIFY_FAILED: {
    summary: 'A notify_up, notify_down, quorum_up or quorum_down script could not run or failed',
    help: 'Check the path, its permissions and the user it runs as; the script runs with /bin/sh -c as keepalived runs it.',
  },
} as const satisfies ErrorTable;
