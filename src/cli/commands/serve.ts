import { resolve } from 'node:path';
import process from 'node:process';
import { parseArgs } from 'node:util';
import type { Command, CliIo } from '../command.js';
import { hasErrors } from '../../core/diagnostic.js';
import { loadKeepalivedConfig } from '../../config/keepalived/load.js';
import { renderDiagnostic, summaryLine } from '../../config/render.js';
import { fileConfigSource } from '../../daemon/config-source.js';
import { ProxyPlane } from '../../daemon/proxy-plane.js';
import { servedServices, type Served } from '../../daemon/served.js';
import { EXIT_CONFIG_ERRORS, EXIT_USAGE, shortHostName } from './config-common.js';

interface ServeOptions {
  readonly nginx: string | undefined;
  readonly keepalived: string | undefined;
  readonly configId: string;
  readonly workers: number | undefined;
  readonly drainMs: number;
  readonly verbose: boolean;
}

/** Exit status when the proxy workers cannot start (a port in use, no such address). */
const EXIT_START_FAILED = 1;

function parse(argv: readonly string[], io: CliIo): ServeOptions | null {
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        nginx: { type: 'string' },
        keepalived: { type: 'string' },
        'config-id': { type: 'string', short: 'i' },
        workers: { type: 'string' },
        'drain-ms': { type: 'string' },
        verbose: { type: 'boolean', short: 'v' },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values.nginx === undefined && values.keepalived === undefined) throw new Error('Give --nginx FILE, --keepalived FILE or both');
    const num = (name: string, text: string | undefined, min: number): number | undefined => {
      if (text === undefined) return undefined;
      if (!/^\d+$/.test(text) || Number(text) < min) throw new Error(`Value of --${name} is not an integer >= ${min}: ${text}`);
      return Number(text);
    };
    return {
      nginx: values.nginx === undefined ? undefined : resolve(io.cwd, values.nginx),
      keepalived: values.keepalived === undefined ? undefined : resolve(io.cwd, values.keepalived),
      configId: values['config-id'] ?? shortHostName(),
      workers: num('workers', values.workers, 1),
      drainMs: num('drain-ms', values['drain-ms'], 0) ?? 30_000,
      verbose: values.verbose ?? false,
    };
  } catch (err) {
    io.err(`halo serve: ${err instanceof Error ? err.message : String(err)} (HALO_CLI_USAGE)\nRun \`halo serve --help\` for its options\n`);
    return null;
  }
}

type Loaded = Served;

function load(o: ServeOptions): Loaded {
  if (o.keepalived === undefined) return servedServices(o.nginx !== undefined ? { nginxFile: o.nginx } : {});
  const r = loadKeepalivedConfig(o.keepalived, fileConfigSource(), { configId: o.configId });
  const served = servedServices({ keepalived: { model: r.model, files: r.files }, ...(o.nginx !== undefined ? { nginxFile: o.nginx } : {}) });
  // The keepalived file's own diagnostics come first, as the file is read first.
  return { ...served, shown: [...r.diagnostics.map((d) => ({ d, files: r.files })), ...served.shown], errors: served.errors || hasErrors(r.diagnostics) };
}

/** Notes said once per process, not again at each reload. */
const ONCE: ReadonlySet<string> = new Set(['HALO_DPL_FULL_PROXY']);

function report(io: CliIo, l: Loaded, verbose: boolean, reload = false): void {
  const visible = l.shown.filter((s) => (verbose || s.d.severity !== 'info' || s.d.code.startsWith('HALO_DPL_')) && !(reload && ONCE.has(s.d.code)));
  for (const s of visible) io.err(renderDiagnostic(s.d, s.files));
  if (l.shown.length > 0) io.err(`${summaryLine(l.shown.map((s) => s.d))}\n`);
}

