import type { Command } from '../command.js';

/**
 * A sub-command as `halo --help` lists it. Its module is imported only when it runs, so that
 * `halo check-config` does not load (and compile) the code of every other command at start.
 * index.test.ts checks that `name` and `summary` match the loaded command.
 */
export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  load(): Promise<Command>;
}

/** Every sub-command, in the order `halo --help` lists them. */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'run',
    summary: 'Run the director: VRRP instances of a keepalived.conf, supervised',
    load: async () => (await import('./run.js')).runCommand,
  },
  {
    name: 'step-down',
    summary: 'Hand the MASTER instances of a running halo over to the backup, make before break',
    load: async () => (await import('./control.js')).stepDownCommand,
  },
  {
    name: 'status',
    summary: 'Print the status of a running halo (instances, processes, counters) as JSON',
    load: async () => (await import('./control.js')).statusCommand,
  },
  {
    name: 'reload',
    summary: 'Reload the configuration of a running halo (as SIGHUP) and print what changed',
    load: async () => (await import('./control.js')).reloadCommand,
  },
  {
    name: 'serve',
    summary: 'Serve the proxies of an nginx.conf or keepalived.conf (no VRRP) in the foreground',
    load: async () => (await import('./serve.js')).serveCommand,
  },
  {
    name: 'check-config',
    summary: 'Check a keepalived.conf and print every problem with its position',
    load: async () => (await import('./check-config.js')).checkConfigCommand,
  },
  {
    name: 'dump-config',
    summary: 'Print the resolved keepalived.conf model as JSON',
    load: async () => (await import('./dump-config.js')).dumpConfigCommand,
  },
  {
    name: 'genhash',
    summary: 'Print the MD5 digest of a web page for an HTTP_GET/SSL_GET digest line',
    load: async () => (await import('./genhash.js')).genhashCommand,
  },
  {
    name: 'demo',
    summary: 'Load the example keepalived.conf and nginx.conf files and show the diagnostics',
    load: async () => (await import('./demo.js')).demoCommand,
  },
  {
    name: 'check-run',
    summary: 'Run the health checks of a keepalived.conf and print every verdict and change',
    load: async () => (await import('./check-run.js')).checkRunCommand,
  },
];
