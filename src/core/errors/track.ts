import type { ErrorTable } from './types.js';

/** Trackers: `vrrp_script`, `track_file`, `vrrp_track_process`, `track_interface` and the compat shims. */
export const TRACK_ERRORS = {
  HALO_TRK_CHANGED: {
    summary: 'A tracker changed state and moved the priority of the instances that watch it',
    help: 'Informational. The log line names the tracker, the instance, the new weight delta or FAULT, and the cause.',
  },
  HALO_TRK_SCRIPT_SPAWN: {
    summary: 'A vrrp_script could not be started',
    help: 'Check that the `script` path exists and is executable, and that the `user` can run it. The run counts as a failure.',
  },
  HALO_TRK_SCRIPT_TIMEOUT: {
    summary: 'A vrrp_script ran longer than its timeout and was stopped',
    help: 'halo sends SIGTERM to the script\'s process group, then SIGKILL two seconds later, and counts the run as a failure. Make the script faster or raise `timeout`.',
  },
  HALO_TRK_SCRIPT_SKIPPED: {
    summary: 'A vrrp_script run was skipped because the previous run was still going',
    help: 'The script takes longer than its `interval`. halo never runs two copies at once; raise `interval` or set a `timeout` shorter than it.',
  },
  HALO_TRK_SCRIPT_UNSAFE: {
    summary: 'A script that would run as root is writable by a non-root user and was refused',
    help: 'With `enable_script_security`, every component of the script path must be owned by root and not writable by group or others. Fix the permissions, or run the script as another `user`.',
  },
  HALO_TRK_USER_UNKNOWN: {
    summary: 'The user or group a script should run as does not exist',
    help: 'Create the user, or change `user` / `script_user`. The script is not run.',
  },
  HALO_TRK_FILE_READ: {
    summary: 'A track_file could not be read',
    help: 'halo reads the value as 0 until the file can be read again. Check the path and its permissions.',
  },
  HALO_TRK_FILE_INIT: {
    summary: 'A track_file could not be created or initialised by init_file',
    help: 'Check that the directory exists and halo may write to it.',
  },
  HALO_TRK_PROC_SCAN: {
    summary: 'The /proc scan for vrrp_track_process failed',
    help: 'halo keeps the last counts and tries again at the next interval. Check that /proc is mounted and readable.',
  },
  HALO_TRK_RESTART_FAILED: {
    summary: 'A track_process restart_command did not bring the process back',
    help: 'The tracker goes down and the instance gives up its priority or goes to FAULT as configured. Look at why the service does not start.',
  },
  HALO_TRK_COMPAT_STOP: {
    summary: 'A tracker script asked to stop keepalived and halo acted on it',
    help: 'A script ran `systemctl stop keepalived`, `service keepalived stop` or `killall keepalived`; the halo-compat shim turned it into a request to halo. See docs/trackers.md.',
  },
} as const satisfies ErrorTable;
