/**
 * LinkPort on Linux. `ip monitor link` streams a line for every link change as the kernel announces
 * it over netlink (RTM_NEWLINK / RTM_DELLINK), so a cable pull or `ip link set dev X down` is seen
 * in milliseconds, well inside the one second the runtime is promised. A link counts as up when it
 * is administratively UP and has carrier (LOWER_UP), which is what keepalived's interface tracking
 * looks at (IFF_UP and IFF_RUNNING). One monitor process serves every watcher; if it dies it is
 * restarted after a short delay and every watched link is read again, so no change is lost for
 * good while it was down.
 */
import type { LinkEvent, LinkPort } from '../ports.js';
import type { ErrorCode } from '../../core/errors/index.js';
import { ipRunner, type IpRunner } from './ip-command.js';
import { IpMonitor } from './ip-monitor.js';

export interface LinkState {
  readonly ifname: string;
  readonly up: boolean;
  /** False for a `Deleted` line: the link is gone. */
  readonly exists: boolean;
}

/**
 * Parses one line of `ip monitor link` (`3: eth0@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> ...`,
 * or `Deleted 3: ...`); other lines (`link/ether ...`) give undefined.
 */
export function parseMonitorLine(line: string): LinkState | undefined {
  const m = /^(Deleted\s+)?\d+:\s+([^:@\s]+)(?:@[^:\s]*)?:\s+<([^>]*)>/.exec(line);
  if (!m) return undefined;
  const ifname = m[2] ?? '';
  if (m[1] !== undefined) return { ifname, up: false, exists: false };
  return { ifname, up: flagsUp((m[3] ?? '').split(',')), exists: true };
}

export function flagsUp(flags: readonly string[]): boolean {
  return flags.includes('UP') && flags.includes('LOWER_UP') && !flags.includes('NO-CARRIER');
}

export interface LinuxLinksOptions {
  readonly run?: IpRunner;
  readonly ipPath?: string;
  /** Told when the monitor stops unexpectedly (it is restarted). */
  readonly onError?: (code: ErrorCode, message: string) => void;
  /** Delay before restarting a dead monitor; doubles on each failure up to `restartMaxMs`. */
  readonly restartMinMs?: number;
  readonly restartMaxMs?: number;
}

interface Watcher {
  readonly names: ReadonlySet<string>;
  readonly onChange: (event: LinkEvent) => void;
}

const WATCHERS_MAX = 256;

export class LinuxLinks implements LinkPort {
  private readonly run: IpRunner;
  private readonly watchers = new Set<Watcher>();
  private readonly known = new Map<string, boolean>();
  private readonly monitor: IpMonitor;

  constructor(options: LinuxLinksOptions = {}) {
    const ipPath = options.ipPath ?? 'ip';
    this.run = options.run ?? ipRunner(ipPath);
    const onError = options.onError ?? (() => {});
    this.monitor = new IpMonitor({
      ipPath,
      object: 'link',
      ...(options.restartMinMs !== undefined ? { restartMinMs: options.restartMinMs } : {}),
      ...(options.restartMaxMs !== undefined ? { restartMaxMs: options.restartMaxMs } : {}),
      onLine: (line) => {
        const state = parseMonitorLine(line);
        if (state) this.update(state.ifname, state.up);
      },
      onStart: () => void this.resync(this.watchedNames()),
      onDied: (why, delayMs) => onError('HALO_NET_LINK_MONITOR', `Link monitor stopped: ${why} (restarting in ${delayMs} ms)`),
    });
  }

  /** Monitor restarts so far (for tests and status). */
  get restarts(): number {
    return this.monitor.restarts;
  }

  async isUp(ifname: string): Promise<boolean> {
    const outcome = await this.run(['-json', 'link', 'show', 'dev', ifname]);
    if (outcome.status !== 0) return false;
    try {
      const links = JSON.parse(outcome.stdout) as Array<{ flags?: string[] }>;
      return flagsUp(links[0]?.flags ?? []);
    } catch {
      return false;
    }
  }

  watch(ifnames: readonly string[], onChange: (event: LinkEvent) => void): () => void {
    if (this.watchers.size >= WATCHERS_MAX) throw new RangeError(`LinuxLinks: more than ${WATCHERS_MAX} watchers`);
    const watcher: Watcher = { names: new Set(ifnames), onChange };
    this.watchers.add(watcher);
    if (!this.monitor.active) this.monitor.start();
    else void this.resync([...watcher.names]);
    return () => {
      this.watchers.delete(watcher);
      if (this.watchers.size === 0) this.monitor.stop();
    };
  }

  /** Stops the monitor and forgets every watcher. */
  close(): void {
    this.watchers.clear();
    this.monitor.stop();
  }

  /** PID of the running `ip monitor` (for tests that kill it). */
  monitorPid(): number | undefined {
    return this.monitor.pid();
  }

  private watchedNames(): string[] {
    const names = new Set<string>();
    for (const w of this.watchers) for (const n of w.names) names.add(n);
    return [...names];
  }

  private async resync(names: readonly string[]): Promise<void> {
    for (const name of names) this.update(name, await this.isUp(name));
  }

  /** Records a state and tells the watchers of that link when it changed. */
  private update(ifname: string, up: boolean): void {
    if (!this.watchedNames().includes(ifname)) return;
    const before = this.known.get(ifname);
    this.known.set(ifname, up);
    if (before === undefined || before === up) return;
    for (const w of [...this.watchers]) {
      if (!w.names.has(ifname)) continue;
      try {
        w.onChange({ ifname, up });
      } catch {
        // One failing watcher must not keep the others from hearing about the link.
      }
    }
  }
}
