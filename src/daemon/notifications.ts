/**
 * Notifications of `halo run`: notify_* scripts, notify FIFOs, email, per instance and per sync
 * group, built from the config in one place (`buildNotifiers(model, ...)` / `close()`) so that a
 * reload can swap them.
 *
 * They run in the supervisor, never in the VRRP process: the VRRP process sends a state report
 * over IPC before it carries out the effects of each change (src/daemon/vrrp-main.ts), and the
 * supervisor turns the stream of reports into transitions here. The Notifier (src/notify) returns
 * at once and queues each channel on its own, so a slow script, a FIFO nobody reads or a dead SMTP
 * server delays neither the election (it is in another process) nor the other channels. Reports
 * of one instance arrive in order over the one IPC channel, and the script queue keeps that order.
 *
 * keepalived's mapping (keepalived.conf(5)):
 * - a new state MASTER / BACKUP / FAULT runs notify_master / notify_backup / notify_fault and the
 *   generic `notify` with INSTANCE name state priority; INIT after running (a stop) is STOP;
 * - `notify_priority_changes` (instance, else `vrrp_notify_priority_changes`): a priority change
 *   without a state change goes to the FIFOs as MASTER_PRIORITY / BACKUP_PRIORITY;
 * - a sync group is MASTER when all members are, BACKUP when all are, FAULT when any is, STOP when
 *   all stopped; its scripts get GROUP name state 0;
 * - `smtp_alert` (instance or group, else `smtp_alert_vrrp`, else `smtp_alert`) mails the
 *   `notification_email` list through `smtp_server` with `smtp_connect_timeout`.
 */
import type { KeepalivedModel, ScriptRef } from '../config/keepalived/model.js';
import type { LogEvent } from '../notify/log.js';
import type { NotifyState, TransitionEvent } from '../notify/events.js';
import type { FifoKind, NotifierConfig, OwnerNotifyConfig, ScriptSpec } from '../notify/notifier.js';
import { Notifier } from '../notify/notifier.js';
import { compatEnv } from '../track/compat.js';
import type { InstanceReport } from './ipc.js';
import type { Logger } from './log.js';

function spec(r: ScriptRef | undefined): ScriptSpec | undefined {
  if (r === undefined || r.command === '') return undefined;
  return { command: r.command, ...(r.user !== undefined ? { user: r.user } : {}), ...(r.group !== undefined ? { group: r.group } : {}) };
}

interface OwnerRefs {
  notifyMaster?: ScriptRef;
  notifyBackup?: ScriptRef;
  notifyFault?: ScriptRef;
  notifyStop?: ScriptRef;
  notifyDeleted?: ScriptRef;
  notify?: ScriptRef;
  smtpAlert?: boolean;
}

function owner(scope: OwnerNotifyConfig['scope'], name: string, r: OwnerRefs, smtpDefault: boolean): OwnerNotifyConfig {
  const s = (x: ScriptRef | undefined): ScriptSpec | undefined => spec(x);
  const master = s(r.notifyMaster);
  const backup = s(r.notifyBackup);
  const fault = s(r.notifyFault);
  const stop = s(r.notifyStop);
  const notify = s(r.notify);
  const deleted = r.notifyDeleted === undefined ? undefined : (s(r.notifyDeleted) ?? true);
  return {
    scope,
    name,
    smtpAlert: r.smtpAlert ?? smtpDefault,
    ...(master !== undefined ? { master } : {}),
    ...(backup !== undefined ? { backup } : {}),
    ...(fault !== undefined ? { fault } : {}),
    ...(stop !== undefined ? { stop } : {}),
    ...(notify !== undefined ? { notify } : {}),
    ...(deleted !== undefined ? { deleted } : {}),
  };
}

