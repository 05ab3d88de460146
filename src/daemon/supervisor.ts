/**
 * The supervisor: the `halo run` process. It owns the signals and the pid file (the CLI does the
 * file), removes VIPs a crashed earlier run left behind, forks the VRRP process and keeps it
 * running.
 *
 * When the VRRP process dies while MASTER of some instances (a crash, an OOM kill, `kill -9` of
 * that process alone), the supervisor itself sends the priority-0 adverts for those instances
 * and removes their VIPs before it restarts the process. The backups then take over after
 * Skew_Time, as after a clean stop (RFC 5798 §6.4.3), instead of Master_Down_Interval. keepalived's
 * parent only restarts its VRRP child; the addresses stay until the new child starts.
 *
 * Everything it touches comes in through `SupervisorDeps`, so the logic is tested with fakes
 * (supervisor.test.ts); `linuxSupervisorDeps` (src/daemon/supervisor-linux.ts) makes it real.
 *
 * When the config has virtual_servers the supervisor also runs the checker process (health
 * checks, src/daemon/checker-main.ts) beside the VRRP process, never in it, restarts it with the
 * same backoff, and hands every backend state it reports (with its cause) to the proxy plane
 * (`onBackend`). Stop order: VRRP releases first (the backups take the VIPs), then the proxy plane
 * drains within its bound (`drainProxy`), then the checker stops with omega (notify_down and
 * quorum_down scripts run), as keepalived's checker applies omega when it exits.
 */
import { NO_TRACKERS, type TrackerSpecs } from './tracker-specs.js';
import type { BackendState } from '../core/backend.js';
import type { AddressPort, PortResult, RoutePort, VrrpSocketPort } from '../net/ports.js';
import type { VrrpInstanceConfig } from '../vrrp/config.js';
import { encodeAdvert, VRRP_MCAST_V4, VRRP_MCAST_V6, VRRP_TTL } from '../vrrp/packet.js';
import { handoverBoundMs, PRIORITY_RELEASE } from '../vrrp/timers.js';
import { parseFromVrrp, type InstanceReport, type LagReport, type ReloadReport, type StatsReport, type StepDownReply, type ToVrrp } from './ipc.js';
import type { CarriedServer } from './checker-ipc.js';
import type { Logger } from './log.js';

export interface ChildHandle {
  readonly pid: number | undefined;
  send(message: ToVrrp): void;
  kill(signal: 'SIGTERM' | 'SIGKILL'): void;
}

export interface ChildEvents {
  onMessage(message: unknown): void;
  onExit(code: number | null, signal: string | null): void;
}

/** The checker process as the supervisor sees it (forkChecker in production). */
export interface CheckerHandle {
  readonly pid: number | undefined;
  /** Asks it to stop; `omega` runs notify_down of live servers and quorum_down. */
  stop(omega: boolean): void;
  kill(signal: 'SIGTERM' | 'SIGKILL'): void;
}

export interface SupervisorDeps {
  /** Starts the checker process (needed when `checker` is set in the options). */
  forkChecker?(events: ChildEvents, carried?: readonly CarriedServer[]): CheckerHandle;
  /** A backend's state changed in the checker (health, effective weight, cause): the proxy plane takes it. */
  onBackend?(vsId: string, state: BackendState): void;
  /** Drains the proxy plane (bounded by the plane) once VRRP has released, before the checker stops. */
  drainProxy?(): Promise<void>;
  /** Starts a VRRP process (child_process.fork with IPC in production). */
  forkVrrp(events: ChildEvents): ChildHandle;
  /** Used only to send priority-0 adverts for a dead VRRP process; opened on demand, closed after. */
  readonly socket: VrrpSocketPort;
  readonly addresses: AddressPort;
  readonly routes?: RoutePort;
  schedule(delayMs: number, fn: () => void): () => void;
  nowMs(): number;
  readonly log: Logger;
  /** Called when something in the status changed (the CLI writes the status file). */
  onStatus?(status: SupervisorStatus): void;
  /** Raises the VRRP process's scheduling priority (best effort). */
  prioritize?(pid: number): void;
  /** Every state report of the VRRP process, in order (notifications: src/daemon/notifications.ts). */
  onReport?(report: InstanceReport): void;
}

