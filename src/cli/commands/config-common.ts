/**
 * What `halo check-config` and `halo dump-config` share: options, loading, and the exit status,
 * which follows `keepalived -t`.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Diagnostic } from '../../core/diagnostic.js';
import { loadKeepalivedConfig, type LoadResult } from '../../config/keepalived/load.js';
import { renderDiagnostic } from '../../config/render.js';
import { fileConfigSource } from '../../daemon/config-source.js';
import type { CliIo } from '../command.js';

export const DEFAULT_CONFIG_FILE = '/etc/keepalived/keepalived.conf';

/** Exit statuses of check-config and dump-config (docs/configuration.md, "check-config"). */
export const EXIT_OK = 0;
/** The entry file cannot be read (keepalived -t itself returns 0 for a missing file, which hides the problem). */
export const EXIT_CANNOT_READ = 1;
/** Bad command line, as for every halo command. */
export const EXIT_USAGE = 2;
/** The configuration has errors: keepalived -t exits with 5 here. */
export const EXIT_CONFIG_ERRORS = 5;
/** A checked include (`includem`, ...) failed: keepalived -t exits with 6 here, also when other errors are present. */
export const EXIT_INCLUDE_CHECK = 6;

export interface ConfigCommandOptions {
  readonly file: string;
  readonly configId: string;
  readonly verbose: boolean;
}

/** keepalived's default config id: the node name up to its first dot. */
export function shortHostName(): string {
  return hostname().split('.')[0] ?? '';
}

export function parseConfigArgs(command: string, argv: readonly string[], io: CliIo): ConfigCommandOptions | null {
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        file: { type: 'string', short: 'f' },
        'config-id': { type: 'string', short: 'i' },
        verbose: { type: 'boolean', short: 'v' },
      },
      strict: true,
      allowPositionals: false,
    });
    return {
      file: resolve(io.cwd, values.file ?? DEFAULT_CONFIG_FILE),
      configId: values['config-id'] ?? shortHostName(),
      verbose: values.verbose ?? false,
    };
  } catch (err) {
    io.err(`halo ${command}: ${err instanceof Error ? err.message : String(err)} (HALO_CLI_USAGE)\nRun \`halo ${command} --help\` for its options\n`);
    return null;
  }
}

export function loadForCli(options: ConfigCommandOptions): LoadResult {
  return loadKeepalivedConfig(options.file, fileConfigSource(), { configId: options.configId });
}

export function exitStatus(diagnostics: readonly Diagnostic[]): number {
  if (diagnostics.some((d) => d.severity === 'error' && d.code === 'HALO_CFG_CANNOT_READ' && d.pos === undefined)) return EXIT_CANNOT_READ;
  if (diagnostics.some((d) => d.severity === 'error' && d.code === 'HALO_CFG_INCLUDE_CHECK')) return EXIT_INCLUDE_CHECK;
  if (diagnostics.some((d) => d.severity === 'error')) return EXIT_CONFIG_ERRORS;
  return EXIT_OK;
}

/** Diagnostics to show: info ones only when verbose. */
export function shown(diagnostics: readonly Diagnostic[], verbose: boolean): Diagnostic[] {
  return diagnostics.filter((d) => verbose || d.severity !== 'info');
}

export function renderAll(diagnostics: readonly Diagnostic[], files: ReadonlyMap<string, string>): string {
  return diagnostics.map((d) => renderDiagnostic(d, files)).join('');
}
