/**
 * The tutorial setups of /work/shared/seeds (keepalived MASTER 100 / BACKUP 90, nopreempt on the
 * former master, a `weight -20` check script failing on the master, master/master with two
 * VRIDs, and a sync group), run in the simulator with a fixed 1 ms link delay and no drift, so
 * every failover happens at the exact time the RFC formulas give. scenarios.test.ts asserts the
 * times; failover-table.ts prints them for docs/vrrp.md.
 */
import { instanceConfig, type TrackerConfig, type VrrpInstanceConfig } from '../../src/vrrp/config.js';
import type { VrrpStateName } from '../../src/vrrp/fsm.js';
import { masterDownIntervalMs, skewTimeMs } from '../../src/vrrp/timers.js';
import { SimWorld, type DirectorSpec } from './world.js';

/** The simulated link delay of the tutorial scenarios. */
export const LINK_DELAY_MS = 1;

export interface Measurement {
  readonly scenario: string;
  readonly event: string;
  /** What the RFC formulas give, and how. */
  readonly rfcMs: number;
  readonly formula: string;
  /** What the simulator measured (from the event to the new master's transition). */
  readonly measuredMs: number;
}

export interface InstanceOpts {
  readonly vrid?: number;
  readonly name?: string;
  readonly priority: number;
  readonly preempt?: boolean;
  readonly trackers?: readonly TrackerConfig[];
  readonly version?: 2 | 3;
  readonly advertIntervalCs?: number;
  readonly syncGroup?: string;
  readonly initialState?: 'MASTER' | 'BACKUP';
}

export function tutorialInstance(address: string, o: InstanceOpts): VrrpInstanceConfig {
  const vrid = o.vrid ?? 51;
  return instanceConfig({
    name: o.name ?? 'VI_1',
    vrid,
    ifname: 'ens33',
    basePriority: o.priority,
    primaryAddress: address,
    version: o.version ?? 2,
    advertIntervalCs: o.advertIntervalCs ?? 100,
    preempt: o.preempt ?? true,
    initialState: o.initialState ?? (o.priority >= 100 ? 'MASTER' : 'BACKUP'),
    vips: [{ address: `192.168.${vrid}.100`, prefixLength: 32, family: 4, ifname: 'ens33' }],
    trackers: o.trackers ?? [],
    ...(o.version === 3 ? {} : { authPass: '1111' }),
    ...(o.syncGroup === undefined ? {} : { syncGroup: o.syncGroup }),
  });
}

export function director(name: string, address: string, instances: readonly InstanceOpts[]): DirectorSpec {
  return { name, address, instances: instances.map((i) => tutorialInstance(address, i)) };
}

export function tutorialWorld(directors: readonly DirectorSpec[]): SimWorld {
  return new SimWorld({ seed: 1, directors, network: { minDelayMs: LINK_DELAY_MS, maxDelayMs: LINK_DELAY_MS } });
}

/** When `director`'s `instance` first entered `to` at or after `afterMs`, or undefined. */
export function enteredAt(world: SimWorld, director: string, instance: string, to: VrrpStateName, afterMs = 0): number | undefined {
  return world.transitions.find((t) => t.director === director && t.instance === instance && t.to === to && t.atMs >= afterMs)?.atMs;
}

function must(v: number | undefined, what: string): number {
  if (v === undefined) throw new Error(`No transition: ${what}`);
  return v;
}

const MDI = (p: number, cs = 100, v: 2 | 3 = 2): number => masterDownIntervalMs(v, p, cs);
const SKEW = (p: number, cs = 100, v: 2 | 3 = 2): number => skewTimeMs(v, p, cs);

/** Tutorial 000/001/003: MASTER 100 / BACKUP 90, advert_int 1, preempt (keepalived's default). */
export async function masterBackup(): Promise<Measurement[]> {
  const out: Measurement[] = [];
  const s = 'MASTER 100 / BACKUP 90 (v2, advert_int 1)';
  {
    const w = tutorialWorld([director('lb1', '192.168.192.10', [{ priority: 100 }]), director('lb2', '192.168.192.11', [{ priority: 90 }])]);
    w.at(0, 'start lb1', () => w.startDirector(0));
    w.at(0, 'start lb2', () => w.startDirector(1));
    // lb1's adverts go out at 3609.375 + k × 1000; crash just after the one at 9609.375.
    w.at(10_000, 'crash lb1', () => w.crashDirector(0));
    w.at(20_000, 'start lb1', () => w.startDirector(0));
    w.at(40_000, 'stop lb1', () => w.stopDirector(0));
    await w.runUntil(60_000);
    out.push({ scenario: s, event: 'both start', formula: 'MDI(100) = 3 × 1 s + (256−100)/256 s', rfcMs: MDI(100), measuredMs: must(enteredAt(w, 'lb1', 'VI_1', 'MASTER'), 'lb1 master') });
    const lastHeard = 9609.375 + LINK_DELAY_MS;
    out.push({ scenario: s, event: 'master crashes (silence)', formula: 'last advert heard + MDI(90) = 3 × 1 s + 166/256 s', rfcMs: MDI(90), measuredMs: must(enteredAt(w, 'lb2', 'VI_1', 'MASTER'), 'lb2 master') - lastHeard });
    out.push({ scenario: s, event: 'former master returns (preempt)', formula: 'MDI(100): lb1 ignores the lower adverts and times out', rfcMs: MDI(100), measuredMs: must(enteredAt(w, 'lb1', 'VI_1', 'MASTER', 20_000), 'lb1 master again') - 20_000 });
    out.push({ scenario: s, event: 'master stops (priority 0)', formula: 'delay + Skew(90) = 1 ms + 166/256 s', rfcMs: LINK_DELAY_MS + SKEW(90), measuredMs: must(enteredAt(w, 'lb2', 'VI_1', 'MASTER', 40_000), 'lb2 master after stop') - 40_000 });
  }
  return out;
}