export interface SupervisorOptions {
  readonly instances: readonly VrrpInstanceConfig[];
  readonly logDetail: boolean;
  /** `--dont-release-vrrp`: VIPs stay on the interfaces when halo stops. */
  readonly dontRelease: boolean;
  /** Restart delay after a death: doubles per quick death from min to max. */
  readonly restartMinMs?: number;
  readonly restartMaxMs?: number;
  /** A process that lived this long resets the backoff. */
  readonly restartResetMs?: number;
  /** Give up (exit) after this many deaths within `restartWindowMs`. */
  readonly restartLimit?: number;
  readonly restartWindowMs?: number;
  readonly stopTimeoutMs?: number;
  readonly lagReportMs?: number;
  /** Event-loop delay (max over a report period) above which a warning is logged. */
  readonly lagWarnMs?: number;
  /** Run the checker process beside the VRRP process (the config has virtual_servers). */
  readonly checker?: boolean;
  /** Trackers the VRRP process runs (trackerSpecsFromModel); default none. */
  readonly trackers?: TrackerSpecs;
}

export type StepDownResult = { readonly ok: true; readonly instances: readonly string[] } | { readonly ok: false; readonly error: string };

/** The backends of one virtual server, as the checker last reported them. */
export interface PoolStatus {
  readonly vsId: string;
  readonly backends: readonly BackendState[];
}

export interface SupervisorStatus {
  readonly supervisorPid: number;
  readonly vrrpPid: number | null;
  readonly vrrpStarts: number;
  readonly vrrpDeaths: number;
  /** Instances released by the supervisor after VRRP process deaths (priority-0 adverts sent). */
  readonly releasedBySupervisor: number;
  readonly instances: readonly InstanceReport[];
  readonly lag: LagReport | null;
  /** Worst `maxMs` seen since start. */
  readonly lagMaxEverMs: number;
  /** Counters of the current VRRP process (they start again from 0 when it restarts). */
  readonly stats: StatsReport | null;
  readonly stopping: boolean;
  readonly checkerPid: number | null;
  readonly checkerStarts: number;
  readonly checkerDeaths: number;
  /** Backend states with causes, from the checker process (empty without virtual_servers). */
  readonly pools: readonly PoolStatus[];
}

const DEFAULTS = {
  restartMinMs: 200,
  restartMaxMs: 10_000,
  restartResetMs: 30_000,
  restartLimit: 10,
  restartWindowMs: 60_000,
  stopTimeoutMs: 5000,
  lagReportMs: 1000,
  lagWarnMs: 50,
  checker: false,
  trackers: NO_TRACKERS,
};

type Phase = 'idle' | 'running' | 'releasing' | 'waiting-restart' | 'stopping' | 'stopped';

export class Supervisor {
  /** Replaced by a reload (instances, checker). */
  private o: Required<Omit<SupervisorOptions, 'instances'>> & { instances: readonly VrrpInstanceConfig[] };
  /**
   * The instance set before a reload the VRRP process has not confirmed yet: if it dies in
   * between, the supervisor releases these too (a removed instance may still hold its VIPs).
   */
  private retiring: readonly VrrpInstanceConfig[] = [];
  private reloadWaiters: Array<(report: ReloadReport | undefined) => void> = [];
  private child: ChildHandle | undefined;
  private childStartMs = 0;
  private childStopped = false;
  private phase: Phase = 'idle';
  private readonly states = new Map<string, InstanceReport>();
  private deaths: number[] = [];
  private quickDeaths = 0;
  private starts = 0;
  private deathCount = 0;
  private released = 0;
  private lag: LagReport | null = null;
  private stats: StatsReport | null = null;
  private lagMaxEverMs = 0;
  private lagHigh = false;
  private cancelRestart: (() => void) | undefined;
  private cancelStopTimeout: (() => void) | undefined;
  private finish: ((code: number) => void) | undefined;
  private exitCode = 0;
  private checker: CheckerHandle | undefined;
  private checkerStartMs = 0;
  private checkerStarts = 0;
  private checkerDeathCount = 0;
  private checkerDeaths: number[] = [];
  private checkerQuickDeaths = 0;
  private cancelCheckerRestart: (() => void) | undefined;
  private checkerExited: (() => void) | undefined;
  private readonly backends = new Map<string, Map<string, BackendState>>();
  private tearingDown = false;
  private stepDownSeq = 0;
  private readonly stepDownWaiting = new Map<number, (reply: StepDownResult) => void>();
  /** Resolves with the exit status when the supervisor has stopped (asked to, or gave up). */
  readonly done: Promise<number>;

