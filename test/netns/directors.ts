/**
 * Directors for the pair, interop and failover tests: one keepalived.conf generator, and the same
 * handle for a keepalived or a halo process running in a lab namespace (its log, its process tree,
 * a `kill -9` of every process of it at once, a clean stop).
 *
 * halo is started as `halo run -f FILE -l -D -p PIDFILE` from the compiled tree; `haloRunAvailable`
 * says whether this build has the `run` command yet.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NetnsNode } from './harness.js';

export const HALO_MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const HALO_RUN = fileURLToPath(new URL('../../src/cli/commands/run.js', import.meta.url));

/** Whether this build has `halo run`; otherwise the reason to print when skipping. */
export function haloRunAvailable(): { ok: true } | { ok: false; reason: string } {
  return existsSync(HALO_RUN) ? { ok: true } : { ok: false, reason: 'needs `halo run` (src/cli/commands/run.ts) in this build' };
}

export interface InstanceSpec {
  readonly name?: string;
  readonly vrid: number;
  readonly version: 2 | 3;
  /** Seconds: 1 for v2, 0.1 for a 100 ms v3 interval. */
  readonly advertIntS: number;
  readonly priority: number;
  readonly state?: 'MASTER' | 'BACKUP';
  readonly ifname?: string;
  /** `virtual_ipaddress` lines, e.g. `10.213.7.100/24`. */
  readonly vips: readonly string[];
  readonly authPass?: string;
  readonly nopreempt?: boolean;
  readonly preemptDelayS?: number;
  readonly unicastSrc?: string;
  readonly unicastPeers?: readonly string[];
  /** Other keepalived lines for the instance block, verbatim. */
  readonly extra?: readonly string[];
}

/** A keepalived.conf that both keepalived and halo read, for one director. */
export function keepalivedConf(routerId: string, instances: readonly InstanceSpec[], globalExtra: readonly string[] = []): string {
  const lines = ['global_defs {', `  router_id ${routerId}`, ...globalExtra.map((l) => `  ${l}`), '}'];
  for (const i of instances) {
    lines.push(`vrrp_instance ${i.name ?? `VI_${i.vrid}`} {`);
    lines.push(`  state ${i.state ?? 'BACKUP'}`);
    lines.push(`  interface ${i.ifname ?? 'eth0'}`);
    lines.push(`  virtual_router_id ${i.vrid}`);
    lines.push(`  priority ${i.priority}`);
    lines.push(`  advert_int ${i.advertIntS}`);
    lines.push(`  version ${i.version}`);
    if (i.nopreempt) lines.push('  nopreempt');
    if (i.preemptDelayS !== undefined) lines.push(`  preempt_delay ${i.preemptDelayS}`);
    if (i.authPass !== undefined) lines.push('  authentication {', '    auth_type PASS', `    auth_pass ${i.authPass}`, '  }');
    if (i.unicastSrc !== undefined) lines.push(`  unicast_src_ip ${i.unicastSrc}`);
    if (i.unicastPeers !== undefined) lines.push('  unicast_peer {', ...i.unicastPeers.map((p) => `    ${p}`), '  }');
    for (const l of i.extra ?? []) lines.push(`  ${l}`);
    lines.push('  virtual_ipaddress {', ...i.vips.map((v) => `    ${v}`), '  }', '}');
  }
  return lines.join('\n') + '\n';
}

/** Log lines kept per daemon run. */
const LOG_LINES_MAX = 20_000;
const STOP_GRACE_MS = 5000;

/** The direct children of a process, from /proc (every thread's `children` list). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tasks) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/)) if (c) out.push(Number(c));
    } catch {
      /* the thread or the process is gone */
    }
  }
  return out;
}

/** A process and all its descendants, parents first (bounded in depth and count). */
export function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length && out.length < 256; i++) out.push(...childPids(out[i] ?? 0));
  return out;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** keepalived or halo running in a namespace. */
