/**
 * The typed model of a keepalived.conf, as halo reads it: plain JSON-serialisable objects (no Map,
 * no class) so that `halo dump-config` can print it and tests can compare it with goldens.
 *
 * Names follow keepalived's keywords so a keepalived user recognises them, in camelCase with the
 * unit in the name (`advertIntervalCs`, `delayLoopMs`, `connectTimeoutMs`). Defaults are filled in
 * by build.ts as keepalived 2.2 fills them in. Every node keeps `pos` (where its keyword is), and
 * `keywordPos` records where each setting was written so that later checks can point at it.
 */
import type { SourcePos } from '../../core/diagnostic.js';
import type { NginxModel } from '../nginx/model.js';

export type Family = 'inet' | 'inet6';

/** Where each keyword of a block was written, by keyword (last one wins, as in keepalived). */
export type KeywordPositions = Record<string, SourcePos>;

export interface Located {
  readonly pos: SourcePos;
}

/** A command to run, as keepalived's `notify_*`, `script`, `misc_path`: the words and the user. */
export interface ScriptRef {
  /** The command line as written (quotes removed); keepalived splits it on unquoted spaces. */
  command: string;
  user?: string;
  group?: string;
  pos: SourcePos;
}

export interface GlobalDefs {
  pos?: SourcePos;
  routerId?: string;
  notificationEmail: string[];
  notificationEmailFrom?: string;
  /** halo extension `notify_webhook URL`: notifications POSTed as JSON. */
  notifyWebhooks?: string[];
  smtpServer?: { host: string; port: number };
  smtpHeloName?: string;
  smtpConnectTimeoutMs: number;
  smtpAlert?: boolean;
  smtpAlertVrrp?: boolean;
  smtpAlertChecker?: boolean;
  checkerLogAllFailures?: boolean;
  noEmailFaults: boolean;
  defaultInterface?: string;
  vrrpMcastGroup4: string;
  vrrpMcastGroup6: string;
  vrrpVersion: 2 | 3;
  vrrpStrict: boolean;
  vrrpSkipCheckAdvAddr: boolean;
  vrrpCheckUnicastSrc: boolean;
  /** keepalived 2.2.8+ `v3_checksum_as_v2` in global_defs: the default of every instance. */
  v3ChecksumAsV2: boolean;
  vrrpGarpMasterDelayMs: number;
  vrrpGarpMasterRepeat: number;
  vrrpGarpLowerPrioDelayMs?: number;
  vrrpGarpLowerPrioRepeat?: number;
  vrrpGarpMasterRefreshMs: number;
  vrrpGarpMasterRefreshRepeat: number;
  vrrpGarpIntervalUs: number;
  vrrpGnaIntervalUs: number;
  vrrpMinGarp: boolean;
  vrrpLowerPrioNoAdvert?: boolean;
  vrrpHigherPrioSendAdvert?: boolean;
  vrrpDownTimerAdverts: number;
  vrrpStartupDelayMs: number;
  vrrpNotifyPriorityChanges?: boolean;
  scriptUser?: { user: string; group?: string };
  enableScriptSecurity: boolean;
  notifyFifo?: ScriptRef;
  notifyFifoScript?: ScriptRef;
  vrrpNotifyFifo?: ScriptRef;
  vrrpNotifyFifoScript?: ScriptRef;
  lvsNotifyFifo?: ScriptRef;
  lvsNotifyFifoScript?: ScriptRef;
  lvsFlush: boolean;
  lvsTimeouts?: { tcpS?: number; tcpfinS?: number; udpS?: number };
  linkbeatUsePolling: boolean;
  dynamicInterfaces: boolean;
  childWaitTimeS?: number;
  keywordPos: KeywordPositions;
}

export interface VrrpScript extends Located {
  name: string;
  script?: ScriptRef;
  intervalMs: number;
  timeoutMs?: number;
  weight: number;
  weightReverse: boolean;
  rise: number;
  fall: number;
  user?: { user: string; group?: string };
  initFail: boolean;
  keywordPos: KeywordPositions;
}

export interface TrackFile extends Located {
  name: string;
  file?: string;
  weight: number;
  weightReverse: boolean;
  initFile?: { value: number; overwrite: boolean };
  /** true when declared with the deprecated `vrrp_track_file` spelling. */
  deprecatedSpelling: boolean;
  keywordPos: KeywordPositions;
}

