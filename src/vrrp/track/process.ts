/**
 * `vrrp_track_process` policy: which processes match, and whether their count is within
 * `quorum`..`quorum_max`, with `fork_delay` / `terminate_delay` hysteresis (keepalived.conf(5)).
 *
 * Matching follows keepalived: an exact match, never a regular expression (`process ssh` does not
 * match `sshd`, like `pgrep '^ssh$'`):
 * - only a name: the process name (`/proc/PID/comm`, which the kernel cuts to 15 bytes) equals it;
 *   halo also accepts a process whose argv[0] basename equals it, for names longer than 15 bytes;
 * - a name and parameters (or `param_match` given): argv[0] equals the name (or its basename does,
 *   when the name has no `/`), and the parameters match exactly, or `partial` (the first n match
 *   and more may follow) or `initial` (as partial, and the last configured one may be a prefix);
 * - `full_command`: the whole command line, arguments joined by spaces, equals the joined
 *   `process` words (like `pgrep -f` anchored at both ends).
 * Zombies are not counted: they are not running (keepalived skips them too).
 */
import type { TrackerSignal } from './types.js';

export type ParamMatch = 'exact' | 'partial' | 'initial';

export interface ProcessTrackerConfig {
  readonly name: string;
  /** `process NAME [PARAM ...]`: at least one word. */
  readonly process: readonly string[];
  /** `param_match`; absent means exact parameters when some are given, name-only otherwise. */
  readonly paramMatch?: ParamMatch;
  readonly fullCommand: boolean;
  /** `quorum`, default 1. */
  readonly quorum: number;
  /** `quorum_max`; absent means no upper bound. */
  readonly quorumMax?: number;
  /** `fork_delay` in ms: quorum must hold this long before the tracker goes up. */
  readonly forkDelayMs: number;
  /** `terminate_delay` in ms: quorum must be lost this long before the tracker goes down. */
  readonly terminateDelayMs: number;
}

/** One process as the /proc scanner read it. */
export interface ProcessInfo {
  readonly pid: number;
  /** `/proc/PID/comm` without the newline. */
  readonly comm: string;
  /** `/proc/PID/cmdline` split at NULs; empty for kernel threads. */
  readonly argv: readonly string[];
  /** The state letter of `/proc/PID/stat` (`R`, `S`, `Z`, ...). */
  readonly state: string;
}

const COMM_MAX_BYTES = 15;

function basename(path: string): string {
  const i = path.lastIndexOf('/');
  return i >= 0 ? path.slice(i + 1) : path;
}

/** Whether a tracker needs command lines (so the scanner reads `cmdline` only when one does). */
export function needsCmdline(config: ProcessTrackerConfig): boolean {
  return config.fullCommand || config.process.length > 1 || config.paramMatch !== undefined || config.process[0] !== undefined && config.process[0].length > COMM_MAX_BYTES;
}

export function processMatches(config: ProcessTrackerConfig, proc: ProcessInfo): boolean {
  if (proc.state === 'Z' || proc.state === 'X') return false;
  const [name, ...params] = config.process;
  if (name === undefined) return false;
  if (config.fullCommand) {
    return proc.argv.length > 0 && proc.argv.join(' ') === config.process.join(' ');
  }
  if (params.length === 0 && config.paramMatch === undefined) {
    if (proc.comm === name) return true;
    if (name.length > COMM_MAX_BYTES && proc.comm === name.slice(0, COMM_MAX_BYTES)) {
      const argv0 = proc.argv[0];
      return argv0 !== undefined && basename(argv0) === name;
    }
    return false;
  }
  const argv0 = proc.argv[0];
  if (argv0 === undefined) return false;
  if (argv0 !== name && !(name.includes('/') === false && basename(argv0) === name)) return false;
  const actual = proc.argv.slice(1);
  const mode = config.paramMatch ?? 'exact';
  if (mode === 'exact') return actual.length === params.length && params.every((p, i) => actual[i] === p);
  if (actual.length < params.length) return false;
  for (let i = 0; i < params.length; i++) {
    const want = params[i] as string;
    const got = actual[i] as string;
    const last = i === params.length - 1;
    if (mode === 'initial' && last) {
      if (!got.startsWith(want)) return false;
    } else if (got !== want) return false;
  }
  return true;
}

export function countMatches(config: ProcessTrackerConfig, procs: readonly ProcessInfo[]): number {
  let n = 0;
  for (const p of procs) if (processMatches(config, p)) n++;
  return n;
}

export function inQuorum(config: ProcessTrackerConfig, count: number): boolean {
  return count >= config.quorum && (config.quorumMax === undefined || count <= config.quorumMax);
}

export interface ProcessTrackerState {
  readonly up: boolean;
  readonly count: number;
  /** The raw quorum verdict differs from `up` since this time; null when they agree. */
  readonly pendingSinceMs: number | null;
  readonly cause: string;
}

/** keepalived starts a process tracker from its first scan; before that halo says "down". */
export function initialProcessState(config: ProcessTrackerConfig): ProcessTrackerState {
  return { up: false, count: 0, pendingSinceMs: null, cause: `Process tracker ${config.name} not scanned yet` };
}

export interface ProcessStep {
  readonly state: ProcessTrackerState;
  readonly changed: boolean;
  /** When to look again to settle a pending delay (the runner rescans or re-evaluates then). */
  readonly recheckAtMs: number | null;
}

function quorumText(config: ProcessTrackerConfig): string {
  return config.quorumMax === undefined ? `quorum ${config.quorum}` : `quorum ${config.quorum}..${config.quorumMax}`;
}

/**
 * A scan counted `count` matching processes at `nowMs`. `first` marks the first scan after start,
 * which settles at once (delays guard against bounces, not against the initial state).
 */
export function processCountObserved(config: ProcessTrackerConfig, state: ProcessTrackerState, count: number, nowMs: number, first = false): ProcessStep {
  const want = inQuorum(config, count);
  const what = `${count} process${count === 1 ? '' : 'es'} ${config.process.join(' ')} (${quorumText(config)})`;
  if (first || want === state.up) {
    const changed = want !== state.up;
    const cause = changed || first ? `Process tracker ${config.name}: ${what}` : state.cause;
    return { state: { up: want, count, pendingSinceMs: null, cause }, changed, recheckAtMs: null };
  }
  const delayMs = want ? config.forkDelayMs : config.terminateDelayMs;
  const since = state.pendingSinceMs ?? nowMs;
  if (nowMs - since >= delayMs) {
    const cause = `Process tracker ${config.name}: ${what}${delayMs > 0 ? ` for ${delayMs} ms` : ''}`;
    return { state: { up: want, count, pendingSinceMs: null, cause }, changed: true, recheckAtMs: null };
  }
  return { state: { ...state, count, pendingSinceMs: since }, changed: false, recheckAtMs: since + delayMs };
}

export function processSignal(state: ProcessTrackerState): TrackerSignal {
  return { kind: 'process', up: state.up, cause: state.cause };
}
