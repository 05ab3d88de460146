/**
 * One seeded random run of the simulator: random instance configs for N directors and M VRIDs,
 * then K random faults and repairs (crash, restart, clean stop, symmetric and one-way partitions,
 * loss / duplication / reordering windows, tracker flaps, link flaps), then a final repair and a
 * quiet period after which every VRID must have converged. Same seed, same run.
 */
import { SeededPrng } from '../../src/core/prng.js';
import { instanceConfig, type TrackerConfig, type VrrpInstanceConfig } from '../../src/vrrp/config.js';
import { SimWorld, type DirectorSpec, type Violation } from './world.js';

export interface RunParams {
  readonly seed: number;
  readonly directors: number;
  readonly vrids: number;
  readonly steps: number;
  /** Put every instance of a director in one vrrp_sync_group in some runs. */
  readonly syncGroups?: boolean;
}

export interface RunResult {
  readonly params: RunParams;
  readonly violations: readonly Violation[];
  readonly transitions: number;
  readonly events: number;
  readonly framesSent: number;
  readonly simulatedMs: number;
  readonly world: SimWorld;
  readonly actions: readonly string[];
}

function pick<T>(prng: SeededPrng, items: readonly T[]): T {
  const item = items[prng.nextInt(items.length)];
  if (item === undefined) throw new RangeError('pick from an empty list');
  return item;
}

function uniform(prng: SeededPrng, lo: number, hi: number): number {
  return lo + prng.nextFloat() * (hi - lo);
}

/** Random but valid director specs: the same VRID has the same version, interval and auth everywhere. */
export function randomDirectors(prng: SeededPrng, directors: number, vrids: number, options: { syncGroups?: boolean } = {}): DirectorSpec[] {
  // keepalived's vrrp_sync_group: every instance of a director in one group, on every director.
  const grouped = options.syncGroups === true && vrids >= 2 && prng.nextFloat() < 0.3;
  const groupPriorities: number[] = [];
  const groupTrackers: TrackerConfig[][] = [];
  const specs: Array<{ name: string; address: string; instances: VrrpInstanceConfig[]; driftPpm: number; clockOffsetMs: number }> = [];
  // vrrp_startup_delay is a global_defs setting in keepalived: one value per director.
  const startupDelays: number[] = [];
  for (let i = 0; i < directors; i++) startupDelays.push(prng.nextFloat() < 0.1 ? 500 + prng.nextInt(2500) : 0);
  for (let i = 0; i < directors; i++) {
    specs.push({ name: `d${i + 1}`, address: `10.0.0.${i + 1}`, instances: [], driftPpm: Math.round(uniform(prng, -500, 500)), clockOffsetMs: Math.round(uniform(prng, 0, 1e6)) });
  }
  for (let v = 1; v <= vrids; v++) {
    const version = prng.nextFloat() < 0.6 ? 3 : 2;
    const family = version === 3 && prng.nextFloat() < 0.2 ? 6 : 4;
    const advertIntervalCs = version === 2 ? pick(prng, [100, 100, 100, 200]) : pick(prng, [50, 100, 100, 150, 300]);
    const unicast = family === 4 && prng.nextFloat() < 0.2;
    const authPass = version === 2 && prng.nextFloat() < 0.5 ? 'halo1234' : undefined;
    const owner = prng.nextFloat() < 0.08 && !grouped ? prng.nextInt(directors) : -1;
    const priorities: number[] = [];
    for (let i = 0; i < directors; i++) {
      const tie = priorities.length > 0 && prng.nextFloat() < 0.15;
      priorities.push(i === owner ? 255 : tie ? pick(prng, priorities.filter((p) => p !== 255).concat([100])) : 50 + prng.nextInt(205));
    }
    // A sync group only makes sense when every member ranks the directors the same way (keepalived
    // flaps the groups otherwise); grouped runs use the first VRID's priorities for all, owner aside.
    if (grouped) {
      if (v === 1) groupPriorities.push(...priorities.map((p) => (p === 255 ? 254 : p)));
      else priorities.splice(0, priorities.length, ...groupPriorities);
    }
    // v3 lets directors of one VRID advertise at different intervals (backups learn the master's).
    const mixedIntervals = version === 3 && prng.nextFloat() < 0.2;
    for (let i = 0; i < directors; i++) {
      const spec = specs[i];
      if (spec === undefined) continue;
      const intervalCs = mixedIntervals ? pick(prng, [50, 100, 150, 300]) : advertIntervalCs;
      let trackers: TrackerConfig[] = prng.nextFloat() < 0.5 ? [{ name: `chk_v${v}`, weight: pick(prng, [-50, -20, -10, 0, 10, 30]), initiallyUp: true }] : [];
      if (grouped) {
        // keepalived tracks a sync group as a whole (`vrrp_sync_group { track_script }`): one
        // tracker with one weight for every member, so the group's ranking stays consistent.
        if (v === 1) groupTrackers[i] = trackers.map((t) => ({ ...t, name: `chk_group_d${i + 1}` }));
        trackers = groupTrackers[i] ?? [];
      }
      const address = family === 4 ? spec.address : `fe80::${i + 1}`;
      spec.instances.push(
        instanceConfig({
          name: `VI_${v}`,
          vrid: v,
          family,
          version,
          ifname: 'eth0',
          basePriority: priorities[i] ?? 100,
          primaryAddress: address,
          advertIntervalCs: intervalCs,
          preempt: prng.nextFloat() < 0.88,
          preemptDelayMs: prng.nextFloat() < 0.1 ? 1000 * (1 + prng.nextInt(5)) : 0,
          initialState: prng.nextFloat() < 0.5 ? 'MASTER' : 'BACKUP',
          vips: [{ address: family === 4 ? `192.168.${v}.100` : `fd00::${v}:100`, prefixLength: family === 4 ? 32 : 128, family, ifname: 'eth0' }],
          lowerPrioNoAdvert: prng.nextFloat() < 0.2,
          downTimerAdverts: prng.nextFloat() < 0.1 ? 2 + prng.nextInt(4) : 3,
          startupDelayMs: startupDelays[i] ?? 0,
          trackers,
          unicastPeers: unicast ? specs.filter((_, j) => j !== i).map((s) => s.address) : [],
          ...(authPass === undefined ? {} : { authPass }),
          ...(grouped ? { syncGroup: 'G' } : {}),
        }),
      );
    }
  }
  return specs;
}

