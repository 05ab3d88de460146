/**
 * The picker interface: one balancing algorithm per file in this folder, every one of them
 * passing the shared conformance suite. Pickers are pure and deterministic given their events and
 * an injected Prng; `pick()` is synchronous and cheap.
 */
import type { Prng } from '../core/prng.js';

/** What a picker knows of one backend. Pools are rebuilt (not mutated) when membership changes. */
export interface PickerBackend {
  readonly id: string;
  /** Configured weight; 0 takes no new traffic. */
  readonly weight: number;
  /** nginx `backup`: used only when no primary is available. */
  readonly backup: boolean;
  /** nginx `max_conns` (0 = unlimited). */
  readonly maxConns: number;
  /**
   * The server as the config wrote it (nginx `server 10.0.0.1:8080` gives `10.0.0.1:8080`,
   * `server web1` gives `web1`). nginx's `hash ... consistent` places its ring points from this
   * text, so halo must too to map keys as nginx does. Defaults to `id`.
   */
  readonly name?: string;
}

/** Facts about the request that hash-based pickers use. */
export interface PickContext {
  /** Client address as text (ip_hash, sh). */
  readonly clientIp?: string;
  readonly clientPort?: number;
  /** The evaluated nginx `hash` key, or the destination for dh. */
  readonly hashKey?: string;
  /** Backends already tried for this request (retries go elsewhere first). */
  readonly exclude?: ReadonlySet<string>;
  readonly nowMs: number;
}

export interface Picker {
  readonly name: string;
  /** Returns a backend id, or undefined when none is available. */
  pick(ctx: PickContext): string | undefined;
  /** Availability from health and admin state combined: only available backends are picked. */
  setAvailable(id: string, available: boolean): void;
  setWeight(id: string, weight: number): void;
  connectionOpened(id: string): void;
  connectionClosed(id: string): void;
}

export interface PickerOptions {
  readonly prng: Prng;
  /** Algorithm flags (LVS `sh-port`, `sh-fallback`, `mh-port`, ...; nginx `consistent`, `two`). */
  readonly flags?: ReadonlySet<string>;
  /** Lookup table size for table-based pickers (LVS `mh`: a prime, 65521 by default). */
  readonly tableSize?: number;
}

export type PickerFactory = (backends: readonly PickerBackend[], options: PickerOptions) => Picker;
