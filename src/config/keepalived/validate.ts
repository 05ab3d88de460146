/**
 * Checks across sections, after the model is built: references between blocks, duplicate names
 * and VRIDs, address families, and the vrrp_strict rules. Each diagnostic points at the line of
 * the statement at fault. Linear: names are indexed once in maps.
 */
import type { Diagnostic, SourcePos } from '../../core/diagnostic.js';
import type { ErrorCode } from '../../core/errors/index.js';
import type { KeepalivedModel, TrackRef, VrrpInstance } from './model.js';
import { describeVs } from './build.js';
import { closest } from './values.js';

export function validateKeepalivedModel(model: KeepalivedModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  const err = (code: ErrorCode, message: string, pos: SourcePos | undefined, hint?: string): void => {
    out.push({ severity: 'error', code, message, ...(pos !== undefined ? { pos } : {}), ...(hint !== undefined ? { hint } : {}) });
  };
  const warn = (code: ErrorCode, message: string, pos: SourcePos | undefined, hint?: string): void => {
    out.push({ severity: 'warning', code, message, ...(pos !== undefined ? { pos } : {}), ...(hint !== undefined ? { hint } : {}) });
  };

  const index = <T extends { name: string; pos: SourcePos }>(items: readonly T[], kind: string): Map<string, T> => {
    const m = new Map<string, T>();
    for (const it of items) {
      const prev = m.get(it.name);
      if (prev !== undefined) err('HALO_CFG_DUPLICATE_NAME', `Duplicate ${kind} name: ${it.name} (first defined at line ${prev.pos.line})`, it.pos);
      else m.set(it.name, it);
    }
    return m;
  };
  const scripts = index(model.vrrpScripts, 'vrrp_script');
  const files = index(model.trackFiles, 'track_file');
  const processes = index(model.trackProcesses, 'vrrp_track_process');
  const bfds = index(model.bfdInstances ?? [], 'bfd_instance');
  for (const b of model.bfdInstances ?? []) {
    if (b.neighborIp === undefined) err('HALO_CFG_MISSING_KEYWORD', `bfd_instance ${b.name} needs neighbor_ip`, b.pos);
    else if (b.sourceIp !== undefined && b.sourceIp.includes(':') !== b.neighborIp.includes(':')) {
      err('HALO_CFG_MIXED_FAMILIES', `bfd_instance ${b.name} mixes address families: neighbor_ip ${b.neighborIp}, source_ip ${b.sourceIp}`, b.keywordPos['source_ip'] ?? b.pos);
    }
    // RFC 5880 §6.8.3: while not Up, DesiredMinTx must be at least one second.
    if (b.idleTxUs < 1_000_000) warn('HALO_CFG_BAD_VALUE', `bfd_instance ${b.name}: idle_tx ${b.idleTxUs / 1000} ms is below the 1000 ms RFC 5880 asks for while a session is not up`, b.keywordPos['idle_tx'] ?? b.pos);
  }
  const instances = index(model.vrrpInstances, 'vrrp_instance');
  index(model.vrrpSyncGroups, 'vrrp_sync_group');
  const vsGroups = index(model.virtualServerGroups, 'virtual_server_group');
  for (const g of model.virtualServerGroups) {
    // keepalived removes a group that mixes IPv4 and IPv6 addresses with fwmarks of no family.
    const fams = new Set(g.entries.flatMap((e) => (e.kind === 'range' ? [e.family] : [])));
    const bareMark = g.entries.find((e) => e.kind === 'fwmark' && e.family === undefined);
    if (fams.size > 1 && bareMark !== undefined) {
      err('HALO_CFG_MIXED_FAMILIES', `virtual_server_group ${g.name} has IPv4 and IPv6 addresses and a fwmark without family`, bareMark.pos, 'write `fwmark N inet` or `fwmark N inet6`');
    }
  }

  const checkRefs = (refs: readonly TrackRef[], known: Map<string, unknown>, listName: string, defKeyword: string, owner: string): void => {
    for (const r of refs) {
      if (!known.has(r.name)) {
        err('HALO_CFG_UNKNOWN_REFERENCE', `${listName} in ${owner} names no ${defKeyword}: ${r.name}`, r.pos, hintFor(r.name, known.keys()));
      }
    }
  };

  for (const inst of model.vrrpInstances) {
    const owner = `vrrp_instance ${inst.name}`;
    checkRefs(inst.trackScript, scripts, 'track_script', 'vrrp_script', owner);
    checkRefs(inst.trackFile, files, 'track_file', 'track_file', owner);
    checkRefs(inst.trackProcess, processes, 'track_process', 'vrrp_track_process', owner);
    checkInstance(inst, err, warn);
  }

  const memberOf = new Map<string, string>();
  for (const sg of model.vrrpSyncGroups) {
    const owner = `vrrp_sync_group ${sg.name}`;
    if (sg.group.length === 0) err('HALO_CFG_MISSING_KEYWORD', `Sync group ${sg.name} has no group { ... } of instances`, sg.pos);
    for (const g of sg.group) {
      if (!instances.has(g.name)) {
        err('HALO_CFG_UNKNOWN_REFERENCE', `group in ${owner} names no vrrp_instance: ${g.name}`, g.pos, hintFor(g.name, instances.keys()));
        continue;
      }
      const other = memberOf.get(g.name);
      if (other !== undefined) err('HALO_CFG_CONFLICT', `Instance ${g.name} is in two sync groups: ${other} and ${sg.name}`, g.pos);
      else memberOf.set(g.name, sg.name);
    }
    checkRefs(sg.trackScript, scripts, 'track_script', 'vrrp_script', owner);
    checkRefs(sg.trackFile, files, 'track_file', 'track_file', owner);
    checkRefs(sg.trackProcess, processes, 'track_process', 'vrrp_track_process', owner);
  }

  // RFC 5798 5.3: a VRID identifies one virtual router on a LAN, per address family. keepalived
  // allows a repeat only when unicast peers or multicast groups keep the two apart.
  const vrids = new Map<string, VrrpInstance>();
  for (const inst of model.vrrpInstances) {
    if (inst.virtualRouterId === undefined || inst.interface === undefined) continue;
    const key = `${inst.interface}/${inst.family}/${inst.virtualRouterId}/${inst.mcastDstIp ?? ''}`;
    const prev = vrids.get(key);
    if (prev === undefined) { vrids.set(key, inst); continue; }
    const disjointPeers = inst.unicastPeer.length > 0 && prev.unicastPeer.length > 0 &&
      !inst.unicastPeer.some((p) => prev.unicastPeer.some((q) => q.address === p.address));
    if (disjointPeers) continue;
    err('HALO_CFG_DUPLICATE_VRID', `Instances ${prev.name} and ${inst.name} both use VRID ${inst.virtualRouterId} with ${inst.family === 'inet' ? 'IPv4' : 'IPv6'} on interface ${inst.interface}`,
      inst.keywordPos['virtual_router_id'] ?? inst.pos, `${prev.name} is at line ${prev.pos.line}`);
  }

  for (const vs of model.virtualServers) {
    const name = describeVs(vs);
    if (vs.key.kind === 'group' && !vsGroups.has(vs.key.group)) {
      err('HALO_CFG_UNKNOWN_REFERENCE', `virtual_server group names no virtual_server_group: ${vs.key.group}`, vs.pos, hintFor(vs.key.group, vsGroups.keys()));
    }
    if (vs.realServers.length === 0 && vs.sorryServer === undefined) {
      warn('HALO_CFG_MISSING_KEYWORD', `Virtual server ${name} has no real_server`, vs.pos);
    }
    const vsFamily = vs.key.kind === 'address' ? vs.key.family : undefined;
    for (const rs of vs.realServers) {
      const method = rs.method?.method ?? vs.lvsMethod.method;
      if (vsFamily !== undefined && rs.family !== vsFamily && method !== 'TUN') {
        err('HALO_CFG_MIXED_FAMILIES', `Real server ${rs.address} is not of the family of virtual server ${name}: only tunnelled real servers may differ`, rs.pos);
      }
      if (vs.key.kind === 'address' && vs.key.port === undefined && rs.port !== undefined && vs.persistenceTimeoutS === undefined) {
        // keepalived: the port may only be omitted for a persistent service.
        err('HALO_CFG_MISSING_VALUE', `Virtual server ${name} has no port: a port may only be left out for a persistent service (persistence_timeout)`, vs.pos);
      }
      for (const c of rs.checkers) {
        if (c.type === 'BFD_CHECK') {
          if (c.name === undefined) err('HALO_CFG_MISSING_KEYWORD', 'BFD_CHECK needs name', c.pos);
          else if (!bfds.has(c.name)) err('HALO_CFG_UNKNOWN_REFERENCE', `BFD_CHECK names no bfd_instance: ${c.name}`, c.keywordPos['name'] ?? c.pos, hintFor(c.name, bfds.keys()));
        }
        if (c.type === 'FILE_CHECK') {
          if (c.trackFile === undefined) err('HALO_CFG_MISSING_KEYWORD', 'FILE_CHECK needs track_file', c.pos);
          else if (!files.has(c.trackFile)) err('HALO_CFG_UNKNOWN_REFERENCE', `FILE_CHECK names no track_file: ${c.trackFile}`, c.keywordPos['track_file'] ?? c.pos, hintFor(c.trackFile, files.keys()));
        }
        if (c.type === 'MISC_CHECK' && c.miscPath === undefined) err('HALO_CFG_MISSING_KEYWORD', 'MISC_CHECK needs misc_path', c.pos);
        if ((c.type === 'HTTP_GET' || c.type === 'SSL_GET') && c.url.length === 0) err('HALO_CFG_MISSING_KEYWORD', `${c.type} needs at least one url { path ... } block`, c.pos);
        if ((c.type === 'HTTP_GET' || c.type === 'SSL_GET')) {
          for (const u of c.url) if (u.path === undefined) err('HALO_CFG_MISSING_KEYWORD', `url in ${c.type} needs a path`, u.pos);
        }
      }
    }
  }

  for (const sc of model.vrrpScripts) {
    if (sc.script === undefined) err('HALO_CFG_MISSING_KEYWORD', `vrrp_script ${sc.name} has no script`, sc.pos);
  }
  for (const tf of model.trackFiles) {
    if (tf.file === undefined) err('HALO_CFG_MISSING_KEYWORD', `track_file ${tf.name} has no file`, tf.pos);
  }
  for (const tp of model.trackProcesses) {
    if (tp.process === undefined) err('HALO_CFG_MISSING_KEYWORD', `vrrp_track_process ${tp.name} has no process`, tp.pos);
  }
  return out;
}

