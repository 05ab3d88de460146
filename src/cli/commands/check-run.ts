/**
 * `halo check-run -f FILE [--once] [--json]`: forks the checker process on a keepalived.conf and
 * prints what it reports as it happens: the first verdict on every backend, then every change
 * with its cause. For operators (does my config check what I think?) and for tests; `halo run`
 * forks the same process under its supervisor.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Command, CliIo } from '../command.js';
import type { CheckerToParent, StartMessage } from '../../daemon/checker-ipc.js';
import { forkChecker } from '../../daemon/checker-client.js';
import { DEFAULT_CONFIG_FILE, EXIT_USAGE, shortHostName } from './config-common.js';

/** How long a stopping checker gets before it is killed (omega scripts included). */
const STOP_GRACE_MS = 10_000;

function clock(): string {
  return new Date().toISOString().slice(11, 23);
}

/** One text line per message, or undefined for messages shown only with --json. */
export function renderText(m: CheckerToParent): string | undefined {
  switch (m.type) {
    case 'ready':
      return `checking ${m.pools.length} service(s), ${m.pools.reduce((n, p) => n + p.servers.length, 0)} real server(s) (checker pid ${m.pid})` +
        m.diagnostics.map((d) => `\n${d.severity} ${d.code}: ${d.message}${d.where !== undefined ? ` (${d.where})` : ''}`).join('');
    case 'failed':
      return `error ${m.code}: ${m.message}` + m.diagnostics.filter((d) => d.severity === 'error').map((d) => `\n  ${d.where ?? ''}: ${d.code}: ${d.message}`).join('');
    case 'verdict':
      return `${m.vsId} ${m.state.id} ${m.state.health} weight ${m.state.effectiveWeight}: ${m.state.cause.detail}`;
    case 'event':
      return `${m.log.severity === 'warning' ? 'warning' : 'info'}${m.log.code !== undefined ? ` ${m.log.code}` : ''}: ${m.log.message}`;
    case 'pool':
      return `pool ${m.vsId}: ${m.entries.length === 0 ? '(empty)' : m.entries.map((e) => `${e.id}${e.sorry ? ' (sorry)' : ''} w${e.weight}`).join(', ')}`;
    case 'warning':
      return `warning ${m.code}: ${m.message}`;
    case 'stopped':
      return `stopped after ${m.probes} probes, ${m.scriptsRun} script(s) run`;
    case 'backend':
      return undefined;
  }
}

export const checkRunCommand: Command = {
  name: 'check-run',
  summary: 'Run the health checks of a keepalived.conf and print every verdict and change',
  usage: `Usage: halo check-run [-f FILE] [--config-id ID] [--once] [--json] [--no-notify] [--slow-start SECONDS]

Starts halo's checker process on the virtual_server blocks of a keepalived configuration and
prints, as they happen, the first verdict on every real server, then every change with its cause
(checker up/down, server up/down, weight, quorum, sorry server) and the pools.

Options:
  -f, --file FILE        configuration file (default ${DEFAULT_CONFIG_FILE})
  -i, --config-id ID     id that selects \`@ID\` conditional lines (default: the short host name)
      --once             print the first verdict of every real server, then stop (omega is not applied)
      --json             one JSON object per line: the checker's IPC messages with a time
      --no-notify        do not run notify_up/notify_down/quorum scripts nor write notify FIFOs
      --slow-start SEC   halo extension: ramp a recovered server's weight up over SEC seconds

Runs until SIGINT or SIGTERM; then the checker stops as halo does (omega scripts run).
Exit status: 0 stopped cleanly, 1 the configuration cannot be checked or the checker failed,
2 bad command line.
`,
  async run(argv, io) {
    let values;
    try {
      values = parseArgs({
        args: [...argv],
        options: {
          file: { type: 'string', short: 'f' },
          'config-id': { type: 'string', short: 'i' },
          once: { type: 'boolean' },
          json: { type: 'boolean' },
          'no-notify': { type: 'boolean' },
          'slow-start': { type: 'string' },
        },
        strict: true,
        allowPositionals: false,
      }).values;
    } catch (err) {
      io.err(`halo check-run: ${err instanceof Error ? err.message : String(err)} (HALO_CLI_USAGE)\n`);
      return EXIT_USAGE;
    }
    const slowStartS = values['slow-start'] !== undefined ? Number(values['slow-start']) : 0;
    if (!Number.isFinite(slowStartS) || slowStartS < 0) {
      io.err(`halo check-run: Invalid --slow-start: ${String(values['slow-start'])} (HALO_CLI_USAGE)\n`);
      return EXIT_USAGE;
    }
    const start: StartMessage = {
      type: 'start',
      file: resolve(io.cwd, values.file ?? DEFAULT_CONFIG_FILE),
      configId: values['config-id'] ?? shortHostName(),
      notify: !(values['no-notify'] ?? false),
      ...(slowStartS > 0 ? { slowStartMs: Math.round(slowStartS * 1000) } : {}),
    };
    return runChecker(start, { once: values.once ?? false, json: values.json ?? false }, io);
  },
};

function runChecker(start: StartMessage, opts: { once: boolean; json: boolean }, io: CliIo): Promise<number> {
  let status = 0;
  let expected = 0;
  let verdicts = 0;
  const print = (m: CheckerToParent): void => {
    if (opts.json) io.out(JSON.stringify({ t: new Date().toISOString(), ...m }) + '\n');
    else {
      const line = renderText(m);
      if (line !== undefined) io.out(`${clock()} ${line}\n`);
    }
  };
  const checker = forkChecker(start, (m) => {
    // --once shows the verdicts, not the changes.
    if (!(opts.once && (m.type === 'event' || m.type === 'pool' || m.type === 'backend'))) print(m);
    if (m.type === 'failed') status = 1;
    if (m.type === 'ready') {
      expected = m.pools.reduce((n, p) => n + p.servers.length, 0);
      if (opts.once && expected === 0) void checker.stop(false, STOP_GRACE_MS);
    }
    if (m.type === 'verdict' && ++verdicts >= expected && opts.once) void checker.stop(false, STOP_GRACE_MS);
  });
  const onSignal = (): void => void checker.stop(true, STOP_GRACE_MS);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return checker.exited.then(({ code, signal }) => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (code !== 0 || signal !== null) {
      if (status === 0) io.err(`halo check-run: HALO_SVC_CHECKER_FAILED: The checker process ended with ${signal ?? `status ${String(code)}`}\n`);
      status = 1;
    }
    return status;
  });
}
