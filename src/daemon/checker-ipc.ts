/**
 * The messages between a parent (the supervisor, or `halo check-run`) and the checker process, over
 * Node's IPC channel (`child_process.fork`, JSON serialisation). Every message is a plain object
 * with a `type`; the checker validates what it receives and ignores (and reports) anything else,
 * so a confused parent cannot crash it.
 *
 * The parent sends the configuration as a file path and config id, not as a model: the checker
 * process loads and validates the file itself, which keeps config parsing off the VRRP process and
 * off the supervisor's event loop (design notes, "Processes").
 */
import type { BackendState } from '../core/backend.js';
import type { Diagnostic } from '../core/diagnostic.js';
import type { ErrorCode } from '../core/errors/index.js';
import type { CheckEvent, EventLog, PoolEntry } from '../check/policy.js';

export interface StartMessage {
  readonly type: 'start';
  /** The keepalived.conf to load (absolute path). */
  readonly file: string;
  /** Selects `@ID` conditional lines (keepalived's -i). */
  readonly configId: string;
  /** halo extension for every real server: weight ramps up over this time after a recovery. */
  readonly slowStartMs?: number;
  /** false: do not run notify_up/notify_down/quorum scripts nor write FIFOs (check-run --no-notify). */
  readonly notify?: boolean;
  /** Reload: the health each real server had in the previous checker process (kept, not re-judged). */
  readonly carried?: readonly CarriedServer[];
}

export interface CarriedServer {
  readonly vsId: string;
  readonly serverId: string;
  readonly health: 'up' | 'down';
}

/** ha_suspend: the service address appeared on or left this director (from the VRRP process). */
export interface AddressMessage {
  readonly type: 'address';
  readonly vsId: string;
  readonly present: boolean;
}

export interface StopMessage {
  readonly type: 'stop';
  /** Apply `omega` (run notify_down of live servers and quorum_down). Default true. */
  readonly omega?: boolean;
}

export type ParentToChecker = StartMessage | AddressMessage | StopMessage;

/** A diagnostic flattened for the wire (positions as `file:line:col`). */
export interface WireDiagnostic {
  readonly severity: Diagnostic['severity'];
  readonly code: ErrorCode;
  readonly message: string;
  readonly where?: string;
}

export interface ReadyMessage {
  readonly type: 'ready';
  readonly pid: number;
  readonly pools: readonly { readonly vsId: string; readonly servers: readonly string[] }[];
  /** Warnings and notes from loading the file (errors stop the process with `failed`). */
  readonly diagnostics: readonly WireDiagnostic[];
}

export interface FailedMessage {
  readonly type: 'failed';
  readonly code: ErrorCode;
  readonly message: string;
  readonly diagnostics: readonly WireDiagnostic[];
}

/** Every policy event, with how it is logged; `smtpAlert` says whether smtp_alert asks for a mail. */
export interface EventMessage {
  readonly type: 'event';
  readonly vsId: string;
  readonly event: CheckEvent;
  readonly log: EventLog;
  readonly smtpAlert?: boolean;
}

/** A backend's health or effective weight changed (with its cause). */
export interface BackendMessage {
  readonly type: 'backend';
  readonly vsId: string;
  readonly state: BackendState;
}

/** What the data plane of a service should now carry. */
export interface PoolMessage {
  readonly type: 'pool';
  readonly vsId: string;
  readonly entries: readonly PoolEntry[];
}

/**
 * The first verdict on a backend: every checker of it has finished its first check (a failing
 * live checker after its retries). Sent once per backend; `halo check-run --once` waits for all.
 */
export interface VerdictMessage {
  readonly type: 'verdict';
  readonly vsId: string;
  readonly state: BackendState;
}

/** Something went wrong outside the checks: a notify script, a FIFO, a bad IPC message. */
export interface WarningMessage {
  readonly type: 'warning';
  readonly code: ErrorCode;
  readonly message: string;
}

export interface StoppedMessage {
  readonly type: 'stopped';
  readonly probes: number;
  readonly scriptsRun: number;
}

export type CheckerToParent = ReadyMessage | FailedMessage | EventMessage | BackendMessage | PoolMessage | VerdictMessage | WarningMessage | StoppedMessage;

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Validates a message from the parent; returns the reason when it is not one. */
export function parseParentMessage(x: unknown): { ok: true; message: ParentToChecker } | { ok: false; reason: string } {
  if (!isRecord(x) || typeof x['type'] !== 'string') return { ok: false, reason: 'not an object with a type' };
  switch (x['type']) {
    case 'start': {
      const { file, configId, slowStartMs, notify, carried } = x;
      if (typeof file !== 'string' || file === '') return { ok: false, reason: 'start needs a file' };
      if (typeof configId !== 'string') return { ok: false, reason: 'start needs a configId' };
      if (slowStartMs !== undefined && (typeof slowStartMs !== 'number' || !Number.isInteger(slowStartMs) || slowStartMs < 0)) return { ok: false, reason: 'slowStartMs must be a non-negative integer' };
      if (notify !== undefined && typeof notify !== 'boolean') return { ok: false, reason: 'notify must be a boolean' };
      const isCarried = (c: unknown): c is CarriedServer => isRecord(c) && typeof c['vsId'] === 'string' && typeof c['serverId'] === 'string' && (c['health'] === 'up' || c['health'] === 'down');
      if (carried !== undefined && (!Array.isArray(carried) || !carried.every(isCarried))) return { ok: false, reason: 'carried must be a list of {vsId, serverId, health}' };
      return {
        ok: true,
        message: {
          type: 'start',
          file,
          configId,
          ...(slowStartMs !== undefined ? { slowStartMs } : {}),
          ...(notify !== undefined ? { notify } : {}),
          ...(carried !== undefined ? { carried: (carried as CarriedServer[]).map((c) => ({ vsId: c.vsId, serverId: c.serverId, health: c.health })) } : {}),
        },
      };
    }
    case 'address': {
      const { vsId, present } = x;
      if (typeof vsId !== 'string' || typeof present !== 'boolean') return { ok: false, reason: 'address needs vsId and present' };
      return { ok: true, message: { type: 'address', vsId, present } };
    }
    case 'stop': {
      const { omega } = x;
      if (omega !== undefined && typeof omega !== 'boolean') return { ok: false, reason: 'omega must be a boolean' };
      return { ok: true, message: { type: 'stop', ...(omega !== undefined ? { omega } : {}) } };
    }
    default:
      return { ok: false, reason: `unknown type ${String(x['type']).slice(0, 40)}` };
  }
}

export function wireDiagnostic(d: Diagnostic): WireDiagnostic {
  return { severity: d.severity, code: d.code, message: d.message, ...(d.pos !== undefined ? { where: `${d.pos.file}:${d.pos.line}:${d.pos.col}` } : {}) };
}
