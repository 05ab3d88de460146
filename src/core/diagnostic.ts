import type { ErrorCode } from './errors/index.js';

export type Severity = 'error' | 'warning' | 'info';

/** A place in a source file. Lines and columns start at 1; columns count UTF-16 code units + 1. */
export interface SourcePos {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/**
 * A problem found in input (a config file, a reload): collected, never thrown.
 * `includeChain` lists the `include` lines that led to `pos`, outermost first.
 */
export interface Diagnostic {
  readonly severity: Severity;
  readonly code: ErrorCode;
  readonly message: string;
  readonly pos?: SourcePos;
  /** Width of the underlined span in columns (1 when absent). */
  readonly length?: number;
  readonly includeChain?: readonly SourcePos[];
  readonly hint?: string;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}
