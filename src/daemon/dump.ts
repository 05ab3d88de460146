/**
 * The operator's dumps, as keepalived writes them on signals: SIGUSR1 a data dump (the
 * configuration in force and the state of every instance and backend, keepalived's
 * /tmp/keepalived.data) and SIGUSR2 the statistics (keepalived's /tmp/keepalived.stats). Each is
 * written as text for people and as JSON (`FILE.json`) for programs, atomically (write, then
 * rename), so a reader never sees half a file.
 */
import { renameSync, writeFileSync } from 'node:fs';
import type { ProxyCounters } from '../proxy/types.js';
import type { VrrpInstanceConfig } from '../vrrp/config.js';
import type { Logger } from './log.js';
import type { ReloadStatus } from './reload.js';
import type { MappedServices } from './services-from-nginx.js';
import type { SupervisorStatus } from './supervisor.js';

export interface DumpInput {
  readonly writtenAt: string;
  readonly configFile: string;
  readonly nginxFile?: string;
  readonly instances: readonly VrrpInstanceConfig[];
  readonly status: SupervisorStatus;
  readonly services: MappedServices;
  readonly reload: ReloadStatus;
  readonly proxy?: ProxyCounters;
}

export interface Dump {
  readonly text: string;
  readonly json: unknown;
}

const vipText = (v: { address: string; prefixLength: number; ifname: string }): string => `${v.address}/${v.prefixLength} dev ${v.ifname}`;

/** SIGUSR1: what runs, and in which state. */
export function dataDump(d: DumpInput): Dump {
  const reports = new Map(d.status.instances.map((i) => [i.name, i]));
  const lines: string[] = [
    `------< halo data: ${d.writtenAt} >------`,
    `config file: ${d.configFile}${d.nginxFile !== undefined ? ` (nginx: ${d.nginxFile})` : ''}`,
    `supervisor pid: ${d.status.supervisorPid}, VRRP pid: ${d.status.vrrpPid ?? '-'}, checker pid: ${d.status.checkerPid ?? '-'}`,
    `reloads: ${d.reload.reloads} (refused ${d.reload.refused})${d.reload.last !== null ? `, last: ${d.reload.last.ok ? 'ok' : 'failed'}: ${d.reload.last.summary}` : ''}`,
    '',
    '------< VRRP instances >------',
  ];
  const instances = d.instances.map((c) => {
    const r = reports.get(c.name);
    return { config: c, state: r?.state ?? 'INIT', effectivePriority: r?.priority ?? c.basePriority, cause: r?.cause ?? 'Not started' };
  });
  for (const i of instances) {
    const c = i.config;
    lines.push(
      ` VRRP instance = ${c.name}`,
      `   state = ${i.state} (${i.cause})`,
      `   interface = ${c.ifname}, family = IPv${c.family}, version = ${c.version}, virtual router id = ${c.vrid}`,
      `   priority = ${c.basePriority}, effective priority = ${i.effectivePriority}, advert interval = ${c.advertIntervalCs * 10} ms`,
      `   preempt = ${c.preempt}${c.preemptDelayMs > 0 ? `, preempt delay = ${c.preemptDelayMs} ms` : ''}, source address = ${c.primaryAddress}`,
      `   authentication = ${c.authPass !== undefined ? 'PASS' : 'none'}${c.syncGroup !== undefined ? `, sync group = ${c.syncGroup}` : ''}`,
      `   ${c.unicastPeers.length > 0 ? `unicast peers = ${c.unicastPeers.join(' ')}` : `multicast group = ${c.mcastGroup ?? (c.family === 4 ? '224.0.0.18' : 'ff02::12')}`}`,
      `   virtual IP addresses = ${c.vips.length}`,
      ...c.vips.map((v) => `     ${vipText(v)}`),
      ...(c.excludedVips !== undefined && c.excludedVips.length > 0 ? [`   excluded virtual IP addresses = ${c.excludedVips.length}`, ...c.excludedVips.map((v) => `     ${vipText(v)}`)] : []),
      ...(c.routes !== undefined && c.routes.length > 0 ? [`   virtual routes and rules = ${c.routes.length}`, ...c.routes.map((r) => `     ${r.kind} ${r.args.join(' ')}`)] : []),
      ...(c.trackers.length > 0 ? [`   trackers = ${c.trackers.length}`, ...c.trackers.map((t) => `     ${t.name} weight ${t.weight}`)] : []),
    );
  }
  const backends = new Map(d.status.pools.map((p) => [p.vsId, p.backends]));
  lines.push('', '------< services >------');
  for (const s of d.services.services) lines.push(` service = ${s.name}: ${s.protocol} ${s.listenAddress}:${s.listenPort} -> pool ${s.pool}`);
  lines.push('', '------< pools >------');
  for (const p of d.services.pools) {
    lines.push(` pool = ${p.name}: ${p.algorithm}, ${p.backends.length} backend(s)`);
    for (const b of p.backends) lines.push(`   ${b.id} weight ${b.weight}${b.backup ? ' backup' : ''}`);
  }
  lines.push('', '------< checked backends >------');
  for (const [vsId, list] of backends) {
    lines.push(` virtual server = ${vsId}`);
    for (const b of list) lines.push(`   ${b.id}: ${b.health}, ${b.admin}, weight ${b.effectiveWeight}/${b.weight} (${b.cause.source}: ${b.cause.detail})`);
  }
  const json = {
    writtenAt: d.writtenAt,
    configFile: d.configFile,
    ...(d.nginxFile !== undefined ? { nginxFile: d.nginxFile } : {}),
    supervisorPid: d.status.supervisorPid,
    vrrpPid: d.status.vrrpPid,
    checkerPid: d.status.checkerPid,
    reload: d.reload,
    instances,
    services: d.services.services,
    pools: d.services.pools,
    backends: d.status.pools,
  };
  return { text: lines.join('\n') + '\n', json };
}

