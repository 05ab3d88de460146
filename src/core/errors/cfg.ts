import type { ErrorTable } from './types.js';

/**
 * Syntax-level problems of keepalived.conf: words, quotes, braces, include, `$` macros and `@`
 * conditional lines. Keyword, value and semantic codes live in cfgmodel.ts.
 */
export const CFG_ERRORS = {
  HALO_CFG_CANNOT_READ: {
    summary: 'A configuration file cannot be read',
    help:
      'Check the path and the permissions. For the entry file (`-f FILE`) this is fatal; for a file named by `include` it is a warning, ' +
      'because keepalived skips include files it cannot open.',
    exitCode: 1,
  },
  HALO_CFG_UNTERMINATED_STRING: {
    summary: 'A quoted string is not closed on its line',
    help: 'Strings in quotes (`"..."` or `\'...\'`) end on the line they start on. Add the closing quote, or escape a quote inside the string with a backslash.',
    exitCode: 5,
  },
  HALO_CFG_UNBALANCED_BRACE: {
    summary: 'A brace has no partner',
    help: 'A `}` closes more blocks than were opened, or a `{` follows no statement. Remove the stray brace or add the statement it belongs to.',
    exitCode: 5,
  },
  HALO_CFG_UNCLOSED_BLOCK: {
    summary: 'A block is never closed',
    help: 'The block opened at the shown `{` has no matching `}`, and a later statement is indented like the block\'s own keyword, so the missing `}` probably belongs before that statement (the hint names it). Add the `}` where it belongs.',
    exitCode: 5,
  },
  HALO_CFG_BLOCK_CLOSED_AT_END: {
    summary: 'A block is closed by the end of the configuration',
    help: 'The block opened at the shown `{` has no matching `}`, and nothing after it looks as if it was meant to be outside it, so halo closes it at the end of the configuration, as keepalived does when it runs. Add the missing `}` at the end. When a later statement is indented like the block\'s own keyword, the brace probably belongs before it and the file is refused instead (HALO_CFG_UNCLOSED_BLOCK).',
  },
  HALO_CFG_INCLUDE_CYCLE: {
    summary: 'Files include each other in a cycle',
    help: 'An `include` names a file that is already being read higher up the include chain. Remove one of the includes of the cycle.',
    exitCode: 5,
  },
  HALO_CFG_INCLUDE_DEPTH: {
    summary: 'Includes are nested too deeply',
    help: 'halo follows at most 20 nested `include` levels (keepalived has no bound and reads a self-including file until it runs out of file descriptors). Flatten the include structure.',
    exitCode: 5,
  },
  HALO_CFG_INCLUDE_MISSING: {
    summary: 'An included file or pattern matches nothing',
    help:
      'keepalived silently skips an `include` whose file does not exist or whose pattern matches no file, and so does halo. ' +
      'This is informational (shown by `halo check-config -v`); check the path if you expected the file to be read.',
  },
  HALO_CFG_INCLUDE_CHECK: {
    summary: 'A checked include (`includer`, `includem`, `includew`, `includeb`, `includea`) failed its check',
    help:
      'The checked include variants turn what plain `include` skips silently into errors: r needs every existing file readable, m and w need the pattern to match, ' +
      'b needs every brace alternative to match, a needs all of these. Fix the path, or use plain `include` when the files are optional. ' +
      '`keepalived -t` exits with 6 for these, and so does `halo check-config`.',
    exitCode: 6,
  },
  HALO_CFG_BAD_INCLUDE: {
    summary: 'An include line names no file',
    help: 'Write `include PATH`, where PATH may hold globs (`*`, `?`, `[...]`) and brace patterns (`{a,b}`) and is relative to the including file.',
    exitCode: 5,
  },
  HALO_CFG_UNDEFINED_MACRO: {
    summary: 'A `$NAME` is used but never defined',
    help:
      'Define it before its first use with a line `$NAME=value`. The text is kept as written (as keepalived does), ' +
      'so a `$` meant for a script can stay; write the name differently to silence this warning.',
  },
  HALO_CFG_BAD_MACRO: {
    summary: 'A `$NAME=` definition is not valid',
    help: 'A definition is `$NAME=value` at the start of a line; NAME is letters, digits and `_`, not starting with a digit. A value may continue on the next lines with a trailing `\\`.',
    exitCode: 5,
  },
  HALO_CFG_BAD_SEQ: {
    summary: 'A `~SEQ(...)` line is not valid',
    help:
      'A sequence line is `~SEQ(VAR, END)`, `~SEQ(VAR, START, END)` or `~SEQ(VAR, START, STEP, END)` followed by text that is repeated with `$VAR` ' +
      'set to each value (START defaults to 1, STEP to 1 and may be negative, not 0). halo stops at 100,000 repetitions.',
    exitCode: 5,
  },
  HALO_CFG_JOINED_LINES: {
    summary: 'Several statements share one line',
    help:
      'The line holds more than one statement, as happens when a config loses its line breaks in a copy or a web page. ' +
      'halo separated the statements by their keywords; check the result with `halo dump-config` and put each statement on its own line.',
  },
  HALO_CFG_CONFIG_IN_COMMENT: {
    summary: 'A comment hides configuration',
    help:
      'A `#` or `!` comments out the rest of its line, and the rest of this line holds blocks of known statements: ' +
      'the file probably lost its line breaks. keepalived does not read that part either. Restore the line breaks, or remove the comment character.',
  },
  HALO_CFG_BAD_CONDITIONAL: {
    summary: 'An `@` conditional line names no config id',
    help: 'A conditional line starts with `@ID` (kept only when the config id is ID) or `@^ID` (kept only when it is not), with no space after `@` or `@^`.',
    exitCode: 5,
  },
} as const satisfies ErrorTable;