/** `bfd_instance NAME { ... }` (keepalived.conf(5) "BFD CONFIGURATION"); times in µs. */
export interface BfdInstance extends Located {
  name: string;
  /** `neighbor_ip` (synonym `neighbour_ip`). */
  neighborIp?: string;
  sourceIp?: string;
  /** `min_rx` in ms with µs resolution, default 10 ms. */
  minRxUs: number;
  /** `min_tx`, default 10 ms. */
  minTxUs: number;
  /** `idle_tx`, default 1000 ms. */
  idleTxUs: number;
  /** `multiplier`, default 5. */
  multiplier: number;
  passive: boolean;
  /** `ttl`: outgoing IPv4 TTL, default 255. */
  ttl?: number;
  /** `hoplimit`: outgoing IPv6 hop limit (keepalived's default 64; RFC 5881 asks for 255). */
  hoplimit?: number;
  /** `max_hops`: how far below 255 a received TTL may be, default 0; 255 disables the check. */
  maxHops?: number;
  weight?: number;
  weightReverse: boolean;
  /** `vrrp` / `checker`: send events only to that process (both when neither is set). */
  vrrpOnly: boolean;
  checkerOnly: boolean;
  keywordPos: KeywordPositions;
}

export interface TrackProcess extends Located {
  name: string;
  process?: string[];
  paramMatch?: 'initial' | 'partial';
  weight: number;
  weightReverse: boolean;
  quorum: number;
  quorumMax?: number;
  forkDelayMs?: number;
  terminateDelayMs?: number;
  fullCommand: boolean;
  keywordPos: KeywordPositions;
}

/** An entry of `track_interface`, `track_script`, `track_file`, `track_process`, `track_bfd`. */
export interface TrackRef extends Located {
  name: string;
  /** Absent: the tracked object's own weight (scripts, files, processes) or 0 (interfaces). */
  weight?: number;
  reverse: boolean;
}

/** One address of `virtual_ipaddress`, `virtual_ipaddress_excluded`, `static_ipaddress`. */
export interface VipEntry extends Located {
  address: string;
  prefixLength: number;
  family: Family;
  dev?: string;
  brd?: string;
  scope?: string;
  label?: string;
  peer?: string;
  noTrack: boolean;
  useVmac: boolean;
  preferredLft?: string;
  trackGroup?: string;
  /** Flags written as bare words: `home`, `-nodad`, `mngtmpaddr`, `noprefixroute`, `autojoin`. */
  flags: string[];
}

/** A route or rule entry: kept as its words (ip-route / ip-rule syntax), plus what halo reads. */
export interface RouteEntry extends Located {
  words: string[];
  noTrack: boolean;
  family: Family;
}

export interface UnicastPeer extends Located {
  address: string;
  family: Family;
  minTtl?: number;
  maxTtl?: number;
}

export type VrrpState = 'MASTER' | 'BACKUP';

export interface VrrpInstance extends Located {
  name: string;
  state: VrrpState;
  interface?: string;
  virtualRouterId?: number;
  /** Configured priority; `state MASTER` without priority means 255 (keepalived does this). */
  priority: number;
  advertIntervalCs: number;
  version: 2 | 3;
  family: Family;
  auth?: { type: 'PASS' | 'AH'; pass?: string; pos: SourcePos };
  virtualIpaddress: VipEntry[];
  virtualIpaddressExcluded: VipEntry[];
  virtualRoutes: RouteEntry[];
  virtualRules: RouteEntry[];
  trackInterface: TrackRef[];
  trackScript: TrackRef[];
  trackFile: TrackRef[];
  trackProcess: TrackRef[];
  trackBfd: TrackRef[];
  mcastSrcIp?: string;
  unicastSrcIp?: string;
  mcastDstIp?: string;
  unicastPeer: UnicastPeer[];
  unicastTtl?: number;
  unicastFaultNoPeer: boolean;
  checkUnicastSrc: boolean;
  trackSrcIp: boolean;
  dontTrackPrimary: boolean;
  nopreempt: boolean;
  preemptDelayMs: number;
  /** Absent: keepalived's default (accept unless strict mode and priority below 255). */
  accept?: boolean;
  strictMode: boolean;
  skipCheckAdvAddr: boolean;
  /** keepalived 2.2.8+ `v3_checksum_as_v2`: VRRPv3 over IPv4 checksummed without the pseudo-header. */
  v3ChecksumAsV2: boolean;
  useVmac?: { name?: string; mac?: string };
  vmacXmitBase: boolean;
  promoteSecondaries: boolean;
  garpMasterDelayMs: number;
  garpMasterRepeat: number;
  garpLowerPrioDelayMs?: number;
  garpLowerPrioRepeat?: number;
  garpMasterRefreshMs: number;
  garpMasterRefreshRepeat: number;
  downTimerAdverts: number;
  lowerPrioNoAdvert?: boolean;
  higherPrioSendAdvert?: boolean;
  notifyMaster?: ScriptRef;
  notifyBackup?: ScriptRef;
  notifyFault?: ScriptRef;
  notifyStop?: ScriptRef;
  notifyDeleted?: ScriptRef;
  notify?: ScriptRef;
  notifyMasterRxLowerPri?: ScriptRef;
  notifyPriorityChanges?: boolean;
  smtpAlert?: boolean;
  linkbeatUsePolling: boolean;
  keywordPos: KeywordPositions;
}

