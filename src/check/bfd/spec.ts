/**
 * A `bfd_instance` as the BFD engine runs it. Pure: built from the keepalived model by
 * config/keepalived/to-checks.ts, checked here without throwing.
 */
import type { BfdSessionConfig } from './session.js';

export interface BfdInstanceSpec {
  readonly name: string;
  readonly neighborIp: string;
  /** Local address the session sends from and is bound to (keepalived: "required in practice"). */
  readonly sourceIp?: string;
  readonly session: BfdSessionConfig;
  /** Outgoing TTL / hop limit. RFC 5881 §5: 255 for single hop. */
  readonly ttl: number;
  /** keepalived `max_hops`: accepted received TTL is 255 - maxHops and above; 255 = no check. */
  readonly maxHops: number;
}

export interface BfdInstanceInput {
  readonly name: string;
  readonly neighborIp: string;
  readonly sourceIp?: string;
  readonly minRxUs?: number;
  readonly minTxUs?: number;
  readonly idleTxUs?: number;
  readonly multiplier?: number;
  readonly passive?: boolean;
  readonly ttl?: number;
  readonly hoplimit?: number;
  readonly maxHops?: number;
}

/** keepalived's defaults (keepalived.conf(5) BFD CONFIGURATION). */
export const BFD_DEFAULTS = { minRxUs: 10_000, minTxUs: 10_000, idleTxUs: 1_000_000, multiplier: 5, ttl: 255, maxHops: 0 } as const;

export function buildBfdInstance(input: BfdInstanceInput): { spec: BfdInstanceSpec; problems: string[] } {
  const problems: string[] = [];
  const v6 = input.neighborIp.includes(':');
  // keepalived sends IPv6 with hop limit 64 by default; RFC 5881 §5 (GTSM) wants 255 and so does
  // a peer that checks it, keepalived included. halo sends 255 unless `hoplimit` says otherwise.
  const ttl = (v6 ? input.hoplimit : input.ttl) ?? BFD_DEFAULTS.ttl;
  const multiplier = input.multiplier ?? BFD_DEFAULTS.multiplier;
  if (!Number.isInteger(multiplier) || multiplier < 1 || multiplier > 255) problems.push(`Invalid multiplier: ${multiplier} (expected 1 to 255)`);
  for (const [k, v] of [['min_rx', input.minRxUs], ['min_tx', input.minTxUs], ['idle_tx', input.idleTxUs]] as const) {
    // The packet carries µs in 32 bits.
    if (v !== undefined && (!Number.isInteger(v) || v < 1 || v > 0xffffffff)) problems.push(`Invalid ${k}: ${v} µs`);
  }
  return {
    spec: {
      name: input.name,
      neighborIp: input.neighborIp,
      ...(input.sourceIp !== undefined ? { sourceIp: input.sourceIp } : {}),
      session: {
        desiredMinTxUs: input.minTxUs ?? BFD_DEFAULTS.minTxUs,
        requiredMinRxUs: input.minRxUs ?? BFD_DEFAULTS.minRxUs,
        idleTxUs: input.idleTxUs ?? BFD_DEFAULTS.idleTxUs,
        detectMult: Math.min(255, Math.max(1, Math.round(multiplier))),
        passive: input.passive ?? false,
      },
      ttl,
      maxHops: input.maxHops ?? BFD_DEFAULTS.maxHops,
    },
    problems,
  };
}
