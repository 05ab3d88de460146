/**
 * Every keyword of keepalived.conf(5) for keepalived 2.2, block by block: modelled (with its value
 * type and the model field it fills), recognised but not supported (with why), or a deprecated
 * spelling of another keyword. docs/keepalived-compat.md is generated from these tables, the shape
 * oracle (shape.ts) reads them, and the "did you mean" hints search them.
 */
import type { ConfNode, Word } from '../tree.js';
import type {
  BfdInstance, Checker, CheckerType, Family, ForwardingMethod, GarpGroup, HttpUrl, RealServer, RouteEntry, TrackFile, TrackProcess, TrackRef,
  UnicastPeer, VipEntry, VirtualServer, VirtualServerGroup, VrrpInstance, VrrpScript, VrrpSyncGroup, VsGroupEntry,
} from './model.js';
import type { BlockDef, BuildEnv, KeywordDef, Target } from './schema-core.js';
import {
  block, bool, custom, deprecated, flag, int, ip, isIntWord, keywordsBlock, listBlock, oneOf, script, str, synonym, timerMs, timerUs,
  unsupported, userGroup, words,
} from './schema-core.js';
import type { BuildContext } from './values.js';
import { ipFamily, parseInt10, parseIp, parseIpPrefix, parseTimerUs } from './values.js';
import { childEnv, KEYWORD_HOMES, walkBlock } from './walk.js';
import { HTTP_PROXY_KEYWORD, INCLUDE_NGINX_KEYWORD, NOTIFY_WEBHOOK_KEYWORD } from './schema-halo.js';

/** Raw `advert_int` in microseconds, kept aside until the version is known (build.ts rounds it). */
export const ADVERT_US = new WeakMap<object, { us: number; word: Word }>();

const WHY_SNMP = 'halo has no SNMP agent; use the HTTP API metrics';
const WHY_DBUS = 'halo has no DBus interface; use the HTTP API';
const WHY_SCHED = 'halo does not tune process scheduling, CPU affinity or memory locking from the config';
const WHY_NETLINK = 'halo sizes its own socket buffers';
const WHY_NFT = 'halo programs its own firewall rules (see docs/architecture.md)';
const WHY_NS = 'halo runs in the network namespace it is started in';
const WHY_PROC = 'halo names and supervises its own processes';
const WHY_RELOAD = 'halo reloads on SIGHUP or through the API and validates before it applies';
const WHY_BFD = 'halo runs BFD sessions for BFD_CHECK in the checker process; track_bfd does not move VRRP priority yet';
const WHY_VMAC = 'halo does not create macvlan or ipvlan interfaces yet';

const ROUTE_NOTE = 'ip-route syntax, kept as words';

// ---------------------------------------------------------------------------------------------
// List entries

const VIP_VALUE_OPTS = new Set(['brd', 'dev', 'scope', 'label', 'peer', 'preferred_lft', 'track_group']);
const VIP_FLAG_OPTS = new Set(['no_track', 'use_vmac', 'home', '-nodad', 'mngtmpaddr', 'noprefixroute', 'autojoin']);
const SCOPES = new Set(['site', 'link', 'host', 'nowhere', 'global']);

/** Words of one ip-addr entry: the address, then option pairs and flags. */
function vipShape(ws: readonly string[]): number {
  let i = 1;
  while (i < ws.length) {
    const w = ws[i] ?? '';
    if (VIP_VALUE_OPTS.has(w)) i += 2;
    else if (VIP_FLAG_OPTS.has(w)) i += 1;
    // The next entry starts with an address; anything else is a bad option of this one.
    else if (ipFamily(w.split('/')[0] ?? '') !== undefined) break;
    else i += 1;
  }
  return Math.min(i, ws.length);
}

function parseVip(ctx: BuildContext, n: ConfNode, listName: string): VipEntry | undefined {
  const a = parseIpPrefix(ctx, listName, n.keyword);
  if (a === undefined) return undefined;
  const vip: VipEntry = { address: a.address, prefixLength: a.prefixLength, family: a.family, noTrack: false, useVmac: false, flags: [], pos: n.keyword.pos };
  for (let i = 0; i < n.args.length; i++) {
    const w = n.args[i] as Word;
    if (VIP_FLAG_OPTS.has(w.text)) {
      if (w.text === 'no_track') vip.noTrack = true;
      else if (w.text === 'use_vmac') vip.useVmac = true;
      else vip.flags.push(w.text);
      continue;
    }
    if (!VIP_VALUE_OPTS.has(w.text)) {
      ctx.error('HALO_CFG_BAD_VALUE', `Unknown option in ${listName} entry ${n.keyword.text}: ${w.text}`, w);
      continue;
    }
    const v = n.args[i + 1];
    i++;
    if (v === undefined) {
      ctx.error('HALO_CFG_MISSING_VALUE', `Option ${w.text} in ${listName} needs a value`, w);
      break;
    }
    switch (w.text) {
      case 'dev': vip.dev = v.text; break;
      case 'label': vip.label = v.text; break;
      case 'preferred_lft': vip.preferredLft = v.text; break;
      case 'track_group': vip.trackGroup = v.text; break;
      case 'scope':
        if (!SCOPES.has(v.text) && !/^\d+$/.test(v.text)) ctx.error('HALO_CFG_BAD_VALUE', `Scope in ${listName} is not valid: "${v.text}" (expected site, link, host, nowhere or global)`, v);
        else vip.scope = v.text;
        break;
      case 'brd':
        if (v.text === '+' || v.text === '-' || ipFamily(v.text) !== undefined) vip.brd = v.text;
        else ctx.error('HALO_CFG_BAD_VALUE', `Broadcast address in ${listName} is not valid: "${v.text}"`, v);
        break;
      case 'peer': {
        const p = parseIpPrefix(ctx, `${listName} peer`, v);
        if (p !== undefined) vip.peer = v.text;
        break;
      }
    }
  }
  return vip;
}

function vipList(field: string, listName: string): KeywordDef {
  return block(listBlock(listName, '<IPADDR>[/<MASK>] [brd IPADDR] [dev STRING] [scope SCOPE] [label LABEL] [peer IPADDR] [home] [-nodad] [mngtmpaddr] [noprefixroute] [autojoin] [no_track] [use_vmac] [preferred_lft VALUE] [track_group GROUP]', vipShape), 0, 0, (ctx, n, t) => {
    const list = t[field] as VipEntry[];
    for (const e of n.block ?? []) {
      const v = parseVip(ctx, e, listName);
      if (v !== undefined) list.push(v);
    }
  });
}

function routeList(field: string, listName: string): KeywordDef {
  return block(listBlock(listName, ROUTE_NOTE, undefined), 0, 0, (ctx, n, t) => {
    const list = t[field] as RouteEntry[];
    for (const e of n.block ?? []) {
      const all = [e.keyword, ...e.args];
      let family: Family = 'inet';
      for (const w of all) {
        const slash = w.text.indexOf('/');
        const f = ipFamily(slash < 0 ? w.text : w.text.slice(0, slash));
        if (f !== undefined) { family = f; break; }
        if (w.text === 'inet6') { family = 'inet6'; break; }
      }
      if (all.length === 1 && ipFamily(e.keyword.text.split('/')[0] ?? '') === undefined && listName.endsWith('routes')) {
        ctx.error('HALO_CFG_BAD_VALUE', `Route in ${listName} is not valid: "${e.keyword.text}" (expected ip-route syntax such as 10.0.0.0/8 via 192.168.1.1)`, e.keyword);
        continue;
      }
      list.push({ words: all.map((w) => w.text), noTrack: all.some((w) => w.text === 'no_track'), family, pos: e.keyword.pos });
    }
  });
}

/** `NAME [weight N] [reverse|noreverse|no_reverse]`, as in track_script and friends. */
function trackShape(ws: readonly string[]): number {
  let i = 1;
  if (ws[i] === 'weight') i += 2;
  if (ws[i] === 'reverse' || ws[i] === 'noreverse' || ws[i] === 'no_reverse') i += 1;
  return Math.min(i, ws.length);
}

