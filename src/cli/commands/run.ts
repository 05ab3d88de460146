/**
 * `halo run`: the director. Loads keepalived.conf (refusing to start on errors), removes stale
 * VIPs, forks the VRRP process under a supervisor, and with virtual_servers the checker process and
 * the proxy workers (the checker's backend states feed the proxy); writes the pid file and stops
 * cleanly on SIGTERM/SIGINT (VRRP release, proxy drain, checker omega). docs/operations.md
 * describes flags, processes, files, logs and signals.
 */
import { trackerSpecsFromModel } from '../../daemon/tracker-specs.js';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { renderDiagnostic, summaryLine } from '../../config/render.js';
import type { KeepalivedModel } from '../../config/keepalived/model.js';
import type { BackendState } from '../../core/backend.js';
import { ProxyPlane } from '../../daemon/proxy-plane.js';
import { servedServices, type Served } from '../../daemon/served.js';
import type { MappedServices } from '../../daemon/services-from-nginx.js';
import { toEngineConfig } from '../../config/keepalived/to-engine.js';
import { keepalivedToChecks } from '../../config/keepalived/to-checks.js';
import { Reloader, type LoadOutcome } from '../../daemon/reload.js';
import { dataDump, statsDump, writeDump, type DumpInput } from '../../daemon/dump.js';
import { stderrLogger, survivePipeErrors, type Logger } from '../../daemon/log.js';
import { Supervisor } from '../../daemon/supervisor.js';
import { ControlServer, DEFAULT_CONTROL_SOCKET } from '../../api/control-socket.js';
import { addReloadOp, addSupervisorOps } from '../../daemon/control-ops.js';
import { checkerForker, linuxSupervisorDeps, writeStatusFile } from '../../daemon/supervisor-linux.js';
import type { CliIo, Command } from '../command.js';
import { loadForCli, renderAll, shortHostName, shown, DEFAULT_CONFIG_FILE, EXIT_CONFIG_ERRORS, EXIT_USAGE } from './config-common.js';

export const DEFAULT_PID_FILE = '/run/halo.pid';
export const EXIT_RUNTIME = 1;

export interface RunOptions {
  readonly file: string;
  readonly configId: string;
  readonly pidFile: string;
  readonly vrrpPidFile?: string;
  readonly statusFile: string;
  /** The control socket (`halo step-down`, `halo status`); null: `--no-control-socket`. */
  readonly controlSocket: string | null;
  /** SIGUSR1 data dump (text; JSON beside it as FILE.json). */
  readonly dataFile: string;
  /** SIGUSR2 statistics (text; JSON beside it as FILE.json). */
  readonly statsFile: string;
  readonly logDetail: boolean;
  readonly dontRelease: boolean;
  /** `--nginx FILE`: an nginx.conf served beside the keepalived virtual_servers. */
  readonly nginx?: string;
  /** Proxy workers (default: one per core). */
  readonly workers?: number;
  /** How long connections may finish at stop. */
  readonly drainMs: number;
}

export const DEFAULT_DRAIN_MS = 30_000;

/** keepalived flags `halo run` refuses, with the reason shown to the user. */
const REFUSED: ReadonlyArray<{ flags: readonly string[]; why: string }> = [
  { flags: ['-P', '--vrrp'], why: 'halo run always runs VRRP; the checker process is started with it' },
  { flags: ['-C', '--check'], why: 'halo run always runs VRRP; running only the checkers is not supported' },
  { flags: ['-B', '--no_bfd'], why: 'halo has no BFD process' },
  { flags: ['-S', '--log-facility'], why: 'halo logs to stderr (journald keeps it); there is no syslog facility' },
  { flags: ['-g', '--log-file'], why: 'halo logs to stderr; redirect it or let journald keep it' },
  { flags: ['-G', '--no-syslog'], why: 'halo never logs to syslog' },
  { flags: ['--flush-log-file'], why: 'halo logs to stderr' },
  { flags: ['-X', '--release-vips'], why: 'halo always removes its VIPs on stop, and stale ones at start' },
  { flags: ['-I', '--dont-release-ipvs'], why: 'halo does not program IPVS from halo run' },
  { flags: ['-R', '--dont-respawn'], why: 'the supervisor always restarts the VRRP process (it releases the instances first)' },
  { flags: ['-d', '--dump-conf'], why: 'use `halo dump-config`' },
  { flags: ['-t', '--config-test'], why: 'use `halo check-config`' },
  { flags: ['-c', '--checkers_pid'], why: 'the checker process has no pid file yet' },
  { flags: ['-b', '--bfd_pid'], why: 'halo has no BFD process' },
  { flags: ['-T', '--genhash'], why: 'use `halo genhash`' },
  { flags: ['-x', '--snmp', '-A', '--snmp-agent-socket'], why: 'halo has no SNMP agent' },
  { flags: ['-u', '--umask', '-m', '--core-dump', '-M', '--core-dump-pattern'], why: 'not applicable to a Node.js process' },
  { flags: ['-N', '--namespace'], why: 'start halo inside the namespace (`ip netns exec NS halo run ...`)' },
  { flags: ['-s', '--namespace-name', '-e', '--all-config', '--debug'], why: 'not supported by halo run' },
  { flags: ['--signum'], why: 'use `halo --signum=NAME` (without `run`)' },
];

