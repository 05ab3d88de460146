/**
 * A network lab for halo's netns and interop tests: Linux network namespaces joined by bridges.
 *
 *  - Every name carries a per-run prefix (`halo-<pid>-<n>-`), so parallel or crashed runs never
 *    collide, and `destroy()` removes exactly what this lab made.
 *  - The bridges live in their own "switch" namespace and the nodes in theirs: nothing is added to
 *    the machine's own network stack.
 *  - Addresses come from private ranges used only inside these namespaces: segment s of lab base b
 *    is 10.213.(b+s).0/24 and fd00:213:(b+s)::/64; node k gets host number k+1 on every segment.
 *  - Every command runs bounded in time; background processes are tracked and killed by PID.
 *
 * Call `NetnsLab.available()` first and skip with its reason when it says no (not root, no
 * `ip netns`). Call `destroy()` in an `after` hook so it runs when a test fails.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const COMMAND_TIMEOUT_MS = 10_000;
const KILL_GRACE_MS = 2000;
let labCounter = 0;

export interface Outcome {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Polls `check` every 20 ms until it holds or `timeoutMs` passes; returns whether it held. */
export async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

/** Runs a command on the host, bounded in time; never throws. */
export function run(argv: readonly string[], timeoutMs = COMMAND_TIMEOUT_MS): Outcome {
  const [cmd, ...args] = argv;
  const r = spawnSync(cmd ?? 'true', args, { encoding: 'utf8', timeout: timeoutMs });
  return { status: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

/** Like `run`, but a failure throws with the command and its stderr (for lab setup steps). */
export function must(argv: readonly string[]): string {
  const r = run(argv);
  if (r.status !== 0) throw new Error(`Lab command failed: ${argv.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}

export interface NeighborEntry {
  readonly dst: string;
  readonly lladdr?: string;
  readonly state: readonly string[];
}

export interface AddrEntry {
  readonly family: 'inet' | 'inet6';
  readonly local: string;
  readonly prefixlen: number;
  readonly label?: string;
}

export class NetnsNode {
  readonly ifnames: string[] = [];
  constructor(
    readonly lab: NetnsLab,
    readonly name: string,
    readonly ns: string,
    readonly hostNumber: number,
  ) {}

  /** Runs a command inside the namespace (`ip netns exec`), bounded in time; never throws. */
  exec(argv: readonly string[], timeoutMs = COMMAND_TIMEOUT_MS): Outcome {
    return run(['ip', 'netns', 'exec', this.ns, ...argv], timeoutMs);
  }

  must(argv: readonly string[]): string {
    return must(['ip', 'netns', 'exec', this.ns, ...argv]);
  }

  /** Starts a background process in the namespace; the lab kills it by PID on destroy. */
  spawn(argv: readonly string[]): ChildProcess {
    return this.lab.track(spawn('ip', ['netns', 'exec', this.ns, ...argv], { stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  ipv4(segment = 0): string {
    return `10.213.${this.lab.base + segment}.${this.hostNumber}`;
  }

  ipv6(segment = 0): string {
    return `fd00:213:${this.lab.base + segment}::${this.hostNumber}`;
  }

  /** The node's interface on a segment (eth0, eth1, ... in the order segments were given). */
  ifname(segment = 0): string {
    const n = this.ifnames[segment];
    if (n === undefined) throw new Error(`${this.name} has no interface on segment ${segment}`);
    return n;
  }

  mac(ifname = 'eth0'): string {
    const links = JSON.parse(this.must(['ip', '-json', 'link', 'show', 'dev', ifname])) as Array<{ address: string }>;
    return links[0]?.address ?? '';
  }

  addrs(ifname = 'eth0'): AddrEntry[] {
    const r = this.exec(['ip', '-json', 'addr', 'show', 'dev', ifname]);
    if (r.status !== 0) return [];
    const links = JSON.parse(r.stdout) as Array<{ addr_info?: AddrEntry[] }>;
    return links.flatMap((l) => l.addr_info ?? []);
  }

  hasAddress(address: string, ifname = 'eth0'): boolean {
    return this.addrs(ifname).some((a) => a.local === address);
  }

  /** The neighbour table entry for an address, if any (`ip -json neigh show to ADDR`). */
  neighbor(address: string, ifname = 'eth0'): NeighborEntry | undefined {
    const r = this.exec(['ip', '-json', 'neigh', 'show', 'to', address, 'dev', ifname]);
    if (r.status !== 0) return undefined;
    const entries = JSON.parse(r.stdout) as NeighborEntry[];
    return entries.find((e) => e.dst === address);
  }

  /**
   * Starts a tiny HTTP server in the namespace on every address (IPv4 and IPv6) that answers every
   * request with `body`; resolves once it listens.
   */
  async startWebServer(port: number, body = this.name): Promise<ChildProcess> {
    const script = `require('http').createServer((q,r)=>r.end(${JSON.stringify(body)})).listen(${port},'::',()=>console.log('listening'))`;
    const child = this.spawn([process.execPath, '-e', script]);
    const listening = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 5000);
      child.stdout?.on('data', (d: Buffer) => {
        if (d.toString().includes('listening')) {
          clearTimeout(timer);
          resolve(true);
        }
      });
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    if (!listening) throw new Error(`Web server on ${this.name}:${port} did not start`);
    return child;
  }

  /** One HTTP GET from this namespace with curl, bounded by `timeoutMs`; the body when it answered. */
  httpGet(address: string, port: number, timeoutMs = 1000): { ok: boolean; body: string } {
    const host = address.includes(':') ? `[${address}]` : address;
    const r = this.exec(['curl', '-gsS', '--max-time', String(timeoutMs / 1000), `http://${host}:${port}/`], timeoutMs + 2000);
    return { ok: r.status === 0, body: r.stdout };
  }

  /**
   * Starts tcpdump on an interface of this namespace with a pcap filter (`arp`, `vrrp`,
   * `icmp6 and ip6[40] == 136`, ...), line-buffered, with link-level headers. Resolves when it
   * listens; `stop()` ends it and gives the lines captured (at most `linesMax`).
   */
  async capture(ifname: string, filter: string, linesMax = 10_000): Promise<Capture> {
    const child = this.spawn(['tcpdump', '-i', ifname, '-nn', '-l', '-e', '-vv', '--immediate-mode', filter]);
    const lines: string[] = [];
    let partial = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const l of parts) if (lines.length < linesMax) lines.push(l);
    });
    const listening = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 5000);
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (chunk: string) => {
        if (chunk.includes('listening on')) {
          clearTimeout(timer);
          resolve(true);
        }
      });
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    if (!listening) throw new Error(`tcpdump on ${this.name}:${ifname} did not start`);
    return {
      lines,
      stop: async () => {
        // Give packets in flight a moment to be printed before tcpdump goes.
        await new Promise((r) => setTimeout(r, 100));
        await this.lab.kill(child, 'SIGINT');
        return lines;
      },
    };
  }

  setLink(ifname: string, up: boolean): void {
    this.must(['ip', 'link', 'set', 'dev', ifname, up ? 'up' : 'down']);
  }

  /**
   * Starts the Debian keepalived in this namespace with the given configuration, VRRP only, in the
   * foreground, logging to its stderr, with its own pid files (so several can run at once).
   */
  async startKeepalived(config: string): Promise<Keepalived> {
    const dir = mkdtempSync(join(tmpdir(), `${this.ns}-ka-`));
    this.lab.cleanupDir(dir);
    const conf = join(dir, 'keepalived.conf');
    writeFileSync(conf, config);
    const child = this.spawn([
      'keepalived', '--dont-fork', '--log-console', '--log-detail', '--no-syslog', '--vrrp',
      '-f', conf, '-p', join(dir, 'keepalived.pid'), '-r', join(dir, 'vrrp.pid'),
    ]);
    const ka = new Keepalived(this, child);
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', reject);
    });
    return ka;
  }

  /** One ping, bounded: true when the address answered. */
  ping(address: string, timeoutS = 1): boolean {
    const argv = address.includes(':') ? ['ping', '-6', '-c', '1', '-W', String(timeoutS), address] : ['ping', '-c', '1', '-W', String(timeoutS), address];
    return this.exec(argv, (timeoutS + 2) * 1000).status === 0;
  }
}

