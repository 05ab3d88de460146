/**
 * The Notifier: one entry point that takes transition and LVS events and fans them out to notify
 * scripts, FIFOs, email and webhooks. `transition()` and `lvs()` return at once and never throw;
 * each channel queues on its own, so a slow script, a FIFO without reader, a dead SMTP server or a
 * failing webhook delays nothing else. Every failure is a logged event with a code.
 *
 * Which scripts run for a transition (keepalived.conf(5), vrrp_sync_group / vrrp_instance):
 *   MASTER → notify_master, BACKUP → notify_backup, FAULT → notify_fault, STOP → notify_stop,
 *   DELETED → notify_deleted's script when one is given; then the generic `notify` with four more
 *   arguments: INSTANCE|GROUP, name, state, priority. Without `notify_deleted`, a deleted instance
 *   is reported as FAULT (keepalived's default).
 * Scripts run as their own user/group, else `script_user`, else `keepalived_script` when it
 * exists, else halo's own user. With `enable_script_security`, a script that would run as root
 * from a path a non-root user can change is refused (logged, not run).
 */
import type { LogSink } from './log.js';
import type { LvsEvent, NotifyScope, NotifyState, TransitionEvent } from './events.js';
import { fifoLine } from './events.js';
import { FifoWriter } from './fifo.js';
import { EmailNotifier, lvsMail, transitionMail } from './email.js';
import type { EmailConfig } from './email.js';
import { WebhookNotifier } from './webhook.js';
import type { WebhookConfig } from './webhook.js';
import { ScriptQueue } from './script-queue.js';
import type { RunAs, ScriptHandle } from './script-exec.js';
import { defaultScriptUser, lookupUser, runScript, scriptSecurityProblem } from './script-exec.js';

/** A configured script: `notify_master "/path/x.sh master" [username [groupname]]`. */
export interface ScriptSpec {
  readonly command: string;
  readonly user?: string;
  readonly group?: string;
}

/** Notification settings of one instance or sync group. */
export interface OwnerNotifyConfig {
  readonly scope: NotifyScope;
  readonly name: string;
  readonly master?: ScriptSpec;
  readonly backup?: ScriptSpec;
  readonly fault?: ScriptSpec;
  readonly stop?: ScriptSpec;
  /** `notify_deleted` without a script is `true`: DELETED is reported instead of FAULT. */
  readonly deleted?: ScriptSpec | true;
  readonly notify?: ScriptSpec;
  /** Resolved `smtp_alert` (instance setting, else `smtp_alert_vrrp`, else `smtp_alert`). */
  readonly smtpAlert: boolean;
}

export type FifoKind = 'all' | 'vrrp' | 'lvs';

export interface NotifierConfig {
  readonly owners: readonly OwnerNotifyConfig[];
  /** `script_user [group]`. */
  readonly scriptUser?: { readonly user: string; readonly group?: string };
  readonly enableScriptSecurity: boolean;
  /**
   * `notify_fifo` (all), `vrrp_notify_fifo`, `lvs_notify_fifo`, each with its optional
   * `*_fifo_script`: a reader halo starts once with the FIFO path as last argument and sends
   * SIGTERM when it closes (keepalived's behaviour).
   */
  readonly fifos: readonly { readonly path: string; readonly kind: FifoKind; readonly script?: ScriptSpec }[];
  readonly email?: EmailConfig;
  /** smtp_alert for checker (LVS) events: `smtp_alert_checker`, else `smtp_alert`. */
  readonly lvsSmtpAlert?: boolean;
  readonly webhooks: readonly WebhookConfig[];
  /** Environment of the scripts (PATH at least). */
  readonly env: Readonly<Record<string, string>>;
  readonly routerId?: string;
  /** Where to read users and groups; tests point this at their own files. */
  readonly userDb?: { readonly passwd: string; readonly group: string };
  readonly scriptLimits?: { readonly maxRunning?: number; readonly maxQueuedPerScript?: number; readonly orderWaitMs?: number };
}

export class Notifier {
  private readonly owners = new Map<string, OwnerNotifyConfig>();
  private readonly fifos: { writer: FifoWriter; kind: FifoKind }[];
  private readonly email: EmailNotifier | null;
  private readonly webhooks: WebhookNotifier[];
  readonly scripts: ScriptQueue;
  private readonly defaultUser: RunAs | { error: string };
  private readonly fifoReaders: ScriptHandle[] = [];
  private seq = 0;

  constructor(private readonly config: NotifierConfig, private readonly log: LogSink) {
    for (const o of config.owners) this.owners.set(`${o.scope}:${o.name}`, o);
    this.scripts = new ScriptQueue({ env: config.env, log, ...config.scriptLimits });
    this.fifos = config.fifos.map((f) => {
      const writer = new FifoWriter({ path: f.path, log });
      writer.ensure();
      return { writer, kind: f.kind };
    });
    this.email = config.email && config.email.to.length > 0 ? new EmailNotifier({ ...config.email, ...(config.routerId !== undefined && config.email.routerId === undefined ? { routerId: config.routerId } : {}) }, log) : null;
    this.webhooks = config.webhooks.map((w) => new WebhookNotifier(w, log));
    this.defaultUser = config.scriptUser ? lookupUser(config.scriptUser.user, config.scriptUser.group, config.userDb) : defaultScriptUser(config.userDb);
    for (const f of config.fifos) if (f.script) this.startFifoReader(f.script, f.path);
  }