const USAGE = `Usage: halo run [-f FILE] [options]

Runs the director: every vrrp_instance of a keepalived.conf, in a VRRP process of its own under a
supervisor that owns signals, the pid file and crash handling (docs/operations.md).
halo stays in the foreground (systemd or another service manager runs it).

Options (keepalived's flags keep their meaning):
  -f, --use-file FILE      configuration file (default ${DEFAULT_CONFIG_FILE}; --file also works)
  -i, --config-id ID       id for \`@ID\` conditional lines (default: the short host name)
  -p, --pid FILE           pid file of the supervisor (default ${DEFAULT_PID_FILE})
  -r, --vrrp_pid FILE      pid file of the VRRP process (written at each (re)start)
      --status-file FILE   status JSON (instances, VRRP process, event-loop lag); default: the
                           pid file's directory, halo.status.json
      --control-socket PATH  control socket for \`halo step-down\`, \`halo status\` and \`halo reload\` (mode
                           0600); default ${DEFAULT_CONTROL_SOCKET}, or halo.sock in the
                           directory of --pid when that is given
      --no-control-socket  serve no control socket
      --data-file FILE     SIGUSR1 data dump, text (and FILE.json); default: the pid file's
                           directory, halo.data
      --stats-file FILE    SIGUSR2 statistics, text (and FILE.json); default: the pid file's
                           directory, halo.stats
  -D, --log-detail         also log debug lines (dropped adverts, VIP changes)
  -l, --log-console        accepted: halo always logs to stderr
  -n, --dont-fork          accepted: halo never forks into the background
  -V, --dont-release-vrrp  leave VIPs on the interfaces when halo stops
      --nginx FILE         also serve this nginx.conf (upstreams, http and stream servers)
      --workers N          proxy worker processes (default: one per core)
      --drain-ms MS        how long proxied connections may finish at stop (default ${DEFAULT_DRAIN_MS})

With virtual_servers (or --nginx) halo also runs the checker process (health checks) and the
proxy workers; the checker's backend states go to the proxy.

Signals: SIGTERM/SIGINT stop cleanly, make before break: priority 0 is sent, but each MASTER
keeps its VIPs (and the proxy keeps serving) until it hears the new master, at most Skew_Time
plus one advert interval (about 2.1 s with advert_int 1); then the VIPs go, the proxy drains and
the checker stops with omega. \`halo step-down\` hands over the same way without stopping.
SIGHUP (or \`halo reload\`) reloads the configuration (a MASTER stays MASTER; a file with errors changes nothing);
SIGUSR1 writes the data dump; SIGUSR2 writes the statistics and the status file.
\`halo --signum=NAME\` prints a signal's number (RELOAD, DATA, STATS, STOP, JSON).
Exit status: 0 after a clean stop, 1 on a runtime failure, 2 bad command line,
5 the configuration has errors.
`;

type Parsed = { ok: true; options: RunOptions } | { ok: false; message: string };