export class Daemon {
  readonly log: string[];
  /** halo: the directory of its config, pid file and status file (`halo.status.json`). */
  workDir: string | undefined;
  constructor(readonly kind: 'keepalived' | 'halo', readonly node: NetnsNode, readonly child: ChildProcess, log?: string[]) {
    if (log) {
      this.log = log;
      return;
    }
    this.log = [];
    let partial = '';
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) if (this.log.length < LOG_LINES_MAX) this.log.push(l);
      });
    }
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** The daemon's processes: the one started (keepalived's parent, halo's supervisor) and its descendants. */
  pids(): number[] {
    return this.child.pid === undefined || this.exited ? [] : processTree(this.child.pid);
  }

  /**
   * `kill -9` of every process of the daemon at the same moment, as a power cut of the daemon would:
   * the parent is frozen first so it cannot react to its children's death (keepalived restarts its
   * VRRP child, halo's supervisor sends priority 0), then every process gets SIGKILL. `pids`: the
   * tree read before the moment (a timed event: reading /proc takes a daemon with more processes
   * and threads longer, which would count against it).
   */
  killAll(pids: readonly number[] = this.pids()): readonly number[] {
    const root = pids[0];
    if (root === undefined || this.exited) return [];
    signal(root, 'SIGSTOP');
    for (const p of [...pids].reverse()) signal(p, 'SIGKILL');
    return pids;
  }

  /**
   * `systemctl stop`: SIGTERM to every process of the daemon at once, as systemd does with the
   * default KillMode=control-group (Debian's keepalived.service keeps that default). Each daemon
   * decides which of its processes acts on it. `pids` as for `killAll`.
   */
  terminateAll(pids: readonly number[] = this.pids()): readonly number[] {
    for (const p of pids) signal(p, 'SIGTERM');
    return pids;
  }

  /** Waits (polling, bounded) for a log line matching `pattern` after line `fromLine`. */
  async waitLog(pattern: RegExp, timeoutMs: number, fromLine = 0): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const hit = this.log.slice(fromLine).find((l) => pattern.test(l));
      if (hit !== undefined || Date.now() >= deadline) return hit;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** SIGTERM to the daemon (a clean stop), SIGKILL to whatever is left after a grace period. */
  async stop(graceMs = STOP_GRACE_MS): Promise<void> {
    if (this.exited || this.child.pid === undefined) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    const pids = processTree(this.child.pid);
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      for (const p of processTree(this.child.pid ?? 0)) signal(p, 'SIGKILL');
    }, graceMs);
    await exited;
    clearTimeout(timer);
    // Children that outlived their parent (none should) go too, by PID.
    for (const p of pids) if (p !== this.child.pid && existsSync(`/proc/${p}`)) signal(p, 'SIGKILL');
  }
}

/** Starts the Debian keepalived (VRRP only, foreground, log on the console) in `node`. */
export async function startKeepalivedDaemon(node: NetnsNode, config: string): Promise<Daemon> {
  const ka = await node.startKeepalived(config);
  return new Daemon('keepalived', node, ka.child, ka.log);
}

/** Starts `halo run` in `node` with `config`, logging to the console. */
export async function startHalo(node: NetnsNode, config: string, extraArgs: readonly string[] = []): Promise<Daemon> {
  const dir = mkdtempSync(join(tmpdir(), `${node.ns}-halo-`));
  node.lab.cleanupDir(dir);
  const conf = join(dir, 'keepalived.conf');
  writeFileSync(conf, config);
  const child = node.spawn([process.execPath, '--enable-source-maps', HALO_MAIN, 'run', '-f', conf, '-l', '-D', '-p', join(dir, 'halo.pid'), ...extraArgs]);
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', reject);
  });
  const d = new Daemon('halo', node, child);
  d.workDir = dir;
  return d;
}

export type DaemonKind = 'keepalived' | 'halo';

export function startDaemon(kind: DaemonKind, node: NetnsNode, config: string): Promise<Daemon> {
  return kind === 'halo' ? startHalo(node, config) : startKeepalivedDaemon(node, config);
}