/** The Notifier's settings from a keepalived model. `env` is the scripts' environment. */
export function notifierConfigFromModel(model: KeepalivedModel, env: Readonly<Record<string, string>>): NotifierConfig {
  const g = model.globalDefs;
  const smtpDefault = g.smtpAlertVrrp ?? g.smtpAlert ?? false;
  const owners: OwnerNotifyConfig[] = [
    ...model.vrrpInstances.map((i) => owner('INSTANCE', i.name, i, smtpDefault)),
    ...model.vrrpSyncGroups.map((sg) => owner('GROUP', sg.name, sg, smtpDefault)),
  ];
  const fifos: { path: string; kind: FifoKind; script?: ScriptSpec }[] = [];
  const fifo = (path: ScriptRef | undefined, script: ScriptRef | undefined, kind: FifoKind): void => {
    if (path === undefined || path.command === '') return;
    const sc = spec(script);
    fifos.push({ path: path.command, kind, ...(sc !== undefined ? { script: sc } : {}) });
  };
  fifo(g.notifyFifo, g.notifyFifoScript, 'all');
  fifo(g.vrrpNotifyFifo, g.vrrpNotifyFifoScript, 'vrrp');
  fifo(g.lvsNotifyFifo, g.lvsNotifyFifoScript, 'lvs');
  const email =
    g.smtpServer !== undefined && g.notificationEmail.length > 0
      ? {
          to: g.notificationEmail,
          host: g.smtpServer.host,
          port: g.smtpServer.port,
          connectTimeoutMs: g.smtpConnectTimeoutMs,
          ...(g.notificationEmailFrom !== undefined ? { from: g.notificationEmailFrom } : {}),
          ...(g.routerId !== undefined ? { routerId: g.routerId } : {}),
        }
      : undefined;
  return {
    owners,
    enableScriptSecurity: g.enableScriptSecurity,
    ...(g.scriptUser !== undefined ? { scriptUser: g.scriptUser } : {}),
    fifos,
    ...(email !== undefined ? { email } : {}),
    lvsSmtpAlert: g.smtpAlertChecker ?? g.smtpAlert ?? false,
    webhooks: (g.notifyWebhooks ?? []).map((url) => ({ url })),
    env,
    ...(g.routerId !== undefined ? { routerId: g.routerId } : {}),
  };
}

export type Reported = 'INIT' | 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP';

/** The state a report stands for in notifications, given the last one of the same instance. */
function reportedState(prev: Reported, state: InstanceReport['state']): Reported {
  // INIT after running is a stop (the engine moves to INIT on ShutdownRequested).
  if (state === 'INIT') return prev === 'INIT' || prev === 'STOP' ? prev : 'STOP';
  // A releasing master still holds its VIPs (make before break): the notification is for where
  // the release ends, BACKUP after a step-down or STOP after a stop.
  if (state === 'RELEASING') return prev;
  return state;
}

/** What one state report means for notifications, given the last one of the same instance. */
export function transitionFor(before: { state: Reported; priority: number } | undefined, report: InstanceReport, priorityChanges: boolean): TransitionEvent | null {
  const prev: Reported = before?.state ?? 'INIT';
  const now = reportedState(prev, report.state);
  if (now !== prev) {
    if (now === 'INIT') return null;
    // An instance a reload removed: keepalived notifies DELETED (notify_deleted), and FAULT for
    // an instance without notify_deleted (the Notifier maps it), instead of STOP.
    const state = now === 'STOP' && report.deleted === true ? 'DELETED' : now;
    return { scope: 'INSTANCE', name: report.name, state, priority: report.priority, previousState: prev === 'STOP' ? 'INIT' : prev, cause: report.cause };
  }
  if (priorityChanges && before !== undefined && before.priority !== report.priority && (now === 'MASTER' || now === 'BACKUP')) {
    return { scope: 'INSTANCE', name: report.name, state: now === 'MASTER' ? 'MASTER_PRIORITY' : 'BACKUP_PRIORITY', priority: report.priority, cause: report.cause };
  }
  return null;
}

/** A sync group's state from its members' (keepalived: FAULT if any is, else the common state). */
export function groupState(members: readonly Reported[]): Reported | null {
  if (members.length === 0) return null;
  if (members.includes('FAULT')) return 'FAULT';
  const first = members[0];
  return first !== undefined && members.every((m) => m === first) ? first : null;
}

export interface NotifiersOptions {
  /** The supervisor's pid: a notify script's `systemctl stop keepalived` stops halo. */
  readonly haloPid: number;
  readonly env: Readonly<Record<string, string>>;
  readonly log: Logger;
}

/** The last state each instance and group was notified in: a new set carries on from it. */
export interface NotifierMemory {
  readonly instances: ReadonlyMap<string, { readonly state: Reported; readonly priority: number }>;
  readonly groups: ReadonlyMap<string, Reported>;
}

export interface RunningNotifiers {
  /** A state report from the VRRP process. Returns at once. */
  onReport(report: InstanceReport): void;
  /** The last states (a copy), for the set that replaces this one at a reload. */
  memory(): NotifierMemory;
  /** Resolves when scripts, email and webhooks have nothing running or queued (tests, stop). */
  idle(): Promise<void>;
  close(): void;
}

