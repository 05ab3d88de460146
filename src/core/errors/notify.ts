import type { ErrorTable } from './types.js';

/** Notifications: notify scripts, notify FIFOs, email and webhooks. */
export const NOTIFY_ERRORS = {
  HALO_NTF_SCRIPT_SPAWN: {
    summary: 'A notify script could not be started',
    help: 'Check the path, its executable bit and the `script_user`. Other notifications are not affected.',
  },
  HALO_NTF_SCRIPT_FAILED: {
    summary: 'A notify script exited with a non-zero status',
    help: 'halo does not retry notify scripts (keepalived does not either). Run the script by hand with the same arguments to see why.',
  },
  HALO_NTF_SCRIPT_UNSAFE: {
    summary: 'A notify script that would run as root is writable by a non-root user and was refused',
    help: 'With `enable_script_security`, every component of the script path must be owned by root and not writable by group or others.',
  },
  HALO_NTF_USER_UNKNOWN: {
    summary: 'The user or group a notify script should run as does not exist',
    help: 'Create the user or change `script_user` / the user after the script path. The script is not run.',
  },
  HALO_NTF_QUEUE_FULL: {
    summary: 'A notification was dropped because its queue is full',
    help: 'Scripts, SMTP or webhooks are slower than the transitions. The log line names the channel; the oldest pending items are kept.',
  },
  HALO_NTF_FIFO_OPEN: {
    summary: 'A notify FIFO could not be opened or created',
    help: 'Check the path and that it is a FIFO (halo creates it when missing). Lines wait in a bounded buffer until a reader opens it.',
  },
  HALO_NTF_FIFO_OVERFLOW: {
    summary: 'Lines for a notify FIFO were dropped because no reader drained them',
    help: 'Start the FIFO reader (`notify_fifo_script` or your own). halo keeps the newest lines up to its buffer bound and reopens the FIFO when a reader appears.',
  },
  HALO_NTF_SMTP_FAILED: {
    summary: 'An email notification could not be sent',
    help: 'Check `smtp_server`, its port and `smtp_connect_timeout`. Email never delays the election or the other notifications.',
  },
  HALO_NTF_WEBHOOK_FAILED: {
    summary: 'A webhook notification failed after all its attempts',
    help: 'Check the URL and the receiving service. halo retries with backoff up to the configured attempts, then drops the event.',
  },
} as const satisfies ErrorTable;