export class NetnsLab {
  readonly prefix: string;
  readonly switchNs: string;
  readonly nodes: NetnsNode[] = [];
  private readonly segments: string[] = [];
  private readonly namespaces: string[] = [];
  private readonly children = new Set<ChildProcess>();
  private readonly dirs: string[] = [];
  private portCounter = 0;
  private destroyed = false;

  /** `base`: first third octet of this lab's 10.213.x.0/24 segments. */
  constructor(readonly base = 1) {
    labCounter += 1;
    this.prefix = `halo-${process.pid}-${labCounter}-`;
    this.switchNs = `${this.prefix}sw`;
    this.addNamespace(this.switchNs);
    try {
      // Bridge ports carry no addresses of their own.
      must(['ip', 'netns', 'exec', this.switchNs, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1']);
      must(['ip', 'netns', 'exec', this.switchNs, 'sysctl', '-qw', 'net.ipv6.conf.default.disable_ipv6=1']);
    } catch (err) {
      // The caller never gets the lab to destroy: clean up here.
      run(['ip', 'netns', 'del', this.switchNs]);
      throw err;
    }
  }

  /**
   * Deletes the namespaces of earlier runs whose process is gone (`halo-<pid>-...` with a dead
   * pid), e.g. after a test process was killed before its `after` hooks ran. Returns their names.
   */
  static reapStale(): string[] {
    const reaped: string[] = [];
    for (const line of run(['ip', 'netns', 'list']).stdout.split('\n')) {
      const name = line.split(' ')[0] ?? '';
      const m = /^halo-(\d+)-/.exec(name);
      if (!m) continue;
      const pid = Number(m[1]);
      let alive = true;
      try {
        process.kill(pid, 0);
      } catch (err) {
        alive = (err as NodeJS.ErrnoException).code === 'EPERM';
      }
      if (!alive && run(['ip', 'netns', 'del', name]).status === 0) reaped.push(name);
    }
    return reaped;
  }

  /** Root and a working `ip netns`; otherwise the reason to print when skipping. */
  static available(): { ok: true } | { ok: false; reason: string } {
    if (typeof process.getuid !== 'function' || process.getuid() !== 0) return { ok: false, reason: 'needs root: network namespaces' };
    const r = run(['ip', 'netns', 'list']);
    if (r.status !== 0) return { ok: false, reason: `needs ip netns: ${r.stderr.trim() || 'ip netns list failed'}` };
    const probe = `halo-${process.pid}-probe`;
    const add = run(['ip', 'netns', 'add', probe]);
    run(['ip', 'netns', 'del', probe]);
    if (add.status !== 0) return { ok: false, reason: `needs ip netns add: ${add.stderr.trim()}` };
    NetnsLab.reapStale();
    return { ok: true };
  }

  /** Whether a program is on PATH (e.g. keepalived for the tests that run it). */
  static hasCommand(name: string): boolean {
    return run(['sh', '-c', `command -v ${name}`]).status === 0;
  }

  /** A bridge (an Ethernet segment) in the switch namespace; returns its index. */
  addSegment(): number {
    const index = this.segments.length;
    const br = `br${index}`;
    // No STP, no forward delay: ports forward at once. No multicast snooping: VRRP's link-local
    // groups reach every port whether or not an IGMP/MLD querier exists.
    must(['ip', '-n', this.switchNs, 'link', 'add', br, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0', 'mcast_snooping', '0']);
    must(['ip', '-n', this.switchNs, 'link', 'set', br, 'up']);
    this.segments.push(br);
    return index;
  }

  /** A namespace with one interface per listed segment (eth0, eth1, ...), addressed and up. */
  addNode(name: string, segments: readonly number[] = [0]): NetnsNode {
    const ns = `${this.prefix}${name}`;
    this.addNamespace(ns);
    const node = new NetnsNode(this, name, ns, this.nodes.length + 1);
    this.nodes.push(node);
    // Addresses must be usable at once: no duplicate address detection in the lab.
    node.must(['sysctl', '-qw', 'net.ipv6.conf.default.accept_dad=0']);
    node.must(['sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0']);
    node.must(['ip', 'link', 'set', 'lo', 'up']);
    for (const [i, segment] of segments.entries()) {
      const br = this.segments[segment];
      if (br === undefined) throw new Error(`No segment ${segment} in this lab`);
      const ifname = `eth${i}`;
      const port = `p${this.portCounter++}`;
      must(['ip', '-n', this.switchNs, 'link', 'add', port, 'type', 'veth', 'peer', 'name', ifname, 'netns', ns]);
      must(['ip', '-n', this.switchNs, 'link', 'set', port, 'master', br, 'up']);
      node.must(['ip', 'addr', 'add', `${this.ipv4Of(segment, node.hostNumber)}/24`, 'dev', ifname]);
      node.must(['ip', '-6', 'addr', 'add', `fd00:213:${this.base + segment}::${node.hostNumber}/64`, 'dev', ifname, 'nodad']);
      node.must(['ip', 'link', 'set', ifname, 'up']);
      node.ifnames.push(ifname);
    }
    return node;
  }

  ipv4Of(segment: number, hostNumber: number): string {
    return `10.213.${this.base + segment}.${hostNumber}`;
  }

  /** Tracks a child so `destroy` can kill it by PID. */
  track(child: ChildProcess): ChildProcess {
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Kills one tracked child by PID: SIGTERM, then SIGKILL after a grace period. */
  async kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }

  /** Kills every tracked process and deletes every namespace (and so every veth) of this lab. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await Promise.all([...this.children].map((c) => this.kill(c)));
    for (const ns of [...this.namespaces].reverse()) run(['ip', 'netns', 'del', ns]);
    for (const dir of this.dirs) rmSync(dir, { recursive: true, force: true });
  }

  /** A temporary directory to delete on destroy. */
  cleanupDir(dir: string): void {
    this.dirs.push(dir);
  }

  /** Namespaces of this lab still present (for the cleanup test). */
  leftovers(): string[] {
    const r = run(['ip', 'netns', 'list']);
    return r.stdout.split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.startsWith(this.prefix));
  }

  private addNamespace(ns: string): void {
    must(['ip', 'netns', 'add', ns]);
    this.namespaces.push(ns);
  }
}

/** The compiled agent script, run with `node` inside a namespace. */
export const AGENT_PATH = fileURLToPath(new URL('./agent.js', import.meta.url));

export interface AgentEvent {
  readonly event: string;
  readonly [key: string]: unknown;
}

/** Bounded buffer of agent events not yet awaited. */
const AGENT_EVENTS_MAX = 10_000;

/**
 * A halo network agent in a namespace: a node process running the Linux adapters, driven by JSON
 * lines on stdin (requests) and stdout (replies and events). Tests cannot enter a namespace
 * themselves, so they speak to one of these.
 */
export class Agent {
  private nextId = 1;
  private readonly pending = new Map<number, (reply: { ok: boolean; result?: unknown; error?: string }) => void>();
  readonly events: AgentEvent[] = [];
  private readonly waiters = new Set<() => void>();
  private buffered = '';
  readonly stderr: string[] = [];

  private constructor(readonly node: NetnsNode, readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => this.onData(chunk));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      if (this.stderr.length < 1000) this.stderr.push(chunk);
    });
  }