function trackList(field: string, listName: string, weightMin: number, weightMax: number): KeywordDef {
  return block(listBlock(listName, `<NAME> [weight ${weightMin}..${weightMax}] [reverse|noreverse]`, trackShape), 0, 0, (ctx, n, t) => {
    const list = t[field] as TrackRef[];
    for (const e of n.block ?? []) {
      const ref: TrackRef = { name: e.keyword.text, reverse: false, pos: e.keyword.pos };
      let ok = true;
      for (let i = 0; i < e.args.length; i++) {
        const w = e.args[i] as Word;
        if (w.text === 'weight') {
          const v = e.args[i + 1];
          i++;
          if (v === undefined) { ctx.error('HALO_CFG_MISSING_VALUE', `Option weight in ${listName} needs a value`, w); ok = false; break; }
          const num = parseInt10(ctx, `${listName} weight`, v, weightMin, weightMax);
          if (num === undefined) ok = false; else ref.weight = num;
        } else if (w.text === 'reverse') ref.reverse = true;
        else if (w.text === 'noreverse' || w.text === 'no_reverse') ref.reverse = false;
        else { ctx.error('HALO_CFG_BAD_VALUE', `Unknown option in ${listName} entry ${e.keyword.text}: ${w.text} (expected weight N or reverse)`, w); ok = false; }
      }
      if (ok) list.push(ref);
    }
  });
}