export function parseRunArgs(argv: readonly string[], io: Pick<CliIo, 'cwd'>): Parsed {
  let file: string | undefined;
  let configId: string | undefined;
  let pidFile: string | undefined;
  let vrrpPidFile: string | undefined;
  let statusFile: string | undefined;
  let controlSocket: string | null | undefined;
  let dataFile: string | undefined;
  let statsFile: string | undefined;
  let logDetail = false;
  let dontRelease = false;
  let nginx: string | undefined;
  let workers: number | undefined;
  let drainMs = DEFAULT_DRAIN_MS;
  const args = [...argv];
  for (let i = 0; i < args.length; i++) {
    const raw = args[i] ?? '';
    const eq = raw.startsWith('--') ? raw.indexOf('=') : -1;
    const flag = eq > 0 ? raw.slice(0, eq) : raw;
    const inline = eq > 0 ? raw.slice(eq + 1) : undefined;
    const value = (): string | undefined => {
      if (inline !== undefined) return inline;
      const v = args[i + 1];
      if (v === undefined || (v.startsWith('-') && v.length > 1)) return undefined;
      i++;
      return v;
    };
    const need = (): string | { missing: true } => value() ?? { missing: true };
    switch (flag) {
      case '-f':
      case '--use-file':
      case '--file': {
        const v = need();
        if (typeof v !== 'string') return { ok: false, message: `Option ${flag} needs a file` };
        file = v;
        break;
      }
      case '-i':
      case '--config-id': {
        const v = need();
        if (typeof v !== 'string') return { ok: false, message: `Option ${flag} needs an id` };
        configId = v;
        break;
      }
      case '-p':
      case '--pid': {
        const v = need();
        if (typeof v !== 'string') return { ok: false, message: `Option ${flag} needs a file` };
        pidFile = v;
        break;
      }
      case '-r':
      case '--vrrp_pid': {
        const v = need();
        if (typeof v !== 'string') return { ok: false, message: `Option ${flag} needs a file` };
        vrrpPidFile = v;
        break;
      }
      case '--status-file': {
        const v = need();
        if (typeof v !== 'string') return { ok: false, message: `Option ${flag} needs a file` };
        statusFile = v;
        break;
      }
      case '--control-socket': {
        const v = need();
        if (typeof v !== 'string') return { ok: false, message: `Option ${flag} needs a path` };
        controlSocket = v;
        break;
      }
      case '--no-control-socket':
        controlSocket = null;
        break;
      case '--data-file':
      case '--stats-file': {
        const v = need();
        if (typeof v !== 'string') return { ok: false, message: `Option ${flag} needs a file` };
        if (flag === '--data-file') dataFile = v;
        else statsFile = v;
        break;
      }
      case '--nginx': {
        const v = need();
        if (typeof v !== 'string') return { ok: false, message: `Option ${flag} needs a file` };
        nginx = v;
        break;
      }
      case '--workers':
      case '--drain-ms': {
        const v = need();
        const min = flag === '--workers' ? 1 : 0;
        if (typeof v !== 'string' || !/^\d+$/.test(v) || Number(v) < min) return { ok: false, message: `Option ${flag} needs an integer >= ${min}` };
        if (flag === '--workers') workers = Number(v);
        else drainMs = Number(v);
        break;
      }
      case '-D':
      case '--log-detail':
        logDetail = true;
        break;
      case '-l':
      case '--log-console':
      case '-n':
      case '--dont-fork':
        break;
      case '-V':
      case '--dont-release-vrrp':
        dontRelease = true;
        break;
      default: {
        const refused = REFUSED.find((r) => r.flags.includes(flag));
        if (refused) return { ok: false, message: `keepalived option ${flag} is not supported by halo run: ${refused.why}` };
        return { ok: false, message: flag.startsWith('-') ? `Unknown option: ${flag}` : `Unexpected argument: ${flag}` };
      }
    }
  }
  const pid = resolve(io.cwd, pidFile ?? DEFAULT_PID_FILE);
  return {
    ok: true,
    options: {
      file: resolve(io.cwd, file ?? DEFAULT_CONFIG_FILE),
      configId: configId ?? shortHostName(),
      pidFile: pid,
      ...(vrrpPidFile !== undefined ? { vrrpPidFile: resolve(io.cwd, vrrpPidFile) } : {}),
      statusFile: resolve(io.cwd, statusFile ?? join(dirname(pid), 'halo.status.json')),
      controlSocket: controlSocket === null ? null : resolve(io.cwd, controlSocket ?? (pidFile === undefined ? DEFAULT_CONTROL_SOCKET : join(dirname(pid), 'halo.sock'))),
      dataFile: resolve(io.cwd, dataFile ?? join(dirname(pid), 'halo.data')),
      statsFile: resolve(io.cwd, statsFile ?? join(dirname(pid), 'halo.stats')),
      logDetail,
      dontRelease,
      ...(nginx !== undefined ? { nginx: resolve(io.cwd, nginx) } : {}),
      ...(workers !== undefined ? { workers } : {}),
      drainMs,
    },
  };
}

