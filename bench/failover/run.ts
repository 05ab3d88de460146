// Failover bench: halo and keepalived with the same keepalived.conf, in the same network-namespace
// lab and the same run. Two directors (d1 priority 100, d2 priority 90) on one bridge, each with a
// small web server answering its own name on every address; a client namespace requests
// http://VIP:8080/ over a new connection every 10 ms at v2 and every 2 ms at v3 (300 ms timeout
// each). For every event on the
// master d1 the bench records the time from the event until the VIP first answers through the
// backup (body "d2"), and the client requests that failed from the event on:
//   crash       kill -9 of every process of the daemon on d1 at once (the VIP stays on d1's
//               interface, as it would with any daemon killed this way)
//   stop        `systemctl stop`: SIGTERM to every process of the daemon on d1 at once, as
//               systemd's default KillMode=control-group does (priority-0 advert; keepalived
//               removes the VIP at once, halo keeps it until it hears d2's advert: make before break)
//   link        d1's eth0 set down
//   vrrp-crash  (halo only) kill -9 of the VRRP process alone; the supervisor hands over
//   step-down   (halo only) a step-down request on d1's control socket (what `halo step-down`
//               sends): the planned handover without stopping
// for VRRPv2 at advert_int 1 and VRRPv3 at 100 ms, RUNS runs each, halo and keepalived taking
// turns, each run placing the event at another point of the advert interval. Prints every run,
// then the medians and the ratio table (halo / keepalived), and the medians of what tcpdump saw
// on the wire (the daemons' own timing, free of the client's request grid).
// Needs root. Usage:
//   npx tsc -p . && node dist/bench/failover/run.js [--runs 5] [--only keepalived|halo] [--cases v2-crash,v3-stop,...] [--trace FILE]
import { spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { controlRequest } from '../../src/api/control-socket.js';
import { NetnsLab, type NetnsNode } from '../../test/netns/harness.js';
import { childPids, cmdline, haloRunAvailable, keepalivedConf, startDaemon, type Daemon, type DaemonKind, type InstanceSpec } from '../../test/netns/directors.js';

const CLIENT = fileURLToPath(new URL('./client.js', import.meta.url));
const PORT = 8080;
const REQUEST_TIMEOUT_MS = 300;
/** Requests in flight at most: a VIP that answers nobody for REQUEST_TIMEOUT_MS holds timeout / interval of them. */
const IN_FLIGHT_MAX = 256;
const READY_TIMEOUT_MS = 15_000;
/** How long the pair runs before the event. */
const SETTLE_MS = Number(argValue('--settle-ms') ?? '5000');
/** Requests still counted after the backup first answers (late failures, a flapping VIP). */
const TAIL_MS = 500;

type Event = 'crash' | 'stop' | 'link' | 'vrrp-crash' | 'step-down';
/** Events only halo has. */
const HALO_ONLY: ReadonlySet<Event> = new Set(['vrrp-crash', 'step-down']);
interface Proto {
  readonly id: 'v2' | 'v3';
  readonly label: string;
  readonly version: 2 | 3;
  readonly advertIntS: number;
  /** Longest wait for the backup to answer after the event. */
  readonly failoverMaxMs: number;
  /**
   * How often the client starts a request. A failover is seen at the first request started after
   * the backup's gratuitous ARP, so each run's time carries up to one interval of the client's
   * own phase: at 10 ms that is ±7 % of a 65 ms v3 handover, more than the daemons' difference.
   */
  readonly requestIntervalMs: number;
}
const PROTOS: readonly Proto[] = [
  { id: 'v2', label: 'VRRPv2, advert_int 1', version: 2, advertIntS: 1, failoverMaxMs: 8000, requestIntervalMs: 10 },
  { id: 'v3', label: 'VRRPv3, advert_int 0.1', version: 3, advertIntS: 0.1, failoverMaxMs: 3000, requestIntervalMs: 2 },
];
const EVENTS: readonly Event[] = ['crash', 'stop', 'link', 'vrrp-crash', 'step-down'];
const EVENT_LABEL: Record<Event, string> = {
  crash: 'kill -9 of every daemon process',
  stop: 'clean stop (systemctl stop: SIGTERM to every process)',
  link: "master's link down",
  'vrrp-crash': 'kill -9 of the VRRP process alone',
  'step-down': 'planned handover: `halo step-down`',
};

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const runsWanted = Number(argValue('--runs') ?? '5');
const onlyArg = argValue('--only');
const casesArg = argValue('--cases');
const traceFile = argValue('--trace');
const kinds: DaemonKind[] = (onlyArg ? onlyArg.split(',') : ['keepalived', 'halo']).filter((k): k is DaemonKind => k === 'keepalived' || k === 'halo');

if (process.getuid?.() !== 0) {
  console.error('failover bench: needs root (network namespaces)');
  process.exit(2);
}
if (kinds.includes('halo')) {
  const h = haloRunAvailable();
  if (!h.ok) {
    console.error(`failover bench: ${h.reason}; run with --only keepalived`);
    process.exit(2);
  }
}
if (kinds.includes('keepalived') && !NetnsLab.hasCommand('keepalived')) {
  console.error('failover bench: needs keepalived (Debian package); run with --only halo');
  process.exit(2);
}
const avail = NetnsLab.available();
if (!avail.ok) {
  console.error(`failover bench: ${avail.reason}`);
  process.exit(2);
}

/**
 * `--trace FILE`: per run, the client's requests and the wire from 10 ms before the backup's first
 * advert to 3 ms after its first answer, in ms after the event (where a handover's last
 * milliseconds go: the new master's packets, then the client's first requests to it).
 */
function traceRun(title: string, eventMs: number, advertMs: number | undefined, answerMs: number | undefined, requests: readonly Line[], wire: ReadonlyArray<{ t: number; line: string }>): void {
  const from = eventMs + (advertMs ?? 0) - 10;
  const to = (answerMs ?? from + 20) + 3;
  const rel = (t: number): string => (t - eventMs).toFixed(1).padStart(6);
  const out: Array<[number, string]> = [];
  for (const l of requests) if (l.s >= from && l.s <= to) out.push([l.s, `${rel(l.s)} request -> ${rel(l.e)} ${l.ok ? 'ok' : 'failed'} ${l.b}`]);
  for (const w of wire) if (w.t * 1000 >= from && w.t * 1000 <= to) out.push([w.t * 1000, `${rel(w.t * 1000)} wire ${w.line.replace(/^\d+\.\d+ /, '')}`]);
  out.sort((a, b) => a[0] - b[0]);
  appendFileSync(traceFile ?? '/dev/null', [`== ${title}`, ...out.map((o) => o[1])].join('\n') + '\n');
}

interface Sample {
  readonly kind: DaemonKind;
  readonly proto: Proto['id'];
  readonly event: Event;
  /** Event → first answer from d2; undefined when d2 never answered in time. */
  readonly failoverMs: number | undefined;
  readonly failed: number;
  readonly requests: number;
  readonly note?: string;
  /** On the wire, ms after the event: the master's priority 0, the backup's first advert, its gratuitous ARP. */
  readonly wire?: { prio0Ms: number | undefined; backupAdvertMs: number | undefined; garpMs: number | undefined };
}

interface Line {
  readonly s: number;
  readonly e: number;
  readonly ok: boolean;
  readonly b: string;
}

class Client {
  readonly lines: Line[] = [];
  private partial = '';
  readonly exited: Promise<void>;
  constructor(readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      const parts = (this.partial + chunk).split('\n');
      this.partial = parts.pop() ?? '';
      for (const p of parts) if (p && this.lines.length < 200_000) this.lines.push(JSON.parse(p) as Line);
    });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }
  async until(pred: (l: Line) => boolean, timeoutMs: number): Promise<Line | undefined> {
    const deadline = Date.now() + timeoutMs;
    let from = 0;
    while (true) {
      for (; from < this.lines.length; from++) {
        const l = this.lines[from];
        if (l && pred(l)) return l;
      }
      if (Date.now() >= deadline) return undefined;
      await sleep(5);
    }
  }
  private stopped = false;
  async stop(): Promise<void> {
    if (this.stopped) return this.exited;
    this.stopped = true;
    this.child.stdin?.write('stop\n');
    this.child.stdin?.end();
    const t = setTimeout(() => this.child.kill('SIGKILL'), REQUEST_TIMEOUT_MS + 2000);
    await this.exited;
    clearTimeout(t);
  }
}

