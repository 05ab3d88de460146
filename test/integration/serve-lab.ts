/**
 * A one-namespace lab for `halo serve` tests: the namespace this test makes holds a dummy
 * interface with the addresses a tutorial config names (its backends, its VIP), small HTTP
 * backends bound to them, `halo serve` itself, and the client (curl). Nothing leaves the
 * namespace: the tutorial's addresses are never contacted on a real network. Processes are killed
 * by PID and the namespace is deleted in `destroy()`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const HALO_MAIN = join(REPO, 'dist/src/cli/main.js');
const STEP_TIMEOUT_MS = 10_000;

const BACKEND_JS = `
import http from 'node:http';
const [addr, port, name] = process.argv.slice(2);
const srv = http.createServer((q, r) => { r.setHeader('content-type', 'text/plain'); r.end(name + ' ' + (q.headers.host ?? '') + '\\n'); });
srv.keepAliveTimeout = 1000;
srv.listen(Number(port), addr, () => process.stdout.write('listening\\n'));
process.on('SIGTERM', () => process.exit(0));
`;

/** Why the lab cannot run here, or undefined when it can. */
export function labUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root: creates a network namespace';
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 5000 });
  if (r.status !== 0) return `needs ip netns: ${(r.stderr ?? String(r.error)).trim()}`;
  return undefined;
}

function must(argv: readonly string[]): string {
  const [cmd, ...args] = argv;
  const r = spawnSync(cmd ?? 'true', args, { encoding: 'utf8', timeout: STEP_TIMEOUT_MS });
  if (r.status !== 0) throw new Error(`Lab command failed: ${argv.join(' ')}: ${(r.stderr ?? '') + (r.error ? String(r.error) : '')}`);
  return r.stdout;
}

export class ServeLab {
  readonly ns = `halo-dpl-${process.pid}-${Math.floor(performance.now())}`;
  readonly webNs = `${this.ns}-web`;
  readonly dir = mkdtempSync(join(tmpdir(), 'halo-serve-'));
  private readonly procs = new Map<string, ChildProcess>();
  /** What `halo serve` wrote to stdout and stderr. */
  serveOut = '';
  serveErr = '';

  /** `lb` and `web`: addresses with their prefix length (`192.168.0.1/24`) for each side. */
  constructor(addresses: { readonly lb: readonly string[]; readonly web: readonly string[] }) {
    writeFileSync(join(this.dir, 'backend.mjs'), BACKEND_JS);
    must(['ip', 'netns', 'add', this.ns]);
    try {
      must(['ip', 'netns', 'add', this.webNs]);
      must(['ip', '-n', this.ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1', 'netns', this.webNs]);
      for (const [ns, dev, list] of [[this.ns, 'v0', addresses.lb], [this.webNs, 'v1', addresses.web]] as const) {
        must(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
        must(['ip', '-n', ns, 'link', 'set', dev, 'up']);
        for (const a of list) must(['ip', '-n', ns, 'addr', 'add', a, 'dev', dev]);
      }
    } catch (err) {
      spawnSync('ip', ['netns', 'del', this.ns], { timeout: STEP_TIMEOUT_MS });
      spawnSync('ip', ['netns', 'del', this.webNs], { timeout: STEP_TIMEOUT_MS });
      throw err;
    }
  }

  exec(argv: readonly string[]): string {
    return must(['ip', 'netns', 'exec', this.ns, ...argv]);
  }

  private start(key: string, ns: string, argv: readonly string[], onOut: (s: string) => void, onErr: (s: string) => void): ChildProcess {
    const p = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout?.setEncoding('utf8').on('data', onOut);
    p.stderr?.setEncoding('utf8').on('data', onErr);
    this.procs.set(key, p);
    return p;
  }

  /** Starts a backend in the web namespace answering `NAME HOST` on addr:port; resolves once it listens. */
  async backend(name: string, addr: string, port: number): Promise<void> {
    let out = '';
    let err = '';
    this.start(`backend ${name}`, this.webNs, [process.execPath, join(this.dir, 'backend.mjs'), addr, String(port), name], (s) => (out += s), (s) => (err += s));
    if (!(await until(() => out.includes('listening'), STEP_TIMEOUT_MS))) throw new Error(`Backend ${name} did not start: ${err}`);
  }

  /** Stops one process by its PID and waits for it to exit. */
  async stop(key: string): Promise<void> {
    const p = this.procs.get(key);
    if (p === undefined) return;
    this.procs.delete(key);
    if (p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(t);
  }

  /** Runs `halo serve ARGS` in the namespace; resolves once it says it is ready. */
  async serve(args: readonly string[]): Promise<void> {
    this.start('serve', this.ns, [process.execPath, HALO_MAIN, 'serve', '--workers', '1', '--drain-ms', '1000', ...args], (s) => (this.serveOut += s), (s) => (this.serveErr += s));
    const ok = await until(() => this.serveOut.includes('halo serve: ready') || this.procs.get('serve')?.exitCode !== null, STEP_TIMEOUT_MS);
    if (!ok || !this.serveOut.includes('halo serve: ready')) throw new Error(`halo serve did not start:\n${this.serveOut}\n${this.serveErr}`);
  }

  /** One request with curl inside the namespace: `STATUS BODY` (bounded: 3 s). */
  get(url: string, sourceAddress?: string): string {
    const args = ['curl', '-s', '-m', '3', '-w', '%{http_code}', ...(sourceAddress !== undefined ? ['--interface', sourceAddress] : []), url];
    const r = spawnSync('ip', ['netns', 'exec', this.ns, ...args], { encoding: 'utf8', timeout: 5000 });
    const text = r.stdout ?? '';
    const status = text.slice(-3);
    const body = text.slice(0, -3).trim();
    return `${status} ${body.split(' ')[0] ?? ''}`.trim();
  }

  async destroy(): Promise<void> {
    for (const key of [...this.procs.keys()]) await this.stop(key);
    spawnSync('ip', ['netns', 'del', this.ns], { timeout: STEP_TIMEOUT_MS });
    spawnSync('ip', ['netns', 'del', this.webNs], { timeout: STEP_TIMEOUT_MS });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