  constructor(
    private readonly deps: SupervisorDeps,
    options: SupervisorOptions,
  ) {
    this.o = { ...DEFAULTS, ...options };
    this.done = new Promise((resolve) => {
      this.finish = resolve;
    });
    for (const c of options.instances) this.states.set(c.name, { name: c.name, vrid: c.vrid, family: c.family, ifname: c.ifname, state: 'INIT', priority: c.basePriority, cause: 'Not started' });
  }

  /** Removes stale VIPs, then starts the VRRP process. */
  async start(): Promise<void> {
    if (this.phase !== 'idle') return;
    this.phase = 'running';
    await this.removeStaleVips();
    if (this.phase !== 'running') return;
    this.spawn();
    if (this.o.checker && this.deps.forkChecker !== undefined) this.spawnChecker();
  }

  /** Clean stop: the VRRP process sends priority 0 and removes its VIPs; if it cannot, the supervisor does. */
  stop(): Promise<number> {
    if (this.phase === 'stopped' || this.phase === 'stopping') return this.done;
    const wasWaiting = this.phase === 'waiting-restart' || this.phase === 'idle';
    const child = this.child;
    // The VRRP process hears of the stop before anything else happens here (the status file is a
    // synchronous write): its priority-0 advert is what the backups wait for (RFC 5798 §6.4.3).
    // SIGTERM first: its C handler sends the priority-0 adverts the moment it arrives
    // (native/stop_adverts.c), even when only this process got the signal; the message follows
    // for a VRRP process that has not installed it yet.
    if (!wasWaiting && child !== undefined) {
      child.kill('SIGTERM');
      child.send({ type: 'stop' });
    }
    this.phase = 'stopping';
    this.cancelRestart?.();
    this.cancelRestart = undefined;
    this.emitStatus();
    if (wasWaiting || child === undefined) {
      // Nothing runs: a release after the last death already happened (or is in progress and ends in finish()).
      if (!this.releasing) this.end();
      return this.done;
    }
    // The VRRP process hands over make-before-break first (each instance waits at most its
    // handover bound): that wait is part of a clean stop, not a hang.
    const handoverMs = this.o.dontRelease ? 0 : Math.max(0, ...this.o.instances.map((c) => handoverBoundMs(c.version, c.advertIntervalCs)));
    const stopTimeoutMs = this.o.stopTimeoutMs + handoverMs;
    this.cancelStopTimeout = this.deps.schedule(stopTimeoutMs, () => {
      this.deps.log({ level: 'error', code: 'HALO_DMN_STOP_TIMEOUT', msg: `VRRP process ${child.pid ?? '?'} did not stop within ${stopTimeoutMs} ms: killing it` });
      child.kill('SIGKILL');
    });
    return this.done;
  }

  /**
   * An operator's step-down, forwarded to the VRRP process (the control socket's `step-down`).
   * Answers within `replyTimeoutMs` even if the process does not.
   */
  stepDown(instance: string | null, holdMs: number | null, replyTimeoutMs = 2000): Promise<StepDownResult> {
    const child = this.child;
    if (child === undefined || this.phase !== 'running') return Promise.resolve({ ok: false, error: `VRRP process is not running (${this.phase})` });
    if (instance !== null && !this.states.has(instance)) return Promise.resolve({ ok: false, error: `No instance named ${instance}` });
    const id = ++this.stepDownSeq;
    return new Promise((resolve) => {
      const cancel = this.deps.schedule(replyTimeoutMs, () => {
        this.stepDownWaiting.delete(id);
        resolve({ ok: false, error: `VRRP process did not answer within ${replyTimeoutMs} ms` });
      });
      this.stepDownWaiting.set(id, (r) => {
        cancel();
        resolve(r);
      });
      child.send({ type: 'step-down', id, instance, holdMs });
    });
  }

  status(): SupervisorStatus {
    return {
      supervisorPid: process.pid,
      vrrpPid: this.child?.pid ?? null,
      vrrpStarts: this.starts,
      vrrpDeaths: this.deathCount,
      releasedBySupervisor: this.released,
      instances: [...this.states.values()],
      lag: this.lag,
      lagMaxEverMs: this.lagMaxEverMs,
      stats: this.stats,
      stopping: this.phase === 'stopping' || this.phase === 'stopped',
      checkerPid: this.checker?.pid ?? null,
      checkerStarts: this.checkerStarts,
      checkerDeaths: this.checkerDeathCount,
      pools: [...this.backends].map(([vsId, m]) => ({ vsId, backends: [...m.values()] })),
    };
  }

  private releasing = false;

