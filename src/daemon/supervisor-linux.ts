/**
 * The real dependencies of the supervisor: `child_process.fork` of src/daemon/vrrp-main.js with
 * an IPC channel, the Linux VRRP socket and iproute2 adapters (for releasing a dead process's
 * instances), Node timers, and the status file.
 */
import { fork } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { LinuxAddresses } from '../net/linux/address.js';
import { LinuxRoutes } from '../net/linux/route.js';
import { LinuxVrrpSockets } from '../net/linux/vrrp-socket.js';
import { forkChecker } from './checker-client.js';
import type { StartMessage } from './checker-ipc.js';
import type { Logger } from './log.js';
import type { CheckerHandle, ChildEvents, ChildHandle, SupervisorDeps, SupervisorStatus } from './supervisor.js';

export const VRRP_MAIN_PATH = fileURLToPath(new URL('./vrrp-main.js', import.meta.url));

/** nice value of the VRRP process: ahead of ordinary processes, as a control-plane daemon should be. */
export const VRRP_NICE = -10;

export function forkVrrpProcess(events: ChildEvents): ChildHandle {
  // --no-lazy: V8 compiles every function of the VRRP process when its module loads, not at its
  // first call, so a takeover's first advert, VIP add and gratuitous ARP do not compile on the way
  // (failover lab, v2 clean stop, backup advert to gratuitous ARP: 2-6 ms before, 0-3 ms after;
  // about 1 MB more memory). --no-flush-bytecode: V8 would drop the compiled code of functions
  // idle for a while, and a takeover or a stop after hours as MASTER or BACKUP would compile its
  // path again (see warmUp in src/daemon/vrrp-runtime.ts).
  const child = fork(VRRP_MAIN_PATH, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: ['--no-flush-bytecode', '--no-lazy'], serialization: 'json' });
  child.on('message', (m) => events.onMessage(m));
  child.on('exit', (code, signal) => events.onExit(code, signal));
  // A failed send (the child just died) surfaces as its exit; nothing to do here.
  child.on('error', () => {});
  return {
    pid: child.pid,
    send: (m) => {
      if (child.connected) child.send(m, (err) => void err);
    },
    kill: (signal) => void child.kill(signal),
  };
}

/** Grace the checker process gets to run its omega scripts at stop before it is killed. */
export const CHECKER_STOP_GRACE_MS = 10_000;

/** Forks the checker process (checker-main.js) for `start`; the supervisor restarts it through this. */
export function checkerForker(start: StartMessage): (events: ChildEvents, carried?: StartMessage['carried']) => CheckerHandle {
  return (events, carried) => {
    const c = forkChecker(carried !== undefined && carried.length > 0 ? { ...start, carried } : start, (m) => events.onMessage(m));
    c.child.once('exit', (code, signal) => events.onExit(code, signal));
    return {
      pid: c.child.pid,
      stop: (omega) => void c.stop(omega, CHECKER_STOP_GRACE_MS),
      kill: (signal) => void c.child.kill(signal),
    };
  };
}

/** Writes the status file atomically (write, then rename), so a reader never sees half of it. */
export function writeStatusFile(path: string, status: SupervisorStatus, log: Logger): void {
  const tmp = `${path}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify({ ...status, writtenAt: new Date().toISOString() }, null, 2) + '\n');
    renameSync(tmp, path);
  } catch (e) {
    log({ level: 'warn', msg: `Cannot write status file ${path}: ${e instanceof Error ? e.message : String(e)}` });
  }
}

export function linuxSupervisorDeps(log: Logger, statusFile: string | undefined): SupervisorDeps {
  return {
    forkVrrp: forkVrrpProcess,
    socket: new LinuxVrrpSockets(),
    addresses: new LinuxAddresses(),
    routes: new LinuxRoutes(),
    schedule: (delayMs, fn) => {
      const h = setTimeout(fn, delayMs);
      return () => clearTimeout(h);
    },
    nowMs: () => performance.now(),
    log,
    ...(statusFile !== undefined ? { onStatus: (s: SupervisorStatus) => writeStatusFile(statusFile, s, log) } : {}),
    prioritize: (pid) => {
      try {
        setPriority(pid, VRRP_NICE);
      } catch (e) {
        log({ level: 'debug', msg: `Cannot raise the VRRP process priority: ${e instanceof Error ? e.message : String(e)}` });
      }
    },
  };
}
