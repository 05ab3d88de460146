import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from '../command.js';
import { summaryLine } from '../../config/render.js';
import { loadNginxConfig } from '../../config/nginx/load.js';
import { fileConfigSource } from '../../daemon/config-source.js';
import { exitStatus, loadForCli, renderAll, shortHostName } from './config-common.js';

const EXAMPLES_DIR = fileURLToPath(new URL('../../../../examples/', import.meta.url));

/**
 * `halo demo` (what `npm start` runs): loads every example configuration shipped in examples/ —
 * the tutorials' keepalived.conf and nginx.conf files — and shows what halo makes of them.
 */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'Load the example keepalived.conf and nginx.conf files and show the diagnostics',
  usage: `Usage: halo demo [DIR]

Loads every *.conf in DIR (default: the examples/ folder shipped with halo) as halo would run it:
files whose name starts with "nginx" as nginx.conf, the others as keepalived.conf. Prints the
diagnostics of each and a summary; exits non-zero when any example has errors.
`,
  run(argv, io) {
    const dir = argv[0] ?? EXAMPLES_DIR;
    const files = readdirSync(dir).filter((f) => f.endsWith('.conf')).sort();
    let worst = 0;
    for (const name of files) {
      const file = join(dir, name);
      const isNginx = name.startsWith('nginx');
      const result = isNginx
        ? loadNginxConfig(file, fileConfigSource())
        : loadForCli({ file, configId: shortHostName(), verbose: false });
      io.out(`\n== ${name} (${isNginx ? 'nginx.conf' : 'keepalived.conf'})\n`);
      io.out(renderAll(result.diagnostics, result.files));
      io.out(`${summaryLine(result.diagnostics)}\n`);
      worst = Math.max(worst, exitStatus(result.diagnostics));
    }
    io.out(`\n${files.length} example configurations loaded from ${dir}\n`);
    return Promise.resolve(worst);
  },
};
