/** One entry of the error catalog. Codes are `HALO_<AREA>_<WHAT>` and are never reused. */
export interface ErrorDef {
  /** One line, shown in docs/errors.md under the code. */
  readonly summary: string;
  /** What an operator does about it. */
  readonly help: string;
  /** Exit status of `halo check-config` when this is the worst error found (errors only). */
  readonly exitCode?: number;
}

export type ErrorTable = Readonly<Record<string, ErrorDef>>;
