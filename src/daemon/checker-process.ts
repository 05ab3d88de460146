/**
 * The checker process's engine, without the process around it (checker-main.ts adds that): runs
 * one CheckRunner over every pool of a CheckPlan, turns its events into IPC messages for the
 * parent, runs notify_up/notify_down/quorum_up/quorum_down scripts, writes keepalived's notify FIFO
 * lines, and on stop applies `omega`.
 *
 * It also works out each backend's first verdict (`verdict` messages): the moment every checker
 * of a backend has finished its first check, a failing live checker only after its retries. The
 * runner reports probes and checker changes; the verdict needs each checker's up/down, which this
 * class follows from the policy's `checker` events (initially up unless `alpha`).
 */
import { CheckRunner, type ProbeRecord, type RunnerOptions } from '../check/runner/runner.js';
import { BfdEngine, type BfdEngineOptions, type BfdStateEvent } from '../check/runner/bfd-engine.js';
import { runProbe } from '../check/probes/index.js';
import { eventLog, type CheckEvent, type PoolEntry } from '../check/policy.js';
import type { BackendState } from '../core/backend.js';
import { checkLabel } from '../check/spec.js';
import type { CheckPlan, PoolPlan } from '../config/keepalived/to-checks.js';
import { lvsEndpoint, type LvsEvent } from '../notify/events.js';
import { Notifier, type FifoKind } from '../notify/notifier.js';
import { defaultScriptUser, lookupUser, scriptSecurityProblem, type RunAs } from '../notify/script-exec.js';
import type { CheckerToParent, StoppedMessage } from './checker-ipc.js';

export interface CheckerProcessOptions {
  readonly send: (message: CheckerToParent) => void;
  /** false: no scripts, no FIFO lines (check-run --no-notify). */
  readonly notify?: boolean;
  readonly runner?: RunnerOptions;
  /** How long stop() waits for notify scripts started by omega (default 5 s). */
  readonly scriptDrainMs?: number;
  /** BFD engine options (tests: another port and a loopback listen address). */
  readonly bfd?: BfdEngineOptions;
}

interface VerdictTrack {
  /** Per server, per checker: the checker is up (policy view). */
  readonly up: boolean[][];
  /** Per server, per checker: the checker has a first verdict. */
  readonly settled: boolean[][];
  /** Per server: the verdict was sent. */
  readonly sent: boolean[];
}

export class CheckerProcess {
  private readonly runner: CheckRunner;
  /** The sessions of the plan's bfd_instances (BFD_CHECK reads them); undefined without any. */
  private readonly bfd: BfdEngine | undefined;
  /** Per bfd_instance: why its session last left Up, for the BFD_CHECK probe's detail. */
  private readonly bfdCause = new Map<string, string>();
  /** src/notify: scripts (ordered per program, bounded), FIFO lines (non-blocking, buffered). */
  private readonly notifier: Notifier | undefined;
  private readonly defaultUser: RunAs | { error: string };
  private readonly byId = new Map<string, { index: number; pool: PoolPlan; servers: Map<string, number> }>();
  /** Per pool: servers whose verdict is ready, sent in one batch per event-loop turn. */
  private readonly verdictReady: Set<number>[] = [];
  private readonly verdicts: VerdictTrack[];
  private stopping = false;