  private spawn(): void {
    this.childStopped = false;
    this.childStartMs = this.deps.nowMs();
    this.starts++;
    // Events of an earlier process (a late message, a second exit) must not act on the current one.
    const ref: { handle?: ChildHandle } = {};
    const events: ChildEvents = {
      onMessage: (m) => {
        if (ref.handle !== undefined && ref.handle === this.child) this.onMessage(m);
      },
      onExit: (code, signal) => {
        if (ref.handle !== undefined && ref.handle === this.child) void this.onExit(code, signal);
      },
    };
    const handle = this.deps.forkVrrp(events);
    ref.handle = handle;
    this.child = handle;
    if (handle.pid !== undefined) this.deps.prioritize?.(handle.pid);
    this.deps.log({ level: 'info', msg: `VRRP process started`, fields: { pid: handle.pid, start: this.starts } });
    handle.send({ type: 'start', instances: this.o.instances, logDetail: this.o.logDetail, lagReportMs: this.o.lagReportMs, dontRelease: this.o.dontRelease, trackers: this.o.trackers });
    this.emitStatus();
  }

  private onMessage(raw: unknown): void {
    const m = parseFromVrrp(raw);
    if (m === undefined) return;
    switch (m.type) {
      case 'ready':
        this.deps.log({ level: 'info', msg: `VRRP process ready: ${this.o.instances.length} instance(s) running`, fields: { pid: this.child?.pid } });
        return;
      case 'state':
        if (!this.states.has(m.instance.name)) return;
        this.states.set(m.instance.name, m.instance);
        this.deps.onReport?.(m.instance);
        this.emitStatus();
        return;
      case 'lag':
        this.onLag(m.lag);
        return;
      case 'stats':
        this.stats = m.stats;
        this.emitStatus();
        return;
      case 'reloaded': {
        this.retiring = [];
        const names = new Set(this.o.instances.map((c) => c.name));
        for (const name of [...this.states.keys()]) if (!names.has(name)) this.states.delete(name);
        this.settleReload(m.report);
        this.emitStatus();
        return;
      }
      case 'stopped':
        this.childStopped = true;
        return;
      case 'step-down-result':
        this.onStepDownReply(m);
        return;
    }
  }

  private onStepDownReply(m: StepDownReply): void {
    const waiting = this.stepDownWaiting.get(m.id);
    if (waiting === undefined) return;
    this.stepDownWaiting.delete(m.id);
    waiting(m.ok ? { ok: true, instances: m.instances } : { ok: false, error: m.error });
  }

  /** Instances whose VIPs this director may hold: the running set and, during a reload, the one before. */
  private held(): VrrpInstanceConfig[] {
    const running = new Set(this.o.instances.map((c) => JSON.stringify(c)));
    return [...this.o.instances, ...this.retiring.filter((c) => !running.has(JSON.stringify(c)))];
  }

  private settleReload(report: ReloadReport | undefined): void {
    const waiters = this.reloadWaiters;
    this.reloadWaiters = [];
    for (const w of waiters) w(report);
  }

  /** The instance configs running now (after the last reload). */
  instances(): readonly VrrpInstanceConfig[] {
    return this.o.instances;
  }

  /**
   * Reload (SIGHUP, or a control request): the VRRP process gets the new instance set and keeps
   * the state of the instances it matches (src/vrrp/reconfigure.ts). Resolves with its report,
   * or undefined when no VRRP process runs (the next one starts with the new set) or it did not
   * answer within the stop timeout. `trackers`: the new tracker specs (a VRRP process started
   * later gets them too); absent: the trackers stay as they are.
   */
  reloadInstances(instances: readonly VrrpInstanceConfig[], trackers?: TrackerSpecs): Promise<ReloadReport | undefined> {
    const before = this.o.instances;
    this.o = { ...this.o, instances, ...(trackers !== undefined ? { trackers } : {}) };
    for (const c of instances) {
      if (!this.states.has(c.name)) this.states.set(c.name, { name: c.name, vrid: c.vrid, family: c.family, ifname: c.ifname, state: 'INIT', priority: c.basePriority, cause: 'Not started' });
    }
    const child = this.child;
    if (child === undefined || this.phase !== 'running') {
      const names = new Set(instances.map((c) => c.name));
      for (const name of [...this.states.keys()]) if (!names.has(name)) this.states.delete(name);
      this.emitStatus();
      return Promise.resolve(undefined);
    }
    this.retiring = [...this.retiring, ...before];
    const answered = new Promise<ReloadReport | undefined>((resolve) => {
      const cancel = this.deps.schedule(this.o.stopTimeoutMs, () => resolve(undefined));
      this.reloadWaiters.push((r) => {
        cancel();
        resolve(r);
      });
    });
    child.send({ type: 'reload', instances, ...(trackers !== undefined ? { trackers } : {}) });
    this.emitStatus();
    return answered;
  }