export async function runRandom(params: RunParams): Promise<RunResult> {
  const prng = new SeededPrng(params.seed ^ 0x5eed5eed);
  const specs = randomDirectors(prng, params.directors, params.vrids, { syncGroups: params.syncGroups ?? false });
  const maxDelayMs = pick(prng, [0.5, 2, 10, 50, 200]);
  const world = new SimWorld({ seed: params.seed, directors: specs, network: { minDelayMs: 0.05, maxDelayMs } });
  const actions: string[] = [];
  let longestBoundMs = 0;
  for (const v of world.vrids()) {
    const b = world.bounds(v);
    longestBoundMs = Math.max(longestBoundMs, b.masterDownMaxMs + maxDelayMs + b.driftSlackMs);
  }
  const longestDelayMs = Math.max(0, ...specs.flatMap((s) => s.instances.map((i) => Math.max(i.preemptDelayMs, i.startupDelayMs))));
  for (let i = 0; i < params.directors; i++) {
    const at = uniform(prng, 0, 2000);
    world.at(at, `start d${i + 1}`, () => world.startDirector(i));
  }
  let t = 2000;
  const n = params.directors;
  for (let k = 0; k < params.steps; k++) {
    t += uniform(prng, 200, 2.5 * longestBoundMs);
    const roll = prng.nextInt(100);
    const d = prng.nextInt(n);
    let name: string;
    let run: () => void | Promise<void>;
    if (roll < 10) {
      name = `crash d${d + 1}`;
      run = () => world.crashDirector(d);
    } else if (roll < 24) {
      name = `restart d${d + 1}`;
      run = () => world.startDirector(d);
    } else if (roll < 30) {
      name = `stop d${d + 1}`;
      run = () => world.stopDirector(d);
    } else if (roll < 38) {
      const groups: number[][] = [[], []];
      for (let i = 0; i < n; i++) groups[prng.nextInt(2)]?.push(i);
      name = `partition ${groups.map((g) => `{${g.map((i) => `d${i + 1}`).join(',')}}`).join(' ')}`;
      run = () => world.partition(groups);
    } else if (roll < 43) {
      const to = (d + 1 + prng.nextInt(n - 1)) % n;
      name = `block d${d + 1} -> d${to + 1}`;
      run = () => world.blockOneWay(d, to);
    } else if (roll < 55) {
      name = 'heal network';
      run = () => world.healNetwork();
    } else if (roll < 72) {
      const trackers = specs[d]?.instances.flatMap((x) => x.trackers) ?? [];
      if (trackers.length === 0) continue;
      const tr = pick(prng, trackers);
      const up = prng.nextFloat() < 0.5;
      name = `tracker ${tr.name} on d${d + 1} ${up ? 'up' : 'down'}`;
      run = () => world.setTracker(d, tr.name, up);
    } else if (roll < 80) {
      const up = prng.nextFloat() < 0.5;
      name = `link d${d + 1} ${up ? 'up' : 'down'}`;
      run = () => world.setLink(d, up);
    } else if (roll < 88) {
      const loss = uniform(prng, 0.05, 0.5);
      const dup = prng.nextFloat() < 0.5 ? uniform(prng, 0, 0.2) : 0;
      const reorder = prng.nextFloat() < 0.5;
      name = `impair loss ${loss.toFixed(2)} dup ${dup.toFixed(2)} reorder ${reorder}`;
      run = () => world.setImpairment(loss, dup, reorder);
    } else {
      // A quiet stretch: the invariants get time to bite.
      t += 2 * longestBoundMs;
      continue;
    }
    actions.push(`${t.toFixed(3)} ${name}`);
    world.at(t, name, run);
  }
  // Final repair: every director up, linked, trackers back to their initial state, network clean.
  t += uniform(prng, 200, longestBoundMs);
  const repairAt = t;
  world.at(repairAt, 'final repair', async () => {
    world.healNetwork();
    for (let i = 0; i < n; i++) {
      world.setLink(i, true);
      for (const tr of specs[i]?.instances.flatMap((x) => x.trackers) ?? []) {
        if (world.directors[i]?.trackers.get(tr.name) !== tr.initiallyUp) world.setTracker(i, tr.name, tr.initiallyUp);
      }
      await world.startDirector(i);
    }
  });
  const settleMs = 3 * longestBoundMs + 2 * longestDelayMs + 2000;
  const endMs = repairAt + settleMs;
  world.at(endMs, 'converged?', () => world.checkConverged());
  await world.runUntil(endMs);
  return {
    params,
    violations: world.violations,
    transitions: world.transitions.length,
    events: world.eventsProcessed,
    framesSent: world.framesSent,
    simulatedMs: world.nowMs,
    world,
    actions,
  };
}

/** A failure report: the seed, the command that replays it, the violations and the last events. */
export function failureReport(r: RunResult, lastEvents = 40): string {
  const p = r.params;
  return [
    `halo sim: ${r.violations.length} invariant violation(s) with seed ${p.seed}`,
    `replay: npm run sim -- --seed ${p.seed} --directors ${p.directors} --vrids ${p.vrids} --steps ${p.steps}${p.syncGroups === true ? ' --sync-groups' : ''}`,
    ...r.violations.slice(0, 5).map((v) => `  [HALO_SIM_INVARIANT] ${v.atMs.toFixed(3)} ms ${v.invariant}: ${v.detail}`),
    `last ${lastEvents} events:`,
    ...r.world.traceLines(lastEvents),
  ].join('\n');
}