type Report = (code: ErrorCode, message: string, pos: SourcePos | undefined, hint?: string) => void;

function checkInstance(inst: VrrpInstance, err: Report, warn: Report): void {
  const at = (kw: string): SourcePos => inst.keywordPos[kw] ?? inst.pos;
  const n = inst.name;
  if (inst.virtualRouterId === undefined) err('HALO_CFG_MISSING_KEYWORD', `Instance ${n} has no virtual_router_id`, inst.pos, 'add `virtual_router_id 1..255`, the same on every director of the group');
  if (inst.interface === undefined && inst.unicastPeer.length === 0) err('HALO_CFG_MISSING_KEYWORD', `Instance ${n} has no interface`, inst.pos, 'add `interface eth0` (only unicast instances may leave it out)');

  // All VIPs of an instance share its family (keepalived drops the others with an error).
  const fam = inst.family;
  for (const v of inst.virtualIpaddress) {
    if (v.family !== fam) {
      err('HALO_CFG_MIXED_FAMILIES', `Address ${v.address} in virtual_ipaddress of ${n} is not of the instance's family (${fam === 'inet' ? 'IPv4' : 'IPv6'})`, v.pos, 'put it in virtual_ipaddress_excluded or in another instance');
    }
  }
  for (const p of inst.unicastPeer) {
    if (p.family !== fam) err('HALO_CFG_MIXED_FAMILIES', `Unicast peer ${p.address} of ${n} is not of the instance's family`, p.pos);
  }

  if (inst.virtualIpaddress.length === 0 && !inst.strictMode) {
    warn('HALO_CFG_MISSING_KEYWORD', `Instance ${n} has no virtual_ipaddress`, inst.pos);
  }
  if (inst.state === 'MASTER' && inst.nopreempt) {
    warn('HALO_CFG_CONFLICT', `Instance ${n} has nopreempt with state MASTER: nopreempt only works when the initial state is BACKUP`, at('nopreempt'), 'write `state BACKUP` on every director that uses nopreempt');
  }
  if (inst.preemptDelayMs > 0 && inst.state === 'MASTER') {
    warn('HALO_CFG_CONFLICT', `Instance ${n} has preempt_delay with state MASTER: the delay only works when the initial state is BACKUP`, at('preempt_delay'));
  }
  if (inst.auth !== undefined && inst.version === 3) {
    warn('HALO_CFG_CONFLICT', `Instance ${n} has authentication with VRRPv3: RFC 5798 has no authentication, so it is ignored`, inst.auth.pos);
  }
  if (inst.auth !== undefined && inst.auth.pass === undefined && inst.auth.type === 'PASS') {
    err('HALO_CFG_MISSING_KEYWORD', `authentication of ${n} has no auth_pass`, inst.auth.pos);
  }
  if (inst.unicastSrcIp !== undefined && inst.unicastPeer.length === 0) {
    warn('HALO_CFG_CONFLICT', `Instance ${n} has unicast_src_ip but no unicast_peer: it uses multicast`, at('unicast_src_ip'));
  }

  if (!inst.strictMode) return;
  // keepalived.conf(5) vrrp_strict: the rules that keep an instance within RFC 5798.
  const strict = (message: string, pos: SourcePos): void => err('HALO_CFG_STRICT_VIOLATION', `${message} (instance ${n} uses vrrp_strict)`, pos);
  if (inst.virtualIpaddress.length === 0) strict('Instance has no virtual_ipaddress', inst.pos);
  if (inst.unicastPeer.length > 0) strict('Unicast peers are not allowed', at('unicast_peer'));
  if (inst.version === 2 && inst.virtualIpaddressExcluded.some((v) => v.family === 'inet6')) strict('IPv6 addresses are not allowed with VRRPv2', at('virtual_ipaddress_excluded'));
  if (inst.auth !== undefined) strict('Authentication is not allowed', inst.auth.pos);
  if (inst.preemptDelayMs > 0) strict('preempt_delay is not allowed', at('preempt_delay'));
  if (inst.version === 2 && inst.keywordPos['accept'] !== undefined && inst.accept === true) strict('accept is not allowed with VRRPv2', at('accept'));
  if (inst.state === 'MASTER' && inst.priority !== 255) strict(`state MASTER needs priority 255 (address owner), not ${inst.priority}`, at('state'));
  if (inst.lowerPrioNoAdvert === false) strict('lower_prio_no_advert cannot be turned off', at('lower_prio_no_advert'));
  if (inst.higherPrioSendAdvert === true) strict('higher_prio_send_advert is not allowed', at('higher_prio_send_advert'));
  if (inst.vmacXmitBase) strict('vmac_xmit_base is not allowed', at('vmac_xmit_base'));
  if (inst.family === 'inet6') {
    const first = inst.virtualIpaddress[0];
    if (first !== undefined && !/^fe[89ab]/i.test(first.address)) strict(`The first IPv6 address must be link-local, not ${first.address}`, first.pos);
  }
}

function hintFor(name: string, candidates: Iterable<string>): string | undefined {
  const best = closest(name, candidates);
  return best === undefined ? undefined : `did you mean \`${best}\`?`;
}
