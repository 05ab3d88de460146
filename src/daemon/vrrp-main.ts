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
import { LinuxTakeover } from '../net/linux/takeover.js';
import { handoverBoundMs } from '../vrrp/timers.js';
import { parseToVrrp, type FromVrrp, type ToVrrp } from './ipc.js';
import { stderrLogger, survivePipeErrors, type Logger } from './log.js';
import { REHEARSALS, VrrpRuntime } from './vrrp-runtime.js';
import type { RunningTrackers } from './trackers.js';
import { hasTrackers, NO_TRACKERS, type TrackerSpecs } from './tracker-specs.js';
import { TimerWaker } from './waker.js';

/** How long a clean stop waits for `ip addr del` of the VIPs before exiting anyway. */
const STOP_DRAIN_MS = 3000;
/** Slack over the instances' own handover bounds before a stop stops waiting for them. */
const HANDOVER_SLACK_MS = 500;

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

  prepare(vip: VipSpec): void {
    this.inner.prepare(vip);
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

function stringEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
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
let trackers: RunningTrackers | undefined;
/** Instances a reload is removing: their state reports say `deleted` (notify_deleted). */
const deleting = new Set<string>();
let stopping = false;
/** The VRRP sockets, for the stop's log line (how many priority-0 adverts the signal handler sent). */
let vrrpSockets: LinuxVrrpSockets | undefined;
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
  // The priority-0 adverts of MASTER instances leave from a C handler of SIGTERM/SIGINT, the moment
  // the signal arrives (native/stop_adverts.c); installed on first use, after the handlers below.
  const sockets = new LinuxVrrpSockets({ stopAdvertsOnSignal: true });
  vrrpSockets = sockets;
  const neighbors = new LinuxNeighborAnnounce();
  cleanups.push(() => inner.close(), () => links.close(), () => void neighbors.close());
  const lastReported = new Map<string, string>();
  runtime = new VrrpRuntime({
    clock: monotonic,
    waker: new TimerWaker(monotonic),
    socket: sockets,
    addresses,
    neighbors,
    link: links,
    routes: keepRoutesOnStop(new LinuxRoutes(), addresses),
    instances: m.instances,
    rehearsals: REHEARSALS,
    // A backup's takeover leaves from a native thread at its deadline (native/takeover.c);
    // HALO_TAKEOVER_THREAD=0 leaves it to the event loop (for comparison, docs/operations.md).
    ...(process.env.HALO_TAKEOVER_THREAD === '0' ? {} : { takeover: new LinuxTakeover(sockets) }),
    schedule: (delayMs, fn) => {
      const h = setTimeout(fn, delayMs);
      return () => clearTimeout(h);
    },
    log: (r) => {
      // Transitions get their own line from `observe`; the engine's copy of them is debug.
      const transition = r.level === 'info' && / -> [A-Z]+: /.test(r.message);
      log({ level: transition ? 'debug' : r.level, msg: r.message, ...(r.code !== undefined ? { code: r.code } : {}), fields: { instance: r.instance } });
    },
    observe: (name, event, before, after) => {
      const key = `${after.state}/${after.effectivePriority}`;
      if (lastReported.get(name) === key) return;
      lastReported.set(name, key);
      const c = current.find((i) => i.name === name);
      if (c === undefined) return;
      // A priority change names the tracker that caused it (a state change's cause already does).
      const tracker = event.type === 'TrackerChanged' ? event.tracker : undefined;
      const cause =
        before.state === after.state && event.type === 'TrackerChanged'
          ? `Priority ${before.effectivePriority} -> ${after.effectivePriority}: tracker ${event.tracker}${event.cause !== undefined ? `: ${event.cause}` : event.up ? ' up' : ' down'}`
          : after.cause;
      // Sent after the step's wire effects (advert; on takeover the VIPs and the first gratuitous
      // ARP, src/daemon/vrrp-runtime.ts) and before the others: the client moves first.
      send({ type: 'state', instance: { name, vrid: c.vrid, family: c.family, ifname: c.ifname, state: after.state, priority: after.effectivePriority, cause, ...(deleting.has(name) ? { deleted: true } : {}) } });
      if (before.state !== after.state) {
        log({ level: 'info', msg: after.cause, fields: { instance: name, vrid: c.vrid, from: before.state, to: after.state, priority: after.effectivePriority, tracker } });
      } else if (before.effectivePriority !== after.effectivePriority) {
        log({ level: 'info', msg: cause, fields: { instance: name, vrid: c.vrid, state: after.state, priority_from: before.effectivePriority, priority: after.effectivePriority, tracker } });
      }
    },
  });
  // Trackers first: a track_file's value and a process count are read before the instances
  // start, so the first advert already carries the priority they give (keepalived reads them at
  // start too). Scripts start running now; until their first verdict they count as up
  // (down with init_fail).
  if (hasTrackers(m.trackers)) {
    trackers = await buildRunners(m.trackers, m.instances);
    if (trackers === undefined || stopping) return;
    await trackers.start();
    if (stopping) return;
  }
  await runtime.start();
  if (stopping) return;
  // Measured from here: module loading and socket set-up are not the steady state.
  startLagMonitor(m.lagReportMs, () => sendStats(sockets));
  send({ type: 'ready' });
}

