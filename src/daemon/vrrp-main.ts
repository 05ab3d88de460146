/**
 * The VRRP process: forked by the supervisor (src/daemon/supervisor.ts), it runs the VRRP
 * instances and nothing else (no checks, no HTTP, no client traffic), so that nothing delays an
 * advert (design notes, "Processes"; keepalived keeps its VRRP child apart for the same reason).
 *
 * It gets its instance configs from the supervisor over IPC, reports every state change before
 * the effects of that change are carried out, measures its own event-loop delay and reports it
 * every `lagReportMs`. It stops cleanly (priority 0, VIPs removed) on a `stop` message, on
 * SIGTERM/SIGINT (systemd signals the whole control group) and when the supervisor goes away.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Clock } from '../core/clock.js';
import type { AddressPort, PortResult, RoutePort, VipSpec } from '../net/ports.js';
import { LinuxAddresses } from '../net/linux/address.js';
import { LinuxNeighborAnnounce } from '../net/linux/announce.js';
import { LinuxLinks } from '../net/linux/link.js';
import { LinuxRoutes } from '../net/linux/route.js';
import { LinuxVrrpSockets } from '../net/linux/vrrp-socket.js';
import { parseToVrrp, type FromVrrp, type ToVrrp } from './ipc.js';
import { stderrLogger, survivePipeErrors, type Logger } from './log.js';
import { VrrpRuntime } from './vrrp-runtime.js';
import { TimerWaker } from './waker.js';

/** How long a clean stop waits for `ip addr del` of the VIPs before exiting anyway. */
const STOP_DRAIN_MS = 3000;

const monotonic: Clock = { nowMs: () => performance.now() };

/** Counts address changes in flight, so a stop can wait for the VIPs to be gone. */
class PendingAddresses implements AddressPort {
  private readonly pending = new Set<Promise<PortResult>>();
  /** Set by `--dont-release-vrrp` once stopping: removals are skipped (VIPs stay, as keepalived -V). */
  keepOnStop = false;
  stopping = false;

  constructor(private readonly inner: LinuxAddresses) {}

  add(vip: VipSpec): Promise<PortResult> {
    return this.track(this.inner.add(vip));
  }

  remove(vip: VipSpec): Promise<PortResult> {
    if (this.stopping && this.keepOnStop) return Promise.resolve({ ok: true });
    return this.track(this.inner.remove(vip));
  }

  list(ifname: string): Promise<readonly string[]> {
    return this.inner.list(ifname);
  }

  watch(ifnames: readonly string[], onChange: Parameters<NonNullable<AddressPort['watch']>>[1]): () => void {
    return this.inner.watch(ifnames, onChange);
  }

  async drained(timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (this.pending.size > 0 && performance.now() < deadline) {
      await Promise.race([Promise.allSettled([...this.pending]), new Promise((r) => setTimeout(r, Math.max(1, deadline - performance.now())))]);
    }
    return this.pending.size === 0;
  }

  private track(p: Promise<PortResult>): Promise<PortResult> {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
    return p;
  }
}

/** `--dont-release-vrrp` keeps routes and rules at stop too, like the VIPs they go with. */
function keepRoutesOnStop(inner: RoutePort, state: { stopping: boolean; keepOnStop: boolean }): RoutePort {
  return {
    add: (r) => inner.add(r),
    remove: (r) => (state.stopping && state.keepOnStop ? Promise.resolve({ ok: true }) : inner.remove(r)),
  };
}

function send(m: FromVrrp): void {
  if (process.connected) process.send?.(m);
}

let runtime: VrrpRuntime | undefined;
/** The instance configs now running (replaced by a reload). */
let current: Extract<ToVrrp, { type: 'start' }>['instances'] = [];
/** Reloads run one at a time, in the order they came. */
let reloading: Promise<void> = Promise.resolve();
let tracked: PendingAddresses | undefined;
let stopping = false;
let log: Logger = stderrLogger('vrrp', false);
const cleanups: Array<() => void> = [];

async function start(m: Extract<ToVrrp, { type: 'start' }>): Promise<void> {
  if (runtime !== undefined) return;
  log = stderrLogger('vrrp', m.logDetail);
  current = m.instances;
  const onAdapterError = (code: Parameters<Logger>[0]['code'], message: string): void => log({ level: 'warn', msg: message, ...(code !== undefined ? { code } : {}) });
  const inner = new LinuxAddresses({ onError: onAdapterError });
  const addresses = new PendingAddresses(inner);
  addresses.keepOnStop = m.dontRelease;
  tracked = addresses;
  const links = new LinuxLinks({ onError: onAdapterError });
  const sockets = new LinuxVrrpSockets();
  cleanups.push(() => inner.close(), () => links.close());
  const lastReported = new Map<string, string>();
  runtime = new VrrpRuntime({
    clock: monotonic,
    waker: new TimerWaker(monotonic),
    socket: sockets,
    addresses,
    neighbors: new LinuxNeighborAnnounce(),
    link: links,
    routes: keepRoutesOnStop(new LinuxRoutes(), addresses),
    instances: m.instances,
    schedule: (delayMs, fn) => {
      const h = setTimeout(fn, delayMs);
      return () => clearTimeout(h);
    },
    log: (r) => {
      // Transitions get their own line from `observe`; the engine's copy of them is debug.
      const transition = r.level === 'info' && / -> [A-Z]+: /.test(r.message);
      log({ level: transition ? 'debug' : r.level, msg: r.message, ...(r.code !== undefined ? { code: r.code } : {}), fields: { instance: r.instance } });
    },
    observe: (name, _event, before, after) => {
      const key = `${after.state}/${after.effectivePriority}`;
      if (lastReported.get(name) === key) return;
      lastReported.set(name, key);
      const c = current.find((i) => i.name === name);
      if (c === undefined) return;
      // Sent before the effects of this step run: the supervisor learns of MASTER before any VIP is added.
      send({ type: 'state', instance: { name, vrid: c.vrid, family: c.family, ifname: c.ifname, state: after.state, priority: after.effectivePriority, cause: after.cause } });
      if (before.state !== after.state) {
        log({ level: 'info', msg: after.cause, fields: { instance: name, vrid: c.vrid, from: before.state, to: after.state, priority: after.effectivePriority } });
      } else if (before.effectivePriority !== after.effectivePriority) {
        log({ level: 'info', msg: after.cause, fields: { instance: name, vrid: c.vrid, state: after.state, priority_from: before.effectivePriority, priority: after.effectivePriority } });
      }
    },
  });
  await runtime.start();
  if (stopping) return;
  // Measured from here: module loading and socket set-up are not the steady state.
  startLagMonitor(m.lagReportMs, () => sendStats(sockets));
  send({ type: 'ready' });
}