/** `halo serve`: the proxy plane alone, in the foreground, from nginx.conf and/or keepalived.conf. */
export const serveCommand: Command = {
  name: 'serve',
  summary: 'Serve the proxies of an nginx.conf or keepalived.conf (no VRRP) in the foreground',
  usage: `Usage: halo serve [--nginx FILE] [--keepalived FILE] [--workers N] [--drain-ms MS] [-i ID] [-v]

Loads the nginx.conf subset halo reads (upstream, http and stream servers) and/or the
virtual_servers of a keepalived.conf, prints every diagnostic, refuses to start when there are
errors, and runs halo's proxy workers until SIGTERM or SIGINT. VRRP is not run: use this when the
addresses are held by another VRRP speaker, or in tests. SIGHUP re-reads the files and applies
them in place (no connection dropped; a file with errors keeps the running services).

Options:
  --nginx FILE          nginx.conf to serve
  --keepalived FILE     keepalived.conf whose virtual_servers to serve
  --workers N           proxy worker processes (default: one per core)
  --drain-ms MS         how long connections may finish at stop (default 30000)
  -i, --config-id ID    id that selects \`@ID\` lines in keepalived.conf (default: the short host name)
  -v, --verbose         also show notes

Exit status: 0 stopped by a signal, 1 the proxy could not start, 2 bad command line,
5 the configuration has errors.
`,
  async run(argv, io) {
    const o = parse(argv, io);
    if (o === null) return EXIT_USAGE;
    const first = load(o);
    report(io, first, o.verbose);
    if (first.errors) {
      io.err('halo serve: Not starting: the configuration has errors (HALO_DPL_START)\n');
      return EXIT_CONFIG_ERRORS;
    }
    const plane = new ProxyPlane({
      ...(o.workers !== undefined ? { workers: o.workers } : {}),
      drainBoundMs: o.drainMs,
      log: (level, code, message) => io.err(`${level} ${code}: ${message}\n`),
    });
    const config = { services: first.mapped.services, pools: first.mapped.pools };
    try {
      await plane.start(config);
      const missing = plane.notListening(config);
      if (missing.length > 0) throw new Error(`not listening for ${missing.join(', ')} (see HALO_PRX_LISTEN_FAILED above)`);
    } catch (err) {
      io.err(`halo serve: The proxy plane could not start: ${err instanceof Error ? err.message : String(err)} (HALO_DPL_START)\n`);
      await plane.stop();
      return EXIT_START_FAILED;
    }
    for (const s of first.mapped.services) io.out(`serving ${s.name} (${s.protocol} on ${s.listenAddress}:${s.listenPort}, pool ${s.pool})\n`);
    io.out(`halo serve: ready, ${plane.workerPids().length} workers\n`);

    return new Promise<number>((done) => {
      let busy = Promise.resolve();
      const onHup = (): void => {
        busy = busy.then(async () => {
          const next = load(o);
          report(io, next, o.verbose, true);
          if (next.errors) {
            io.err('halo serve: Reload refused: the configuration has errors; the running services stay (HALO_DPL_START)\n');
            return;
          }
          await plane.reload({ services: next.mapped.services, pools: next.mapped.pools });
          io.out(`halo serve: reloaded, ${next.mapped.services.length} services\n`);
        }).catch((err: unknown) => io.err(`halo serve: Reload failed: ${err instanceof Error ? err.message : String(err)} (HALO_DPL_START)\n`));
      };
      const onStop = (signal: string): void => {
        process.off('SIGHUP', onHup);
        process.off('SIGTERM', onTerm);
        process.off('SIGINT', onInt);
        io.out(`halo serve: ${signal}, draining (at most ${o.drainMs} ms)\n`);
        void busy.then(() => plane.stop()).then(() => {
          io.out('halo serve: stopped\n');
          done(0);
        });
      };
      const onTerm = (): void => onStop('SIGTERM');
      const onInt = (): void => onStop('SIGINT');
      process.on('SIGHUP', onHup);
      process.on('SIGTERM', onTerm);
      process.on('SIGINT', onInt);
    });
  },
};
