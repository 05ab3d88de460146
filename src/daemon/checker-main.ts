/**
 * The checker process: `child_process.fork(<dist>/src/daemon/checker-main.js)` with an IPC channel.
 * The parent sends `start` (config file and id), later `address` (ha_suspend) and `stop`; the
 * process answers `ready` or `failed`, then streams events, backend states, pools and verdicts
 * (checker-ipc.ts), and `stopped` before it exits.
 *
 * It never outlives its parent: when the IPC channel closes (the parent died), it stops as for a
 * `stop` with omega, as keepalived's checker child does when its parent goes away, and exits.
 * SIGTERM and SIGINT are ignored: the parent orders the stop. Exit status: 0 after a stop, 1 when the
 * configuration cannot be used, 2 for a start that never came.
 */
import { networkInterfaces } from 'node:os';
import { loadKeepalivedConfig } from '../config/keepalived/load.js';
import { keepalivedToChecks } from '../config/keepalived/to-checks.js';
import { hasErrors } from '../core/diagnostic.js';
import { nativeProberNotice } from '../check/probes/native-prober.js';
import { IpMonitor } from '../net/linux/ip-monitor.js';
import { fileConfigSource } from './config-source.js';
import { parseParentMessage, wireDiagnostic, type CheckerToParent, type StartMessage } from './checker-ipc.js';
import { CheckerProcess } from './checker-process.js';

/** How long the process waits for `start` before giving up (a parent that forgot it). */
const START_TIMEOUT_MS = 30_000;

function localAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.add(a.address);
  return out;
}

export function runCheckerMain(): void {
  const send = (m: CheckerToParent): void => {
    if (process.connected && process.send) process.send(m);
  };
  let checker: CheckerProcess | undefined;
  let stopping = false;
  let addressMonitor: IpMonitor | undefined;

  // Messages go out in order; waiting for the last one's callback means all were written.
  const sendLast = (m: CheckerToParent): Promise<void> =>
    new Promise((resolve) => {
      if (!process.connected || !process.send) return resolve();
      const t = setTimeout(resolve, 1000);
      process.send(m, undefined, undefined, () => {
        clearTimeout(t);
        resolve();
      });
    });

  const stop = async (omega: boolean, status: number, last?: CheckerToParent): Promise<void> => {
    if (stopping) return;
    stopping = true;
    clearTimeout(startTimer);
    addressMonitor?.stop();
    const final = checker ? await checker.stop(omega) : last;
    if (final) await sendLast(final);
    if (process.connected) process.disconnect();
    process.exit(status);
  };

  const start = (m: StartMessage): void => {
    const loaded = loadKeepalivedConfig(m.file, fileConfigSource(), { configId: m.configId });
    const plan = keepalivedToChecks(loaded.model, m.slowStartMs !== undefined ? { slowStartMs: m.slowStartMs } : {});
    const diagnostics = [...loaded.diagnostics, ...plan.diagnostics];
    if (hasErrors(diagnostics)) {
      const first = diagnostics.find((d) => d.severity === 'error');
      void stop(false, 1, { type: 'failed', code: 'HALO_SVC_CHECKER_FAILED', message: `Cannot check ${m.file}: ${first?.message ?? 'configuration errors'}`, diagnostics: diagnostics.map(wireDiagnostic) });
      return;
    }
    // A reload hands over the health judged by the previous checker process (src/check/carry.ts).
    const carried = new Map((m.carried ?? []).map((c) => [`${c.vsId}\u0000${c.serverId}`, c.health]));
    checker = new CheckerProcess(plan, {
      send,
      ...(m.notify !== undefined ? { notify: m.notify } : {}),
      ...(carried.size > 0 ? { runner: { carried: (vsId: string, serverId: string) => carried.get(`${vsId}\u0000${serverId}`) } } : {}),
    });
    send({
      type: 'ready',
      pid: process.pid,
      pools: plan.pools.map((p) => ({ vsId: p.spec.id, servers: p.spec.realServers.map((r) => r.id) })),
      diagnostics: diagnostics.filter((d) => d.severity !== 'info').map(wireDiagnostic),
    });
    checker.start();
    // The native prober (TCP_CHECK, HTTP_GET) is made now, with the fd limit raised; a fallback
    // to Node sockets or a low fd limit is said once.
    const notice = nativeProberNotice(plan.pools.reduce((n, p) => n + p.spec.realServers.reduce((k, rs) => k + rs.checkers.length, 0), 0));
    if (notice) send({ type: 'warning', ...notice });
    // ha_suspend: until the VRRP process says otherwise, a service is checked when its address
    // is on this director now.
    const suspendable = plan.pools.filter((p) => p.spec.haSuspend);
    const present = new Map<string, boolean>();
    const refresh = (): void => {
      if (!checker) return;
      const local = localAddresses();
      for (const p of suspendable) {
        const now = local.has(p.spec.address);
        if (present.get(p.spec.id) === now) continue;
        present.set(p.spec.id, now);
        checker.setAddressPresent(p.spec.id, now);
      }
    };
    refresh();
    // ha_suspend follows the kernel's addresses as they change (a VIP added or removed by the VRRP
    // process, or by hand), as keepalived's checker follows netlink address events. One
    // refresh per burst of notifications.
    if (suspendable.length > 0) {
      let pending = false;
      addressMonitor = new IpMonitor({
        object: 'address',
        onLine: () => {
          if (pending) return;
          pending = true;
          setImmediate(() => {
            pending = false;
            refresh();
          });
        },
        onStart: refresh,
        onDied: (why, delayMs) => send({ type: 'warning', code: 'HALO_SVC_CHECKER_FAILED', message: `Address monitor for ha_suspend stopped: ${why} (restart in ${delayMs} ms)` }),
      });
      addressMonitor.start();
    }
  };

  const startTimer = setTimeout(() => {
    process.stderr.write('halo checker: HALO_SVC_CHECKER_FAILED: No start message from the parent\n');
    void stop(false, 2);
  }, START_TIMEOUT_MS);

  process.on('message', (raw: unknown) => {
    const parsed = parseParentMessage(raw);
    if (!parsed.ok) {
      send({ type: 'warning', code: 'HALO_SVC_CHECKER_FAILED', message: `Ignored an IPC message: ${parsed.reason}` });
      return;
    }
    const m = parsed.message;
    if (m.type === 'start') {
      clearTimeout(startTimer);
      if (checker === undefined && !stopping) start(m);
    } else if (m.type === 'address') checker?.setAddressPresent(m.vsId, m.present);
    else void stop(m.omega ?? true, 0);
  });
  process.on('disconnect', () => void stop(true, 0));
  // `systemctl stop` signals every process of the service at once (KillMode=control-group). The
  // parent orders the stop (VRRP release, proxy drain, then this process with omega): stopping
  // here at once would report every server down while the proxy still serves. A parent that is
  // gone is seen as `disconnect` above.
  process.on('SIGTERM', () => undefined);
  process.on('SIGINT', () => undefined);
}

if (process.send !== undefined) runCheckerMain();