/** Tutorial 001: `nopreempt` on the former master: it comes back as BACKUP and stays there. */
export async function nopreempt(): Promise<{ measurements: Measurement[]; world: SimWorld }> {
  const s = 'nopreempt on the former master (100) / 90';
  const w = tutorialWorld([director('lb1', '192.168.192.10', [{ priority: 100, preempt: false }]), director('lb2', '192.168.192.11', [{ priority: 90 }])]);
  w.at(0, 'start lb1', () => w.startDirector(0));
  w.at(0, 'start lb2', () => w.startDirector(1));
  w.at(10_000, 'crash lb1', () => w.crashDirector(0));
  w.at(20_000, 'start lb1', () => w.startDirector(0));
  await w.runUntil(80_000);
  const measurements: Measurement[] = [
    { scenario: s, event: 'master crashes (silence)', formula: 'last advert heard + MDI(90)', rfcMs: MDI(90), measuredMs: must(enteredAt(w, 'lb2', 'VI_1', 'MASTER'), 'lb2 master') - (9609.375 + LINK_DELAY_MS) },
  ];
  return { measurements, world: w };
}

/** Tutorial 001: `vrrp_script chk_nginx { weight -20 }` fails on the master: 100 − 20 = 80 < 90. */
export async function weightMinus20(): Promise<{ measurements: Measurement[]; world: SimWorld }> {
  const s = 'track_script weight −20 fails on the master (100 → 80) / 90';
  const chk: TrackerConfig[] = [{ name: 'chk_nginx', weight: -20, initiallyUp: true }];
  const w = tutorialWorld([director('lb1', '192.168.192.10', [{ priority: 100, trackers: chk }]), director('lb2', '192.168.192.11', [{ priority: 90, trackers: chk }])]);
  w.at(0, 'start lb1', () => w.startDirector(0));
  w.at(0, 'start lb2', () => w.startDirector(1));
  w.at(10_000, 'chk_nginx fails on lb1', () => w.setTracker(0, 'chk_nginx', false));
  w.at(30_000, 'chk_nginx recovers on lb1', () => w.setTracker(0, 'chk_nginx', true));
  await w.runUntil(50_000);
  const lb2Master = must(enteredAt(w, 'lb2', 'VI_1', 'MASTER'), 'lb2 master');
  // lb2's adverts go out at lb2Master + k × 1000; lb1 heard the last before 30 000 at +1 ms.
  const lastLb2Advert = lb2Master + Math.floor((30_000 - LINK_DELAY_MS - lb2Master) / 1000) * 1000 + LINK_DELAY_MS;
  const measurements: Measurement[] = [
    {
      scenario: s,
      event: 'script fails on the master',
      formula: 'last priority-100 advert heard + MDI(90): lb2 ignores the 80 adverts (preempt)',
      rfcMs: MDI(90),
      measuredMs: lb2Master - (9609.375 + LINK_DELAY_MS),
    },
    {
      scenario: s,
      event: 'script recovers (priority 80 → 100, down timer re-timed)',
      formula: 'last advert heard + MDI(100)',
      rfcMs: MDI(100),
      measuredMs: must(enteredAt(w, 'lb1', 'VI_1', 'MASTER', 30_000), 'lb1 master again') - lastLb2Advert,
    },
  ];
  return { measurements, world: w };
}

