/**
 * keepalived model → the check layer's pools: every `virtual_server` (address and port, fwmark, or
 * group) becomes one pool (`VirtualServerSpec`) whose real servers carry `CheckSpec`s built by
 * `src/check/spec.ts`. The model has already resolved the inheritance of `delay_loop`, `retry`,
 * `delay_before_retry`, `connect_timeout`, `warmup` and `alpha` from the real and virtual server
 * (build.ts, as keepalived's checker does); this file resolves what is left:
 *
 * - `virtualhost`: checker, else real server, else virtual server (keepalived's order);
 * - `inhibit_on_failure`, `smtp_alert`: real server, else virtual server (else global_defs
 *   `smtp_alert_checker` / `smtp_alert` for smtp_alert);
 * - `log_all_failures`: checker, else global_defs `checker_log_all_failures`;
 * - FILE_CHECK: the `track_file` it names gives the file and, unless the checker sets its own, the
 *   weight and `reverse`;
 * - a real server without a port takes the virtual server's port (keepalived does the same).
 *
 * One pool per virtual_server, also for groups: keepalived checks each real server of a
 * `virtual_server group` once, not once per address of the group.
 *
 * Pure: never throws; problems come back as diagnostics (with the position of the checker).
 */
import type { Diagnostic, SourcePos } from '../../core/diagnostic.js';
import { backendId } from '../../core/backend.js';
import type { CheckEvent } from '../../check/policy.js';
import { fifoLine } from '../../check/policy.js';
import { buildCheck, parseHexString, type CheckInput, type CheckSpec, type CommonInput, type DnsType, type RealServerSpec, type VirtualServerSpec } from '../../check/spec.js';
import { buildBfdInstance, type BfdInstanceSpec } from '../../check/bfd/spec.js';
import { describeVs } from './build.js';
import type { Checker, KeepalivedModel, RealServer, ScriptRef, TrackFile, VirtualServer } from './model.js';

/** Who a script runs as (`notify_down "/x.sh down" nobody`); absent: the default script user. */
export interface ScriptUser {
  readonly user?: string;
  readonly group?: string;
}

export interface PoolPlan {
  readonly spec: VirtualServerSpec;
  /**
   * The service as keepalived's notify FIFO names it: `[192.168.201.15]:tcp:80`, `FWM 42`, or the
   * group's name.
   */
  readonly fifoName: string;
  /** The user of each notify_up/notify_down/quorum_up/quorum_down command, by command text. */
  readonly scriptUsers: Readonly<Record<string, ScriptUser>>;
  readonly pos: SourcePos;
}

export interface CheckPlan {
  readonly pools: readonly PoolPlan[];
  /** global_defs `lvs_notify_fifo`: gets the VS and RS lines. */
  readonly lvsNotifyFifo?: string;
  /** global_defs `notify_fifo`: gets every line, VRRP's too. */
  readonly notifyFifo?: string;
  /** global_defs `notify_webhook` (halo extension): real-server and quorum changes are POSTed there too. */
  readonly webhooks?: readonly string[];
  /** global_defs `script_user [group]`: who scripts run as when they name no user. */
  readonly scriptUser?: ScriptUser;
  /** global_defs `enable_script_security`. */
  readonly enableScriptSecurity: boolean;
  /**
   * Where smtp_alert mail goes (global_defs `notification_email`, `notification_email_from`,
   * `smtp_server`, `smtp_connect_timeout`, `router_id`); absent without a server and a recipient.
   */
  readonly smtp?: { readonly to: readonly string[]; readonly from?: string; readonly host: string; readonly port: number; readonly connectTimeoutMs: number; readonly routerId?: string };
  /** smtp_alert for virtual server (quorum) events: `smtp_alert_checker`, else `smtp_alert`. */
  readonly vsSmtpAlert?: boolean;
  /** The `bfd_instance`s the checker process runs (those not marked `vrrp`-only). */
  readonly bfdInstances?: readonly BfdInstanceSpec[];
  readonly diagnostics: readonly Diagnostic[];
}

export interface ToChecksOptions {
  /** halo extension applied to every real server: weight ramps up after a recovery (0 = off). */
  readonly slowStartMs?: number;
}

const PROTOCOLS = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp' } as const;