/**
 * tcpdump in the client namespace, on VRRP and ARP: the wall-clock time of the master's last
 * advert (to place the event), and after the event the first priority-0 advert from the master,
 * the first advert from the backup and the backup's first gratuitous ARP for the VIP (to show
 * where a failover's time goes).
 */
class AdvertWatch {
  lastS: number | undefined;
  readonly lines: Array<{ t: number; line: string }> = [];
  private constructor(private readonly node: NetnsNode, private readonly child: ChildProcess, private readonly src: string) {
    let partial = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const p of parts) {
        const t = Number(/^(\d+\.\d+)/.exec(p)?.[1]);
        if (!Number.isFinite(t) || t <= 0) continue;
        if (this.lines.length < 20_000) this.lines.push({ t, line: p });
        if (p.includes(`IP ${this.src} > `)) this.lastS = t;
      }
    });
  }
  /** Milliseconds from `fromMs` to the first line after it matching `re`. */
  firstAfter(fromMs: number, re: RegExp): number | undefined {
    const hit = this.lines.find((l) => l.t * 1000 >= fromMs && re.test(l.line));
    return hit ? Math.round((hit.t * 1000 - fromMs) * 10) / 10 : undefined;
  }
  static async start(node: NetnsNode, src: string): Promise<AdvertWatch> {
    const child = node.spawn(['tcpdump', '-i', 'eth0', '-nn', '-l', '-tt', '--immediate-mode', 'ip proto 112 or arp']);
    const w = new AdvertWatch(node, child, src);
    const listening = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 5000);
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (c: string) => {
        if (c.includes('listening on')) {
          clearTimeout(timer);
          resolve(true);
        }
      });
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    if (!listening) throw new Error('tcpdump in the client namespace did not start');
    return w;
  }
  async stop(): Promise<void> {
    await this.node.lab.kill(this.child, 'SIGINT');
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** The wall clock in milliseconds with a fraction (Date.now() counts whole milliseconds). */
const wallMs = (): number => performance.timeOrigin + performance.now();

const lab = new NetnsLab(40);
const cleanup = (): void => {
  void lab.destroy().then(() => process.exit(130));
};
process.once('SIGINT', cleanup);
process.once('SIGTERM', cleanup);

const samples: Sample[] = [];
try {
  lab.addSegment();
  const d1 = lab.addNode('d1');
  const d2 = lab.addNode('d2');
  const client = lab.addNode('client');
  await d1.startWebServer(PORT, 'd1');
  await d2.startWebServer(PORT, 'd2');
  const vip = lab.ipv4Of(0, 100);

  const cases: Array<{ proto: Proto; event: Event }> = [];
  for (const proto of PROTOS) for (const event of EVENTS) cases.push({ proto, event });
  const wanted = casesArg ? new Set(casesArg.split(',')) : undefined;
  console.log(`# failover bench: ${runsWanted} runs per row; ${kinds.join(' and ')}; keepalived ${keepalivedVersion()}; node ${process.version}`);
  console.log(`# client: one GET over a new connection every ${PROTOS.map((p) => `${p.requestIntervalMs} ms (${p.id})`).join(', ')}, ${REQUEST_TIMEOUT_MS} ms timeout; times are event -> first answer from the backup`);
  for (const { proto, event } of cases) {
    if (wanted && !wanted.has(`${proto.id}-${event}`)) continue;
    for (let run = 0; run < runsWanted; run++) {
      // Take turns so that neither daemon always runs first on a warm or a cold machine.
      const order = run % 2 === 0 ? kinds : [...kinds].reverse();
      for (const kind of order) {
        if (HALO_ONLY.has(event) && kind !== 'halo') continue;
        const s = await measure(kind, proto, event, d1, d2, client, vip, (run + 0.5) / runsWanted);
        samples.push(s);
        console.log(
          `${kind.padEnd(10)} ${proto.id} ${event.padEnd(10)} run ${run + 1}: ${s.failoverMs === undefined ? 'no failover' : `${s.failoverMs} ms`}, ${s.failed}/${s.requests} requests failed; wire: priority 0 ${s.wire?.prio0Ms ?? '-'} ms, backup advert ${s.wire?.backupAdvertMs ?? '-'} ms, GARP ${s.wire?.garpMs ?? '-'} ms${s.note ? ` (${s.note})` : ''}`,
        );
      }
    }
  }
} finally {
  await lab.destroy();
}
printTables(samples);

function keepalivedVersion(): string {
  const r = spawnSync('keepalived', ['--version'], { encoding: 'utf8', timeout: 5000 });
  return /v(\d+\.\d+\.\d+)/.exec((r.stderr ?? '') + (r.stdout ?? ''))?.[1] ?? 'unknown';
}

function specFor(proto: Proto, vip: string, priority: number, state: 'MASTER' | 'BACKUP'): InstanceSpec {
  return { vrid: 51, version: proto.version, advertIntS: proto.advertIntS, priority, state, vips: [`${vip}/24`] };
}

function resetNode(node: NetnsNode, vip: string): void {
  node.exec(['ip', 'link', 'set', 'dev', 'eth0', 'up']);
  node.exec(['ip', 'addr', 'del', `${vip}/24`, 'dev', 'eth0']);
}

/**
 * One run. `phase` (0..1) places the event inside the advert interval, measured from the master's
 * last advert seen on the wire: after a crash the backup waits Master_Down_Interval from the last
 * advert it heard, so the time measured depends on where in the interval the crash falls. Runs
 * spread the phase evenly, the same for both daemons.
 */
async function measure(kind: DaemonKind, proto: Proto, event: Event, d1: NetnsNode, d2: NetnsNode, client: NetnsNode, vip: string, phase: number): Promise<Sample> {
  resetNode(d1, vip);
  resetNode(d2, vip);
  const base = { kind, proto: proto.id, event } as const;
  const daemons: Daemon[] = [];
  const adverts = await AdvertWatch.start(client, d1.ipv4());
  const d1Ip = d1.ipv4().replace(/\./g, '\\.');
  const d2Ip = d2.ipv4().replace(/\./g, '\\.');
  const vipRe = vip.replace(/\./g, '\\.');
  const clientProc = new Client(
    client.spawn([process.execPath, CLIENT, vip, String(PORT), String(proto.requestIntervalMs), String(REQUEST_TIMEOUT_MS), String(READY_TIMEOUT_MS + 10_000 + proto.failoverMaxMs), '1000000', String(IN_FLIGHT_MAX)]),
  );
  try {
    const backup = await startDaemon(kind, d2, keepalivedConf('d2', [specFor(proto, vip, 90, 'BACKUP')]));
    daemons.push(backup);
    const master = await startDaemon(kind, d1, keepalivedConf('d1', [specFor(proto, vip, 100, 'MASTER')]));
    daemons.push(master);
    const ready = await clientProc.until((l) => l.ok && l.b === 'd1', READY_TIMEOUT_MS);
    if (!ready || d2.hasAddress(vip)) {
      return { ...base, failoverMs: undefined, failed: 0, requests: 0, note: `setup: d1 never answered alone; d1 log tail: ${master.log.slice(-5).join(' | ')}` };
    }
    // A running pair, not one that has just started: the backup hears a few adverts of the
    // settled master, and both daemons are past their start-up (a Node process still compiles and
    // optimises code in its first seconds).
    await sleep(Math.max(SETTLE_MS, 4 * proto.advertIntS * 1000));
    // Place the event `phase` of an interval after one of the master's adverts as seen on the wire.
    const last = adverts.lastS;
    if (last === undefined) return { ...base, failoverMs: undefined, failed: 0, requests: 0, note: 'no advert from d1 seen on the wire' };
    const intervalMs = proto.advertIntS * 1000;
    let atMs = last * 1000 + phase * intervalMs;
    while (atMs < Date.now() + 20) atMs += intervalMs;
    await sleep(atMs - Date.now());
    let note: string | undefined;
    // The daemon's processes, read before the event: the /proc walk takes longer for a daemon
    // with more processes and threads, and is the bench's time, not the daemon's.
    const pids = master.pids();
    // Microseconds of the wall clock, as tcpdump's timestamps and the client's.
    const eventMs = wallMs();
    switch (event) {
      case 'crash':
        master.killAll(pids);
        break;
      case 'stop':
        // `systemctl stop`: SIGTERM to every process of the daemon (the same for both).
        master.terminateAll(pids);
        break;
      case 'link':
        d1.must(['ip', 'link', 'set', 'dev', 'eth0', 'down']);
        break;
      case 'vrrp-crash': {
        const pid = vrrpChild(master);
        if (pid === undefined) note = `no VRRP child under ${master.child.pid}`;
        else process.kill(pid, 'SIGKILL');
        break;
      }
      case 'step-down': {
        // Straight to the control socket (the file is reachable from the bench's namespace): the
        // time of `halo step-down` itself is Node's start-up (1-3 s on a loaded machine), which
        // is not halo's handover. Not awaited, as a signal is not.
        void controlRequest(join(master.workDir ?? '', 'halo.sock'), { op: 'step-down' }).then((r) => {
          if (!r.ok) note = `step-down refused: ${r.error.message}`;
        });
        break;
      }
    }
    const answer = await clientProc.until((l) => l.ok && l.b === 'd2' && l.e >= eventMs, proto.failoverMaxMs);
    await sleep(TAIL_MS);
    await clientProc.stop();
    const after = clientProc.lines.filter((l) => l.e >= eventMs && l.s <= (answer?.e ?? Infinity) + TAIL_MS);
    const wire = {
      prio0Ms: adverts.firstAfter(eventMs, new RegExp(`IP ${d1Ip} > .*prio 0,`)),
      backupAdvertMs: adverts.firstAfter(eventMs, new RegExp(`IP ${d2Ip} > .*VRRP`)),
      // Gratuitous: a request for the VIP from the VIP, or an unsolicited reply for it.
      garpMs: adverts.firstAfter(eventMs, new RegExp(`ARP, (Request who-has ${vipRe} .*tell ${vipRe}|Reply ${vipRe} is-at)`)),
    };
    // halo's new master says where its own milliseconds went (src/daemon/vrrp-runtime.ts): the
    // last such line, since d2 also took over at its start, before d1 was there.
    if (traceFile !== undefined) traceRun(`${kind} ${proto.id} ${event}`, eventMs, wire.backupAdvertMs, answer?.e, clientProc.lines, adverts.lines);
    const timing = [...backup.log].reverse().find((l) => l.includes('Takeover timing'));
    if (timing !== undefined) note = /Takeover timing: ([^"]*)/.exec(timing)?.[1] ?? timing;
    return {
      ...base,
      wire,
      failoverMs: answer ? Math.round((answer.e - eventMs) * 10) / 10 : undefined,
      failed: after.filter((l) => !l.ok).length,
      requests: after.length,
      ...(note !== undefined ? { note } : {}),
    };
  } finally {
    await clientProc.stop();
    await adverts.stop();
    for (const d of daemons) await d.stop();
  }
}

/** halo's VRRP process: the supervisor's child whose command line names it, else its only child. */
function vrrpChild(d: Daemon): number | undefined {
  const kids = childPids(d.child.pid ?? 0);
  return kids.find((p) => /vrrp/i.test(cmdline(p))) ?? (kids.length === 1 ? kids[0] : undefined);
}

function median(xs: readonly number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

function fmtS(ms: number | undefined): string {
  return ms === undefined ? '—' : `${(ms / 1000).toFixed(2)} s`;
}

function printTables(all: readonly Sample[]): void {
  console.log('\n| setup | event | keepalived median | halo median | halo / keepalived | failed requests (keepalived / halo, median) | runs |');
  console.log('|---|---|---|---|---|---|---|');
  for (const proto of PROTOS) {
    for (const event of EVENTS) {
      const of = (k: DaemonKind): Sample[] => all.filter((s) => s.kind === k && s.proto === proto.id && s.event === event);
      const ka = of('keepalived');
      const ha = of('halo');
      if (ka.length === 0 && ha.length === 0) continue;
      const times = (xs: Sample[]): number[] => xs.flatMap((s) => (s.failoverMs === undefined ? [] : [s.failoverMs]));
      const kaMed = median(times(ka));
      const haMed = median(times(ha));
      const missing = [...ka, ...ha].filter((s) => s.failoverMs === undefined).length;
      const ratio = kaMed !== undefined && haMed !== undefined && kaMed > 0 ? (haMed / kaMed).toFixed(2) : '—';
      const failed = `${median(ka.map((s) => s.failed)) ?? '—'} / ${median(ha.map((s) => s.failed)) ?? '—'}`;
      const runs = `${ka.length} / ${ha.length}${missing ? ` (${missing} without failover)` : ''}`;
      console.log(`| ${proto.label} | ${EVENT_LABEL[event]} | ${fmtS(kaMed)} | ${fmtS(haMed)} | ${ratio} | ${failed} | ${runs} |`);
    }
  }
  // The daemons' own timing, free of the client's request grid: tcpdump's timestamps.
  console.log('\nOn the wire, medians in ms after the event (keepalived / halo):\n');
  console.log('| setup | event | master\'s priority 0 | backup\'s first advert | backup\'s gratuitous ARP | advert to gratuitous ARP |');
  console.log('|---|---|---|---|---|---|');
  for (const proto of PROTOS) {
    for (const event of EVENTS) {
      const of = (k: DaemonKind): Sample[] => all.filter((s) => s.kind === k && s.proto === proto.id && s.event === event);
      if (of('keepalived').length === 0 && of('halo').length === 0) continue;
      const col = (f: (w: NonNullable<Sample['wire']>) => number | undefined): string =>
        (['keepalived', 'halo'] as const)
          .map((k) => {
            const m = median(of(k).flatMap((s) => (s.wire === undefined ? [] : [f(s.wire)]).filter((x): x is number => x !== undefined)));
            return m === undefined ? '—' : m.toFixed(1);
          })
          .join(' / ');
      const gap = (w: NonNullable<Sample['wire']>): number | undefined =>
        w.garpMs !== undefined && w.backupAdvertMs !== undefined ? w.garpMs - w.backupAdvertMs : undefined;
      console.log(`| ${proto.label} | ${EVENT_LABEL[event]} | ${col((w) => w.prio0Ms)} | ${col((w) => w.backupAdvertMs)} | ${col((w) => w.garpMs)} | ${col(gap)} |`);
    }
  }
}