function nameList(field: string, listName: string, entrySyntax = '<STRING>'): KeywordDef {
  return block(listBlock(listName, entrySyntax, () => 1), 0, 0, (ctx, n, t) => {
    const list = t[field] as unknown[];
    for (const e of n.block ?? []) {
      if (e.args.length > 0) ctx.warn('HALO_CFG_EXTRA_VALUE', `Entry of ${listName} takes one word: "${e.args[0]?.text ?? ''}" and what follows are ignored`, e.args[0]);
      list.push(field === 'group' ? { name: e.keyword.text, pos: e.keyword.pos } : e.keyword.text);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Named top-level blocks

function named<T extends Target>(make: (name: string, n: ConfNode) => T, def: BlockDef, into: (t: Target) => T[], syntax = '<STRING>'): KeywordDef {
  return block(def, 1, 1, (ctx, n, t, env) => {
    const obj = make((n.args[0] as Word).text, n);
    walkBlock(ctx, def, n.block ?? [], obj, childEnv(env, n.keyword.text));
    into(t).push(obj);
  }, syntax);
}

function weightDef(field: string, reverseField: string, min: number, max: number): KeywordDef {
  return custom(1, 2, `<${min}..${max}> [reverse]`, (ctx, n, t) => {
    const v = parseInt10(ctx, n.keyword.text, n.args[0] as Word, min, max);
    if (v !== undefined) t[field] = v;
    const r = n.args[1];
    if (r !== undefined) {
      if (r.text === 'reverse') t[reverseField] = true;
      else ctx.error('HALO_CFG_BAD_VALUE', `Value after ${n.keyword.text} is not valid: "${r.text}" (expected reverse)`, r);
    }
  }, (w) => w === 'reverse');
}

export const VRRP_SCRIPT = keywordsBlock('vrrp_script', {
  script: script('script'),
  interval: timerMs('intervalMs'),
  timeout: timerMs('timeoutMs'),
  weight: weightDef('weight', 'weightReverse', -253, 253),
  rise: int('rise', 1, 1000000),
  fall: int('fall', 1, 1000000),
  user: userGroup('user'),
  init_fail: flag('initFail'),
});

export const TRACK_FILE = keywordsBlock('track_file', {
  file: str('file', 'QUOTED_STRING'),
  weight: weightDef('weight', 'weightReverse', -2147483647, 2147483647),
  init_file: custom(0, 2, '[VALUE] [overwrite]', (ctx, n, t) => {
    const v: { value: number; overwrite: boolean } = { value: 0, overwrite: false };
    for (const w of n.args) {
      if (w.text === 'overwrite') v.overwrite = true;
      else { const num = parseInt10(ctx, 'init_file', w, -2147483648, 2147483647); if (num !== undefined) v.value = num; }
    }
    t['initFile'] = v;
  }, (w) => w === 'overwrite' || isIntWord(w)),
});

export const TRACK_PROCESS = keywordsBlock('vrrp_track_process', {
  process: words('process', 'STRING|QUOTED_STRING [PARAM ...]'),
  param_match: oneOf('paramMatch', ['initial', 'partial']),
  weight: weightDef('weight', 'weightReverse', -254, 254),
  quorum: int('quorum', 0, 65535),
  quorum_max: int('quorumMax', 0, 65535),
  fork_delay: timerMs('forkDelayMs'),
  terminate_delay: timerMs('terminateDelayMs'),
  delay: custom(1, 1, 'TIMER', (ctx, n, t) => {
    const us = parseTimerUs(ctx, 'delay', n.args[0] as Word);
    if (us !== undefined) { t['forkDelayMs'] = Math.round(us / 1000); t['terminateDelayMs'] = Math.round(us / 1000); }
  }),
  full_command: flag('fullCommand'),
});

const NOTIFY_KEYWORDS = {
  notify_master: script('notifyMaster'),
  notify_backup: script('notifyBackup'),
  notify_fault: script('notifyFault'),
  notify_stop: script('notifyStop'),
  notify_deleted: custom(0, 3, '[STRING|QUOTED-STRING [username [groupname]]]', (_c, n, t) => {
    t['notifyDeleted'] = n.args.length === 0 ? { command: '', pos: n.keyword.pos } : { command: (n.args[0] as Word).text, pos: n.keyword.pos, ...(n.args[1] ? { user: n.args[1].text } : {}), ...(n.args[2] ? { group: n.args[2].text } : {}) };
  }),
  notify: script('notify'),
  notify_priority_changes: bool('notifyPriorityChanges'),
  smtp_alert: bool('smtpAlert'),
} satisfies Record<string, KeywordDef>;

const TRACK_KEYWORDS = {
  track_interface: trackList('trackInterface', 'track_interface', -253, 253),
  track_script: trackList('trackScript', 'track_script', -253, 253),
  track_file: trackList('trackFile', 'track_file', -254, 254),
  track_process: trackList('trackProcess', 'track_process', -254, 254),
  track_bfd: unsupported(WHY_BFD, 0, 0, listBlock('track_bfd', '<BFD_INSTANCE> [weight -253..253] [reverse]', trackShape)),
} satisfies Record<string, KeywordDef>;

export const SYNC_GROUP = keywordsBlock('vrrp_sync_group', {
  group: nameList('group', 'group', '<VRRP_INSTANCE_NAME>'),
  ...TRACK_KEYWORDS,
  ...NOTIFY_KEYWORDS,
  global_tracking: unsupported('deprecated in keepalived; use track_* on the sync group instead', 0, 0),
  sync_group_tracking_weight: flag('syncGroupTrackingWeight'),
});

export const GARP_GROUP = keywordsBlock('garp_group', {
  garp_interval: timerUs('garpIntervalUs', 1),
  gna_interval: timerUs('gnaIntervalUs', 1),
  interface: str('interface'),
  interfaces: nameList('interfaces', 'interfaces'),
});

export const AUTH = keywordsBlock('authentication', {
  auth_type: oneOf('type', ['PASS', 'AH']),
  auth_pass: custom(1, 1, 'STRING', (ctx, n, t) => {
    const w = n.args[0] as Word;
    // keepalived uses only the first 8 characters (the VRRPv2 authentication data field is 8 octets).
    if (w.text.length > 8) {
      ctx.warn('HALO_CFG_TRUNCATED', `Value of auth_pass is longer than 8 characters: only "${w.text.slice(0, 8)}" is used, as keepalived does`, w);
      t['pass'] = w.text.slice(0, 8);
    } else t['pass'] = w.text;
  }),
});

const UNICAST_PEER_SHAPE = (ws: readonly string[]): number => {
  let i = 1;
  while (ws[i] === 'min_ttl' || ws[i] === 'max_ttl') i += 2;
  return Math.min(i, ws.length);
};

const garpNote = 'sets the instance value; defaults to the global vrrp_ one';
/** keepalived added `v3_checksum_as_v2` in 2.2.8 (May 2023); Debian 12's 2.2.7 rejects it. */
const V3_CHECKSUM_NOTE = 'VRRPv3 over IPv4: checksum without the IPv4 pseudo-header, as Cisco sends it (keepalived 2.2.8+; 2.2.7 lacks it)';

export const INSTANCE = keywordsBlock('vrrp_instance', {
  state: custom(1, 1, 'MASTER|BACKUP', (ctx, n, t) => {
    const w = n.args[0] as Word;
    if (w.text === 'MASTER' || w.text === 'BACKUP') { t['state'] = w.text; return; }
    // keepalived compares the state word exactly: anything else (even `backup`) becomes BACKUP.
    t['state'] = 'BACKUP';
    const hint = w.text.toUpperCase() === 'MASTER' ? 'write `MASTER` in capitals: keepalived starts this instance as BACKUP' : 'write `MASTER` or `BACKUP` in capitals';
    ctx.warn('HALO_CFG_DEFAULTED', `Value of state is not MASTER or BACKUP: "${w.text}" is read as BACKUP, as keepalived does`, w, hint);
  }),
  interface: str('interface'),
  vrf: unsupported(WHY_VMAC, 1, 1),
  use_vmac: custom(0, 2, '[VMAC_INTERFACE_NAME] [MAC_ADDRESS]', (_c, n, t) => {
    const v: { name?: string; mac?: string } = {};
    for (const w of n.args) {
      if (/^([0-9a-fA-F]{1,2}:){4,5}[0-9a-fA-F]{1,2}$/.test(w.text)) v.mac = w.text; else v.name = w.text;
    }
    t['useVmac'] = v;
  }),
  use_vmac_addr: unsupported(WHY_VMAC, 0, 0),
  vmac_xmit_base: flag('vmacXmitBase'),
  use_ipvlan: unsupported(WHY_VMAC, 0, 3),
  native_ipv6: deprecated(flag('family', 'inet6'), 'an IPv6 virtual_ipaddress', 'the family follows the virtual addresses'),
  dont_track_primary: flag('dontTrackPrimary'),
  ...TRACK_KEYWORDS,
  mcast_src_ip: ip('mcastSrcIp'),
  unicast_src_ip: ip('unicastSrcIp'),
  mcast_dst_ip: ip('mcastDstIp'),
  track_src_ip: flag('trackSrcIp'),
  version: custom(1, 1, '2|3', (ctx, n, t) => { const v = parseInt10(ctx, 'version', n.args[0] as Word, 2, 3); if (v !== undefined) t['version'] = v; }),
  check_unicast_src: flag('checkUnicastSrc'),
  unicast_peer: block(listBlock('unicast_peer', '<IPADDR> [min_ttl 0..255] [max_ttl 0..255]', UNICAST_PEER_SHAPE), 0, 0, (ctx, n, t) => {
    const list = t['unicastPeer'] as UnicastPeer[];
    for (const e of n.block ?? []) {
      const a = parseIp(ctx, 'unicast_peer', e.keyword);
      if (a === undefined) continue;
      const p: UnicastPeer = { address: a.address, family: a.family, pos: e.keyword.pos };
      for (let i = 0; i < e.args.length; i += 2) {
        const k = e.args[i] as Word;
        const v = e.args[i + 1];
        if ((k.text !== 'min_ttl' && k.text !== 'max_ttl') || v === undefined) {
          ctx.error('HALO_CFG_BAD_VALUE', `Unknown option in unicast_peer entry ${e.keyword.text}: ${k.text} (expected min_ttl N or max_ttl N)`, k);
          break;
        }
        const num = parseInt10(ctx, k.text, v, 0, 255);
        if (num !== undefined) { if (k.text === 'min_ttl') p.minTtl = num; else p.maxTtl = num; t['checkUnicastSrc'] = true; }
      }
      list.push(p);
    }
  }),
  unicast_fault_no_peer: flag('unicastFaultNoPeer'),
  unicast_ttl: int('unicastTtl', 0, 255),
  old_unicast_checksum: unsupported('halo always computes the RFC 5798 checksum', 0, 1),
  garp_master_delay: { ...timerMs('garpMasterDelayMs', 255), note: garpNote },
  garp_master_repeat: int('garpMasterRepeat', 0, 255),
  garp_lower_prio_delay: timerMs('garpLowerPrioDelayMs', 255),
  garp_lower_prio_repeat: int('garpLowerPrioRepeat', 0, 255),
  garp_master_refresh: timerMs('garpMasterRefreshMs', 86400),
  garp_master_refresh_repeat: int('garpMasterRefreshRepeat', 1, 255),
  garp_extra_if: unsupported('periodic GARP on other interfaces is not implemented', 1, 2),
  garp_extra_if_vmac: unsupported(WHY_VMAC, 1, 2),
  down_timer_adverts: int('downTimerAdverts', 1, 100),
  lower_prio_no_advert: bool('lowerPrioNoAdvert'),
  higher_prio_send_advert: bool('higherPrioSendAdvert'),
  virtual_router_id: int('virtualRouterId', 1, 255),
  priority: int('priority', 1, 255),
  advert_int: custom(1, 1, 'TIMER', (ctx, n, t) => {
    const w = n.args[0] as Word;
    const us = parseTimerUs(ctx, 'advert_int', w, 255);
    if (us !== undefined) ADVERT_US.set(t, { us, word: w });
  }),
  authentication: block(AUTH, 0, 0, (ctx, n, t, env) => {
    const a: Target = { type: 'PASS', pos: n.keyword.pos };
    walkBlock(ctx, AUTH, n.block ?? [], a, childEnv(env, 'authentication'));
    t['auth'] = a;
  }),
  virtual_ipaddress: vipList('virtualIpaddress', 'virtual_ipaddress'),
  virtual_ipaddress_excluded: vipList('virtualIpaddressExcluded', 'virtual_ipaddress_excluded'),
  promote_secondaries: flag('promoteSecondaries'),
  virtual_routes: routeList('virtualRoutes', 'virtual_routes'),
  virtual_rules: routeList('virtualRules', 'virtual_rules'),
  accept: flag('accept', true),
  no_accept: flag('accept', false),
  nopreempt: flag('nopreempt', true),
  preempt: flag('nopreempt', false),
  preempt_delay: timerMs('preemptDelayMs', 1000),
  skip_check_adv_addr: bool('skipCheckAdvAddr'),
  v3_checksum_as_v2: { ...bool('v3ChecksumAsV2'), note: V3_CHECKSUM_NOTE },
  strict_mode: bool('strictMode'),
  debug: unsupported('keepalived does not implement it either', 0, 1),
  ...NOTIFY_KEYWORDS,
  notify_master_rx_lower_pri: script('notifyMasterRxLowerPri'),
  kernel_rx_buf_size: unsupported(WHY_NETLINK, 0, 1),
  linkbeat_use_polling: flag('linkbeatUsePolling'),
  // keepalived 1.x spellings of the unicast keywords.
  vrrp_unicast_bind: deprecated(ip('unicastSrcIp'), 'unicast_src_ip', 'read as unicast_src_ip (keepalived 2.2 no longer knows vrrp_unicast_bind and ignores it)'),
});
INSTANCE.keywords['vrrp_unicast_peer'] = deprecated(INSTANCE.keywords['unicast_peer'] as KeywordDef, 'unicast_peer',
  'read as unicast_peer (keepalived 2.2 no longer knows vrrp_unicast_peer and misreads its block)');

// ---------------------------------------------------------------------------------------------
// LVS: virtual servers, real servers, checkers

const SCHEDS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'sh', 'mh', 'dh', 'fo', 'ovf', 'lblcr', 'sed', 'nq', 'twos'] as const;

function methodDef(field: string): KeywordDef {
  return custom(1, 6, 'NAT|DR|TUN [type ipip|gue port NUM|gre] [nocsum|csum|remcsum]', (ctx, n, t) => {
    const m = n.args[0] as Word;
    // keepalived 2.2 takes exactly NAT, DR or TUN (not ipvsadm's masq/gatewaying/ipip).
    const method = m.text === 'NAT' || m.text === 'DR' || m.text === 'TUN' ? m.text : undefined;
    if (method === undefined) {
      ctx.error('HALO_CFG_BAD_VALUE', `Value of ${n.keyword.text} is not valid: "${m.text}" (expected NAT, DR or TUN)`, m);
      return;
    }
    const fm: ForwardingMethod = { method };
    for (let i = 1; i < n.args.length; i++) {
      const w = n.args[i] as Word;
      if (method !== 'TUN') { ctx.error('HALO_CFG_BAD_VALUE', `Tunnel options need lvs_method TUN: "${w.text}"`, w); break; }
      if (w.text === 'type') {
        const tt = n.args[++i];
        if (tt?.text === 'ipip' || tt?.text === 'gue' || tt?.text === 'gre') fm.tunnelType = tt.text;
        else { ctx.error('HALO_CFG_BAD_VALUE', `Tunnel type is not valid: "${tt?.text ?? ''}" (expected ipip, gue or gre)`, tt ?? w); break; }
      } else if (w.text === 'port') {
        const p = n.args[++i];
        const num = p === undefined ? undefined : parseInt10(ctx, 'tunnel port', p, 1, 65535);
        if (num !== undefined) fm.tunnelPort = num;
      } else if (w.text === 'nocsum' || w.text === 'csum' || w.text === 'remcsum') fm.tunnelChecksum = w.text;
      else { ctx.error('HALO_CFG_BAD_VALUE', `Unknown tunnel option: "${w.text}"`, w); break; }
    }
    t[field] = fm;
  }, (w) => ['type', 'ipip', 'gue', 'gre', 'port', 'nocsum', 'csum', 'remcsum'].includes(w) || isIntWord(w));
}

const CHECK_TIMING = {
  connect_timeout: timerMs('connectTimeoutMs'),
  retry: int('retry', 0, 1000000),
  delay_before_retry: timerMs('delayBeforeRetryMs'),
  warmup: timerMs('warmupMs'),
  delay_loop: timerMs('delayLoopMs'),
} satisfies Record<string, KeywordDef>;

const NB_GET_RETRY = deprecated(int('retry', 0, 1000000), 'retry', 'read as retry (keepalived 2.2 no longer knows nb_get_retry and ignores it)');

const CHECKER_COMMON = {
  connect_ip: ip('connectIp'),
  connect_port: int('connectPort', 1, 65535),
  bindto: ip('bindto'),
  bind_if: str('bindIf'),
  bind_port: int('bindPort', 1, 65535),
  fwmark: int('fwmark', 1, 4294967295),
  alpha: bool('alpha'),
  ...CHECK_TIMING,
  nb_get_retry: NB_GET_RETRY,
  log_all_failures: bool('logAllFailures'),
} satisfies Record<string, KeywordDef>;

function statusCodes(ctx: BuildContext, n: ConfNode, t: Target): void {
  const out: { from: number; to: number }[] = [];
  for (const w of n.args) {
    const m = /^(\d{3})(?:-(\d{3}))?$/.exec(w.text);
    const from = m === null ? NaN : Number(m[1]);
    const to = m === null ? NaN : Number(m[2] ?? m[1]);
    if (m === null || from < 100 || to > 599 || from > to) {
      ctx.error('HALO_CFG_BAD_VALUE', `Value of status_code is not valid: "${w.text}" (expected a code such as 200 or a range such as 200-299)`, w);
      continue;
    }
    out.push({ from, to });
  }
  t['statusCode'] = out;
}

export const URL_BLOCK = keywordsBlock('url', {
  path: str('path'),
  digest: str('digest'),
  status_code: custom(1, 64, 'INTEGER|RANGE ...', statusCodes, (w) => /^\d{3}(-\d{3})?$/.test(w)),
  virtualhost: str('virtualhost'),
  regex: str('regex'),
  regex_no_match: flag('regexNoMatch'),
  regex_options: words('regexOptions', 'OPTION ...'),
  regex_stack: unsupported('halo uses JavaScript regular expressions, which need no stack size', 2, 2),
  regex_min_offset: int('regexMinOffset', 0, 2147483647),
  regex_max_offset: int('regexMaxOffset', 0, 2147483647),
});

function checkerBlock(type: CheckerType, extra: Record<string, KeywordDef>): BlockDef {
  const common: Record<string, KeywordDef> = type === 'FILE_CHECK' || type === 'BFD_CHECK' ? {} : type === 'MISC_CHECK'
    ? { alpha: CHECKER_COMMON.alpha, ...CHECK_TIMING, nb_get_retry: NB_GET_RETRY, log_all_failures: CHECKER_COMMON.log_all_failures }
    : CHECKER_COMMON;
  return keywordsBlock(type, { ...common, ...extra });
}

const HTTP_EXTRA: Record<string, KeywordDef> = {
  http_protocol: oneOf('httpProtocol', ['1.0', '1.0C', '1.1']),
  fast_recovery: bool('fastRecovery'),
  virtualhost: str('virtualhost'),
  url: block(URL_BLOCK, 0, 0, (ctx, n, t, env) => {
    const u: Target = { statusCode: [{ from: 200, to: 299 }], regexNoMatch: false, pos: n.keyword.pos };
    walkBlock(ctx, URL_BLOCK, n.block ?? [], u, childEnv(env, 'url'));
    (t['url'] as HttpUrl[]).push(u as unknown as HttpUrl);
  }),
};

export const CHECKERS: Record<CheckerType, BlockDef> = {
  TCP_CHECK: checkerBlock('TCP_CHECK', {}),
  PING_CHECK: checkerBlock('PING_CHECK', {}),
  HTTP_GET: checkerBlock('HTTP_GET', HTTP_EXTRA),
  SSL_GET: checkerBlock('SSL_GET', { ...HTTP_EXTRA, enable_sni: flag('enableSni') }),
  SMTP_CHECK: checkerBlock('SMTP_CHECK', {
    helo_name: str('heloName', 'STRING|QUOTED-STRING'),
    host: unsupported('keepalived 1.x SMTP_CHECK host sub-blocks: write one SMTP_CHECK per host with connect_ip', 0, 0),
  }),
  DNS_CHECK: checkerBlock('DNS_CHECK', {
    type: oneOf('queryType', ['A', 'NS', 'CNAME', 'SOA', 'MX', 'TXT', 'AAAA'], { ignoreCase: true }),
    name: str('queryName'),
  }),
  MISC_CHECK: checkerBlock('MISC_CHECK', {
    misc_path: script('miscPath'),
    misc_timeout: timerMs('miscTimeoutMs'),
    misc_dynamic: flag('miscDynamic'),
    user: userGroup('user'),
  }),
  UDP_CHECK: checkerBlock('UDP_CHECK', {
    payload: custom(1, 64, 'HEX_STR', (ctx, n, t) => {
      const hex = n.args.map((w) => w.text).join(' ');
      if (!/^[0-9a-fA-F ]+$/.test(hex)) { ctx.error('HALO_CFG_BAD_VALUE', `Value of payload is not hexadecimal: "${hex}"`, n.args[0]); return; }
      t['payloadHex'] = hex;
    }, (w) => /^[0-9a-fA-F]+$/.test(w)),
    require_reply: custom(0, 64, '[HEX_STR]', (ctx, n, t) => {
      if (n.args.length === 0) { t['requireReply'] = true; return; }
      const hex = n.args.map((w) => w.text).join(' ');
      if (!/^[0-9a-fA-FxX ]+$/.test(hex)) { ctx.error('HALO_CFG_BAD_VALUE', `Value of require_reply is not hexadecimal: "${hex}"`, n.args[0]); return; }
      t['requireReply'] = hex;
    }, (w) => /^[0-9a-fA-FxX]+$/.test(w)),
    min_reply_length: int('minReplyLength', 0, 65535),
    max_reply_length: int('maxReplyLength', 0, 65535),
  }),
  FILE_CHECK: checkerBlock('FILE_CHECK', {
    track_file: str('trackFile'),
    dynamic: flag('dynamic'),
    weight: weightDef('weight', 'weightReverse', -2147483647, 2147483647),
  }),
  BFD_CHECK: checkerBlock('BFD_CHECK', { name: str('name') }),
};

/** Checkers halo recognises but does not run. */
const UNSUPPORTED_CHECKERS: Partial<Record<CheckerType, string>> = {};

function newChecker(type: CheckerType, pos: ConfNode['keyword']['pos']): Target {
  const base: Target = { type, pos, keywordPos: {} };
  switch (type) {
    case 'FILE_CHECK': return { ...base, dynamic: false, weightReverse: false };
    case 'BFD_CHECK': return base;
    case 'HTTP_GET': case 'SSL_GET': return { ...base, fastRecovery: false, enableSni: false, url: [] };
    case 'DNS_CHECK': return { ...base, queryType: 'SOA', queryName: '.' };
    case 'MISC_CHECK': return { ...base, miscDynamic: false };
    case 'UDP_CHECK': return { ...base, minReplyLength: 0, maxReplyLength: 255 };
    default: return base;
  }
}

function checkerKeywords(): Record<string, KeywordDef> {
  const out: Record<string, KeywordDef> = {};
  for (const [type, def] of Object.entries(CHECKERS) as [CheckerType, BlockDef][]) {
    const why = UNSUPPORTED_CHECKERS[type];
    if (why !== undefined) { out[type] = unsupported(why, 0, 0, def); continue; }
    out[type] = block(def, 0, 0, (ctx, n, t, env) => {
      const c = newChecker(type, n.keyword.pos);
      walkBlock(ctx, def, n.block ?? [], c, childEnv(env, type));
      (t['checkers'] as Checker[]).push(c as unknown as Checker);
    });
  }
  return out;
}

export const REAL_SERVER = keywordsBlock('real_server', {
  weight: int('weight', 0, 2147483647),
  lvs_method: methodDef('method'),
  lb_kind: synonym(methodDef('method'), 'lvs_method'),
  notify_up: script('notifyUp'),
  notify_down: script('notifyDown'),
  uthreshold: int('uthreshold', 0, 2147483647),
  lthreshold: int('lthreshold', 0, 2147483647),
  smtp_alert: bool('smtpAlert'),
  virtualhost: str('virtualhost'),
  snmp_name: unsupported(WHY_SNMP, 1, 1),
  alpha: bool('alpha'),
  inhibit_on_failure: bool('inhibitOnFailure'),
  ...CHECK_TIMING,
  nb_get_retry: NB_GET_RETRY,
  track_file: unsupported('track_file on real servers is unfinished in keepalived itself; use FILE_CHECK', 0, 0),
  ...checkerKeywords(),
});

const VS_FLAGS = ['flag-1', 'flag-2', 'flag-3', 'sh-port', 'sh-fallback', 'mh-port', 'mh-fallback'];

function parseHostPort(ctx: BuildContext, n: ConfNode, what: string): { address: string; family: Family; port?: number } | undefined {
  const a = parseIp(ctx, what, n.args[0] as Word);
  if (a === undefined) return undefined;
  const out: { address: string; family: Family; port?: number } = { address: a.address, family: a.family };
  const p = n.args[1];
  if (p !== undefined) {
    const num = parseInt10(ctx, `${what} port`, p, 0, 65535);
    if (num !== undefined) out.port = num;
  }
  return out;
}

export const VIRTUAL_SERVER = keywordsBlock('virtual_server', {
  lvs_sched: oneOf('lvsSched', SCHEDS),
  lb_algo: synonym(oneOf('lvsSched', SCHEDS), 'lvs_sched'),
  ...Object.fromEntries(VS_FLAGS.map((f) => [f, custom(0, 0, '', (_c, _n, t) => { (t['schedFlags'] as string[]).push(f); })])),
  ops: flag('ops'),
  lvs_method: methodDef('lvsMethod'),
  lb_kind: synonym(methodDef('lvsMethod'), 'lvs_method'),
  persistence_engine: str('persistenceEngine'),
  persistence_timeout: custom(0, 1, '[INTEGER]', (ctx, n, t) => {
    // A bare persistence_timeout means keepalived's default of 6 minutes.
    const w = n.args[0];
    if (w === undefined) { t['persistenceTimeoutS'] = 360; return; }
    const v = parseInt10(ctx, 'persistence_timeout', w, 0, 2678400);
    if (v !== undefined) t['persistenceTimeoutS'] = v;
  }, isIntWord),
  persistence_granularity: str('persistenceGranularity', 'NETMASK'),
  protocol: oneOf('protocol', ['TCP', 'UDP', 'SCTP'], { ignoreCase: true }),
  ha_suspend: flag('haSuspend'),
  smtp_alert: bool('smtpAlert'),
  virtualhost: str('virtualhost'),
  snmp_name: unsupported(WHY_SNMP, 1, 1),
  alpha: flag('alpha'),
  omega: flag('omega'),
  quorum: int('quorum', 0, 2147483647),
  hysteresis: int('hysteresis', 0, 2147483647),
  quorum_up: script('quorumUp'),
  quorum_down: script('quorumDown'),
  ip_family: oneOf('ipFamily', ['inet', 'inet6']),
  sorry_server: custom(1, 2, 'IPADDR [PORT]', (ctx, n, t) => {
    const hp = parseHostPort(ctx, n, 'sorry_server');
    if (hp !== undefined) t['sorryServer'] = { address: hp.address, ...(hp.port !== undefined ? { port: hp.port } : {}), pos: n.keyword.pos };
  }, isIntWord),
  sorry_server_inhibit: flag('sorryServerInhibit'),
  sorry_server_lvs_method: methodDef('sorryServerLvsMethod'),
  ...CHECK_TIMING,
  nb_get_retry: NB_GET_RETRY,
  inhibit_on_failure: flag('inhibitOnFailure'),
  real_server: block(REAL_SERVER, 1, 2, (ctx, n, t, env) => {
    const hp = parseHostPort(ctx, n, 'real_server');
    const rs: Target = { address: hp?.address ?? (n.args[0] as Word).text, family: hp?.family ?? 'inet', weight: 1, checkers: [], pos: n.keyword.pos, keywordPos: {} };
    if (hp?.port !== undefined) rs['port'] = hp.port;
    walkBlock(ctx, REAL_SERVER, n.block ?? [], rs, childEnv(env, 'real_server'));
    if (hp !== undefined) (t['realServers'] as RealServer[]).push(rs as unknown as RealServer);
  }, 'IPADDR [PORT]'),
  // halo extension: an L7 service (./schema-halo.ts)
  http_proxy: HTTP_PROXY_KEYWORD,
  // keepalived 1.x: the NAT mask of the virtual server; the kernel ignores it since 2.6.
  nat_mask: unsupported('obsolete since keepalived 1.x; IPVS does not use it', 1, 1),
});

/** virtual_server_group entries: `IP[-LAST|/LEN] [PORT]` or `fwmark N [inet|inet6]`. */
function vsgShape(ws: readonly string[]): number {
  if (ws[0] === 'fwmark') return Math.min(ws[2] === 'inet' || ws[2] === 'inet6' ? 3 : 2, ws.length);
  return ws[1] !== undefined && isIntWord(ws[1]) ? 2 : 1;
}

function parseRange(ctx: BuildContext, w: Word): { first: string; last: string; family: Family } | undefined {
  const t = w.text;
  const slash = t.indexOf('/');
  if (slash >= 0) {
    const p = parseIpPrefix(ctx, 'virtual_server_group', w);
    return p === undefined ? undefined : { first: t, last: t, family: p.family };
  }
  const dash = t.lastIndexOf('-');
  if (dash > 0) {
    const first = t.slice(0, dash);
    const rest = t.slice(dash + 1);
    const fam = ipFamily(first);
    if (fam !== undefined) {
      // 192.168.200.1-10 changes the last byte (or IPv6 group); a full address is also allowed.
      if (ipFamily(rest) === fam) return { first, last: rest, family: fam };
      const sep = fam === 'inet' ? '.' : ':';
      const cut = first.lastIndexOf(sep);
      const last = first.slice(0, cut + 1) + rest;
      if (ipFamily(last) === fam) return { first, last, family: fam };
    }
  }
  const fam = ipFamily(t);
  if (fam !== undefined) return { first: t, last: t, family: fam };
  ctx.error('HALO_CFG_BAD_VALUE', `Entry of virtual_server_group is not an address, a range or fwmark: "${t}"`, w);
  return undefined;
}

export const VS_GROUP_LIST = listBlock('virtual_server_group', '<IPADDR>[-<LAST>|/<LEN>] [<PORT>] | fwmark <INTEGER> [inet|inet6]', vsgShape);

const vsGroupDef: KeywordDef = block(VS_GROUP_LIST, 1, 1, (ctx, n, t) => {
  const g: VirtualServerGroup = { name: (n.args[0] as Word).text, entries: [], pos: n.keyword.pos };
  for (const e of n.block ?? []) {
    if (e.keyword.text === 'fwmark') {
      const w = e.args[0];
      if (w === undefined) { ctx.error('HALO_CFG_MISSING_VALUE', 'Keyword fwmark needs a value: fwmark INTEGER [inet|inet6]', e.keyword); continue; }
      const num = parseInt10(ctx, 'fwmark', w, 1, 4294967295);
      if (num === undefined) continue;
      const entry: VsGroupEntry = { kind: 'fwmark', fwmark: num, pos: e.keyword.pos };
      const f = e.args[1];
      if (f !== undefined) {
        if (f.text === 'inet' || f.text === 'inet6') entry.family = f.text;
        else ctx.error('HALO_CFG_BAD_VALUE', `Family of fwmark is not valid: "${f.text}" (expected inet or inet6)`, f);
      }
      g.entries.push(entry);
      continue;
    }
    const r = parseRange(ctx, e.keyword);
    if (r === undefined) continue;
    const entry: VsGroupEntry = { kind: 'range', first: r.first, last: r.last, family: r.family, pos: e.keyword.pos };
    const p = e.args[0];
    if (p !== undefined) { const num = parseInt10(ctx, 'virtual_server_group port', p, 0, 65535); if (num !== undefined) entry.port = num; }
    if (e.args.length > 1) ctx.warn('HALO_CFG_EXTRA_VALUE', `Entry of virtual_server_group takes an address and a port: "${e.args[1]?.text ?? ''}" and what follows are ignored`, e.args[1]);
    g.entries.push(entry);
  }
  (t['virtualServerGroups'] as VirtualServerGroup[]).push(g);
}, '<STRING>');

function newVirtualServer(n: ConfNode, key: VirtualServer['key']): Target {
  return {
    key, lvsSched: 'wlc', lvsMethod: { method: 'NAT' }, protocol: 'UDP', schedFlags: [], ops: false, haSuspend: false, alpha: false, omega: false,
    quorum: 1, hysteresis: 0, sorryServerInhibit: false, connectTimeoutMs: 5000, delayLoopMs: 60000, inhibitOnFailure: false, realServers: [],
    pos: n.keyword.pos, keywordPos: {},
  };
}

const virtualServerDef: KeywordDef = block(VIRTUAL_SERVER, 1, 2, (ctx, n, t, env) => {
  const a0 = n.args[0] as Word;
  let key: VirtualServer['key'] | undefined;
  if (a0.text === 'fwmark' || a0.text === 'group') {
    const v = n.args[1];
    if (v === undefined) ctx.error('HALO_CFG_MISSING_VALUE', `Keyword virtual_server ${a0.text} needs a value`, a0);
    else if (a0.text === 'group') key = { kind: 'group', group: v.text };
    else { const num = parseInt10(ctx, 'virtual_server fwmark', v, 1, 4294967295); if (num !== undefined) key = { kind: 'fwmark', fwmark: num }; }
  } else {
    const hp = parseHostPort(ctx, n, 'virtual_server');
    if (hp !== undefined) key = { kind: 'address', ...hp };
  }
  const vs = newVirtualServer(n, key ?? { kind: 'group', group: '' });
  walkBlock(ctx, VIRTUAL_SERVER, n.block ?? [], vs, childEnv(env, 'virtual_server'));
  if (key !== undefined) (t['virtualServers'] as VirtualServer[]).push(vs as unknown as VirtualServer);
}, 'IPADDR [PORT] | fwmark INTEGER | group STRING');

// ---------------------------------------------------------------------------------------------
// global_defs and the top level

const TOP_GLOBALS: Record<string, KeywordDef> = {
  net_namespace: unsupported(WHY_NS, 1, 1),
  net_namespace_ipvs: unsupported(WHY_NS, 0, 1),
  namespace_with_ipsets: unsupported(WHY_NS, 0, 0),
  instance: unsupported(WHY_PROC, 1, 1),
  use_pid_dir: unsupported(WHY_PROC, 0, 0),
  linkbeat_use_polling: flag('linkbeatUsePolling'),
  child_wait_time: int('childWaitTimeS', 0, 2147483647),
};

function notifyFifo(field: string): KeywordDef {
  return script(field);
}

export const GLOBAL_DEFS = keywordsBlock('global_defs', {
  ...TOP_GLOBALS,
  tmp_config_directory: unsupported('halo does not copy its configuration to a temporary file', 1, 1),
  config_save_dir: unsupported(WHY_RELOAD, 1, 1),
  process_names: unsupported(WHY_PROC, 0, 0),
  process_name: unsupported(WHY_PROC, 1, 1),
  vrrp_process_name: unsupported(WHY_PROC, 1, 1),
  checker_process_name: unsupported(WHY_PROC, 1, 1),
  bfd_process_name: unsupported(WHY_PROC, 1, 1),
  startup_script: unsupported('run it from the service manager (ExecStartPre=)', 1, 3),
  startup_script_timeout: unsupported('run it from the service manager (ExecStartPre=)', 1, 1),
  shutdown_script: unsupported('run it from the service manager (ExecStopPost=)', 1, 3),
  shutdown_script_timeout: unsupported('run it from the service manager (ExecStopPost=)', 1, 1),
  notification_email: nameList('notificationEmail', 'notification_email', '<EMAIL>'),
  notification_email_from: str('notificationEmailFrom'),
  notify_webhook: NOTIFY_WEBHOOK_KEYWORD,
  smtp_server: custom(1, 2, 'IPADDR|HOSTNAME [PORT]', (ctx, n, t) => {
    const host = (n.args[0] as Word).text;
    let port = 25;
    const p = n.args[1];
    if (p !== undefined) { const num = parseInt10(ctx, 'smtp_server port', p, 1, 65535); if (num !== undefined) port = num; }
    t['smtpServer'] = { host, port };
  }, isIntWord),
  smtp_helo_name: str('smtpHeloName'),
  smtp_connect_timeout: custom(1, 1, 'SECONDS', (ctx, n, t) => {
    const v = parseInt10(ctx, 'smtp_connect_timeout', n.args[0] as Word, 1, 2147483);
    if (v !== undefined) t['smtpConnectTimeoutMs'] = v * 1000;
  }),
  smtp_alert: bool('smtpAlert'),
  smtp_alert_vrrp: bool('smtpAlertVrrp'),
  smtp_alert_checker: bool('smtpAlertChecker'),
  checker_log_all_failures: bool('checkerLogAllFailures'),
  no_email_faults: flag('noEmailFaults'),
  router_id: str('routerId'),
  lvs_id: deprecated(str('routerId'), 'router_id', 'read as router_id (keepalived 2.2 no longer knows lvs_id and ignores it)'),
  vrrp_mcast_group4: ip('vrrpMcastGroup4'),
  vrrp_mcast_group6: ip('vrrpMcastGroup6'),
  default_interface: str('defaultInterface'),
  lvs_sync_daemon: unsupported('halo does not run the IPVS connection sync daemon', 1, 12),
  lvs_timeouts: custom(2, 6, '[tcp SECS] [tcpfin SECS] [udp SECS]', (ctx, n, t) => {
    const out: Record<string, number> = {};
    for (let i = 0; i < n.args.length; i += 2) {
      const k = n.args[i] as Word;
      const v = n.args[i + 1];
      const field = k.text === 'tcp' ? 'tcpS' : k.text === 'tcpfin' ? 'tcpfinS' : k.text === 'udp' ? 'udpS' : undefined;
      if (field === undefined || v === undefined) { ctx.error('HALO_CFG_BAD_VALUE', `Value of lvs_timeouts is not valid: "${k.text}" (expected tcp, tcpfin or udp followed by seconds)`, k); return; }
      const num = parseInt10(ctx, `lvs_timeouts ${k.text}`, v, 1, 2147483);
      if (num !== undefined) out[field] = num;
    }
    t['lvsTimeouts'] = out;
  }, (w) => w === 'tcp' || w === 'tcpfin' || w === 'udp' || isIntWord(w)),
  lvs_flush: flag('lvsFlush'),
  lvs_flush_on_stop: unsupported('halo removes the services it created when it stops', 0, 1),
  vrrp_garp_master_delay: timerMs('vrrpGarpMasterDelayMs', 255),
  vrrp_garp_master_repeat: int('vrrpGarpMasterRepeat', 0, 255),
  vrrp_garp_lower_prio_delay: timerMs('vrrpGarpLowerPrioDelayMs', 255),
  vrrp_garp_lower_prio_repeat: int('vrrpGarpLowerPrioRepeat', 0, 255),
  vrrp_down_timer_adverts: int('vrrpDownTimerAdverts', 1, 100),
  vrrp_garp_master_refresh: timerMs('vrrpGarpMasterRefreshMs', 86400),
  vrrp_garp_master_refresh_repeat: int('vrrpGarpMasterRefreshRepeat', 1, 255),
  vrrp_garp_interval: timerUs('vrrpGarpIntervalUs', 1),
  vrrp_gna_interval: timerUs('vrrpGnaIntervalUs', 1),
  vrrp_min_garp: bool('vrrpMinGarp'),
  vrrp_garp_extra_if: unsupported('periodic GARP on other interfaces is not implemented', 1, 2),
  vrrp_garp_extra_if_vmac: unsupported(WHY_VMAC, 1, 2),
  vrrp_lower_prio_no_advert: bool('vrrpLowerPrioNoAdvert'),
  vrrp_higher_prio_send_advert: bool('vrrpHigherPrioSendAdvert'),
  vrrp_version: custom(1, 1, '2|3', (ctx, n, t) => { const v = parseInt10(ctx, 'vrrp_version', n.args[0] as Word, 2, 3); if (v !== undefined) t['vrrpVersion'] = v; }),
  nftables: unsupported(WHY_NFT, 0, 1),
  nftables_priority: unsupported(WHY_NFT, 1, 1),
  nftables_counters: unsupported(WHY_NFT, 0, 0),
  nftables_ifindex: unsupported(WHY_NFT, 0, 0),
  nftables_ipvs: unsupported(WHY_NFT, 0, 1),
  nftables_ipvs_priority: unsupported(WHY_NFT, 1, 1),
  nftables_ipvs_start_fwmark: unsupported(WHY_NFT, 1, 1),
  vrrp_iptables: unsupported(WHY_NFT, 0, 2),
  vrrp_ipsets: unsupported(WHY_NFT, 0, 5),
  disable_local_igmp: unsupported(WHY_VMAC, 0, 0),
  vrrp_check_unicast_src: flag('vrrpCheckUnicastSrc'),
  vrrp_skip_check_adv_addr: bool('vrrpSkipCheckAdvAddr'),
  v3_checksum_as_v2: { ...bool('v3ChecksumAsV2'), note: `${V3_CHECKSUM_NOTE}; the default of every vrrp_instance` },
  vrrp_strict: flag('vrrpStrict'),
  vrrp_notify_priority_changes: bool('vrrpNotifyPriorityChanges'),
  max_auto_priority: unsupported(WHY_SCHED, 0, 1),
  min_auto_priority_delay: unsupported(WHY_SCHED, 1, 1),
  vrrp_priority: unsupported(WHY_SCHED, 1, 1),
  checker_priority: unsupported(WHY_SCHED, 1, 1),
  bfd_priority: unsupported(WHY_SCHED, 1, 1),
  vrrp_no_swap: unsupported(WHY_SCHED, 0, 0),
  checker_no_swap: unsupported(WHY_SCHED, 0, 0),
  bfd_no_swap: unsupported(WHY_SCHED, 0, 0),
  vrrp_cpu_affinity: unsupported(WHY_SCHED, 1, 64),
  checker_cpu_affinity: unsupported(WHY_SCHED, 1, 64),
  bfd_cpu_affinity: unsupported(WHY_SCHED, 1, 64),
  vrrp_rt_priority: unsupported(WHY_SCHED, 1, 1),
  checker_rt_priority: unsupported(WHY_SCHED, 1, 1),
  bfd_rt_priority: unsupported(WHY_SCHED, 1, 1),
  vrrp_rlimit_rttime: unsupported(WHY_SCHED, 1, 1),
  checker_rlimit_rttime: unsupported(WHY_SCHED, 1, 1),
  bfd_rlimit_rttime: unsupported(WHY_SCHED, 1, 1),
  snmp_socket: unsupported(WHY_SNMP, 1, 1),
  enable_snmp_vrrp: unsupported(WHY_SNMP, 0, 0),
  enable_snmp_keepalived: unsupported(WHY_SNMP, 0, 0),
  enable_snmp_checker: unsupported(WHY_SNMP, 0, 0),
  enable_snmp_rfc: unsupported(WHY_SNMP, 0, 0),
  enable_snmp_rfcv2: unsupported(WHY_SNMP, 0, 0),
  enable_snmp_rfcv3: unsupported(WHY_SNMP, 0, 0),
  enable_traps: unsupported(WHY_SNMP, 0, 0),
  enable_dbus: unsupported(WHY_DBUS, 0, 0),
  dbus_service_name: unsupported(WHY_DBUS, 1, 1),
  script_user: userGroup('scriptUser'),
  enable_script_security: flag('enableScriptSecurity'),
  notify_fifo: notifyFifo('notifyFifo'),
  notify_fifo_script: notifyFifo('notifyFifoScript'),
  vrrp_notify_fifo: notifyFifo('vrrpNotifyFifo'),
  vrrp_notify_fifo_script: notifyFifo('vrrpNotifyFifoScript'),
  lvs_notify_fifo: notifyFifo('lvsNotifyFifo'),
  lvs_notify_fifo_script: notifyFifo('lvsNotifyFifoScript'),
  fifo_write_vrrp_states_on_reload: unsupported(WHY_RELOAD, 0, 0),
  dynamic_interfaces: custom(0, 1, '[allow_if_changes]', (_c, _n, t) => { t['dynamicInterfaces'] = true; }, (w) => w === 'allow_if_changes'),
  vrrp_netlink_cmd_rcv_bufs: unsupported(WHY_NETLINK, 1, 1),
  vrrp_netlink_cmd_rcv_bufs_force: unsupported(WHY_NETLINK, 0, 1),
  vrrp_netlink_monitor_rcv_bufs: unsupported(WHY_NETLINK, 1, 1),
  vrrp_netlink_monitor_rcv_bufs_force: unsupported(WHY_NETLINK, 0, 1),
  lvs_netlink_cmd_rcv_bufs: unsupported(WHY_NETLINK, 1, 1),
  lvs_netlink_cmd_rcv_bufs_force: unsupported(WHY_NETLINK, 0, 1),
  lvs_netlink_monitor_rcv_bufs: unsupported(WHY_NETLINK, 1, 1),
  lvs_netlink_monitor_rcv_bufs_force: unsupported(WHY_NETLINK, 0, 1),
  process_monitor_rcv_bufs: unsupported(WHY_NETLINK, 1, 1),
  process_monitor_rcv_bufs_force: unsupported(WHY_NETLINK, 0, 1),
  vrrp_rx_bufs_policy: unsupported(WHY_NETLINK, 1, 1),
  vrrp_rx_bufs_multiplier: unsupported(WHY_NETLINK, 1, 1),
  rs_init_notifies: unsupported('halo reports real server state through the API at startup', 0, 0),
  no_checker_emails: unsupported('halo sends checker mail only through notify scripts', 0, 0),
  umask: unsupported('set the umask in the service manager (UMask=)', 0, 8),
  vrrp_startup_delay: timerMs('vrrpStartupDelayMs', 3600),
  log_unknown_vrids: unsupported('halo counts adverts for unknown VRIDs in its metrics', 0, 0),
  vmac_prefix: unsupported(WHY_VMAC, 1, 1),
  vmac_addr_prefix: unsupported(WHY_VMAC, 1, 1),
  random_seed: unsupported('${_RANDOM} is not supported by halo\'s config parser', 1, 1),
  reload_check_config: unsupported(WHY_RELOAD, 0, 1),
  include_check: unsupported('halo reports a missing include as keepalived\'s plain include does', 0, 8),
  reload_time_file: unsupported(WHY_RELOAD, 1, 1),
  reload_repeat: unsupported(WHY_RELOAD, 0, 0),
  reload_file: unsupported(WHY_RELOAD, 0, 1),
  data_use_instance: unsupported('halo has no SIGUSR1 data dump; use the HTTP API', 0, 1),
});

const INTERFACE_DELAYS = listBlock('interface_up_down_delays', '<IFNAME> <DOWN_DELAY> [<UP_DELAY>]', (ws) => Math.min(ws.length, ws[2] !== undefined && /^[\d.]+$/.test(ws[2]) ? 3 : 2));
const TRACK_GROUP = keywordsBlock('track_group', { group: { min: 0, max: 0, status: 'unsupported', note: 'static track groups are not supported', block: listBlock('group', '<VRRP_INSTANCE_NAME>', () => 1) } });
/** keepalived's BFD timers: milliseconds with up to three decimals (µs resolution). */
function bfdTimerUs(field: string): KeywordDef {
  return custom(1, 1, 'DECIMAL (ms)', (ctx, n, t) => {
    const w = n.args[0] as Word;
    const m = /^(\d{1,7})(?:\.(\d{1,3}))?$/.exec(w.text);
    if (!m) { ctx.error('HALO_CFG_BAD_VALUE', `Value of ${n.keyword.text} is not a time in ms: "${w.text}" (expected a decimal with up to 3 places)`, w); return; }
    const us = Number(m[1]) * 1000 + Number((m[2] ?? '').padEnd(3, '0'));
    if (us < 1) { ctx.error('HALO_CFG_BAD_VALUE', `Value of ${n.keyword.text} is too small: "${w.text}" (at least 0.001 ms)`, w); return; }
    t[field] = us;
  });
}

export const BFD_INSTANCE = keywordsBlock('bfd_instance', {
  neighbor_ip: ip('neighborIp'),
  neighbour_ip: synonym(ip('neighborIp'), 'neighbor_ip'),
  source_ip: ip('sourceIp'),
  min_rx: bfdTimerUs('minRxUs'),
  min_tx: bfdTimerUs('minTxUs'),
  idle_tx: bfdTimerUs('idleTxUs'),
  multiplier: int('multiplier', 1, 255),
  passive: flag('passive'),
  ttl: int('ttl', 1, 255),
  hoplimit: int('hoplimit', 1, 255),
  max_hops: int('maxHops', 0, 255),
  weight: weightDef('weight', 'weightReverse', -253, 253),
  vrrp: flag('vrrpOnly'),
  checker: flag('checkerOnly'),
});
const SSL_BLOCK = keywordsBlock('SSL', Object.fromEntries(['password', 'ca', 'certificate', 'key'].map((k) => [k, unsupported('SSL_GET uses no client certificate in halo', 1, 1)])));

function linkbeatShape(ws: readonly string[]): number {
  return ws[1] === 'MII' || ws[1] === 'ETHTOOL' || ws[1] === 'IOCTL' ? 2 : 1;
}

/** The global keywords keepalived also takes outside global_defs: they fill globalDefs. */
const TOP_LEVEL_GLOBALS: Record<string, KeywordDef> = Object.fromEntries(Object.entries(TOP_GLOBALS).map(([k, d]) => {
  const inner = d.apply;
  return [k, inner === undefined ? d : { ...d, apply: (c: BuildContext, n: ConfNode, t: Target, e: BuildEnv) => { inner(c, n, t['globalDefs'] as Target, e); } }];
}));

export const TOP = keywordsBlock('top level', {
  ...TOP_LEVEL_GLOBALS,
  global_defs: block(GLOBAL_DEFS, 0, 0, (ctx, n, t, env) => {
    const g = t['globalDefs'] as Target;
    g['pos'] ??= n.keyword.pos;
    walkBlock(ctx, GLOBAL_DEFS, n.block ?? [], g, childEnv(env, 'global_defs'));
  }),
  linkbeat_interfaces: block(listBlock('linkbeat_interfaces', '<IFNAME> [MII|ETHTOOL|IOCTL]', linkbeatShape), 0, 0, (ctx, n, t) => {
    const list = t['linkbeatInterfaces'] as Target[];
    for (const e of n.block ?? []) {
      const ty = e.args[0];
      if (ty !== undefined && ty.text !== 'MII' && ty.text !== 'ETHTOOL' && ty.text !== 'IOCTL') {
        ctx.error('HALO_CFG_BAD_VALUE', `Polling type of linkbeat_interfaces is not valid: "${ty.text}" (expected MII, ETHTOOL or IOCTL)`, ty);
      }
      list.push({ name: e.keyword.text, ...(ty !== undefined ? { pollType: ty.text } : {}), pos: e.keyword.pos });
    }
  }),
  interface_up_down_delays: { min: 0, max: 0, status: 'unsupported', note: 'interface debouncing is not implemented; halo reacts to link changes at once', block: INTERFACE_DELAYS },
  track_group: unsupported('static track groups are not supported', 1, 1, TRACK_GROUP),
  static_ipaddress: vipList('staticIpaddress', 'static_ipaddress'),
  static_routes: routeList('staticRoutes', 'static_routes'),
  static_rules: routeList('staticRules', 'static_rules'),
  track_file: named<TrackFile & Target>((name, n) => ({ name, weight: 1, weightReverse: false, deprecatedSpelling: false, pos: n.keyword.pos, keywordPos: {} } as TrackFile & Target), TRACK_FILE, (t) => t['trackFiles'] as (TrackFile & Target)[]),
  vrrp_track_process: named<TrackProcess & Target>((name, n) => ({ name, weight: 1, weightReverse: false, quorum: 1, fullCommand: false, pos: n.keyword.pos, keywordPos: {} } as TrackProcess & Target), TRACK_PROCESS, (t) => t['trackProcesses'] as (TrackProcess & Target)[]),
  bfd_instance: named<BfdInstance & Target>(
    (name, n) => ({ name, minRxUs: 10_000, minTxUs: 10_000, idleTxUs: 1_000_000, multiplier: 5, passive: false, weightReverse: false, vrrpOnly: false, checkerOnly: false, pos: n.keyword.pos, keywordPos: {} } as BfdInstance & Target),
    BFD_INSTANCE,
    (t) => ((t['bfdInstances'] as (BfdInstance & Target)[] | undefined) ?? (t['bfdInstances'] = [])) as (BfdInstance & Target)[],
  ),
  vrrp_script: named<VrrpScript & Target>((name, n) => ({ name, intervalMs: 1000, weight: 0, weightReverse: false, rise: 1, fall: 1, initFail: false, pos: n.keyword.pos, keywordPos: {} } as VrrpScript & Target), VRRP_SCRIPT, (t) => t['vrrpScripts'] as (VrrpScript & Target)[]),
  vrrp_sync_group: named<VrrpSyncGroup & Target>((name, n) => ({ name, group: [], trackInterface: [], trackScript: [], trackFile: [], trackProcess: [], trackBfd: [], syncGroupTrackingWeight: false, pos: n.keyword.pos, keywordPos: {} } as VrrpSyncGroup & Target), SYNC_GROUP, (t) => t['vrrpSyncGroups'] as (VrrpSyncGroup & Target)[]),
  garp_group: block(GARP_GROUP, 0, 0, (ctx, n, t, env) => {
    const g: Target = { interfaces: [], pos: n.keyword.pos, keywordPos: {} };
    walkBlock(ctx, GARP_GROUP, n.block ?? [], g, childEnv(env, 'garp_group'));
    (t['garpGroups'] as GarpGroup[]).push(g as unknown as GarpGroup);
  }),
  vrrp_instance: named<VrrpInstance & Target>((name, n) => newInstance(name, n), INSTANCE, (t) => t['vrrpInstances'] as (VrrpInstance & Target)[]),
  virtual_server_group: vsGroupDef,
  virtual_server: virtualServerDef,
  // halo extension: serve an nginx.conf too (./schema-halo.ts)
  include_nginx: INCLUDE_NGINX_KEYWORD,
  SSL: unsupported('SSL_GET uses no client certificate in halo', 0, 0, SSL_BLOCK),
  // keepalived's include variants with stricter checks; halo's parser reads plain `include`.
  ...Object.fromEntries(['includer', 'includem', 'includew', 'includeb', 'includea'].map((k) => [k, unsupported('write `include` (halo reports unreadable and cyclic includes itself); the file is not read', 1, 1)])),
});
TOP.keywords['vrrp_track_file'] = deprecated(TOP.keywords['track_file'] as KeywordDef, 'track_file');

function newInstance(name: string, n: ConfNode): VrrpInstance & Target {
  return {
    name, state: 'BACKUP', priority: 0, advertIntervalCs: 100, version: 2, family: 'inet',
    virtualIpaddress: [], virtualIpaddressExcluded: [], virtualRoutes: [], virtualRules: [],
    trackInterface: [], trackScript: [], trackFile: [], trackProcess: [], trackBfd: [], unicastPeer: [],
    unicastFaultNoPeer: false, checkUnicastSrc: false, trackSrcIp: false, dontTrackPrimary: false, nopreempt: false, preemptDelayMs: 0,
    strictMode: false, skipCheckAdvAddr: false, v3ChecksumAsV2: false, vmacXmitBase: false, promoteSecondaries: false,
    garpMasterDelayMs: 5000, garpMasterRepeat: 5, garpMasterRefreshMs: 0, garpMasterRefreshRepeat: 1, downTimerAdverts: 3,
    linkbeatUsePolling: false, pos: n.keyword.pos, keywordPos: {},
  } as VrrpInstance & Target;
}

/** Every block definition reachable from the top, each once, in a stable order. */
export function allBlocks(): BlockDef[] {
  const seen = new Set<BlockDef>();
  const out: BlockDef[] = [];
  const visit = (b: BlockDef): void => {
    if (seen.has(b)) return;
    seen.add(b);
    out.push(b);
    for (const kd of Object.values(b.keywords)) if (kd.block !== undefined) visit(kd.block);
  };
  visit(TOP);
  return out;
}

// Where each keyword lives, so that a keyword written in the wrong block gets "it belongs in X".
for (const b of allBlocks()) {
  if (b.kind !== 'keywords') continue;
  for (const kw of Object.keys(b.keywords)) {
    const homes = KEYWORD_HOMES.get(kw);
    if (homes === undefined) KEYWORD_HOMES.set(kw, [b.id]);
    else if (!homes.includes(b.id)) homes.push(b.id);
  }
}

export type { BuildEnv };
