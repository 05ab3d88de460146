/**
 * Statement tree → typed model, with keepalived 2.2's defaults and quirks. The keyword tables in
 * schema.ts fill the nodes; this file starts the walk and then completes each node the way
 * keepalived completes it after reading (vrrp_complete_instance and the checker's equivalents):
 * priority from state, the VRRP version from the addresses, advert_int rounding, the timing
 * options a checker inherits from its real server and virtual server.
 */
import type { Diagnostic } from '../../core/diagnostic.js';
import type { ConfNode } from '../tree.js';
import type { Checker, GlobalDefs, KeepalivedModel, RealServer, VirtualServer, VrrpInstance } from './model.js';
import type { Target } from './schema-core.js';
import { ADVERT_US, TOP } from './schema.js';
import { BuildContext } from './values.js';
import { walkBlock } from './walk.js';

export function defaultGlobalDefs(): GlobalDefs {
  return {
    notificationEmail: [],
    smtpConnectTimeoutMs: 30000,
    noEmailFaults: false,
    vrrpMcastGroup4: '224.0.0.18',
    vrrpMcastGroup6: 'ff02::12',
    vrrpVersion: 2,
    vrrpStrict: false,
    vrrpSkipCheckAdvAddr: false,
    vrrpCheckUnicastSrc: false,
    v3ChecksumAsV2: false,
    vrrpGarpMasterDelayMs: 5000,
    vrrpGarpMasterRepeat: 5,
    vrrpGarpMasterRefreshMs: 0,
    vrrpGarpMasterRefreshRepeat: 1,
    vrrpGarpIntervalUs: 0,
    vrrpGnaIntervalUs: 0,
    vrrpMinGarp: false,
    vrrpDownTimerAdverts: 3,
    vrrpStartupDelayMs: 0,
    enableScriptSecurity: false,
    lvsFlush: false,
    linkbeatUsePolling: false,
    dynamicInterfaces: false,
    keywordPos: {},
  };
}

export function emptyModel(): KeepalivedModel {
  return {
    globalDefs: defaultGlobalDefs(),
    vrrpScripts: [],
    trackFiles: [],
    trackProcesses: [],
    vrrpInstances: [],
    vrrpSyncGroups: [],
    garpGroups: [],
    staticIpaddress: [],
    staticRoutes: [],
    staticRules: [],
    linkbeatInterfaces: [],
    virtualServerGroups: [],
    virtualServers: [],
  };
}

export interface BuildResult {
  readonly model: KeepalivedModel;
  readonly diagnostics: readonly Diagnostic[];
}

/** Builds the model from the parsed statements. Never throws on any tree. */
export function buildKeepalivedModel(nodes: readonly ConfNode[]): BuildResult {
  const ctx = new BuildContext();
  const model = emptyModel();
  walkBlock(ctx, TOP, nodes, model as unknown as Target, {});
  for (const inst of model.vrrpInstances) completeInstance(ctx, inst, model.globalDefs);
  for (const vs of model.virtualServers) completeVirtualServer(ctx, vs);
  return { model, diagnostics: ctx.diagnostics };
}