function common(c: Exclude<Checker, { type: 'FILE_CHECK' | 'BFD_CHECK' }>, logAllDefault: boolean | undefined): CommonInput {
  const logAll = c.logAllFailures ?? logAllDefault;
  return {
    connectTimeoutMs: c.connectTimeoutMs,
    retry: c.retry,
    delayBeforeRetryMs: c.delayBeforeRetryMs,
    delayLoopMs: c.delayLoopMs,
    ...(c.warmupMs !== undefined ? { warmupMs: c.warmupMs } : {}),
    ...(c.alpha !== undefined ? { alpha: c.alpha } : {}),
    ...(logAll !== undefined ? { logAllFailures: logAll } : {}),
    ...(c.connectIp !== undefined ? { connectIp: c.connectIp } : {}),
    ...(c.connectPort !== undefined ? { connectPort: c.connectPort } : {}),
    ...(c.bindto !== undefined ? { bindTo: c.bindto } : {}),
    ...(c.bindPort !== undefined ? { bindPort: c.bindPort } : {}),
  };
}

function bytes(hex: string): Uint8Array {
  return Uint8Array.from(parseHexString(hex, false).spec.map((b) => b ?? 0));
}

/** The CheckInput for one model checker, or a reason it is not run. */
function checkInput(
  c: Checker,
  rs: RealServer,
  vs: VirtualServer,
  model: KeepalivedModel,
  files: ReadonlyMap<string, TrackFile>,
): { input: CheckInput } | { skip: string; code: 'HALO_CFG_NOT_SUPPORTED' | 'HALO_CFG_UNKNOWN_REFERENCE' } {
  const logAllDefault = model.globalDefs.checkerLogAllFailures;
  switch (c.type) {
    case 'BFD_CHECK': {
      const inst = c.name !== undefined ? (model.bfdInstances ?? []).find((b) => b.name === c.name) : undefined;
      if (inst === undefined || inst.neighborIp === undefined) return { skip: `BFD_CHECK names no bfd_instance with a neighbor_ip: ${c.name ?? '(none)'}`, code: 'HALO_CFG_UNKNOWN_REFERENCE' };
      if (inst.vrrpOnly) return { skip: `BFD_CHECK names bfd_instance ${inst.name}, which sends its events to VRRP only (vrrp keyword)`, code: 'HALO_CFG_NOT_SUPPORTED' };
      // keepalived's BFD_CHECK has none of the common options and acts on the session's events:
      // down when the session leaves Up, up when it comes Up. halo reads the session state at
      // once on every change (the engine triggers the check), and every delay_loop besides;
      // alpha: a server is down until its session has come Up.
      return { input: { kind: 'BFD_CHECK', name: inst.name, delayLoopMs: rs.delayLoopMs ?? vs.delayLoopMs, retry: 0, warmupMs: 0, alpha: true } };
    }
    case 'FILE_CHECK': {
      const tf = c.trackFile !== undefined ? files.get(c.trackFile) : undefined;
      if (tf === undefined || tf.file === undefined) return { skip: `FILE_CHECK names no track_file with a file: ${c.trackFile ?? '(none)'}`, code: 'HALO_CFG_UNKNOWN_REFERENCE' };
      const own = c.weight !== undefined;
      // keepalived watches the file (inotify) and acts on a change at once; halo reads it every
      // delay_loop of the real server (or virtual server), and one read decides (retry 0).
      const delayLoopMs = rs.delayLoopMs ?? vs.delayLoopMs;
      return {
        input: {
          kind: 'FILE_CHECK',
          path: tf.file,
          weight: own ? (c.weight as number) : tf.weight,
          reverse: own ? c.weightReverse : tf.weightReverse,
          dynamic: c.dynamic,
          delayLoopMs,
          retry: 0,
          warmupMs: 0,
        },
      };
    }
    case 'TCP_CHECK':
    case 'PING_CHECK':
      return { input: { kind: c.type, ...common(c, logAllDefault) } };
    case 'SMTP_CHECK':
      return { input: { kind: 'SMTP_CHECK', ...common(c, logAllDefault), ...(c.heloName !== undefined ? { heloName: c.heloName } : {}) } };
    case 'DNS_CHECK':
      return { input: { kind: 'DNS_CHECK', ...common(c, logAllDefault), type: c.queryType.toUpperCase() as DnsType, name: c.queryName } };
    case 'MISC_CHECK': {
      const user = c.user?.user ?? c.miscPath?.user;
      const group = c.user?.group ?? c.miscPath?.group;
      return {
        input: {
          kind: 'MISC_CHECK',
          ...common(c, logAllDefault),
          miscPath: c.miscPath?.command ?? '',
          miscDynamic: c.miscDynamic,
          ...(c.miscTimeoutMs !== undefined ? { miscTimeoutMs: c.miscTimeoutMs } : {}),
          ...(user !== undefined ? { user } : {}),
          ...(group !== undefined ? { group } : {}),
        },
      };
    }
    case 'UDP_CHECK':
      return {
        input: {
          kind: 'UDP_CHECK',
          ...common(c, logAllDefault),
          minReplyLength: c.minReplyLength,
          maxReplyLength: c.maxReplyLength,
          requireReply: c.requireReply !== undefined,
          ...(c.payloadHex !== undefined ? { payload: bytes(c.payloadHex) } : {}),
          ...(typeof c.requireReply === 'string' ? { replyPattern: parseHexString(c.requireReply, true).spec } : {}),
        },
      };
    case 'HTTP_GET':
    case 'SSL_GET': {
      const virtualhost = c.virtualhost ?? rs.virtualhost ?? vs.virtualhost;
      return {
        input: {
          kind: c.type,
          ...common(c, logAllDefault),
          fastRecovery: c.fastRecovery,
          enableSni: c.enableSni,
          ...(c.httpProtocol !== undefined ? { httpProtocol: c.httpProtocol } : {}),
          ...(virtualhost !== undefined ? { virtualhost } : {}),
          urls: c.url.map((u) => ({
            path: u.path ?? '',
            statusCodes: u.statusCode,
            regexNoMatch: u.regexNoMatch,
            ...(u.digest !== undefined ? { digest: u.digest } : {}),
            ...(u.virtualhost !== undefined ? { virtualhost: u.virtualhost } : {}),
            ...(u.regex !== undefined ? { regex: u.regex } : {}),
          })),
        },
      };
    }
  }
}