export interface VrrpSyncGroup extends Located {
  name: string;
  group: { name: string; pos: SourcePos }[];
  trackInterface: TrackRef[];
  trackScript: TrackRef[];
  trackFile: TrackRef[];
  trackProcess: TrackRef[];
  trackBfd: TrackRef[];
  notifyMaster?: ScriptRef;
  notifyBackup?: ScriptRef;
  notifyFault?: ScriptRef;
  notifyStop?: ScriptRef;
  notifyDeleted?: ScriptRef;
  notify?: ScriptRef;
  notifyPriorityChanges?: boolean;
  smtpAlert?: boolean;
  syncGroupTrackingWeight: boolean;
  keywordPos: KeywordPositions;
}

export interface GarpGroup extends Located {
  garpIntervalUs?: number;
  gnaIntervalUs?: number;
  interface?: string;
  interfaces: string[];
  keywordPos: KeywordPositions;
}

export type LvsSched = 'rr' | 'wrr' | 'lc' | 'wlc' | 'lblc' | 'sh' | 'mh' | 'dh' | 'fo' | 'ovf' | 'lblcr' | 'sed' | 'nq' | 'twos';
export type LvsMethod = 'NAT' | 'DR' | 'TUN';
export type L4Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface ForwardingMethod {
  method: LvsMethod;
  tunnelType?: 'ipip' | 'gue' | 'gre';
  tunnelPort?: number;
  tunnelChecksum?: 'nocsum' | 'csum' | 'remcsum';
}

/** Options shared by every checker (keepalived: "generic connection options"). */
export interface CheckerCommon extends Located {
  connectIp?: string;
  connectPort?: number;
  bindto?: string;
  bindIf?: string;
  bindPort?: number;
  fwmark?: number;
  alpha?: boolean;
  connectTimeoutMs: number;
  retry: number;
  delayBeforeRetryMs: number;
  warmupMs?: number;
  delayLoopMs: number;
  logAllFailures?: boolean;
  keywordPos: KeywordPositions;
}

export interface HttpUrl extends Located {
  path?: string;
  digest?: string;
  /** Inclusive ranges; default 200-299. */
  statusCode: { from: number; to: number }[];
  virtualhost?: string;
  regex?: string;
  regexNoMatch: boolean;
  regexOptions?: string[];
  regexMinOffset?: number;
  regexMaxOffset?: number;
}

export type Checker =
  | (CheckerCommon & { type: 'TCP_CHECK' })
  | (CheckerCommon & { type: 'PING_CHECK' })
  | (CheckerCommon & { type: 'HTTP_GET' | 'SSL_GET'; httpProtocol?: '1.0' | '1.0C' | '1.1'; fastRecovery: boolean; enableSni: boolean; virtualhost?: string; url: HttpUrl[] })
  | (CheckerCommon & { type: 'SMTP_CHECK'; heloName?: string })
  | (CheckerCommon & { type: 'DNS_CHECK'; queryType: string; queryName: string })
  | (CheckerCommon & { type: 'MISC_CHECK'; miscPath?: ScriptRef; miscTimeoutMs?: number; miscDynamic: boolean; user?: { user: string; group?: string } })
  | (CheckerCommon & { type: 'UDP_CHECK'; payloadHex?: string; requireReply?: string | true; minReplyLength: number; maxReplyLength: number })
  | (Located & { type: 'FILE_CHECK'; trackFile?: string; dynamic: boolean; weight?: number; weightReverse: boolean; keywordPos: KeywordPositions })
  | (Located & { type: 'BFD_CHECK'; name?: string; keywordPos: KeywordPositions });

export type CheckerType = Checker['type'];