function completeInstance(ctx: BuildContext, inst: VrrpInstance, g: GlobalDefs): void {
  const set = inst.keywordPos;
  // Settings an instance inherits from global_defs when it does not set them (keepalived 2.2).
  if (set['version'] === undefined) inst.version = g.vrrpVersion;
  if (set['strict_mode'] === undefined) inst.strictMode = g.vrrpStrict;
  if (set['skip_check_adv_addr'] === undefined) inst.skipCheckAdvAddr = g.vrrpSkipCheckAdvAddr;
  if (set['check_unicast_src'] === undefined && g.vrrpCheckUnicastSrc) inst.checkUnicastSrc = true;
  if (set['v3_checksum_as_v2'] === undefined) inst.v3ChecksumAsV2 = g.v3ChecksumAsV2;
  if (set['garp_master_delay'] === undefined) inst.garpMasterDelayMs = g.vrrpGarpMasterDelayMs;
  if (set['garp_master_repeat'] === undefined) inst.garpMasterRepeat = g.vrrpGarpMasterRepeat;
  if (set['garp_master_refresh'] === undefined) inst.garpMasterRefreshMs = g.vrrpGarpMasterRefreshMs;
  if (set['garp_master_refresh_repeat'] === undefined) inst.garpMasterRefreshRepeat = g.vrrpGarpMasterRefreshRepeat;
  if (set['garp_lower_prio_delay'] === undefined && g.vrrpGarpLowerPrioDelayMs !== undefined) inst.garpLowerPrioDelayMs = g.vrrpGarpLowerPrioDelayMs;
  if (set['garp_lower_prio_repeat'] === undefined && g.vrrpGarpLowerPrioRepeat !== undefined) inst.garpLowerPrioRepeat = g.vrrpGarpLowerPrioRepeat;
  if (set['down_timer_adverts'] === undefined) inst.downTimerAdverts = g.vrrpDownTimerAdverts;
  if (set['lower_prio_no_advert'] === undefined && g.vrrpLowerPrioNoAdvert !== undefined) inst.lowerPrioNoAdvert = g.vrrpLowerPrioNoAdvert;
  if (set['higher_prio_send_advert'] === undefined && g.vrrpHigherPrioSendAdvert !== undefined) inst.higherPrioSendAdvert = g.vrrpHigherPrioSendAdvert;
  if (set['notify_priority_changes'] === undefined && g.vrrpNotifyPriorityChanges !== undefined) inst.notifyPriorityChanges = g.vrrpNotifyPriorityChanges;
  if (inst.smtpAlert === undefined) {
    const s = g.smtpAlertVrrp ?? g.smtpAlert;
    if (s !== undefined) inst.smtpAlert = s;
  }

  // The family follows the first virtual address; IPv6 instances always speak VRRPv3 (RFC 5798).
  const first = inst.virtualIpaddress[0];
  if (first !== undefined) inst.family = first.family;
  if (inst.family === 'inet6' && inst.version === 2) {
    if (set['version'] !== undefined) {
      ctx.warn('HALO_CFG_CONFLICT', `Instance ${inst.name} has IPv6 addresses but version 2: IPv6 needs VRRPv3, so version 3 is used`, set['version']);
    }
    inst.version = 3;
  }

  // keepalived: a missing priority means 255 (address owner) when state is MASTER, else 100.
  if (inst.priority === 0) inst.priority = inst.state === 'MASTER' ? 255 : 100;
  // Accept mode: on, unless strict mode, where only the address owner accepts (keepalived.conf(5)).
  if (inst.accept === undefined) inst.accept = inst.strictMode ? inst.priority === 255 : true;

  // advert_int: VRRPv2 carries whole seconds (RFC 3768 5.3.7), VRRPv3 centiseconds up to 40.95 s
  // (RFC 5798 5.2.7). keepalived rounds to what the version can carry, with a warning.
  const adv = ADVERT_US.get(inst);
  if (adv !== undefined) {
    const { us, word } = adv;
    if (inst.version === 2) {
      let s = Math.round(us / 1_000_000);
      if (s < 1) s = 1;
      if (s * 1_000_000 !== us) ctx.warn('HALO_CFG_ROUNDED', `Value of advert_int is not whole seconds for VRRPv2: ${word.text} is rounded to ${s}`, word);
      inst.advertIntervalCs = s * 100;
    } else {
      let cs = Math.round(us / 10_000);
      if (cs < 1) cs = 1;
      if (cs > 4095) {
        ctx.warn('HALO_CFG_ROUNDED', `Value of advert_int is above the VRRPv3 maximum: ${word.text} is cut to 40.95`, word);
        cs = 4095;
      } else if (cs * 10_000 !== us) {
        ctx.warn('HALO_CFG_ROUNDED', `Value of advert_int is not in 10 ms steps for VRRPv3: ${word.text} is rounded to ${(cs / 100).toFixed(2)}`, word);
      }
      inst.advertIntervalCs = cs;
    }
  }
}

