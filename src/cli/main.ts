#!/usr/bin/env node
// Run through bin/halo, which chooses V8 flags per command (see there).
import { readFileSync, realpathSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath } from 'node:url';
import { processIo, type CliIo } from './command.js';
import { COMMANDS } from './commands/index.js';
import { signum, signumArgument, SIGNUM_NAMES } from './signum.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function help(io: CliIo): void {
  const width = Math.max(...COMMANDS.map((c) => c.name.length), 8);
  io.out('halo: high-availability load balancer (VRRP, health checks, L4/L7 balancing)\n\n');
  io.out('Usage: halo COMMAND [options]\n\nCommands:\n');
  for (const c of COMMANDS) io.out(`  ${c.name.padEnd(width)}  ${c.summary}\n`);
  io.out(`\n\`halo --signum=NAME\` prints the number of the signal for NAME (RELOAD, DATA, STATS, STOP, JSON).\n`);
  io.out(`\nRun \`halo COMMAND --help\` for a command's options. halo ${version()}\n`);
}

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    help(io);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    io.out(`halo ${version()}\n`);
    return 0;
  }
  const sig = signumArgument(argv);
  if (sig !== undefined) {
    const n = signum(sig.name);
    if (n === undefined) {
      io.err(`halo: Unknown signal name for --signum: ${sig.name || '(none)'}: use one of ${SIGNUM_NAMES.join(', ')} (HALO_CLI_SIGNUM_UNKNOWN)\n`);
      return 1;
    }
    io.out(`${n}\n`);
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    io.err(`halo: Unknown command: ${name} (HALO_CLI_USAGE)\nRun \`halo --help\` for the list of commands\n`);
    return 2;
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(command.usage.endsWith('\n') ? command.usage : command.usage + '\n');
    return 0;
  }
  return command.run(rest, io);
}

// True when this file is the program (also through the npm bin symlink), false when imported by tests.
function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  // Node 22+ keeps the compiled code of halo's modules on disk between runs (commands import
  // their modules after this line). Node 20 has no such cache: feature-detected.
  (module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
  main(process.argv.slice(2), processIo()).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`halo: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 70;
    },
  );
}