export interface RealServer extends Located {
  address: string;
  family: Family;
  port?: number;
  weight: number;
  method?: ForwardingMethod;
  notifyUp?: ScriptRef;
  notifyDown?: ScriptRef;
  uthreshold?: number;
  lthreshold?: number;
  smtpAlert?: boolean;
  virtualhost?: string;
  alpha?: boolean;
  inhibitOnFailure?: boolean;
  connectTimeoutMs?: number;
  retry?: number;
  delayBeforeRetryMs?: number;
  warmupMs?: number;
  delayLoopMs?: number;
  checkers: Checker[];
  keywordPos: KeywordPositions;
}

export type VirtualServerKey =
  | { kind: 'address'; address: string; family: Family; port?: number }
  | { kind: 'fwmark'; fwmark: number }
  | { kind: 'group'; group: string };

export interface VirtualServer extends Located {
  key: VirtualServerKey;
  /** `lb_algo` / `lvs_sched`; keepalived's default is wlc. */
  lvsSched: LvsSched;
  lvsMethod: ForwardingMethod;
  /** keepalived defaults a virtual_server without `protocol` to UDP (with a warning). */
  protocol: L4Protocol;
  schedFlags: string[];
  ops: boolean;
  persistenceEngine?: string;
  persistenceTimeoutS?: number;
  persistenceGranularity?: string;
  haSuspend: boolean;
  smtpAlert?: boolean;
  virtualhost?: string;
  alpha: boolean;
  omega: boolean;
  quorum: number;
  hysteresis: number;
  quorumUp?: ScriptRef;
  quorumDown?: ScriptRef;
  ipFamily?: Family;
  sorryServer?: { address: string; port?: number; pos: SourcePos };
  sorryServerInhibit: boolean;
  sorryServerLvsMethod?: ForwardingMethod;
  connectTimeoutMs: number;
  retry?: number;
  delayBeforeRetryMs?: number;
  warmupMs?: number;
  delayLoopMs: number;
  inhibitOnFailure: boolean;
  realServers: RealServer[];
  /** halo extension: `http_proxy { ... }` makes this an L7 (HTTP/1.1) service of halo's proxy. */
  httpProxy?: HttpProxyOptions;
  keywordPos: KeywordPositions;
}

/** halo extension inside `virtual_server`: the HTTP proxy settings, with nginx's directive names. */
export interface HttpProxyOptions extends Located {
  /** `proxy_set_header NAME [VALUE]`, in order; no value (or "") removes the header. */
  setHeaders: { name: string; value: string; pos: SourcePos }[];
  /** `proxy_next_upstream COND...` (`off` gives []). */
  nextUpstream?: string[];
  nextUpstreamTries?: number;
  nextUpstreamTimeoutMs?: number;
  connectTimeoutMs?: number;
  readTimeoutMs?: number;
  sendTimeoutMs?: number;
  httpVersion?: '1.0' | '1.1';
  /** Idle upstream connections kept per real server and worker. */
  keepalive?: number;
  keywordPos: KeywordPositions;
}

export type VsGroupEntry =
  | (Located & { kind: 'range'; first: string; last: string; family: Family; port?: number })
  | (Located & { kind: 'fwmark'; fwmark: number; family?: Family });

export interface VirtualServerGroup extends Located {
  name: string;
  entries: VsGroupEntry[];
}

export interface KeepalivedModel {
  globalDefs: GlobalDefs;
  vrrpScripts: VrrpScript[];
  trackFiles: TrackFile[];
  trackProcesses: TrackProcess[];
  /** Present when the file has a `bfd_instance` (kept absent otherwise so older models stay equal). */
  bfdInstances?: BfdInstance[];
  vrrpInstances: VrrpInstance[];
  vrrpSyncGroups: VrrpSyncGroup[];
  garpGroups: GarpGroup[];
  staticIpaddress: VipEntry[];
  staticRoutes: RouteEntry[];
  staticRules: RouteEntry[];
  linkbeatInterfaces: { name: string; pollType?: string; pos: SourcePos }[];
  virtualServerGroups: VirtualServerGroup[];
  virtualServers: VirtualServer[];
  /** halo's `include_nginx FILE`: nginx.conf files served beside this one, loaded (absent: none). */
  nginxIncludes?: NginxInclude[];
}

export interface NginxInclude {
  /** The file as written. */
  file: string;
  /** The file read (relative names resolved against the including file's directory). */
  path?: string;
  /** Its model, once ./load.ts has read it. */
  model?: NginxModel;
  pos: SourcePos;
}