  /**
   * Reload of the checks: the checker process starts again on the file (its check set changed),
   * or stops (no virtual_server left), or starts (the first one). The old one stops without
   * omega: its servers are not reported down for a reload.
   */
  restartChecker(run: boolean): void {
    this.o = { ...this.o, checker: run };
    const old = this.checker;
    this.checker = undefined;
    this.cancelCheckerRestart?.();
    this.cancelCheckerRestart = undefined;
    if (old !== undefined) {
      this.deps.log({ level: 'info', msg: run ? 'Checker process restarting for the new check set' : 'Checker process stopping: no virtual_server left', fields: { pid: old.pid } });
      old.stop(false);
    }
    this.checkerQuickDeaths = 0;
    // The new process starts from the health the old one judged: an up server stays up.
    const carried: CarriedServer[] = [];
    for (const [vsId, pool] of this.backends) {
      for (const b of pool.values()) if (b.health === 'up' || b.health === 'down') carried.push({ vsId, serverId: b.id, health: b.health });
    }
    if (run && this.phase === 'running' && this.deps.forkChecker !== undefined) this.spawnChecker(carried);
    this.emitStatus();
  }

  private onLag(lag: LagReport): void {
    this.lag = lag;
    this.lagMaxEverMs = Math.max(this.lagMaxEverMs, lag.maxMs);
    const high = lag.maxMs > this.o.lagWarnMs;
    const fields = { max_ms: lag.maxMs.toFixed(1), p99_ms: lag.p99Ms.toFixed(1), mean_ms: lag.meanMs.toFixed(1), threshold_ms: this.o.lagWarnMs };
    if (high && !this.lagHigh) this.deps.log({ level: 'warn', code: 'HALO_DMN_EVENT_LOOP_LAG', msg: `VRRP process event loop was up to ${lag.maxMs.toFixed(1)} ms late: adverts may leave late`, fields });
    if (!high && this.lagHigh) this.deps.log({ level: 'info', msg: 'VRRP process event loop is on time again', fields });
    this.lagHigh = high;
    this.emitStatus();
  }

  private async onExit(code: number | null, signal: string | null): Promise<void> {
    const child = this.child;
    this.child = undefined;
    this.cancelStopTimeout?.();
    this.cancelStopTimeout = undefined;
    const how = signal !== null ? `signal ${signal}` : `exit status ${code ?? '?'}`;
    const clean = this.childStopped && code === 0;
    if (clean) {
      // Stopped cleanly without being asked (SIGTERM sent to it alone): it released its
      // instances itself, and halo stops with it rather than undo an operator's stop.
      const asked = this.phase === 'stopping';
      this.deps.log({ level: 'info', msg: asked ? 'VRRP process stopped' : 'VRRP process stopped on its own: stopping halo', fields: { pid: child?.pid } });
      this.phase = 'stopping';
      this.end();
      return;
    }
    const nowMs = this.deps.nowMs();
    this.deathCount++;
    this.deps.log({ level: 'error', code: 'HALO_DMN_VRRP_DIED', msg: `VRRP process ${child?.pid ?? '?'} died: ${how}`, fields: { pid: child?.pid } });
    await this.releaseAll();
    if (this.phase === 'stopping' || this.phase === 'stopped') {
      this.end();
      return;
    }
    // Backoff: a process that lived long enough starts the count again.
    if (nowMs - this.childStartMs >= this.o.restartResetMs) this.quickDeaths = 0;
    this.deaths = [...this.deaths.filter((t) => nowMs - t < this.o.restartWindowMs), nowMs];
    if (this.deaths.length > this.o.restartLimit) {
      this.deps.log({ level: 'error', code: 'HALO_DMN_VRRP_RESTART_LIMIT', msg: `VRRP process died ${this.deaths.length} times within ${this.o.restartWindowMs} ms: giving up` });
      this.exitCode = 1;
      this.phase = 'stopping';
      this.end();
      return;
    }
    const delayMs = Math.min(this.o.restartMaxMs, this.o.restartMinMs * 2 ** this.quickDeaths);
    this.quickDeaths++;
    this.phase = 'waiting-restart';
    this.deps.log({ level: 'info', msg: `Restarting the VRRP process in ${delayMs} ms` });
    this.emitStatus();
    this.cancelRestart = this.deps.schedule(delayMs, () => {
      this.cancelRestart = undefined;
      if (this.phase !== 'waiting-restart') return;
      this.phase = 'running';
      this.spawn();
    });
  }