/** Checkers that open a connection to the real server and so need a port. */
function needsPort(spec: CheckSpec): boolean {
  return spec.kind !== 'MISC_CHECK' && spec.kind !== 'FILE_CHECK' && spec.kind !== 'PING_CHECK' && spec.kind !== 'BFD_CHECK';
}

function addScript(users: Record<string, ScriptUser>, ref: ScriptRef | undefined): string | undefined {
  if (ref === undefined) return undefined;
  users[ref.command] = { ...(ref.user !== undefined ? { user: ref.user } : {}), ...(ref.group !== undefined ? { group: ref.group } : {}) };
  return ref.command;
}

/** `ip:port` (core/backend.ts); a server without a port (fwmark services) is named by its address. */
function serverId(address: string, port: number): string {
  return port === 0 ? backendId(address, 0).replace(/:0$/, '') : backendId(address, port);
}

function fifoNameOf(vs: VirtualServer): string {
  const k = vs.key;
  if (k.kind === 'fwmark') return `FWM ${k.fwmark}`;
  if (k.kind === 'group') return k.group;
  return `[${k.address}]:${PROTOCOLS[vs.protocol]}:${k.port ?? 0}`;
}

export function keepalivedToChecks(model: KeepalivedModel, options: ToChecksOptions = {}): CheckPlan {
  const diagnostics: Diagnostic[] = [];
  const files = new Map(model.trackFiles.map((t) => [t.name, t]));
  const g = model.globalDefs;
  const pools: PoolPlan[] = model.virtualServers.map((vs) => {
    const scriptUsers: Record<string, ScriptUser> = {};
    const vsPort = vs.key.kind === 'address' ? vs.key.port : undefined;
    const realServers: RealServerSpec[] = vs.realServers.map((rs) => {
      const port = rs.port ?? vsPort ?? 0;
      const checkers: CheckSpec[] = [];
      for (const c of rs.checkers) {
        const r = checkInput(c, rs, vs, model, files);
        if ('skip' in r) {
          diagnostics.push({ severity: 'warning', code: r.code, message: r.skip, pos: c.pos });
          continue;
        }
        const built = buildCheck(r.input);
        for (const p of built.problems) diagnostics.push({ severity: 'error', code: 'HALO_CHK_SPEC_INVALID', message: p, pos: c.pos });
        if (needsPort(built.spec) && built.spec.connectPort === undefined && port === 0) {
          diagnostics.push({ severity: 'error', code: 'HALO_SVC_NO_PORT', message: `Cannot check ${rs.address} with ${c.type}: no port (set connect_port)`, pos: c.pos });
        }
        checkers.push(built.spec);
      }
      const smtpAlert = rs.smtpAlert ?? vs.smtpAlert ?? g.smtpAlertChecker ?? g.smtpAlert;
      const notifyUp = addScript(scriptUsers, rs.notifyUp);
      const notifyDown = addScript(scriptUsers, rs.notifyDown);
      return {
        id: serverId(rs.address, port),
        address: rs.address,
        port,
        weight: rs.weight,
        checkers,
        inhibitOnFailure: rs.inhibitOnFailure ?? vs.inhibitOnFailure,
        slowStartMs: options.slowStartMs ?? 0,
        ...(notifyUp !== undefined ? { notifyUp } : {}),
        ...(notifyDown !== undefined ? { notifyDown } : {}),
        ...(smtpAlert !== undefined ? { smtpAlert } : {}),
      };
    });
    const quorumUp = addScript(scriptUsers, vs.quorumUp);
    const quorumDown = addScript(scriptUsers, vs.quorumDown);
    const sorry = vs.sorryServer;
    const spec: VirtualServerSpec = {
      id: describeVs(vs),
      address: vs.key.kind === 'address' ? vs.key.address : '',
      port: vsPort ?? 0,
      protocol: PROTOCOLS[vs.protocol],
      realServers,
      quorum: vs.quorum,
      hysteresis: vs.hysteresis,
      haSuspend: vs.haSuspend,
      omega: vs.omega,
      ...(quorumUp !== undefined ? { quorumUp } : {}),
      ...(quorumDown !== undefined ? { quorumDown } : {}),
      ...(sorry !== undefined ? { sorryServer: serverId(sorry.address, sorry.port ?? vsPort ?? 0) } : {}),
      ...(vs.virtualhost !== undefined ? { virtualhost: vs.virtualhost } : {}),
    };
    return { spec, fifoName: fifoNameOf(vs), scriptUsers, pos: vs.pos };
  });
  if (pools.length === 0) diagnostics.push({ severity: 'warning', code: 'HALO_SVC_NO_SERVICES', message: 'Nothing to check: the configuration has no virtual_server' });
  const bfdInstances: BfdInstanceSpec[] = [];
  for (const b of model.bfdInstances ?? []) {
    if (b.vrrpOnly || b.neighborIp === undefined) continue;
    const built = buildBfdInstance({
      name: b.name,
      neighborIp: b.neighborIp,
      minRxUs: b.minRxUs,
      minTxUs: b.minTxUs,
      idleTxUs: b.idleTxUs,
      multiplier: b.multiplier,
      passive: b.passive,
      ...(b.sourceIp !== undefined ? { sourceIp: b.sourceIp } : {}),
      ...(b.ttl !== undefined ? { ttl: b.ttl } : {}),
      ...(b.hoplimit !== undefined ? { hoplimit: b.hoplimit } : {}),
      ...(b.maxHops !== undefined ? { maxHops: b.maxHops } : {}),
    });
    for (const p of built.problems) diagnostics.push({ severity: 'error', code: 'HALO_CHK_SPEC_INVALID', message: `bfd_instance ${b.name}: ${p}`, pos: b.pos });
    bfdInstances.push(built.spec);
  }
  return {
    pools,
    ...(bfdInstances.length > 0 ? { bfdInstances } : {}),
    ...(g.smtpServer !== undefined && g.notificationEmail.length > 0
      ? {
          smtp: {
            to: [...g.notificationEmail],
            host: g.smtpServer.host,
            port: g.smtpServer.port,
            connectTimeoutMs: g.smtpConnectTimeoutMs,
            ...(g.notificationEmailFrom !== undefined ? { from: g.notificationEmailFrom } : {}),
            ...(g.routerId !== undefined ? { routerId: g.routerId } : {}),
          },
        }
      : {}),
    ...((g.smtpAlertChecker ?? g.smtpAlert) !== undefined ? { vsSmtpAlert: (g.smtpAlertChecker ?? g.smtpAlert) as boolean } : {}),
    diagnostics,
    enableScriptSecurity: g.enableScriptSecurity,
    ...(g.scriptUser !== undefined ? { scriptUser: { user: g.scriptUser.user, ...(g.scriptUser.group !== undefined ? { group: g.scriptUser.group } : {}) } } : {}),
    ...(g.lvsNotifyFifo !== undefined ? { lvsNotifyFifo: g.lvsNotifyFifo.command } : {}),
    ...(g.notifyFifo !== undefined ? { notifyFifo: g.notifyFifo.command } : {}),
    ...(g.notifyWebhooks !== undefined ? { webhooks: g.notifyWebhooks } : {}),
  };
}

/**
 * keepalived's lvs_notify_fifo line for an event of a pool, without the newline. Address services
 * use the check layer's rendering (`VS [192.168.201.15]:tcp:80 UP`); fwmark and group services
 * name the service as keepalived does (`VS FWM 42 UP`, `RS [10.0.3.1]:tcp:80 FWM 42 DOWN`).
 */
export function poolFifoLine(pool: PoolPlan, event: CheckEvent): string | undefined {
  const vs = pool.spec;
  if (vs.address !== '') return fifoLine(vs, event);
  if (event.type === 'quorum') return `VS ${pool.fifoName} ${event.up ? 'UP' : 'DOWN'}`;
  if (event.type === 'server') {
    const rs = vs.realServers.find((r) => r.id === event.serverId);
    if (!rs) return undefined;
    return `RS [${rs.address}]:${vs.protocol}:${rs.port} ${pool.fifoName} ${event.health === 'up' ? 'UP' : 'DOWN'}`;
  }
  return undefined;
}