/**
 * The address VRRP sends from when the config names none: the interface's first IPv4 address
 * (keepalived's primary address) or its IPv6 link-local one, skipping the config's own VIPs.
 */
export function interfacePrimaryAddress(ifname: string, family: 4 | 6, exclude: ReadonlySet<string>): string | undefined {
  const entries = (networkInterfaces()[ifname] ?? []).filter((e) => !exclude.has(e.address));
  if (family === 4) return entries.find((e) => e.family === 'IPv4')?.address;
  return entries.find((e) => e.family === 'IPv6' && e.address.toLowerCase().startsWith('fe80:'))?.address;
}

/** The services of the keepalived virtual_servers, its include_nginx files and `--nginx`, merged (as `halo serve` does). */
function mapServices(loaded: { model: KeepalivedModel; files: ReadonlyMap<string, string> }, o: RunOptions): Served {
  const served = servedServices({ keepalived: loaded, ...(o.nginx !== undefined ? { nginxFile: o.nginx } : {}) });
  return { ...served, shown: served.shown.filter((s) => s.d.severity !== 'info' || o.logDetail) };
}

/**
 * The checker names a virtual server `ip:port`; its pool in the proxy is `tcp/ip:port` or
 * `udp/ip:port` (services-from-keepalived.ts). A state goes to each pool of that address.
 */
