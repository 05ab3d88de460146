/** One `halo` sub-command. Each lives in its own file under src/cli/commands/. */
export interface Command {
  readonly name: string;
  /** One line for `halo --help`. */
  readonly summary: string;
  /** Full usage text for `halo NAME --help`. */
  readonly usage: string;
  /** Returns the process exit status. */
  run(argv: readonly string[], io: CliIo): Promise<number>;
}

/** Where a command writes; tests pass buffers instead of the process streams. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export function processIo(): CliIo {
  return {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    cwd: process.cwd(),
    env: process.env,
  };
}