export function buildNotifiers(model: KeepalivedModel, opts: NotifiersOptions, carried?: NotifierMemory): RunningNotifiers {
  const log = opts.log;
  const sink = (e: LogEvent): void => log({ level: e.level, code: e.code, msg: e.message, ...(e.fields !== undefined ? { fields: e.fields } : {}) });
  const env = compatEnv(opts.env, { haloPid: opts.haloPid });
  const notifier = new Notifier(notifierConfigFromModel(model, env), sink);
  const globalPriorityChanges = model.globalDefs.vrrpNotifyPriorityChanges ?? false;
  const priorityChanges = new Map(model.vrrpInstances.map((i) => [i.name, i.notifyPriorityChanges ?? globalPriorityChanges]));
  const groupOf = new Map<string, string>();
  const groups = new Map<string, string[]>();
  for (const sg of model.vrrpSyncGroups) {
    groups.set(sg.name, sg.group.map((m) => m.name));
    for (const m of sg.group) groupOf.set(m.name, sg.name);
  }
  const last = new Map<string, { state: Reported; priority: number }>(carried?.instances ?? []);
  const lastGroup = new Map<string, Reported>(carried?.groups ?? []);
  return {
    memory: () => ({ instances: new Map(last), groups: new Map(lastGroup) }),
    onReport(report) {
      const before = last.get(report.name);
      const t = transitionFor(before, report, priorityChanges.get(report.name) ?? globalPriorityChanges);
      last.set(report.name, { state: reportedState(before?.state ?? 'INIT', report.state), priority: report.priority });
      if (t === null) return;
      log({ level: 'info', msg: `Notifying ${report.name} ${t.state}: ${report.cause}`, fields: { instance: report.name, state: t.state, priority: t.priority } });
      notifier.transition(t);
      const group = groupOf.get(report.name);
      if (group === undefined || t.state.endsWith('_PRIORITY')) return;
      const states = (groups.get(group) ?? []).map((m) => last.get(m)?.state ?? 'INIT');
      const gs = groupState(states);
      const prevGroup = lastGroup.get(group) ?? 'INIT';
      if (gs === null || gs === 'INIT' || gs === prevGroup) return;
      lastGroup.set(group, gs);
      notifier.transition({ scope: 'GROUP', name: group, state: gs as NotifyState, priority: 0, previousState: prevGroup === 'STOP' ? 'INIT' : prevGroup, cause: `Member ${report.name}: ${report.cause}` });
    },
    idle: () => notifier.idle(),
    close: () => notifier.close(),
  };
}

/** How long a replaced set may finish what it queued before it is closed (scripts go on running). */
export const RETIRE_BOUND_MS = 5000;

/**
 * The notifiers of a running director across reloads. `reload(model)` builds the new set from the
 * new model, carrying on from the last state of every instance and group (a kept instance is not
 * notified again), and keeps the old set for the instances the new model no longer has: their
 * last reports (STOP, marked `deleted`) need the old config's notify_deleted. `retire()` then lets
 * the old set finish what it queued, at most `RETIRE_BOUND_MS`, and closes it.
 */
export class NotifierSwitch {
  private current: RunningNotifiers;
  private names: ReadonlySet<string>;
  private retiring: RunningNotifiers | undefined;

  constructor(
    model: KeepalivedModel,
    private readonly opts: NotifiersOptions,
    private readonly build: typeof buildNotifiers = buildNotifiers,
    private readonly retireBoundMs = RETIRE_BOUND_MS,
  ) {
    this.current = build(model, opts);
    this.names = new Set(model.vrrpInstances.map((i) => i.name));
  }

  onReport(report: InstanceReport): void {
    const old = this.retiring;
    if (old !== undefined && !this.names.has(report.name)) old.onReport(report);
    else this.current.onReport(report);
  }

  reload(model: KeepalivedModel): void {
    const old = this.current;
    // A set still retiring from the reload before is closed now: only one old set is kept.
    this.retiring?.close();
    this.current = this.build(model, this.opts, old.memory());
    this.names = new Set(model.vrrpInstances.map((i) => i.name));
    this.retiring = old;
  }

  async retire(): Promise<void> {
    const old = this.retiring;
    if (old === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([old.idle(), new Promise((r) => (timer = setTimeout(r, this.retireBoundMs)))]);
    clearTimeout(timer);
    // A later reload closed it already.
    if (this.retiring !== old) return;
    this.retiring = undefined;
    old.close();
  }

  idle(): Promise<void> {
    return Promise.all([this.current.idle(), this.retiring?.idle()]).then(() => undefined);
  }

  close(): void {
    this.retiring?.close();
    this.retiring = undefined;
    this.current.close();
  }
}