/** Counters of every instance, sent with each lag report (the supervisor puts them in the status file). */
function sendStats(sockets: LinuxVrrpSockets): void {
  const r = runtime;
  if (r === undefined) return;
  const instances: Record<string, Record<string, number>> = {};
  for (const snap of r.snapshot()) {
    instances[snap.name] = { ...snap.rx, ...snap.state.counters, ...(r.runtimeCounters(snap.name) ?? {}) };
  }
  send({ type: 'stats', stats: { instances, unknownVridRcvd: r.unknownVridRcvd, socketDrops: sockets.dropCounts() } });
}

function startLagMonitor(periodMs: number, everyPeriod: () => void): void {
  // 10 ms resolution: fine enough to see a late 100 ms advert, cheap enough to run always. The
  // histogram records the whole interval between its samples (resolution included), so the
  // resolution is taken off to report lateness only.
  const resolutionMs = 10;
  const h = monitorEventLoopDelay({ resolution: resolutionMs });
  h.enable();
  const late = (ns: number): number => Math.max(0, ns / 1e6 - resolutionMs);
  const timer = setInterval(() => {
    const count = h.count;
    send({
      type: 'lag',
      lag: {
        meanMs: count > 0 ? late(h.mean) : 0,
        p50Ms: count > 0 ? late(h.percentile(50)) : 0,
        p99Ms: count > 0 ? late(h.percentile(99)) : 0,
        maxMs: count > 0 ? late(h.max) : 0,
        periodMs,
      },
    });
    h.reset();
    everyPeriod();
  }, periodMs);
  cleanups.push(() => {
    clearInterval(timer);
    h.disable();
  });
}

/**
 * SIGHUP reload from the supervisor: the runtime keeps the state of matched instances. Every
 * instance's state is reported again afterwards (names and priorities may have changed).
 */
async function reload(instances: Extract<ToVrrp, { type: 'reload' }>['instances']): Promise<void> {
  const r = runtime;
  if (r === undefined || stopping) return;
  // During the reload both sets are known, so every transition it causes is reported (a removed
  // instance's release, a new instance's start).
  const names = new Set(instances.map((c) => c.name));
  current = [...instances, ...current.filter((c) => !names.has(c.name))];
  const report = await r.reload(instances);
  current = instances;
  for (const snap of r.snapshot()) {
    const s = snap.state;
    send({ type: 'state', instance: { name: snap.name, vrid: snap.vrid, family: snap.family, ifname: snap.ifname, state: s.state, priority: s.effectivePriority, cause: s.cause } });
  }
  const changed = report.changed.map((c) => `${c.name} (${c.fields.join(', ')})`);
  log({ level: 'info', msg: `Reloaded: ${report.added.length} instance(s) added, ${report.changed.length} changed, ${report.removed.length} removed, ${report.unchanged.length} unchanged`, fields: { added: report.added.join(',') || '-', changed: changed.join(';') || '-', removed: report.removed.join(',') || '-' } });
  send({ type: 'reloaded', report });
}

async function stop(why: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log({ level: 'info', msg: `Stopping: ${why}` });
  const r = runtime;
  if (r !== undefined && tracked !== undefined) {
    tracked.stopping = true;
    r.stop();
    if (!(await tracked.drained(STOP_DRAIN_MS))) log({ level: 'warn', msg: `Stopping: VIP removal still running after ${STOP_DRAIN_MS} ms` });
  }
  for (const c of cleanups) c();
  send({ type: 'stopped' });
  // Let the IPC message go out before the process ends.
  setTimeout(() => process.exit(0), 20).unref();
  if (process.connected) process.disconnect();
}

survivePipeErrors();
process.on('message', (raw: unknown) => {
  const m = parseToVrrp(raw);
  if (m === undefined) return;
  if (m.type === 'start') {
    start(m).catch((e: unknown) => {
      log({ level: 'error', msg: `VRRP process failed to start: ${e instanceof Error ? e.message : String(e)}` });
      process.exit(1);
    });
  } else if (m.type === 'reload') {
    reloading = reloading.then(() => reload(m.instances)).catch((e: unknown) => log({ level: 'error', code: 'HALO_DMN_RELOAD_FAILED', msg: `Reload failed in the VRRP process: ${e instanceof Error ? e.message : String(e)}` }));
  } else {
    void stop('asked by the supervisor');
  }
});
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
// The supervisor is gone (it crashed or was killed): do not run on unsupervised.
process.on('disconnect', () => void stop('the supervisor went away'));
