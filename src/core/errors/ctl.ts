import type { ErrorTable } from './types.js';

/** Errors of the local control socket (src/api/control-socket.ts) and the commands that use it. */
export const CTL_ERRORS = {
  HALO_CTL_SOCKET_FAILED: {
    summary: 'The control socket cannot be opened',
    help: 'The message names the path and the reason. Another halo may be serving it (one control socket per director), or its directory is not writable. Pick another path with `--control-socket PATH`; halo keeps running without the socket.',
  },
  HALO_CTL_BAD_REQUEST: {
    summary: 'A control request is not one JSON object with an op on one line',
    help: 'Send newline-delimited JSON, one object per line, such as `{"op":"status"}`. Lines longer than 64 KiB are refused and the connection closed.',
  },
  HALO_CTL_UNKNOWN_OP: {
    summary: 'A control request names an operation halo does not have',
    help: 'The reply lists the operations this halo serves. `halo step-down` and `halo status` use the socket for you.',
  },
  HALO_CTL_BAD_ARGUMENT: {
    summary: 'A control request has an argument of the wrong type or out of range',
    help: 'The message names the argument. Nothing was changed.',
  },
  HALO_CTL_REFUSED: {
    summary: 'A control request was refused',
    help: 'The message says why (for step-down: no such instance, not MASTER, or the VRRP process is not running). Nothing was changed.',
  },
  HALO_CTL_UNREACHABLE: {
    summary: 'The control socket does not answer',
    help: 'Check that `halo run` is running and which socket it serves (`--control-socket`, default /run/halo/halo.sock), and that you may open it (it is root-only, mode 0600).',
  },
} as const satisfies ErrorTable;