  static async start(node: NetnsNode): Promise<Agent> {
    const agent = new Agent(node, node.spawn([process.execPath, '--enable-source-maps', AGENT_PATH]));
    await agent.call('ping', {});
    return agent;
  }

  call(op: string, args: Record<string, unknown>, timeoutMs = 5000): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`Agent ${this.node.name}: ${op} got no reply in ${timeoutMs} ms; stderr: ${this.stderr.join('')}`));
      }, timeoutMs);
      this.pending.set(id, (reply) => {
        clearTimeout(timer);
        if (reply.ok) resolve(reply.result);
        else reject(new Error(`Agent ${this.node.name}: ${op}: ${reply.error}`));
      });
      this.child.stdin?.write(JSON.stringify({ id, op, args }) + '\n');
    });
  }

  /** The first buffered or future event matching `pred` (removed from the buffer), or undefined. */
  async waitEvent(pred: (e: AgentEvent) => boolean, timeoutMs: number): Promise<AgentEvent | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const i = this.events.findIndex(pred);
      if (i >= 0) return this.events.splice(i, 1)[0];
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.waiters.add(() => done());
      });
    }
  }

  async stop(): Promise<void> {
    await this.node.lab.kill(this.child);
  }

  private onData(chunk: string): void {
    const lines = (this.buffered + chunk).split('\n');
    this.buffered = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      let msg: { id?: number; ok?: boolean; result?: unknown; error?: string; event?: string };
      try {
        msg = JSON.parse(line) as typeof msg;
      } catch {
        this.stderr.push(`unparsed: ${line}\n`);
        continue;
      }
      if (typeof msg.id === 'number') {
        const resolve = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        resolve?.({ ok: msg.ok === true, result: msg.result, ...(msg.error !== undefined ? { error: msg.error } : {}) });
      } else if (typeof msg.event === 'string') {
        if (this.events.length < AGENT_EVENTS_MAX) this.events.push(msg as AgentEvent);
        const waiters = [...this.waiters];
        this.waiters.clear();
        for (const w of waiters) w();
      }
    }
  }
}

/** A running packet capture: the lines so far, and `stop()` for all of them. */
export interface Capture {
  readonly lines: readonly string[];
  stop(): Promise<readonly string[]>;
}

/** Log lines kept per keepalived run. */
const KEEPALIVED_LOG_MAX = 5000;

/** A keepalived process in a namespace, with its log lines (stdout and stderr). */
export class Keepalived {
  readonly log: string[] = [];
  private partial = '';
  constructor(readonly node: NetnsNode, readonly child: ChildProcess) {
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const lines = (this.partial + chunk).split('\n');
        this.partial = lines.pop() ?? '';
        for (const l of lines) if (this.log.length < KEEPALIVED_LOG_MAX) this.log.push(l);
      });
    }
  }

  /** Waits (polling, bounded) for a log line matching `pattern` after line `fromLine`. */
  async waitLog(pattern: RegExp, timeoutMs: number, fromLine = 0): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const hit = this.log.slice(fromLine).find((l) => pattern.test(l));
      if (hit !== undefined) return hit;
      await new Promise((r) => setTimeout(r, 50));
    }
    return undefined;
  }

  async stop(): Promise<void> {
    await this.node.lab.kill(this.child);
  }
}
