/**
 * `halo --signum=NAME`: the number of the signal that does NAME to a running `halo run`, with
 * keepalived's names, so scripts written as
 *   kill -s $(keepalived --signum=RELOAD) $(cat /run/keepalived.pid)
 * work with halo in place of keepalived. The names are upper case, as keepalived wants them.
 *
 * keepalived sends JSON and STATS_CLEAR as real-time signals; Node.js cannot catch those, so
 * halo writes the JSON dump on DATA (SIGUSR1, beside the text one) and has no STATS_CLEAR.
 */
import { constants } from 'node:os';

const SIGNALS: Readonly<Record<string, keyof typeof constants.signals>> = {
  RELOAD: 'SIGHUP',
  DATA: 'SIGUSR1',
  STATS: 'SIGUSR2',
  STOP: 'SIGTERM',
  JSON: 'SIGUSR1',
};

export const SIGNUM_NAMES: readonly string[] = Object.keys(SIGNALS);

/** The signal number for a keepalived sigfunc name, or undefined when halo has none. */
export function signum(name: string): number | undefined {
  const signal = SIGNALS[name];
  return signal === undefined ? undefined : constants.signals[signal];
}

/** `--signum=NAME` or `--signum NAME` as the first arguments; undefined when argv is not that. */
export function signumArgument(argv: readonly string[]): { name: string } | undefined {
  const [first, second] = argv;
  if (first === undefined) return undefined;
  if (first.startsWith('--signum=')) return { name: first.slice('--signum='.length) };
  if (first === '--signum') return { name: second ?? '' };
  return undefined;
}