/**
 * A virtual server's timing options are the defaults of its real servers, whose values are the
 * defaults of their checkers (keepalived.conf(5), LVS CONFIGURATION).
 */
function completeVirtualServer(ctx: BuildContext, vs: VirtualServer): void {
  if (vs.keywordPos['protocol'] === undefined && vs.key.kind !== 'fwmark') {
    ctx.warn('HALO_CFG_DEFAULTED', `Virtual server ${describeVs(vs)} has no protocol: it is UDP, as in keepalived`, vs.pos, 'add `protocol TCP` if the service is TCP');
  }
  if (vs.key.kind === 'fwmark') {
    // keepalived clears what a firewall-mark service cannot use, with a warning for each.
    if (vs.haSuspend) {
      ctx.warn('HALO_CFG_CONFLICT', `Virtual server ${describeVs(vs)} cannot use ha_suspend: a fwmark service has no address to wait for, so it is cleared`, vs.keywordPos['ha_suspend'] ?? vs.pos);
      vs.haSuspend = false;
    }
    for (const rs of vs.realServers) {
      if (rs.port !== undefined) {
        ctx.warn('HALO_CFG_CONFLICT', `Real server ${rs.address} of fwmark service ${vs.key.fwmark} has a port: the mark selects the port, so it is cleared`, rs.pos);
        delete rs.port;
      }
    }
    if (vs.sorryServer?.port !== undefined) {
      ctx.warn('HALO_CFG_CONFLICT', `Sorry server of fwmark service ${vs.key.fwmark} has a port: the mark selects the port, so it is cleared`, vs.sorryServer.pos);
      delete vs.sorryServer.port;
    }
  }
  for (const rs of vs.realServers) {
    for (const c of rs.checkers) completeChecker(c, rs, vs);
  }
}

export function describeVs(vs: VirtualServer): string {
  const k = vs.key;
  if (k.kind === 'fwmark') return `fwmark ${k.fwmark}`;
  if (k.kind === 'group') return `group ${k.group}`;
  const host = k.family === 'inet6' ? `[${k.address}]` : k.address;
  return k.port === undefined ? host : `${host}:${k.port}`;
}

function completeChecker(c: Checker, rs: RealServer, vs: VirtualServer): void {
  if (c.type === 'FILE_CHECK' || c.type === 'BFD_CHECK') return;
  const set = c.keywordPos;
  const pick = <K extends 'connectTimeoutMs' | 'retry' | 'delayBeforeRetryMs' | 'warmupMs' | 'delayLoopMs'>(k: K, keyword: string): number | undefined =>
    set[keyword] !== undefined ? c[k] : rs[k] ?? vs[k];
  c.connectTimeoutMs = pick('connectTimeoutMs', 'connect_timeout') ?? 5000;
  c.delayLoopMs = pick('delayLoopMs', 'delay_loop') ?? 60000;
  const retryDefault = c.type === 'DNS_CHECK' ? 3 : c.type === 'MISC_CHECK' ? 0 : 1;
  c.retry = pick('retry', 'retry') ?? retryDefault;
  const dbrDefault = c.type === 'DNS_CHECK' ? c.delayLoopMs : c.type === 'HTTP_GET' || c.type === 'SSL_GET' ? 3000 : 1000;
  c.delayBeforeRetryMs = pick('delayBeforeRetryMs', 'delay_before_retry') ?? dbrDefault;
  const warm = pick('warmupMs', 'warmup');
  if (warm !== undefined) c.warmupMs = warm;
  if (c.alpha === undefined) {
    const a = rs.alpha ?? (vs.alpha ? true : undefined);
    if (a !== undefined) c.alpha = a;
  }
}
