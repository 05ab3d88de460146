/**
 * A group of directors and one client on one bridge, for the halo pair and the mixed
 * halo/keepalived tests: every director runs a web server answering its own name, so the client
 * can tell through which director the VIP answers; `expectMaster` checks what the tests promise
 * after every event (the VIP on exactly one director, answering the client through it, and the
 * client's neighbour entry pointing at that director's MAC).
 */
import assert from 'node:assert/strict';
import { NetnsLab, until, type NetnsNode } from './harness.js';
import { startDaemon, type Daemon, type DaemonKind } from './directors.js';

export const WEB_PORT = 8080;

export class DirectorGroup {
  readonly lab: NetnsLab;
  readonly directors: NetnsNode[] = [];
  readonly client: NetnsNode;
  readonly running: Daemon[] = [];

  private constructor(lab: NetnsLab, client: NetnsNode) {
    this.lab = lab;
    this.client = client;
  }

  /** A lab with `count` directors (d1, d2, ...) and a client, web servers started. */
  static async create(base: number, count: number): Promise<DirectorGroup> {
    const lab = new NetnsLab(base);
    try {
      lab.addSegment();
      const nodes: NetnsNode[] = [];
      for (let i = 1; i <= count; i++) nodes.push(lab.addNode(`d${i}`));
      const client = lab.addNode('client');
      const g = new DirectorGroup(lab, client);
      g.directors.push(...nodes);
      for (const d of nodes) await d.startWebServer(WEB_PORT, d.name);
      return g;
    } catch (err) {
      await lab.destroy();
      throw err;
    }
  }

  d(i: number): NetnsNode {
    const n = this.directors[i - 1];
    if (!n) throw new Error(`No director d${i}`);
    return n;
  }

  async start(kind: DaemonKind, node: NetnsNode, config: string): Promise<Daemon> {
    const d = await startDaemon(kind, node, config);
    this.running.push(d);
    return d;
  }

  /** Stops every daemon (SIGTERM, then SIGKILL), sets every link up and removes `vips` everywhere. */
  async reset(vips: readonly string[]): Promise<void> {
    for (const d of this.running.splice(0)) await d.stop();
    for (const n of this.directors) {
      n.exec(['ip', 'link', 'set', 'dev', 'eth0', 'up']);
      for (const v of vips) n.exec(['ip', 'addr', 'del', v.includes('/') ? v : `${v}/${v.includes(':') ? 128 : 32}`, 'dev', 'eth0']);
    }
    // Each test starts from a client that knows no director's MAC for a VIP.
    this.client.exec(['ip', 'neigh', 'flush', 'dev', 'eth0']);
    this.client.exec(['ip', '-6', 'neigh', 'flush', 'dev', 'eth0']);
  }

  /** Directors holding `vip` on eth0 now. */
  holders(vip: string): string[] {
    return this.directors.filter((n) => n.hasAddress(vip)).map((n) => n.name);
  }

  /**
   * Waits up to `timeoutMs` until `master` alone holds `vip` (besides the directors in `stale`,
   * whose daemon was killed and left it behind), then checks that the VIP answers the client
   * through `master` and that the client's neighbour entry is `master`'s MAC. Returns the ms waited.
   */
  async expectMaster(master: NetnsNode, vip: string, timeoutMs: number, stale: readonly NetnsNode[] = [], why = ''): Promise<number> {
    const t0 = Date.now();
    const others = this.directors.filter((n) => n !== master && !stale.includes(n));
    const ok = await until(() => master.hasAddress(vip) && others.every((n) => !n.hasAddress(vip)), timeoutMs);
    const waitedMs = Date.now() - t0;
    assert.ok(ok, `${why}: expected the VIP ${vip} on ${master.name} alone, held by [${this.holders(vip).join(', ')}] after ${timeoutMs} ms${this.logs()}`);
    // The gratuitous ARP / unsolicited NA may still be on its way: bounded retries.
    let body = '';
    const answered = await until(() => {
      const r = this.client.httpGet(vip, WEB_PORT, 500);
      body = r.body;
      return r.ok && r.body === master.name;
    }, 3000);
    assert.ok(answered, `${why}: the VIP ${vip} answered the client with "${body}", not through ${master.name}`);
    assert.equal(this.client.neighbor(vip)?.lladdr, master.mac(), `${why}: the client's neighbour entry for ${vip} is not ${master.name}'s MAC`);
    return waitedMs;
  }

  /** Holds for `forMs` that `master` alone keeps `vip` (no flap): returns the first violation seen. */
  async holdsFor(master: NetnsNode, vip: string, forMs: number): Promise<string | undefined> {
    const deadline = Date.now() + forMs;
    while (Date.now() < deadline) {
      const h = this.holders(vip);
      if (h.length !== 1 || h[0] !== master.name) return `holders [${h.join(', ')}]`;
      await new Promise((r) => setTimeout(r, 50));
    }
    return undefined;
  }

  /** The tail of every running daemon's log, for failure messages. */
  logs(lines = 15): string {
    return this.running.map((d) => `\n--- ${d.kind} on ${d.node.name} ---\n${d.log.slice(-lines).join('\n')}`).join('');
  }

  async destroy(): Promise<void> {
    for (const d of this.running.splice(0)) await d.stop();
    await this.lab.destroy();
  }
}

/** halo's state transitions in its log (logfmt `instance=... from=... to=...`), in order. */
export function haloTransitions(log: readonly string[], instance?: string): Array<{ instance: string; from: string; to: string; line: string }> {
  const out: Array<{ instance: string; from: string; to: string; line: string }> = [];
  for (const line of log) {
    const inst = /\binstance=(\S+)/.exec(line)?.[1];
    const from = /\bfrom=(\w+)/.exec(line)?.[1];
    const to = /\bto=(\w+)/.exec(line)?.[1];
    if (inst === undefined || from === undefined || to === undefined) continue;
    if (instance !== undefined && inst !== instance) continue;
    out.push({ instance: inst, from, to, line });
  }
  return out;
}

/** keepalived's state lines (`(VI_1) Entering MASTER STATE`), in order. */
export function keepalivedStates(log: readonly string[], instance?: string): string[] {
  const out: string[] = [];
  for (const line of log) {
    const m = /\((\S+)\) Entering (MASTER|BACKUP|FAULT) STATE/.exec(line);
    if (m && (instance === undefined || m[1] === instance)) out.push(m[2] ?? '');
  }
  return out;
}

export { NetnsLab };
