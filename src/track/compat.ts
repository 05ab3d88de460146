/**
 * The environment halo gives tracker scripts so that scripts written for keepalived work unchanged:
 * the `halo-compat` bin directory (share/halo-compat/bin: `systemctl`, `service`, `killall` shims)
 * first on PATH, and HALO_PID for the shims to signal. See docs/trackers.md.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';

/** share/halo-compat/bin of this installation (from src/track or dist/src/track alike). */
export function compatBinDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['../..', '../../..']) {
    const dir = resolve(here, up, 'share/halo-compat/bin');
    if (existsSync(join(dir, 'systemctl'))) return dir;
  }
  return resolve(here, '../../share/halo-compat/bin');
}

export interface CompatEnvOptions {
  readonly haloPid: number;
  /** `stop` (default) or `ignore`: what `systemctl stop keepalived` does. */
  readonly stopAction?: 'stop' | 'ignore';
  readonly compatDir?: string;
}

/** `base` with the compat directory put first on PATH and the variables the shims read. */
export function compatEnv(base: Readonly<Record<string, string>>, opts: CompatEnvOptions): Record<string, string> {
  const dir = opts.compatDir ?? compatBinDir();
  const path = base.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  return { ...base, PATH: `${dir}:${path}`, HALO_PID: String(opts.haloPid), HALO_COMPAT_DIR: dir, HALO_COMPAT_STOP: opts.stopAction ?? 'stop' };
}

/** The shims say what they did on stderr; the script runner turns that into a logged event. */
export function compatRequestIn(stderrTail: string): string | null {
  const m = /halo-compat: (.* -> SIGTERM to halo \(pid \d+\))/.exec(stderrTail);
  return m?.[1] ?? null;
}
