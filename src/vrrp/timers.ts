/**
 * VRRP timer formulas, in one place, with the unit in every name.
 *
 * All results are in milliseconds as JavaScript numbers. The divisions by 256 give dyadic
 * fractions (1000/256 = 125/32), which a double represents exactly, so the simulator can assert
 * failover times to the exact value the RFC gives without rounding tolerances.
 *
 * - VRRPv2 (RFC 3768 §6.1): Skew_Time = (256 − Priority) / 256 seconds. It does not scale with
 *   the advertisement interval. Master_Down_Interval = 3 × Advertisement_Interval + Skew_Time.
 * - VRRPv3 (RFC 5798 §6.1, kept by RFC 9568 §6.1): Skew_Time =
 *   ((256 − Priority) × Master_Adver_Interval) / 256 centiseconds, and
 *   Master_Down_Interval = 3 × Master_Adver_Interval + Skew_Time, where Master_Adver_Interval is
 *   learned by a backup from the master's adverts.
 * - keepalived's `down_timer_adverts` replaces the factor 3 in both versions.
 */

export type VrrpVersion = 2 | 3;

/** RFC 3768 §5.3.7 / RFC 5798 §5.2.4: the owner of the addresses advertises 255. */
export const PRIORITY_OWNER = 255;
/** RFC 5798 §5.2.4: priority 0 says "the master is leaving, take over now". */
export const PRIORITY_RELEASE = 0;
/** Priorities a non-owner can hold (keepalived clamps the effective priority to this range). */
export const PRIORITY_MIN = 1;
export const PRIORITY_MAX_NON_OWNER = 254;

/** keepalived's default for `down_timer_adverts`, the RFC's factor 3. */
export const DEFAULT_DOWN_TIMER_ADVERTS = 3;

/** v3 carries a 12-bit centisecond interval (RFC 5798 §5.2.7). */
export const V3_MAX_ADVERT_INTERVAL_CS = 4095;
/** v2 carries whole seconds in 8 bits (RFC 3768 §5.3.7). */
export const V2_MAX_ADVERT_INTERVAL_CS = 255 * 100;

export function centisecondsToMs(cs: number): number {
  return cs * 10;
}

/** Advertisement_Interval in milliseconds. */
export function advertIntervalMs(advertIntervalCs: number): number {
  return centisecondsToMs(advertIntervalCs);
}

/**
 * Skew_Time in milliseconds for a backup of the given priority.
 * `masterAdverIntervalCs` is only used by v3 (v2's skew is a fixed fraction of one second).
 */
export function skewTimeMs(version: VrrpVersion, priority: number, masterAdverIntervalCs: number): number {
  const p = Math.min(Math.max(priority, 0), PRIORITY_OWNER);
  if (version === 2) return ((256 - p) * 1000) / 256;
  return ((256 - p) * centisecondsToMs(masterAdverIntervalCs)) / 256;
}

/**
 * Master_Down_Interval in milliseconds: how long a backup waits without hearing the master before
 * it takes over. For v2 `masterAdverIntervalCs` is the configured interval (v2 rejects adverts
 * with another interval, RFC 3768 §7.1); for v3 it is the interval learned from the master.
 */
export function masterDownIntervalMs(
  version: VrrpVersion,
  priority: number,
  masterAdverIntervalCs: number,
  downTimerAdverts: number = DEFAULT_DOWN_TIMER_ADVERTS,
): number {
  return downTimerAdverts * centisecondsToMs(masterAdverIntervalCs) + skewTimeMs(version, priority, masterAdverIntervalCs);
}

/** The largest Master_Down_Interval any backup of the given priorities can use (simulator bounds). */
export function maxMasterDownIntervalMs(
  version: VrrpVersion,
  priorities: readonly number[],
  masterAdverIntervalCs: number,
  downTimerAdverts: number = DEFAULT_DOWN_TIMER_ADVERTS,
): number {
  let max = 0;
  for (const p of priorities) max = Math.max(max, masterDownIntervalMs(version, p, masterAdverIntervalCs, downTimerAdverts));
  return max;
}

/**
 * Margin added to the handover bound for what the protocol does not count: delivery of the
 * priority-0 advert and of the new master's first advert, and a backup's event loop running late
 * (the VRRP process warns above 50 ms of lag, `lagWarnMs`); twice that covers a late backup and a
 * late releaser.
 */
export const HANDOVER_MARGIN_MS = 100;

/**
 * After hearing the new master's advert, a releasing master keeps its VIPs this much longer: the
 * new master sends its gratuitous ARP / unsolicited NA after its advert (RFC 5798 §6.4.1 order),
 * and sending one costs it ~10 ms more (a packet socket per message), plus its event-loop lag (up
 * to the 50 ms warning threshold, measured above 60 ms on a loaded machine). Until clients have
 * the new MAC they still send to us; removing the VIP at once dropped such requests in the netns
 * test. Both directors hold the VIP for this short moment; clients with an entry follow the ARP.
 */
export const HANDOVER_GRACE_MS = 200;

/**
 * How long a master that sent priority 0 keeps its VIPs while waiting for the new master's
 * advert (halo's make-before-break stop and step-down). A backup takes over Skew_Time after the
 * priority 0 (RFC 5798 §6.4.2) and advertises at once; the bound takes the longest Skew_Time any
 * backup can have (priority 1) plus one advert interval, so that one lost first advert of the
 * new master is covered by its second, plus `HANDOVER_MARGIN_MS`. With the default 1 s interval
 * this is about 2.1 s in both versions.
 */
export function handoverBoundMs(version: VrrpVersion, advertIntervalCs: number): number {
  return skewTimeMs(version, PRIORITY_MIN, advertIntervalCs) + advertIntervalMs(advertIntervalCs) + HANDOVER_MARGIN_MS;
}
