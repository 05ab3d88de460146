/**
 * Runs iproute2's `ip` without a shell, bounded in time and output. netlink libraries for Node
 * were evaluated (docs/architecture.md, "Network adapters"); `ip -json` is the stable interface
 * every Linux director already has. A command that cannot run is a result, never an exception.
 */
import { execFile } from 'node:child_process';

export interface IpOutcome {
  /** Exit status; null when the command could not be started or was killed (see `error`). */
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Set when `ip` could not be run at all (missing binary, time-out). */
  readonly error?: string;
}

export type IpRunner = (args: readonly string[]) => Promise<IpOutcome>;

const IP_TIMEOUT_MS = 5000;
const IP_OUTPUT_MAX_BYTES = 4 * 1024 * 1024;

export function ipRunner(ipPath = 'ip'): IpRunner {
  return (args) =>
    new Promise((resolve) => {
      execFile(ipPath, [...args], { timeout: IP_TIMEOUT_MS, maxBuffer: IP_OUTPUT_MAX_BYTES, encoding: 'utf8' }, (err, stdout, stderr) => {
        if (!err) {
          resolve({ status: 0, stdout, stderr });
          return;
        }
        const code = (err as NodeJS.ErrnoException & { code?: unknown }).code;
        if (typeof code === 'number') {
          resolve({ status: code, stdout, stderr });
          return;
        }
        resolve({ status: null, stdout, stderr, error: typeof code === 'string' ? code : err.message });
      });
    });
}

/** iproute2's complaint, one line: "RTNETLINK answers: File exists" becomes "File exists". */
export function ipComplaint(outcome: IpOutcome): string {
  if (outcome.error !== undefined) return outcome.error;
  const line = outcome.stderr.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? `exit status ${outcome.status}`;
  return line.replace(/^(RTNETLINK answers|Error):\s*/, '').replace(/\.$/, '');
}