/** Tutorial 002: master/master, two VRIDs, each director MASTER of one and BACKUP of the other. */
export async function masterMaster(): Promise<{ measurements: Measurement[]; world: SimWorld }> {
  const s = 'master/master: VI_1 (VRID 51) and VI_2 (VRID 52), 100 / 90 crosswise';
  const w = tutorialWorld([
    director('lb1', '192.168.44.10', [{ vrid: 51, name: 'VI_1', priority: 100 }, { vrid: 52, name: 'VI_2', priority: 90 }]),
    director('lb2', '192.168.44.11', [{ vrid: 51, name: 'VI_1', priority: 90 }, { vrid: 52, name: 'VI_2', priority: 100 }]),
  ]);
  w.at(0, 'start lb1', () => w.startDirector(0));
  w.at(0, 'start lb2', () => w.startDirector(1));
  w.at(10_000, 'crash lb1', () => w.crashDirector(0));
  w.at(20_000, 'start lb1', () => w.startDirector(0));
  await w.runUntil(40_000);
  const measurements: Measurement[] = [
    { scenario: s, event: 'both start: each takes its VRID', formula: 'MDI(100)', rfcMs: MDI(100), measuredMs: must(enteredAt(w, 'lb2', 'VI_2', 'MASTER'), 'lb2 VI_2') },
    { scenario: s, event: 'lb1 crashes: lb2 takes VI_1 too', formula: 'last advert heard + MDI(90)', rfcMs: MDI(90), measuredMs: must(enteredAt(w, 'lb2', 'VI_1', 'MASTER'), 'lb2 VI_1') - (9609.375 + LINK_DELAY_MS) },
    { scenario: s, event: 'lb1 returns: takes VI_1 back (preempt)', formula: 'MDI(100)', rfcMs: MDI(100), measuredMs: must(enteredAt(w, 'lb1', 'VI_1', 'MASTER', 20_000), 'lb1 VI_1 again') - 20_000 },
  ];
  return { measurements, world: w };
}

/** vrrp_sync_group with a weight-0 check on one member: the whole group fails over together. */
export async function syncGroupFault(): Promise<{ measurements: Measurement[]; world: SimWorld }> {
  const s = 'vrrp_sync_group {VI_1, VI_2}, weight-0 check fails on one member of the master';
  const chk: TrackerConfig[] = [{ name: 'chk_db', weight: 0, initiallyUp: true }];
  const w = tutorialWorld([
    director('lb1', '10.0.0.1', [{ vrid: 51, name: 'VI_1', priority: 100, syncGroup: 'G' }, { vrid: 52, name: 'VI_2', priority: 100, syncGroup: 'G', trackers: chk }]),
    director('lb2', '10.0.0.2', [{ vrid: 51, name: 'VI_1', priority: 90, syncGroup: 'G' }, { vrid: 52, name: 'VI_2', priority: 90, syncGroup: 'G' }]),
  ]);
  w.at(0, 'start lb1', () => w.startDirector(0));
  w.at(0, 'start lb2', () => w.startDirector(1));
  w.at(10_000, 'chk_db fails on lb1', () => w.setTracker(0, 'chk_db', false));
  await w.runUntil(30_000);
  const measurements: Measurement[] = [
    { scenario: s, event: 'VI_2 check fails: VI_1 follows to FAULT, both send priority 0', formula: 'delay + Skew(90)', rfcMs: LINK_DELAY_MS + SKEW(90), measuredMs: must(enteredAt(w, 'lb2', 'VI_1', 'MASTER', 10_000), 'lb2 VI_1') - 10_000 },
  ];
  return { measurements, world: w };
}

/** VRRPv3 with advert_int 0.5 s: the skew scales with the interval (RFC 5798 §6.1). */
export async function v3HalfSecond(): Promise<Measurement[]> {
  const s = 'VRRPv3, advert_int 0.5, 100 / 90';
  const w = tutorialWorld([director('lb1', '10.0.0.1', [{ priority: 100, version: 3, advertIntervalCs: 50 }]), director('lb2', '10.0.0.2', [{ priority: 90, version: 3, advertIntervalCs: 50 }])]);
  w.at(0, 'start lb1', () => w.startDirector(0));
  w.at(0, 'start lb2', () => w.startDirector(1));
  w.at(10_000, 'crash lb1', () => w.crashDirector(0));
  await w.runUntil(20_000);
  const first = must(enteredAt(w, 'lb1', 'VI_1', 'MASTER'), 'lb1 master');
  const lastAdvert = first + Math.floor((10_000 - first) / 500) * 500;
  return [
    { scenario: s, event: 'both start', formula: 'MDI(100) = 3 × 0.5 s + 156 × 0.5/256 s', rfcMs: MDI(100, 50, 3), measuredMs: first },
    { scenario: s, event: 'master crashes (silence)', formula: 'last advert heard + MDI(90)', rfcMs: MDI(90, 50, 3), measuredMs: must(enteredAt(w, 'lb2', 'VI_1', 'MASTER'), 'lb2 master') - (lastAdvert + LINK_DELAY_MS) },
  ];
}

export async function allMeasurements(): Promise<Measurement[]> {
  return [
    ...(await masterBackup()),
    ...(await nopreempt()).measurements,
    ...(await weightMinus20()).measurements,
    ...(await masterMaster()).measurements,
    ...(await syncGroupFault()).measurements,
    ...(await v3HalfSecond()),
  ];
}