  /**
   * Does what the dead process would have done on a clean stop: a priority-0 advert for each
   * instance it reported MASTER (RFC 5798 §6.4.3), then removes the VIPs, excluded VIPs and routes
   * of every instance (a VIP add may have been under way for an instance not yet reported).
   * With `--dont-release-vrrp` the addresses stay, as on a clean stop.
   */
  private async releaseAll(): Promise<void> {
    this.releasing = true;
    this.phase = this.phase === 'stopping' ? 'stopping' : 'releasing';
    try {
      const masters = this.held().filter((c) => this.states.get(c.name)?.state === 'MASTER');
      const opened = new Set<string>();
      for (const c of masters) {
        const key = `${c.ifname}/${c.family}`;
        if (!opened.has(key)) {
          const r = await this.deps.socket.open(c.ifname, c.family, []);
          if (!r.ok) {
            this.deps.log({ level: 'error', code: 'HALO_DMN_RELEASE_FAILED', msg: `Cannot send priority 0 for ${c.name}: ${r.error}`, fields: { instance: c.name } });
            continue;
          }
          opened.add(key);
        }
        const sent = sendRelease(this.deps.socket, c);
        if (sent.ok) {
          this.released++;
          this.deps.log({ level: 'info', msg: 'Released by the supervisor: priority 0 sent for the dead VRRP process', fields: { instance: c.name, vrid: c.vrid, from: 'MASTER', to: 'INIT' } });
        } else {
          this.deps.log({ level: 'error', code: 'HALO_DMN_RELEASE_FAILED', msg: `Cannot send priority 0 for ${c.name}: ${sent.error}`, fields: { instance: c.name } });
        }
      }
      if (opened.size > 0) this.deps.socket.close();
      if (!this.o.dontRelease) await this.removeAddresses(this.held(), 'released after the VRRP process died');
      this.retiring = [];
      for (const c of this.o.instances) {
        const s = this.states.get(c.name);
        if (s !== undefined) this.states.set(c.name, { ...s, state: 'INIT', cause: 'VRRP process died' });
      }
    } finally {
      this.releasing = false;
      this.emitStatus();
    }
  }

  private async removeAddresses(instances: readonly VrrpInstanceConfig[], why: string): Promise<void> {
    const work: Array<Promise<void>> = [];
    for (const c of instances) {
      for (const r of c.routes ?? []) {
        if (this.deps.routes) work.push(this.deps.routes.remove(r).then((res) => this.reportRemoval(res, c.name, `${r.kind} ${r.args.join(' ')}`)));
      }
      for (const v of [...c.vips, ...(c.excludedVips ?? [])]) {
        work.push(this.deps.addresses.remove(v).then((res) => this.reportRemoval(res, c.name, `VIP ${v.address}/${v.prefixLength} on ${v.ifname}`, why)));
      }
    }
    await Promise.all(work);
  }

  private reportRemoval(res: PortResult, instance: string, what: string, why?: string): void {
    if (!res.ok) this.deps.log({ level: 'error', code: 'HALO_DMN_RELEASE_FAILED', msg: `Cannot remove ${what}: ${res.error}`, fields: { instance } });
    else if (why !== undefined) this.deps.log({ level: 'debug', msg: `Removed ${what}: ${why}`, fields: { instance } });
  }

  /**
   * Crash safety at start (keepalived does the same): a VIP of this config found on its interface
   * was left by a run that could not release it. It goes before any instance starts, so a
   * director that comes back as BACKUP never answers for an address it does not own.
   */
  private async removeStaleVips(): Promise<void> {
    const byIf = new Map<string, Array<{ vip: VrrpInstanceConfig['vips'][number]; instance: string }>>();
    for (const c of this.o.instances) {
      for (const v of [...c.vips, ...(c.excludedVips ?? [])]) {
        const list = byIf.get(v.ifname) ?? [];
        list.push({ vip: v, instance: c.name });
        byIf.set(v.ifname, list);
      }
    }
    for (const [ifname, entries] of byIf) {
      const present = new Set((await this.deps.addresses.list(ifname)).map(normalize));
      for (const { vip, instance } of entries) {
        if (!present.has(normalize(`${vip.address}/${vip.prefixLength}`))) continue;
        const r = await this.deps.addresses.remove(vip);
        if (r.ok) this.deps.log({ level: 'warn', code: 'HALO_DMN_STALE_VIP', msg: `Removed stale VIP ${vip.address}/${vip.prefixLength} from ${ifname}: left by an earlier run`, fields: { instance } });
        else this.deps.log({ level: 'error', code: 'HALO_DMN_RELEASE_FAILED', msg: `Cannot remove stale VIP ${vip.address}/${vip.prefixLength} from ${ifname}: ${r.error}`, fields: { instance } });
      }
    }
  }

