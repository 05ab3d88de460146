import type { ErrorTable } from './types.js';

/** Errors of the daemon (src/daemon, `halo run`): processes, pid file, start-up, crash handling. */
export const DAEMON_ERRORS = {
  HALO_DMN_INSTANCE_UNUSABLE: {
    summary: 'A vrrp_instance cannot be run as configured',
    help: 'The message names what is missing (interface, virtual_router_id, a source address). Fix the instance; `halo run` refuses to start with a half-running configuration.',
  },
  HALO_DMN_CONFIG_UNSUPPORTED: {
    summary: 'A setting is read but halo does not act on it the way keepalived does',
    help: 'The message names the setting and what halo does instead. The instance runs; check that the difference does not matter for this director.',
  },
  HALO_DMN_CONFIG_REFUSED: {
    summary: 'The configuration has errors: halo run does not start',
    help: 'Run `halo check-config -f FILE` for every diagnostic with its position and fix the errors.',
    exitCode: 5,
  },
  HALO_DMN_FLAG_UNSUPPORTED: {
    summary: 'A keepalived command-line flag has no meaning for halo run',
    help: 'The message says why the flag is refused. halo runs in the foreground (systemd or another supervisor starts it), logs to stderr, and has one VRRP process; see docs/operations.md.',
  },
  HALO_DMN_PID_FILE: {
    summary: 'The pid file cannot be written or names a running halo',
    help: 'Another halo may be running with the same pid file (`-p`). Stop it, or remove a stale pid file whose process is gone; the directory must be writable.',
  },
  HALO_DMN_CHECKER_DIED: {
    summary: 'The checker process died',
    help: 'The supervisor restarts it with backoff; the proxy keeps the last backend states it was given until the new checker process publishes its own. Look at the log lines before this one and at the kernel log (OOM killer).',
  },
  HALO_DMN_CHECKER_RESTART_LIMIT: {
    summary: 'The checker process died too often',
    help: 'After too many deaths within the restart window halo stops (VRRP released first, then the proxy drains), so that a backup director with working health checks takes over. Run `halo check-run -f FILE` to see why it fails.',
  },
  HALO_DMN_VRRP_DIED: {
    summary: 'The VRRP process died',
    help: 'The supervisor released the instances it was MASTER of (priority-0 adverts, VIPs removed) and restarts it with backoff. Look at the log lines before this one and at the kernel log (OOM killer).',
  },
  HALO_DMN_VRRP_RESTART_LIMIT: {
    summary: 'The VRRP process keeps dying: the supervisor gave up',
    help: 'The VRRP process died too often in a short time. halo exits so that the service manager (systemd) sees the failure; the log lines before say why it died.',
  },
  HALO_DMN_RELEASE_FAILED: {
    summary: 'The supervisor could not release an instance of a dead VRRP process',
    help: 'Sending the priority-0 advert or removing a VIP failed; the backup takes over after Master_Down_Interval instead of Skew_Time. The message names the step and the cause.',
  },
  HALO_DMN_STALE_VIP: {
    summary: 'A VIP of this configuration was found on an interface at start and removed',
    help: 'An earlier halo (or keepalived) run ended without releasing it, for instance after kill -9 or a crash. halo removes it before any instance starts so that a backup never holds an address (keepalived does the same).',
  },
  HALO_DMN_EVENT_LOOP_LAG: {
    summary: 'The VRRP process event loop was late beyond the warning threshold',
    help: 'Adverts leave late when the VRRP process is starved of CPU. Look for CPU saturation or a blocking call; the status file shows the lag percentiles (docs/operations.md).',
  },
  HALO_DMN_STOP_TIMEOUT: {
    summary: 'The VRRP process did not stop in time and was killed',
    help: 'The supervisor then released its MASTER instances itself. Look at the log lines before for what held it up.',
  },
} as const satisfies ErrorTable;
