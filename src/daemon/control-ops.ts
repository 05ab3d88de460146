/**
 * The supervisor's operations on the control socket (src/api/control-socket.ts):
 *
 * - `status`: the status the status file has (instances, processes, lag, counters, pools);
 * - `step-down`: `{"op":"step-down","instance":"VI_1","holdMs":60000}` (both optional): MASTER
 *   instances hand over make-before-break and stay BACKUP (docs/operations.md, "Planned
 *   handover"). The reply comes once the VRRP process has started the handover, not when it ends;
 * - `reload`: the same reload as SIGHUP (`Reloader.reload()`, src/daemon/reload.ts); the reply
 *   comes when it is done, with its summary line, or HALO_CTL_REFUSED with the loader's error
 *   count when the files have errors (the running configuration is kept).
 */
import { refuse, type ControlReply, type ControlRequest, type ControlServer } from '../api/control-socket.js';
import type { Logger } from './log.js';
import type { Reloader } from './reload.js';
import type { Supervisor } from './supervisor.js';

/** A step-down hold longer than this is refused (a typo in units, not a plan): one day. */
export const STEP_DOWN_HOLD_MAX_MS = 24 * 3600 * 1000;

export function addSupervisorOps(server: ControlServer, supervisor: Pick<Supervisor, 'status' | 'stepDown'>): void {
  server.handle('status', () => ({ ok: true, status: supervisor.status() }));
  server.handle('step-down', (r) => stepDown(supervisor, r));
}

async function stepDown(supervisor: Pick<Supervisor, 'stepDown'>, r: ControlRequest): Promise<ControlReply> {
  const instance = r['instance'] ?? null;
  const holdMs = r['holdMs'] ?? null;
  for (const key of Object.keys(r)) {
    if (key !== 'op' && key !== 'instance' && key !== 'holdMs') return refuse('HALO_CTL_BAD_ARGUMENT', `Unknown argument for step-down: ${key}`);
  }
  if (instance !== null && (typeof instance !== 'string' || instance.length === 0)) return refuse('HALO_CTL_BAD_ARGUMENT', 'Argument instance must be an instance name');
  if (holdMs !== null && (typeof holdMs !== 'number' || !Number.isInteger(holdMs) || holdMs < 0 || holdMs > STEP_DOWN_HOLD_MAX_MS)) {
    return refuse('HALO_CTL_BAD_ARGUMENT', `Argument holdMs must be an integer from 0 to ${STEP_DOWN_HOLD_MAX_MS}`);
  }
  const result = await supervisor.stepDown(instance, holdMs);
  if (!result.ok) return refuse('HALO_CTL_REFUSED', `Step-down refused: ${result.error}`);
  return { ok: true, instances: result.instances, holdMs };
}

export function addReloadOp(server: ControlServer, reloader: Pick<Reloader, 'reload'>, log: Logger): void {
  server.handle('reload', async (r) => {
    for (const key of Object.keys(r)) {
      if (key !== 'op') return refuse('HALO_CTL_BAD_ARGUMENT', `Unknown argument for reload: ${key}`);
    }
    log({ level: 'info', msg: 'Control socket: reloading the configuration' });
    const result = await reloader.reload();
    if (result.ok) return { ok: true, summary: result.summary };
    if (result.errors !== undefined) return refuse('HALO_CTL_REFUSED', `Reload refused: ${result.summary}`);
    // Loaded, but some part did not take it (each one logged HALO_DMN_RELOAD_FAILED).
    return refuse('HALO_DMN_RELOAD_FAILED', `Reload incomplete, see the log: ${result.summary}`);
  });
}
