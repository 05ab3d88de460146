/**
 * The parent's side of the checker process: forks checker-main.js with an IPC channel, sends
 * `start`, hands every message to a callback, and stops it (by message, then SIGKILL after a
 * grace time). `halo check-run` uses it; the supervisor of `halo run` is meant to use it too.
 */
import { fork, type ChildProcess, type StdioOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CheckerToParent, ParentToChecker, StartMessage } from './checker-ipc.js';

export const CHECKER_MAIN = fileURLToPath(new URL('./checker-main.js', import.meta.url));

export interface CheckerClient {
  readonly child: ChildProcess;
  /** Sends a message if the channel is open (false otherwise). */
  send(message: ParentToChecker): boolean;
  /**
   * Asks the checker to stop (omega by default) and resolves with its exit: status or signal.
   * After `graceMs` (default 10 s: omega scripts get 5 s) it is killed.
   */
  stop(omega?: boolean, graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when the process has exited, however it ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function forkChecker(start: StartMessage, onMessage: (m: CheckerToParent) => void, stdio: StdioOptions = ['ignore', 'inherit', 'inherit', 'ipc']): CheckerClient {
  const child = fork(CHECKER_MAIN, [], { stdio, serialization: 'json' });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.on('message', (m: CheckerToParent) => onMessage(m));
  // A write to a channel that just closed raises 'error' on the child; the exit tells the story.
  child.on('error', () => undefined);
  const send = (message: ParentToChecker): boolean => (child.connected ? child.send(message) : false);
  let stopping: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
  const stop = (omega = true, graceMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> => {
    if (stopping) return stopping;
    send({ type: 'stop', omega });
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    stopping = exited.finally(() => clearTimeout(kill));
    return stopping;
  };
  send(start);
  return { child, send, stop, exited };
}