  constructor(
    private readonly plan: CheckPlan,
    private readonly options: CheckerProcessOptions,
  ) {
    // Lookups by id are maps: with 10,000 servers, a scan per probe would cost more than the probe.
    plan.pools.forEach((pool, index) => {
      this.byId.set(pool.spec.id, { index, pool, servers: new Map(pool.spec.realServers.map((rs, r) => [rs.id, r])) });
      this.verdictReady.push(new Set());
    });
    const bfd = plan.bfdInstances !== undefined && plan.bfdInstances.length > 0 ? new BfdEngine(plan.bfdInstances, options.bfd ?? {}) : undefined;
    this.bfd = bfd;
    const baseProbe = options.runner?.probe ?? runProbe;
    this.runner = new CheckRunner(
      plan.pools.map((p) => p.spec),
      {
        ...(options.runner ?? {}),
        // BFD_CHECK reads its session; every other kind goes to the probes.
        probe: (spec, ctx) => {
          if (spec.kind !== 'BFD_CHECK' || bfd === undefined) return baseProbe(spec, ctx);
          const state = bfd.state(spec.name);
          const ok = state === 'Up';
          const why = this.bfdCause.get(spec.name);
          return Promise.resolve({ ok, durationMs: 0, detail: ok ? `BFD session ${spec.name} is Up` : `BFD session ${spec.name} is ${state ?? 'not running'}${why !== undefined ? `: ${why}` : ''}` });
        },
      },
    );
    bfd?.on('state', (name: string, e: BfdStateEvent) => this.onBfdState(name, e));
    const notify = options.notify ?? true;
    const fifos: { path: string; kind: FifoKind }[] = [];
    if (plan.lvsNotifyFifo !== undefined) fifos.push({ path: plan.lvsNotifyFifo, kind: 'lvs' });
    if (plan.notifyFifo !== undefined && plan.notifyFifo !== plan.lvsNotifyFifo) fifos.push({ path: plan.notifyFifo, kind: 'all' });
    this.notifier = notify
      ? new Notifier(
          {
            owners: [],
            enableScriptSecurity: plan.enableScriptSecurity,
            fifos,
            webhooks: (plan.webhooks ?? []).map((url) => ({ url })),
            // smtp_alert: mail on real server and quorum changes (keepalived's checker mails).
            ...(plan.smtp !== undefined ? { email: plan.smtp } : {}),
            ...(plan.vsSmtpAlert !== undefined ? { lvsSmtpAlert: plan.vsSmtpAlert } : {}),
            env: { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
            ...(plan.scriptUser?.user !== undefined ? { scriptUser: { user: plan.scriptUser.user, ...(plan.scriptUser.group !== undefined ? { group: plan.scriptUser.group } : {}) } } : {}),
          },
          (e) => options.send({ type: 'warning', code: e.code, message: e.message }),
        )
      : undefined;
    this.defaultUser = plan.scriptUser?.user !== undefined ? lookupUser(plan.scriptUser.user, plan.scriptUser.group) : defaultScriptUser();
    this.verdicts = plan.pools.map((p) => ({
      up: p.spec.realServers.map((rs) => rs.checkers.map((c) => !c.alpha)),
      settled: p.spec.realServers.map((rs) => rs.checkers.map(() => false)),
      sent: p.spec.realServers.map(() => false),
    }));
    this.runner.on('check', (vsId: string, e: CheckEvent) => this.onEvent(vsId, e));
    this.runner.on('backend', (vsId: string, state: BackendState) => options.send({ type: 'backend', vsId, state }));
    this.runner.on('pool', (vsId: string, entries: readonly PoolEntry[]) => options.send({ type: 'pool', vsId, entries }));
    this.runner.on('probe', (r: ProbeRecord) => this.onProbe(r));
  }

  start(): void {
    this.runner.start();
    if (this.bfd) {
      void this.bfd.start().then((problems) => {
        for (const message of problems) this.options.send({ type: 'warning', code: 'HALO_BFD_SOCKET', message });
      });
    }
    // Servers without checkers are judged at once (always up, as in keepalived).
    this.plan.pools.forEach((_p, v) => this.verdicts[v]!.sent.forEach((_s, r) => this.maybeVerdict(v, r)));
  }

  setAddressPresent(vsId: string, present: boolean): void {
    this.runner.setAddressPresent(vsId, present);
  }

  get stats(): CheckRunner['stats'] {
    return this.runner.stats;
  }

  /** Stops checking; with `omega`, runs the shutdown events (their scripts and FIFO lines). */
  async stop(omega = true): Promise<StoppedMessage> {
    this.stopping = !omega;
    this.bfd?.stop();
    await this.runner.stop();
    let drained = true;
    if (this.notifier) {
      let timer: NodeJS.Timeout | undefined;
      const limit = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), this.options.scriptDrainMs ?? 5000)));
      drained = await Promise.race([this.notifier.idle().then(() => true), limit]);
      clearTimeout(timer);
      this.notifier.close();
    }
    if (!drained) this.options.send({ type: 'warning', code: 'HALO_SVC_NOTIFY_FAILED', message: 'Notify scripts still running at stop: they are left to finish on their own' });
    return { type: 'stopped', probes: this.runner.stats.probes, scriptsRun: this.notifier?.scripts.counters.started ?? 0 };
  }

  private onBfdState(name: string, e: BfdStateEvent): void {
    if (e.from === 'Up') {
      this.bfdCause.set(name, e.cause);
      this.options.send({ type: 'warning', code: 'HALO_BFD_SESSION_DOWN', message: `BFD session ${name} is ${e.to}: ${e.cause}` });
    }
    // keepalived acts on BFD events at once; so does halo, through an immediate check.
    this.runner.recheckNow((spec) => spec.kind === 'BFD_CHECK' && spec.name === name);
  }

  private onEvent(vsId: string, event: CheckEvent): void {
    const found = this.byId.get(vsId);
    if (!found) return;
    // stop(false): the runner's shutdown (omega) events are not acted on.
    if (this.stopping) return;
    const { pool, index } = found;
    const r = event.type === 'server' ? found.servers.get(event.serverId) : undefined;
    const smtpAlert = r !== undefined ? pool.spec.realServers[r]?.smtpAlert : undefined;
    this.options.send({ type: 'event', vsId, event, log: eventLog(vsId, event), ...(smtpAlert !== undefined ? { smtpAlert } : {}) });
    if (event.type === 'checker') this.onChecker(index, found.servers.get(event.serverId), event.checker, event.up);
    if (!this.notifier) return;
    const script = event.type === 'server' ? event.notify : event.type === 'quorum' ? event.script : undefined;
    if (script !== undefined) this.runScript(pool, script, event.type === 'server' ? `${event.health === 'up' ? 'notify_up' : 'notify_down'} of ${event.serverId}` : `${event.type === 'quorum' && event.up ? 'quorum_up' : 'quorum_down'} of ${vsId}`);
    const lvs = this.lvsEvent(pool, event, r);
    if (lvs) this.notifier.lvs(lvs, lvs.kind === 'RS' ? smtpAlert ?? false : undefined);
  }

  /** keepalived runs notify_up/notify_down/quorum scripts with no extra arguments. */
  private runScript(pool: PoolPlan, command: string, label: string): void {
    const who = pool.scriptUsers[command];
    const runAs = who?.user !== undefined ? lookupUser(who.user, who.group) : this.defaultUser;
    if ('error' in runAs) {
      this.options.send({ type: 'warning', code: 'HALO_SVC_NOTIFY_FAILED', message: `Not running ${label}: ${runAs.error}` });
      return;
    }
    const insecure = this.plan.enableScriptSecurity && runAs.uid === 0 ? scriptSecurityProblem(command) : null;
    if (insecure !== null) {
      this.options.send({ type: 'warning', code: 'HALO_SVC_NOTIFY_FAILED', message: `Not running ${label} as root: ${insecure}` });
      return;
    }
    this.notifier?.scripts.enqueue({ command, args: [], runAs, label });
  }

  /** The notify FIFO event (keepalived's `VS`/`RS` lines), named as keepalived names services. */
  private lvsEvent(pool: PoolPlan, event: CheckEvent, r: number | undefined): LvsEvent | undefined {
    if (event.type === 'quorum') return { kind: 'VS', vs: pool.fifoName, up: event.up };
    const rs = r !== undefined ? pool.spec.realServers[r] : undefined;
    if (event.type === 'server' && rs) return { kind: 'RS', rs: lvsEndpoint(rs.address, pool.spec.protocol, rs.port), vs: pool.fifoName, up: event.health === 'up' };
    return undefined;
  }

  private onChecker(v: number, r: number | undefined, label: string, up: boolean): void {
    const vs = this.plan.pools[v]!.spec;
    const rs = r !== undefined ? vs.realServers[r] : undefined;
    if (!rs || r === undefined) return;
    // Events name a checker by label; the first checker of that label whose state differs moved.
    const t = this.verdicts[v]!;
    const k = rs.checkers.findIndex((c, i) => checkLabel(c) === label && t.up[r]![i] !== up);
    if (k < 0) return;
    t.up[r]![k] = up;
    t.settled[r]![k] = true;
    this.maybeVerdict(v, r);
  }

  private onProbe(rec: ProbeRecord): void {
    const found = this.byId.get(rec.vsId);
    if (!found) return;
    const v = found.index;
    const r = found.servers.get(rec.serverId);
    const t = this.verdicts[v]!;
    if (r === undefined || t.sent[r]) return;
    // The probe event comes before the policy applies it: a pass settles the checker; a failure
    // settles it only when the checker is already down (else retries follow, and the `checker`
    // event settles it when it goes down).
    if (rec.outcome.ok || !t.up[r]![rec.checker]) {
      t.settled[r]![rec.checker] = true;
      // The policy runs right after this event; judge once it has.
      queueMicrotask(() => this.maybeVerdict(v, r));
    }
  }

  private maybeVerdict(v: number, r: number): void {
    const t = this.verdicts[v]!;
    if (t.sent[r] || !t.settled[r]!.every(Boolean)) return;
    t.sent[r] = true;
    const ready = this.verdictReady[v]!;
    if (ready.size === 0) setImmediate(() => this.sendVerdicts(v));
    ready.add(r);
  }

  /** One backendStates() per pool and turn, not per server: it costs O(servers). */
  private sendVerdicts(v: number): void {
    const ready = this.verdictReady[v]!;
    const vs = this.plan.pools[v]!.spec;
    const states = this.runner.backends(vs.id);
    for (const r of ready) {
      const state = states[r];
      if (state) this.options.send({ type: 'verdict', vsId: vs.id, state });
    }
    ready.clear();
  }
}