  private startFifoReader(spec: ScriptSpec, path: string): void {
    const runAs = this.resolveRunAs(spec, `FIFO reader of ${path}`);
    if (runAs === null) return;
    const handle = runScript({ command: spec.command, args: [path], env: this.config.env, ...(runAs !== 'self' ? { runAs } : {}) });
    this.fifoReaders.push(handle);
    void handle.done.then((exit) => {
      if (exit.kind === 'spawn-failed') this.log({ level: 'error', code: 'HALO_NTF_SCRIPT_SPAWN', message: `Cannot start the FIFO reader of ${path}: ${spec.command}: ${exit.error}`, fields: { script: spec.command } });
    });
  }

  /** An instance or group changed state. Returns at once; never throws. */
  transition(event: TransitionEvent): void {
    try {
      this.fanOut(event);
    } catch (e) {
      this.log({ level: 'error', code: 'HALO_GEN_ASSERTION', message: `Notifier failed on ${event.scope} ${event.name} ${event.state}: ${String(e)}` });
    }
  }

  /**
   * A virtual or real server changed state (checker side). `smtpAlert` is that server's own
   * smtp_alert (keepalived resolves it per real server); without it the global lvsSmtpAlert applies.
   */
  lvs(event: LvsEvent, smtpAlert?: boolean): void {
    try {
      const line = fifoLine(event);
      for (const f of this.fifos) if (f.kind !== 'vrrp') f.writer.write(line);
      if (this.email && (smtpAlert ?? this.config.lvsSmtpAlert)) this.email.send(lvsMail(this.email.routerId, event));
      for (const w of this.webhooks) w.post({ type: 'lvs', seq: ++this.seq, time: new Date().toISOString(), ...event });
    } catch (e) {
      this.log({ level: 'error', code: 'HALO_GEN_ASSERTION', message: `Notifier failed on ${event.kind} event: ${String(e)}` });
    }
  }

  /** Resolves when scripts, email and webhooks have nothing running or waiting. */
  async idle(): Promise<void> {
    await Promise.all([this.scripts.idle(), this.email?.idle(), ...this.webhooks.map((w) => w.idle())]);
  }

  close(): void {
    for (const r of this.fifoReaders) r.signal('SIGTERM');
    for (const f of this.fifos) f.writer.close();
    this.email?.close();
    for (const w of this.webhooks) w.close();
  }

  private fanOut(event: TransitionEvent): void {
    const owner = this.owners.get(`${event.scope}:${event.name}`);
    // keepalived reports a deleted instance as FAULT unless notify_deleted is configured.
    const state: NotifyState = event.state === 'DELETED' && owner?.deleted === undefined ? 'FAULT' : event.state;
    const ev: TransitionEvent = { ...event, state };
    const line = fifoLine(ev);
    for (const f of this.fifos) if (f.kind !== 'lvs') f.writer.write(line);
    if (owner) {
      const specific = this.specificScript(owner, state);
      if (specific) this.runScript(specific, [], `notify_${state.toLowerCase()} of ${owner.name}`);
      if (owner.notify && isScriptState(state)) this.runScript(owner.notify, [ev.scope, ev.name, state, String(ev.priority)], `notify of ${owner.name}`);
      if (owner.smtpAlert && this.email && isScriptState(state)) this.email.send(transitionMail(this.email.routerId, ev));
    }
    for (const w of this.webhooks) {
      w.post({ type: 'vrrp', seq: ++this.seq, time: new Date().toISOString(), routerId: this.config.routerId ?? null, scope: ev.scope, name: ev.name, state, priority: ev.priority, previousState: ev.previousState ?? null, cause: ev.cause ?? null });
    }
  }

  private specificScript(owner: OwnerNotifyConfig, state: NotifyState): ScriptSpec | undefined {
    switch (state) {
      case 'MASTER': return owner.master;
      case 'BACKUP': return owner.backup;
      case 'FAULT': return owner.fault;
      case 'STOP': return owner.stop;
      case 'DELETED': return owner.deleted === true ? undefined : owner.deleted;
      default: return undefined;
    }
  }

  /** The user a script runs as: a RunAs to switch to, 'self' to run as halo, null when refused. */
  private resolveRunAs(spec: ScriptSpec, label: string): RunAs | 'self' | null {
    const runAs = spec.user !== undefined ? lookupUser(spec.user, spec.group, this.config.userDb) : this.defaultUser;
    if ('error' in runAs) {
      this.log({ level: 'error', code: 'HALO_NTF_USER_UNKNOWN', message: `Not running ${label}: ${runAs.error}`, fields: { script: spec.command } });
      return null;
    }
    if (this.config.enableScriptSecurity && runAs.uid === 0) {
      const problem = scriptSecurityProblem(spec.command, this.config.env.PATH);
      if (problem) {
        this.log({ level: 'error', code: 'HALO_NTF_SCRIPT_UNSAFE', message: `Not running ${label} as root: ${problem}`, fields: { script: spec.command } });
        return null;
      }
    }
    // Switching users needs root; as another user halo runs scripts as itself.
    const self = process.getuid?.();
    return self === 0 && (runAs.uid !== 0 || runAs.gid !== 0) ? runAs : 'self';
  }

  private runScript(spec: ScriptSpec, args: string[], label: string): void {
    const runAs = this.resolveRunAs(spec, label);
    if (runAs === null) return;
    this.scripts.enqueue({ command: spec.command, args, label, ...(runAs !== 'self' ? { runAs } : {}) });
  }
}

function isScriptState(state: NotifyState): boolean {
  return state === 'MASTER' || state === 'BACKUP' || state === 'FAULT' || state === 'STOP' || state === 'DELETED';
}