/** SIGUSR2: counters (keepalived's per-instance statistics names), processes, proxy. */
export function statsDump(d: DumpInput): Dump {
  const s = d.status;
  const lines: string[] = [
    `------< halo statistics: ${d.writtenAt} >------`,
    `VRRP process: starts ${s.vrrpStarts}, deaths ${s.vrrpDeaths}, released by the supervisor ${s.releasedBySupervisor}`,
    `VRRP event loop: ${s.lag !== null ? `max ${s.lag.maxMs.toFixed(1)} ms, p99 ${s.lag.p99Ms.toFixed(1)} ms over ${s.lag.periodMs} ms` : 'no report yet'}, worst since start ${s.lagMaxEverMs.toFixed(1)} ms`,
    `checker process: starts ${s.checkerStarts}, deaths ${s.checkerDeaths}`,
    `reloads: ${d.reload.reloads} (refused ${d.reload.refused})`,
    `adverts for an unknown VRID: ${s.stats?.unknownVridRcvd ?? 0}`,
    '',
  ];
  for (const [name, counters] of Object.entries(s.stats?.instances ?? {})) {
    lines.push(`VRRP instance: ${name}`);
    for (const [k, v] of Object.entries(counters).sort(([a], [b]) => a.localeCompare(b))) lines.push(`  ${k}: ${v}`);
  }
  const drops = Object.entries(s.stats?.socketDrops ?? {});
  if (drops.length > 0) lines.push('socket drops:', ...drops.map(([k, v]) => `  ${k}: ${v}`));
  if (d.proxy !== undefined) {
    lines.push('proxy:');
    for (const [k, v] of Object.entries(d.proxy)) lines.push(`  ${k}: ${typeof v === 'number' ? v : JSON.stringify(v)}`);
  }
  const json = {
    writtenAt: d.writtenAt,
    vrrp: { starts: s.vrrpStarts, deaths: s.vrrpDeaths, releasedBySupervisor: s.releasedBySupervisor, lag: s.lag, lagMaxEverMs: s.lagMaxEverMs },
    checker: { starts: s.checkerStarts, deaths: s.checkerDeaths },
    reload: d.reload,
    instances: s.stats?.instances ?? {},
    unknownVridRcvd: s.stats?.unknownVridRcvd ?? 0,
    socketDrops: s.stats?.socketDrops ?? {},
    ...(d.proxy !== undefined ? { proxy: d.proxy } : {}),
  };
  return { text: lines.join('\n') + '\n', json };
}

/** Writes `path` (text) and `path.json`, each atomically; a failure is logged, never thrown. */
export function writeDump(path: string, dump: Dump, log: Logger): boolean {
  try {
    for (const [file, body] of [
      [path, dump.text],
      [`${path}.json`, JSON.stringify(dump.json, null, 2) + '\n'],
    ] as const) {
      writeFileSync(`${file}.tmp`, body, { mode: 0o640 });
      renameSync(`${file}.tmp`, file);
    }
    return true;
  } catch (e) {
    log({ level: 'error', code: 'HALO_DMN_DUMP_FAILED', msg: `Cannot write ${path}: ${e instanceof Error ? e.message : String(e)}` });
    return false;
  }
}