  /**
   * VRRP has released (or died and was released): the proxy plane drains, then the checker stops
   * with omega, then the supervisor is done. Real servers stay checked while connections drain.
   */
  private end(): void {
    if (this.phase === 'stopped' || this.tearingDown) return;
    this.tearingDown = true;
    this.cancelRestart?.();
    this.cancelStopTimeout?.();
    this.cancelCheckerRestart?.();
    this.cancelCheckerRestart = undefined;
    void this.teardown();
  }

  private async teardown(): Promise<void> {
    try {
      await this.deps.drainProxy?.();
    } catch (e) {
      this.deps.log({ level: 'error', code: 'HALO_DMN_STOP_TIMEOUT', msg: `Proxy plane did not drain cleanly: ${e instanceof Error ? e.message : String(e)}` });
    }
    const checker = this.checker;
    if (checker !== undefined) {
      const exited = new Promise<void>((resolve) => {
        this.checkerExited = resolve;
      });
      checker.stop(true);
      // omega scripts get time to run (the checker bounds them itself); then it is killed
      const cancel = this.deps.schedule(this.o.stopTimeoutMs * 2, () => {
        this.deps.log({ level: 'error', code: 'HALO_DMN_STOP_TIMEOUT', msg: `Checker process ${checker.pid ?? '?'} did not stop within ${this.o.stopTimeoutMs * 2} ms: killing it` });
        checker.kill('SIGKILL');
      });
      await exited;
      cancel();
    }
    this.phase = 'stopped';
    this.emitStatus();
    this.finish?.(this.exitCode);
  }

  private spawnChecker(carried?: readonly CarriedServer[]): void {
    const fork = this.deps.forkChecker;
    if (fork === undefined) return;
    this.checkerStartMs = this.deps.nowMs();
    this.checkerStarts++;
    const ref: { handle?: CheckerHandle } = {};
    const handle = fork({
      onMessage: (m) => {
        if (ref.handle !== undefined && ref.handle === this.checker) this.onCheckerMessage(m);
      },
      onExit: (code, signal) => {
        if (ref.handle !== undefined && ref.handle === this.checker) this.onCheckerExit(code, signal);
      },
    }, carried);
    ref.handle = handle;
    this.checker = handle;
    this.deps.log({ level: 'info', msg: 'Checker process started', fields: { pid: handle.pid, start: this.checkerStarts } });
    this.emitStatus();
  }

  private onCheckerMessage(raw: unknown): void {
    if (typeof raw !== 'object' || raw === null) return;
    const m = raw as { type?: unknown; vsId?: unknown; state?: unknown; code?: unknown; message?: unknown; log?: unknown };
    switch (m.type) {
      case 'backend': {
        if (typeof m.vsId !== 'string' || !isBackendState(m.state)) return;
        const pool = this.backends.get(m.vsId) ?? new Map<string, BackendState>();
        pool.set(m.state.id, m.state);
        this.backends.set(m.vsId, pool);
        this.deps.onBackend?.(m.vsId, m.state);
        this.emitStatus();
        return;
      }
      case 'ready':
        this.deps.log({ level: 'info', msg: 'Checker process ready', fields: { pid: this.checker?.pid } });
        return;
      case 'failed':
      case 'warning':
        if (typeof m.message === 'string') this.deps.log({ level: m.type === 'failed' ? 'error' : 'warn', ...(typeof m.code === 'string' ? { code: m.code as never } : {}), msg: `Checker process: ${m.message}` });
        return;
      case 'event': {
        const l = m.log as { severity?: unknown; code?: unknown; message?: unknown } | undefined;
        if (l !== undefined && typeof l.message === 'string') this.deps.log({ level: l.severity === 'warning' ? 'warn' : 'info', ...(typeof l.code === 'string' ? { code: l.code as never } : {}), msg: l.message, ...(typeof m.vsId === 'string' ? { fields: { vs: m.vsId } } : {}) });
        return;
      }
      default:
        return;
    }
  }

