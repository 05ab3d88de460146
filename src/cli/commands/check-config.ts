import type { Command } from '../command.js';
import { summaryLine } from '../../config/render.js';
import { exitStatus, loadForCli, parseConfigArgs, renderAll, shown, DEFAULT_CONFIG_FILE, EXIT_USAGE } from './config-common.js';

/** `halo check-config`: loads keepalived.conf and prints every diagnostic, like `keepalived -t`. */
export const checkConfigCommand: Command = {
  name: 'check-config',
  summary: 'Check a keepalived.conf and print every problem with its position',
  usage: `Usage: halo check-config [-f FILE] [--config-id ID] [-v]

Loads a keepalived configuration as halo would run it and prints every diagnostic as
FILE:LINE:COL: SEVERITY CODE: MESSAGE with the source line, the include chain and a hint,
then a summary line.

Options:
  -f, --file FILE       configuration file (default ${DEFAULT_CONFIG_FILE})
  -i, --config-id ID    id that selects \`@ID\` conditional lines (default: the short host name)
  -v, --verbose         also show notes (for instance includes that match no file)

Exit status (as keepalived -t): 0 valid (warnings allowed), 1 the file cannot be read,
2 bad command line, 5 the configuration has errors, 6 a checked include
(includem, ...) failed.
`,
  run(argv, io) {
    const options = parseConfigArgs('check-config', argv, io);
    if (options === null) return Promise.resolve(EXIT_USAGE);
    const result = loadForCli(options);
    const diagnostics = shown(result.diagnostics, options.verbose);
    io.out(renderAll(diagnostics, result.files));
    io.out(`${summaryLine(diagnostics)}\n`);
    return Promise.resolve(exitStatus(result.diagnostics));
  },
};