/** The tracker runners, feeding the runtime; the module is loaded only when some config has trackers. */
async function buildRunners(specs: TrackerSpecs, instances: Extract<ToVrrp, { type: 'start' }>['instances']): Promise<RunningTrackers | undefined> {
  const { buildTrackers, engineUpdate } = await import('./trackers.js');
  const rt = runtime;
  if (stopping || rt === undefined) return undefined;
  return buildTrackers(specs, instances, {
    haloPid: process.ppid,
    env: stringEnv(process.env),
    log,
    onSignal: (id, signal) => {
      const u = engineUpdate(signal);
      rt.trackerChanged(id, u.up, u);
    },
  });
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
async function reload(m: Extract<ToVrrp, { type: 'reload' }>): Promise<void> {
  const r = runtime;
  if (r === undefined || stopping) return;
  const instances = m.instances;
  // During the reload both sets are known, so every transition it causes is reported (a removed
  // instance's release, a new instance's start); a removed instance's reports say `deleted`.
  const names = new Set(instances.map((c) => c.name));
  const removed = current.filter((c) => !names.has(c.name));
  for (const c of removed) deleting.add(c.name);
  current = [...instances, ...removed];
  let report: Awaited<ReturnType<VrrpRuntime['reload']>>;
  try {
    report = await r.reload(instances);
  } finally {
    deleting.clear();
  }
  current = instances;
  // After the runtime took the new instances: a new tracker's first signal must find the
  // instances that watch it (a removed tracker's last one finds none and changes nothing).
  if (m.trackers !== undefined && !stopping) {
    if (trackers === undefined && hasTrackers(m.trackers)) {
      trackers = await buildRunners(NO_TRACKERS, instances);
    }
    if (trackers !== undefined && !stopping) {
      const t = await trackers.reload(m.trackers, instances);
      if (t.started.length + t.stopped.length > 0) log({ level: 'info', msg: `Trackers reloaded: ${t.started.length} started, ${t.stopped.length} stopped, ${t.kept.length} kept running`, fields: { started: t.started.join(',') || '-', stopped: t.stopped.join(',') || '-' } });
    }
  }
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
  // No tracker verdict may arrive while the instances release (closing only clears timers and
  // signals children: nothing here waits).
  trackers?.close();
  const r = runtime;
  if (r !== undefined && tracked !== undefined) {
    tracked.stopping = true;
    // Priority 0 first (RFC 5798 §6.4.3): the backups take over Skew_Time after it arrives, so
    // the log line waits for it, not the other way round.
    if (tracked.keepOnStop) {
      // --dont-release-vrrp: the VIPs stay anyway, so there is nothing to wait for.
      r.stop();
      log({ level: 'info', msg: `Stopping: ${why}` });
    } else {
      // Make before break: masters keep answering on their VIPs until the new master is heard
      // (each instance bounds its own wait); this bound only guards against a stuck runtime.
      const boundMs = Math.max(0, ...current.map((c) => handoverBoundMs(c.version, c.advertIntervalCs))) + HANDOVER_SLACK_MS;
      const handover = r.stopWithHandover();
      log({ level: 'info', msg: `Stopping: ${why}`, fields: { prio0_sent_by_signal_handler: vrrpSockets?.stopAdvertStats().sentBySignal ?? 0 } });
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        handover.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), boundMs);
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) log({ level: 'warn', msg: `Stopping: handover still running after ${boundMs} ms: releasing now` });
      r.stop();
    }
    if (!(await tracked.drained(STOP_DRAIN_MS))) log({ level: 'warn', msg: `Stopping: VIP removal still running after ${STOP_DRAIN_MS} ms` });
  } else {
    log({ level: 'info', msg: `Stopping: ${why}` });
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
  if (m.type === 'step-down') {
    const r = runtime;
    const result = r === undefined || stopping ? { ok: false as const, error: 'VRRP is not running' } : r.stepDown(m.instance, m.holdMs);
    send({ type: 'step-down-result', id: m.id, ...result });
    if (result.ok) log({ level: 'info', msg: `Step-down requested: ${result.instances.length === 0 ? 'no MASTER instance' : result.instances.join(', ')}`, fields: { hold_ms: m.holdMs ?? 'until the new master fails' } });
  } else if (m.type === 'start') {
    start(m).catch((e: unknown) => {
      log({ level: 'error', msg: `VRRP process failed to start: ${e instanceof Error ? e.message : String(e)}` });
      process.exit(1);
    });
  } else if (m.type === 'reload') {
    reloading = reloading.then(() => reload(m)).catch((e: unknown) => log({ level: 'error', code: 'HALO_DMN_RELOAD_FAILED', msg: `Reload failed in the VRRP process: ${e instanceof Error ? e.message : String(e)}` }));
  } else {
    void stop('asked by the supervisor');
  }
});
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
// The supervisor is gone (it crashed or was killed): do not run on unsupervised.
process.on('disconnect', () => void stop('the supervisor went away'));
