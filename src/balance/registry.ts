/**
 * Every balancing algorithm by the name users know it by: LVS scheduler names (keepalived
 * `lb_algo`, ipvsadm `-s`) and nginx upstream methods. A config layer or the API turns a name and
 * its flags into a picker here, and gets a coded error, not an exception, for a name it does not know.
 */
import type { ErrorCode } from '../core/errors/index.js';
import type { Picker, PickerBackend, PickerFactory, PickerOptions } from './picker.js';
import { createRr } from './lvs-rr.js';
import { createWrr } from './lvs-wrr.js';
import { createLc } from './lvs-lc.js';
import { createWlc } from './lvs-wlc.js';
import { createSed } from './lvs-sed.js';
import { createNq } from './lvs-nq.js';
import { createDh } from './lvs-dh.js';
import { createSh } from './lvs-sh.js';
import { createMh } from './lvs-mh.js';
import { createFo } from './lvs-fo.js';
import { createOvf } from './lvs-ovf.js';
import { createTwos } from './lvs-twos.js';
import { createRoundRobin } from './nginx-round-robin.js';
import { createLeastConn } from './nginx-least-conn.js';
import { createIpHash } from './nginx-ip-hash.js';
import { createHash } from './nginx-hash.js';
import { createChash } from './nginx-chash.js';
import { createRandom } from './nginx-random.js';

export interface PickerInfo {
  readonly factory: PickerFactory;
  /** Where the name comes from. */
  readonly origin: 'lvs' | 'nginx';
  /** The flags this algorithm understands. */
  readonly flags: readonly string[];
  readonly summary: string;
}

/** nginx `hash KEY consistent` is another algorithm behind the same name: the flag chooses. */
const createNginxHash: PickerFactory = (backends, options) =>
  options.flags?.has('consistent') ? createChash(backends, options) : createHash(backends, options);

export const PICKERS: Readonly<Record<string, PickerInfo>> = {
  rr: { factory: createRr, origin: 'lvs', flags: [], summary: 'round robin' },
  wrr: { factory: createWrr, origin: 'lvs', flags: [], summary: 'weighted round robin' },
  lc: { factory: createLc, origin: 'lvs', flags: [], summary: 'least connection' },
  wlc: { factory: createWlc, origin: 'lvs', flags: [], summary: 'weighted least connection (the LVS default)' },
  sed: { factory: createSed, origin: 'lvs', flags: [], summary: 'shortest expected delay' },
  nq: { factory: createNq, origin: 'lvs', flags: [], summary: 'never queue' },
  dh: { factory: createDh, origin: 'lvs', flags: [], summary: 'destination hashing' },
  sh: { factory: createSh, origin: 'lvs', flags: ['sh-port', 'sh-fallback'], summary: 'source hashing' },
  mh: { factory: createMh, origin: 'lvs', flags: ['mh-port', 'mh-fallback'], summary: 'Maglev hashing' },
  fo: { factory: createFo, origin: 'lvs', flags: [], summary: 'weighted failover' },
  ovf: { factory: createOvf, origin: 'lvs', flags: [], summary: 'overflow connection' },
  twos: { factory: createTwos, origin: 'lvs', flags: [], summary: 'weighted random twos choice' },
  round_robin: { factory: createRoundRobin, origin: 'nginx', flags: [], summary: 'smooth weighted round robin (nginx default)' },
  least_conn: { factory: createLeastConn, origin: 'nginx', flags: [], summary: 'weighted least connections' },
  ip_hash: { factory: createIpHash, origin: 'nginx', flags: [], summary: 'client address hash (IPv4 /24, whole IPv6)' },
  hash: { factory: createNginxHash, origin: 'nginx', flags: ['consistent'], summary: 'key hash (crc32), or ketama with consistent' },
  random: { factory: createRandom, origin: 'nginx', flags: ['two'], summary: 'weighted random, or the better of two with two' },
};

/** The algorithm LVS and keepalived use when none is configured. */
export const LVS_DEFAULT_PICKER = 'wlc';
/** The method nginx uses when an upstream names none. */
export const NGINX_DEFAULT_PICKER = 'round_robin';

export type PickerLookup =
  | { readonly ok: true; readonly factory: PickerFactory; readonly info: PickerInfo }
  | { readonly ok: false; readonly code: ErrorCode; readonly message: string };

/** Finds the factory for `name` with `flags`, or a coded reason why not. */
export function lookupPicker(name: string, flags: Iterable<string> = []): PickerLookup {
  const info = Object.prototype.hasOwnProperty.call(PICKERS, name) ? PICKERS[name] : undefined;
  if (info === undefined) {
    return { ok: false, code: 'HALO_LB_UNKNOWN_ALGORITHM', message: `Unknown balancing algorithm: ${name}` };
  }
  for (const flag of flags) {
    if (!info.flags.includes(flag)) {
      const known = info.flags.length > 0 ? ` (it takes ${info.flags.join(', ')})` : ' (it takes none)';
      return { ok: false, code: 'HALO_LB_UNKNOWN_FLAG', message: `Flag does not apply to ${name}: ${flag}${known}` };
    }
  }
  return { ok: true, factory: info.factory, info };
}

/** Builds a picker, or returns the coded reason it cannot. */
export function createPicker(
  name: string,
  backends: readonly PickerBackend[],
  options: PickerOptions,
): { readonly ok: true; readonly picker: Picker } | { readonly ok: false; readonly code: ErrorCode; readonly message: string } {
  const found = lookupPicker(name, options.flags ?? []);
  if (!found.ok) return found;
  return { ok: true, picker: found.factory(backends, options) };
}