  private onCheckerExit(code: number | null, signal: string | null): void {
    const child = this.checker;
    this.checker = undefined;
    if (this.tearingDown || this.phase === 'stopping' || this.phase === 'stopped') {
      this.deps.log({ level: 'info', msg: 'Checker process stopped', fields: { pid: child?.pid } });
      this.checkerExited?.();
      this.emitStatus();
      return;
    }
    const nowMs = this.deps.nowMs();
    this.checkerDeathCount++;
    const how = signal !== null ? `signal ${signal}` : `exit status ${code ?? '?'}`;
    this.deps.log({ level: 'error', code: 'HALO_DMN_CHECKER_DIED', msg: `Checker process ${child?.pid ?? '?'} died: ${how}`, fields: { pid: child?.pid } });
    // Same backoff as the VRRP process. The proxy keeps the last states until the new checker
    // publishes its initial ones (it does at start).
    if (nowMs - this.checkerStartMs >= this.o.restartResetMs) this.checkerQuickDeaths = 0;
    this.checkerDeaths = [...this.checkerDeaths.filter((t) => nowMs - t < this.o.restartWindowMs), nowMs];
    if (this.checkerDeaths.length > this.o.restartLimit) {
      this.deps.log({ level: 'error', code: 'HALO_DMN_CHECKER_RESTART_LIMIT', msg: `Checker process died ${this.checkerDeaths.length} times within ${this.o.restartWindowMs} ms: stopping halo` });
      this.exitCode = 1;
      void this.stop();
      return;
    }
    const delayMs = Math.min(this.o.restartMaxMs, this.o.restartMinMs * 2 ** this.checkerQuickDeaths);
    this.checkerQuickDeaths++;
    this.deps.log({ level: 'info', msg: `Restarting the checker process in ${delayMs} ms` });
    this.emitStatus();
    this.cancelCheckerRestart = this.deps.schedule(delayMs, () => {
      this.cancelCheckerRestart = undefined;
      if (this.tearingDown || this.phase === 'stopping' || this.phase === 'stopped') return;
      this.spawnChecker();
    });
  }

  private emitStatus(): void {
    this.deps.onStatus?.(this.status());
  }
}

function isBackendState(x: unknown): x is BackendState {
  if (typeof x !== 'object' || x === null) return false;
  const b = x as Record<string, unknown>;
  const cause = b['cause'] as Record<string, unknown> | undefined;
  return (
    typeof b['id'] === 'string' &&
    (b['health'] === 'up' || b['health'] === 'down' || b['health'] === 'unknown') &&
    (b['admin'] === 'ready' || b['admin'] === 'drain' || b['admin'] === 'maint') &&
    typeof b['weight'] === 'number' &&
    typeof b['effectiveWeight'] === 'number' &&
    typeof cause === 'object' && cause !== null && typeof cause['source'] === 'string' && typeof cause['detail'] === 'string' && typeof cause['atMs'] === 'number'
  );
}

/** `ip` prints IPv6 addresses compressed and lower-case; compare them that way. */
function normalize(addrPrefix: string): string {
  return addrPrefix.toLowerCase();
}

/** One priority-0 advert per destination of the instance, as its VRRP process would send on stop. */
export function sendRelease(socket: VrrpSocketPort, c: VrrpInstanceConfig): PortResult {
  const unicast = c.unicastPeers.length > 0;
  const dsts = unicast ? c.unicastPeers : [c.mcastGroup ?? (c.family === 4 ? VRRP_MCAST_V4 : VRRP_MCAST_V6)];
  const addresses = c.vips.filter((v) => v.family === c.family).map((v) => v.address);
  for (const dst of dsts) {
    const enc = encodeAdvert(
      {
        version: c.version,
        vrid: c.vrid,
        priority: PRIORITY_RELEASE,
        advertIntervalCs: c.advertIntervalCs,
        authType: c.version === 2 && c.authPass !== undefined ? 1 : 0,
        ...(c.version === 2 && c.authPass !== undefined ? { authData: c.authPass } : {}),
        addresses,
        family: c.family,
      },
      { src: c.primaryAddress, dst, checksumMode: c.v3ChecksumAsV2 === true ? 'v2-style' : 'pseudo-header' },
    );
    if (!enc.ok) return { ok: false, error: enc.detail };
    const r = socket.send({ ifname: c.ifname, family: c.family, src: c.primaryAddress, dst, ttl: unicast ? (c.unicastTtl ?? VRRP_TTL) : VRRP_TTL, payload: enc.bytes });
    if (!r.ok) return r;
  }
  return { ok: true };
}
