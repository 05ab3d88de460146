import type { Command } from '../command.js';
import { stableStringify } from '../../config/stable-json.js';
import { summaryLine } from '../../config/render.js';
import { exitStatus, loadForCli, parseConfigArgs, renderAll, shown, DEFAULT_CONFIG_FILE, EXIT_CANNOT_READ, EXIT_USAGE } from './config-common.js';

/** `halo dump-config`: the resolved model as JSON on stdout, diagnostics on stderr. */
export const dumpConfigCommand: Command = {
  name: 'dump-config',
  summary: 'Print the resolved keepalived.conf model as JSON',
  usage: `Usage: halo dump-config [-f FILE] [--config-id ID] [-v]

Prints the model halo builds from a keepalived configuration (defaults filled in) as JSON with
sorted keys on stdout, for scripts and tests. Diagnostics go to stderr.

Options:
  -f, --file FILE       configuration file (default ${DEFAULT_CONFIG_FILE})
  -i, --config-id ID    id that selects \`@ID\` conditional lines (default: the short host name)
  -v, --verbose         also show notes on stderr

Exit status: as \`halo check-config\`: 0 valid, 1 the file cannot be read, 2 bad command line,
5 the configuration has errors, 6 a checked include failed (with 5 and 6 the model
is still printed, marked by the status).
`,
  run(argv, io) {
    const options = parseConfigArgs('dump-config', argv, io);
    if (options === null) return Promise.resolve(EXIT_USAGE);
    const result = loadForCli(options);
    const status = exitStatus(result.diagnostics);
    const diagnostics = shown(result.diagnostics, options.verbose);
    if (diagnostics.length > 0) io.err(renderAll(diagnostics, result.files) + `${summaryLine(diagnostics)}\n`);
    if (status !== EXIT_CANNOT_READ) io.out(stableStringify(result.model) + '\n');
    return Promise.resolve(status);
  },
};
