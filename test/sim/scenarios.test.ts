/**
 * The tutorial setups, run in the simulator on halo's real runtime, each asserting the exact
 * failover times the RFC formulas give (simulated clock, 1 ms link delay, no drift, no loss).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { masterBackup, masterMaster, nopreempt, syncGroupFault, v3HalfSecond, weightMinus20, enteredAt, director, tutorialWorld, type Measurement } from './tutorials.js';
import type { SimWorld } from './world.js';
import { readFileSync } from 'node:fs';
import { failoverTable } from './failover-table.js';

function assertExact(measurements: readonly Measurement[]): void {
  assert.ok(measurements.length > 0);
  for (const m of measurements) assert.equal(m.measuredMs, m.rfcMs, `${m.scenario}: ${m.event}: ${m.formula}`);
}

function assertClean(world: SimWorld): void {
  assert.deepEqual(world.violations, [], world.traceLines(30).join('\n'));
}

test('MASTER 100 / BACKUP 90: start, crash, return with preempt, clean stop — at the RFC times', async () => {
  const m = await masterBackup();
  assertExact(m);
  assert.deepEqual(
    m.map((x) => x.measuredMs),
    [3609.375, 3648.4375, 3609.375, 649.4375],
  );
});

test('nopreempt: the former master comes back as BACKUP and stays there', async () => {
  const { measurements, world } = await nopreempt();
  assertExact(measurements);
  assertClean(world);
  assert.equal(world.stateOf(0, 'VI_1'), 'BACKUP');
  assert.equal(world.stateOf(1, 'VI_1'), 'MASTER');
  assert.equal(enteredAt(world, 'lb1', 'VI_1', 'MASTER', 20_000), undefined, 'lb1 never preempted');
});

test('weight -20 script failing on the master hands over at last advert + MDI(90), and back on recovery', async () => {
  const { measurements, world } = await weightMinus20();
  assertExact(measurements);
  assertClean(world);
  const lb1Backup = enteredAt(world, 'lb1', 'VI_1', 'BACKUP', 10_000);
  const lb2Master = enteredAt(world, 'lb2', 'VI_1', 'MASTER');
  assert.equal(lb1Backup !== undefined && lb2Master !== undefined ? lb1Backup - lb2Master : NaN, 1, 'lb1 steps down one link delay after hearing 90 > 80');
  assert.equal(world.stateOf(0, 'VI_1'), 'MASTER');
});

test('master/master with two VRIDs (seed 002): one crash moves both VIPs to the survivor, preempt moves one back', async () => {
  const { measurements, world } = await masterMaster();
  assertExact(measurements);
  assertClean(world);
  assert.deepEqual(world.mastersOf(51), ['lb1']);
  assert.deepEqual(world.mastersOf(52), ['lb2']);
  const between = world.transitions.filter((t) => t.director === 'lb2' && t.to === 'MASTER' && t.atMs < 20_000).map((t) => t.instance);
  assert.deepEqual(between.sort(), ['VI_1', 'VI_2'], 'lb2 held both VRIDs while lb1 was down');
});

test('sync group: one member FAULT takes the group to FAULT, the peer group takes over after Skew_Time', async () => {
  const { measurements, world } = await syncGroupFault();
  assertExact(measurements);
  assertClean(world);
  assert.equal(world.stateOf(0, 'VI_1'), 'FAULT');
  assert.equal(world.stateOf(0, 'VI_2'), 'FAULT');
  assert.deepEqual(world.mastersOf(51), ['lb2']);
  assert.deepEqual(world.mastersOf(52), ['lb2']);
  assert.deepEqual(world.directors[0]?.vips.size, 0);
  assert.deepEqual([...(world.directors[1]?.vips ?? [])].sort(), ['ens33/192.168.51.100/32', 'ens33/192.168.52.100/32']);
});

test('VRRPv3 advert_int 0.5: Skew_Time scales with the interval', async () => {
  assertExact(await v3HalfSecond());
});

test('found by the simulator (seed 5020, sync groups): an owner in a sync group joins its group as BACKUP and takes over with it', async () => {
  const w = tutorialWorld([
    director('lb1', '10.0.0.1', [{ vrid: 51, name: 'VI_1', priority: 255, initialState: 'MASTER', syncGroup: 'G' }, { vrid: 52, name: 'VI_2', priority: 100, syncGroup: 'G' }]),
    director('lb2', '10.0.0.2', [{ vrid: 51, name: 'VI_1', priority: 90, syncGroup: 'G' }, { vrid: 52, name: 'VI_2', priority: 90, syncGroup: 'G' }]),
  ]);
  w.at(0, 'start lb1', () => w.startDirector(0));
  w.at(0, 'start lb2', () => w.startDirector(1));
  await w.runUntil(20_000);
  assertClean(w);
  // The owner waits in BACKUP until VI_2's down timer (MDI(100) = 3609.375 ms), then both go together.
  assert.equal(enteredAt(w, 'lb1', 'VI_1', 'BACKUP'), 0);
  assert.equal(enteredAt(w, 'lb1', 'VI_1', 'MASTER'), 3609.375);
  assert.equal(enteredAt(w, 'lb1', 'VI_2', 'MASTER'), 3609.375);
  assert.deepEqual(w.mastersOf(51), ['lb1']);
  assert.deepEqual(w.mastersOf(52), ['lb1']);
});

test('step-down: the master keeps its VIP until the backup advertises (+ grace), then stays BACKUP despite its higher priority', async () => {
  const w = tutorialWorld([director('lb1', '10.0.0.1', [{ vrid: 51, name: 'VI_1', priority: 100 }]), director('lb2', '10.0.0.2', [{ vrid: 51, name: 'VI_1', priority: 90 }])]);
  w.at(0, 'start lb1', () => w.startDirector(0));
  w.at(0, 'start lb2', () => w.startDirector(1));
  w.at(20_000, 'step-down lb1', () => w.stepDownDirector(0));
  await w.runUntil(60_000);
  assertClean(w);
  assert.equal(enteredAt(w, 'lb1', 'VI_1', 'RELEASING', 19_999), 20_000);
  // lb2 hears priority 0 after the 1 ms link delay and takes over Skew_Time(90) later.
  const lb2Master = enteredAt(w, 'lb2', 'VI_1', 'MASTER', 20_000);
  assert.equal(lb2Master, 20_000 + 1 + (166 * 1000) / 256);
  // lb1 hears lb2's advert 1 ms later and lets the VIP go HANDOVER_GRACE_MS (200 ms) after that.
  assert.equal(enteredAt(w, 'lb1', 'VI_1', 'BACKUP', 20_000), (lb2Master ?? 0) + 1 + 200);
  assert.equal(enteredAt(w, 'lb1', 'VI_1', 'MASTER', 20_001), undefined, 'lb1 (priority 100, preempt) did not take the VIP back');
  assert.deepEqual(w.mastersOf(51), ['lb2']);
});

test('docs/vrrp.md holds the failover table these scenarios measure (regenerate: node dist/test/sim/failover-table.js)', async () => {
  const doc = readFileSync(new URL('../../../docs/vrrp.md', import.meta.url), 'utf8');
  assert.ok(doc.includes(await failoverTable()), 'docs/vrrp.md failover table is stale');
});