export function poolIndex(mapped: Pick<MappedServices, 'pools'>): Map<string, string[]> {
  const index = new Map<string, string[]>();
  for (const p of mapped.pools) {
    const m = /^(?:tcp|udp)\/(.+)$/.exec(p.name);
    if (m?.[1] === undefined) continue;
    index.set(m[1], [...(index.get(m[1]) ?? []), p.name]);
  }
  return index;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Writes the pid file; refuses when it names another live process (a second halo with the same file). */
function writePidFile(path: string, log: Logger): boolean {
  try {
    if (existsSync(path)) {
      const old = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
      if (Number.isInteger(old) && old > 0 && old !== process.pid && processAlive(old)) {
        log({ level: 'error', code: 'HALO_DMN_PID_FILE', msg: `Pid file ${path} names running process ${old}: is halo already running?` });
        return false;
      }
    }
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${process.pid}\n`);
    return true;
  } catch (e) {
    log({ level: 'error', code: 'HALO_DMN_PID_FILE', msg: `Cannot write pid file ${path}: ${e instanceof Error ? e.message : String(e)}` });
    return false;
  }
}

/** How long a stopping halo waits for notify_stop scripts, mails and webhooks to be handed over. */
const NOTIFY_FLUSH_MS = 3000;

function stringEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

function removeFile(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // Best effort at exit: a stale pid file is detected (dead pid) at the next start.
  }
}

/**
 * Reads keepalived.conf (and `--nginx`) into what the director runs: at start and at every reload,
 * so both see the same diagnostics. They are written to stderr with their positions; errors end
 * with one HALO_DMN_CONFIG_REFUSED line naming `refusal` (what halo does instead).
 */
export function loadDirector(o: RunOptions, log: Logger, io: Pick<CliIo, 'err'>, refusal: string): LoadOutcome {
  const loaded = loadForCli({ file: o.file, configId: o.configId, verbose: false });
  const engine = toEngineConfig(loaded.model, { primaryAddress: interfacePrimaryAddress });
  const diagnostics = [...loaded.diagnostics, ...engine.diagnostics];
  const visible = shown(diagnostics, o.logDetail);
  if (visible.length > 0) io.err(renderAll(visible, loaded.files));
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  if (errors > 0) {
    io.err(`${summaryLine(visible)}\n`);
    log({ level: 'error', code: 'HALO_DMN_CONFIG_REFUSED', msg: `Configuration ${o.file} has errors: ${refusal}` });
    return { ok: false, errors };
  }
  const served = mapServices(loaded, o);
  for (const s of served.shown) io.err(renderDiagnostic(s.d, s.files));
  if (served.errors) {
    log({ level: 'error', code: 'HALO_DMN_CONFIG_REFUSED', msg: `Configuration ${o.nginx ?? o.file} has errors: ${refusal}` });
    return { ok: false, errors: served.shown.filter((x) => x.d.severity === 'error').length };
  }
  // Source positions are left out: moving a block in the file does not change the check set.
  const checks = loaded.model.virtualServers.length > 0 ? JSON.stringify(keepalivedToChecks(loaded.model).pools, (k, v: unknown) => (k === 'pos' ? undefined : v)) : undefined;
  return { ok: true, config: { instances: engine.instances, services: served.mapped, checks, model: loaded.model } };
}

export const runCommand: Command = {
  name: 'run',
  summary: 'Run the director: VRRP instances of a keepalived.conf, supervised',
  usage: USAGE,
  async run(argv, io) {
    const parsed = parseRunArgs(argv, io);
    if (!parsed.ok) {
      const code = parsed.message.startsWith('keepalived option') ? 'HALO_DMN_FLAG_UNSUPPORTED' : 'HALO_CLI_USAGE';
      io.err(`halo run: ${parsed.message} (${code})\nRun \`halo run --help\` for its options\n`);
      return EXIT_USAGE;
    }
    const o = parsed.options;
    const log = stderrLogger('supervisor', o.logDetail, (t) => io.err(t));
    const first = loadDirector(o, log, io, 'not starting');
    if (!first.ok) return EXIT_CONFIG_ERRORS;
    const engine = { instances: first.config.instances };
    if (engine.instances.length === 0) log({ level: 'warn', msg: `Configuration ${o.file} has no vrrp_instance: running with nothing to do` });
    if (!writePidFile(o.pidFile, log)) return EXIT_RUNTIME;
    survivePipeErrors();
    const deps = linuxSupervisorDeps(log, o.statusFile);
    const hasVs = first.config.checks !== undefined;
    const services = first.config.services;
    let plane: ProxyPlane | undefined;
    if (services.services.length > 0) {
      plane = new ProxyPlane({
        ...(o.workers !== undefined ? { workers: o.workers } : {}),
        drainBoundMs: o.drainMs,
        log: (level, code, message) => log({ level, code, msg: message }),
      });
      const config = { services: services.services, pools: services.pools };
      try {
        await plane.start(config);
      } catch (e) {
        log({ level: 'error', code: 'HALO_DPL_START', msg: `The proxy plane could not start: ${e instanceof Error ? e.message : String(e)}` });
        await plane.stop();
        removeFile(o.pidFile);
        return EXIT_RUNTIME;
      }
      // A service on a VIP this director does not hold yet cannot bind (unless
      // net.ipv4.ip_nonlocal_bind=1, as with nginx beside keepalived): halo runs without it.
      const missing = plane.notListening(config);
      if (missing.length > 0) log({ level: 'warn', code: 'HALO_PRX_LISTEN_FAILED', msg: `Not listening for ${missing.join(', ')}: set net.ipv4.ip_nonlocal_bind=1 to serve VIPs this director does not hold yet` });
      for (const s of services.services) log({ level: 'info', msg: `Serving ${s.name}`, fields: { protocol: s.protocol, listen: `${s.listenAddress}:${s.listenPort}`, pool: s.pool } });
    }
    let pools = poolIndex(services);
    const livePlane = plane;
    const vrrpPidFile = o.vrrpPidFile;
    // Notifications run here in the supervisor, fed by the VRRP process's state reports. Loaded
    // here, not at the top: other commands (check-config, ...) need not load the SMTP client.
    // A reload swaps the set (NotifierSwitch), carrying each instance's last state over.
    const { NotifierSwitch } = await import('../../daemon/notifications.js');
    const notifiers = new NotifierSwitch(first.config.model, { haloPid: process.pid, env: stringEnv(process.env), log });
    const supervisor = new Supervisor(
      {
        ...deps,
        onReport: (r) => notifiers.onReport(r),
        onStatus: (s) => {
          deps.onStatus?.(s);
          if (vrrpPidFile !== undefined && s.vrrpPid !== null) writeVrrpPid(vrrpPidFile, s.vrrpPid);
        },
        // Always given: a reload may bring the first virtual_server (the `checker` option gates it).
        forkChecker: checkerForker({ type: 'start', file: o.file, configId: o.configId }),
        ...(livePlane !== undefined
          ? {
              onBackend: (vsId: string, state: BackendState) => livePlane.setStates((pools.get(vsId) ?? []).map((pool) => ({ ...state, pool }))),
              drainProxy: () => {
                log({ level: 'info', msg: `Proxy plane draining (at most ${o.drainMs} ms)` });
                return livePlane.stop();
              },
            }
          : {}),
      },
      { instances: engine.instances, logDetail: o.logDetail, dontRelease: o.dontRelease, checker: hasVs, trackers: trackerSpecsFromModel(first.config.model) },
    );
    let lastVrrpPid = 0;
    function writeVrrpPid(path: string, pid: number): void {
      if (pid === lastVrrpPid) return;
      lastVrrpPid = pid;
      try {
        writeFileSync(path, `${pid}\n`);
      } catch (e) {
        log({ level: 'warn', code: 'HALO_DMN_PID_FILE', msg: `Cannot write VRRP pid file ${path}: ${e instanceof Error ? e.message : String(e)}` });
      }
    }
    const onStop = (signal: string) => (): void => {
      // Stop first, log after: the VRRP process's priority 0 must not wait behind a log write.
      void supervisor.stop();
      log({ level: 'info', msg: `Stopping: ${signal}` });
    };
    const onTerm = onStop('SIGTERM');
    const onInt = onStop('SIGINT');
    const onUsr2 = (): void => {
      writeStatusFile(o.statusFile, supervisor.status(), log);
      const stats = writeDump(o.statsFile, statsDump(dumpInput()), log);
      log({ level: 'info', msg: `Status written to ${o.statusFile}${stats ? `, statistics to ${o.statsFile} and ${o.statsFile}.json` : ''}` });
    };
    const reloader = new Reloader(
      {
        load: () => loadDirector(o, log, io, 'keeping the running configuration'),
        vrrp: supervisor,
        checker: supervisor,
        notifiers,
        ...(livePlane !== undefined ? { proxy: livePlane } : {}),
        onServices: (mapped) => {
          pools = poolIndex(mapped);
        },
        log,
        source: o.nginx !== undefined ? `${o.file} and ${o.nginx}` : o.file,
      },
      first.config,
    );
    const dumpInput = (): DumpInput => ({
      writtenAt: new Date().toISOString(),
      configFile: o.file,
      ...(o.nginx !== undefined ? { nginxFile: o.nginx } : {}),
      instances: supervisor.instances(),
      status: supervisor.status(),
      services: reloader.config().services,
      reload: reloader.status(),
      ...(livePlane !== undefined ? { proxy: livePlane.counters() } : {}),
    });
    const onUsr1 = (): void => {
      if (writeDump(o.dataFile, dataDump(dumpInput()), log)) log({ level: 'info', msg: `Data written to ${o.dataFile} and ${o.dataFile}.json` });
    };
    const onHup = (): void => {
      log({ level: 'info', msg: 'SIGHUP: reloading the configuration' });
      void reloader.reload();
    };
    const control = o.controlSocket === null ? undefined : new ControlServer({ path: o.controlSocket, log: (level, code, msg) => log({ level, ...(code !== undefined ? { code } : {}), msg }) });
    if (control !== undefined) {
      addSupervisorOps(control, supervisor);
      addReloadOp(control, reloader, log);
      const opened = await control.listen();
      if (opened.ok) log({ level: 'info', msg: `Control socket ${o.controlSocket ?? ''} ready`, fields: { ops: control.ops().join(',') } });
      else log({ level: 'error', code: 'HALO_CTL_SOCKET_FAILED', msg: `Cannot open control socket ${o.controlSocket ?? ''}: ${opened.error}` });
    }
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
    process.on('SIGUSR1', onUsr1);
    process.on('SIGUSR2', onUsr2);
    process.on('SIGHUP', onHup);
    log({ level: 'info', msg: `Starting: ${engine.instances.length} VRRP instance(s) from ${o.file}`, fields: { pid: process.pid, pid_file: o.pidFile, status_file: o.statusFile } });
    try {
      await supervisor.start();
      const code = await supervisor.done;
      // notify_stop scripts and the last mails get a bounded moment; the scripts themselves go on
      // running after halo exits (halo never kills a notify script).
      await Promise.race([notifiers.idle(), new Promise((r) => setTimeout(r, NOTIFY_FLUSH_MS).unref())]);
      notifiers.close();
      log({ level: 'info', msg: 'Stopped', fields: { status: code } });
      return code;
    } finally {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      process.off('SIGUSR1', onUsr1);
      process.off('SIGUSR2', onUsr2);
      process.off('SIGHUP', onHup);
      await control?.close();
      removeFile(o.pidFile);
      if (vrrpPidFile !== undefined) removeFile(vrrpPidFile);
    }
  },
};
