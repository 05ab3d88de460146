/**
 * `halo step-down`, `halo status` and `halo reload`: requests to a running `halo run` over its control socket
 * (src/api/control-socket.ts). They print the reply as JSON on stdout (errors on stderr with
 * their code) and exit 0 when halo did what was asked, 1 when it refused or did not answer,
 * 2 on a bad command line.
 */
import { resolve } from 'node:path';
import { controlRequest, DEFAULT_CONTROL_SOCKET, type ControlRequest } from '../../api/control-socket.js';
import type { CliIo, Command } from '../command.js';
import { EXIT_USAGE } from './config-common.js';

const EXIT_REFUSED = 1;

type Args = { ok: true; socket: string; instance: string | null; holdMs: number | null } | { ok: false; message: string };

export function parseControlArgs(argv: readonly string[], io: Pick<CliIo, 'cwd'>, allowStepDown: boolean): Args {
  let socket = DEFAULT_CONTROL_SOCKET;
  let instance: string | null = null;
  let holdMs: number | null = null;
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] ?? '';
    const eq = raw.startsWith('--') ? raw.indexOf('=') : -1;
    const flag = eq > 0 ? raw.slice(0, eq) : raw;
    const need = (): string | undefined => (eq > 0 ? raw.slice(eq + 1) : argv[++i]);
    if (flag === '--socket' || flag === '-s') {
      const v = need();
      if (v === undefined || v.length === 0) return { ok: false, message: `Option ${flag} needs a path` };
      socket = resolve(io.cwd, v);
    } else if (allowStepDown && (flag === '--instance' || flag === '-I')) {
      const v = need();
      if (v === undefined || v.length === 0) return { ok: false, message: `Option ${flag} needs an instance name` };
      instance = v;
    } else if (allowStepDown && flag === '--hold') {
      const v = need();
      if (v === undefined || !/^\d+(\.\d+)?$/.test(v)) return { ok: false, message: `Option ${flag} needs a number of seconds` };
      holdMs = Math.round(Number(v) * 1000);
    } else {
      return { ok: false, message: flag.startsWith('-') ? `Unknown option: ${flag}` : `Unexpected argument: ${flag}` };
    }
  }
  return { ok: true, socket, instance, holdMs };
}

type ParsedArgs = Extract<Args, { ok: true }>;

/** The command line of `halo NAME`, or undefined after the usage error went to stderr. */
function argsOf(name: string, argv: readonly string[], io: CliIo, allowStepDown: boolean): ParsedArgs | undefined {
  const a = parseControlArgs(argv, io, allowStepDown);
  if (a.ok) return a;
  io.err(`halo ${name}: ${a.message} (HALO_CLI_USAGE)\nRun \`halo ${name} --help\` for its options\n`);
  return undefined;
}

async function send(name: string, socket: string, request: ControlRequest, io: CliIo): Promise<number> {
  const reply = await controlRequest(socket, request);
  if (!reply.ok) {
    io.err(`halo ${name}: ${reply.error.message} (${reply.error.code})\n`);
    return EXIT_REFUSED;
  }
  io.out(`${JSON.stringify(reply, null, 2)}\n`);
  return 0;
}

const STEP_DOWN_USAGE = `Usage: halo step-down [--instance NAME] [--hold SECONDS] [--socket PATH]

Asks the running halo to give up mastership, make before break: each MASTER instance (or the
named one, with its sync group) sends priority 0 but keeps its VIPs until it hears the new
master, then removes them and stays BACKUP. It does not take mastership back while the new
master lives (as with nopreempt), or until --hold SECONDS have passed. If no other director
takes over within Skew_Time plus one advert interval, the instance stays MASTER.

Options:
  -I, --instance NAME   only this vrrp_instance (default: every MASTER instance)
      --hold SECONDS    preempt again after this long (default: only if the new master fails)
  -s, --socket PATH     control socket of halo run (default ${DEFAULT_CONTROL_SOCKET})

Exit status: 0 asked, 1 refused or no answer, 2 bad command line.
`;

export const stepDownCommand: Command = {
  name: 'step-down',
  summary: 'Hand the MASTER instances of a running halo over to the backup, make before break',
  usage: STEP_DOWN_USAGE,
  async run(argv, io) {
    const a = argsOf('step-down', argv, io, true);
    if (a === undefined) return EXIT_USAGE;
    return send('step-down', a.socket, { op: 'step-down', ...(a.instance !== null ? { instance: a.instance } : {}), ...(a.holdMs !== null ? { holdMs: a.holdMs } : {}) }, io);
  },
};

const STATUS_USAGE = `Usage: halo status [--socket PATH]

Prints the status of a running halo as JSON (the same as its status file): instances and their
states, VRRP and checker processes, event-loop lag, counters, backend states.

Options:
  -s, --socket PATH     control socket of halo run (default ${DEFAULT_CONTROL_SOCKET})

Exit status: 0 printed, 1 no answer, 2 bad command line.
`;

export const statusCommand: Command = {
  name: 'status',
  summary: 'Print the status of a running halo (instances, processes, counters) as JSON',
  usage: STATUS_USAGE,
  async run(argv, io) {
    const a = argsOf('status', argv, io, false);
    if (a === undefined) return EXIT_USAGE;
    return send('status', a.socket, { op: 'status' }, io);
  },
};

/** A reload answers when done: the VRRP process may take its stop timeout, a checker restart more. */
const RELOAD_ANSWER_MS = 30_000;

const RELOAD_USAGE = `Usage: halo reload [--socket PATH]

Asks the running halo to reload its configuration, as SIGHUP does (docs/operations.md, "Reload"),
and waits until it is done: prints the summary line (instances, services, pools and checks added,
changed and removed). A configuration with errors changes nothing: halo refuses it, says how many
errors it has and logs them with their positions.

Options:
  -s, --socket PATH     control socket of halo run (default ${DEFAULT_CONTROL_SOCKET})

Exit status: 0 reloaded, 1 refused, incomplete or no answer, 2 bad command line.
`;

export const reloadCommand: Command = {
  name: 'reload',
  summary: 'Reload the configuration of a running halo (as SIGHUP) and print what changed',
  usage: RELOAD_USAGE,
  async run(argv, io) {
    const a = argsOf('reload', argv, io, false);
    if (a === undefined) return EXIT_USAGE;
    const reply = await controlRequest(a.socket, { op: 'reload' }, RELOAD_ANSWER_MS);
    if (!reply.ok) {
      io.err(`halo reload: ${reply.error.message} (${reply.error.code})\n`);
      return EXIT_REFUSED;
    }
    io.out(`${typeof reply['summary'] === 'string' ? reply['summary'] : JSON.stringify(reply)}\n`);
    return 0;
  },
};
