/**
 * Make-before-break handover (halo's stop and the operator's step-down) on the simulated clock:
 * priority 0 goes out at once, the VIPs stay until the new master is heard or the bound passes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cfg, run, advert, types } from './testing/fsm-run.js';
import type { VrrpInstanceConfig } from './config.js';
import { initialInstanceState, type VrrpInstanceState } from './fsm.js';
import { handoverBoundMs, HANDOVER_GRACE_MS, skewTimeMs } from './timers.js';


function masterAt(c: VrrpInstanceConfig): VrrpInstanceState {
  const started = run(c, [[0, { type: 'Started' }]]).state;
  const r = run(c, [[started.timers.masterDown ?? 0, { type: 'MasterDownTimerFired' }]], started);
  assert.equal(r.state.state, 'MASTER');
  return r.state;
}

test('the handover bound is the longest Skew_Time plus one advert interval plus the margin', () => {
  assert.equal(handoverBoundMs(2, 100), skewTimeMs(2, 1, 100) + 1000 + 100);
  assert.equal(handoverBoundMs(2, 100), 2096.09375);
  assert.equal(handoverBoundMs(3, 100), skewTimeMs(3, 1, 100) + 1000 + 100);
  assert.equal(handoverBoundMs(3, 50), skewTimeMs(3, 1, 50) + 500 + 100);
});

test('stop with handover: priority 0 at once, VIPs kept until the new master advertises, then STOP', () => {
  const c = cfg();
  const m = masterAt(c);
  const stop = run(c, [[5000, { type: 'ShutdownRequested', handover: true }]], m);
  assert.equal(stop.state.state, 'RELEASING');
  assert.equal(stop.state.running, true);
  assert.deepEqual(stop.last.find((e) => e.type === 'SendAdvert'), { type: 'SendAdvert', priority: 0, advertIntervalCs: 100 });
  assert.ok(!types(stop.last).includes('RemoveVips'), 'VIPs stay while RELEASING');
  assert.ok(!types(stop.last).includes('RunNotify'), 'notify_stop comes after the VIPs go');
  assert.equal(stop.state.timers.advert, null, 'no adverts while RELEASING');
  assert.equal(stop.state.timers.release, 5000 + handoverBoundMs(2, 100));
  // Our own looped-back advert and another router's priority 0 do not end it.
  const noise = run(c, [[5100, advert('10.0.0.1', 100)], [5200, advert('10.0.0.3', 0)], [5300, { type: 'AdvertTimerFired' }]], stop.state);
  assert.equal(noise.state.state, 'RELEASING');
  assert.ok(!noise.all.some((e) => e.effect.type === 'SendAdvert' || e.effect.type === 'RemoveVips'));
  // The backup took over after its Skew_Time (priority 90) and advertises: the VIPs go after the
  // grace that lets its gratuitous ARP reach the clients.
  const heardAt = 5000 + skewTimeMs(2, 90, 100) + 1;
  const heard = run(c, [[heardAt, advert('10.0.0.2', 90)], [heardAt + 50, advert('10.0.0.3', 80)]], noise.state);
  assert.equal(heard.state.state, 'RELEASING');
  assert.equal(heard.state.timers.release, heardAt + HANDOVER_GRACE_MS);
  assert.equal(heard.state.release?.heard?.address, '10.0.0.2', 'the first new master heard counts');
  assert.ok(!heard.all.some((e) => e.effect.type === 'RemoveVips'));
  const done = run(c, [[heardAt + HANDOVER_GRACE_MS, { type: 'ReleaseTimerFired' }]], heard.state);
  assert.equal(done.state.state, 'INIT');
  assert.equal(done.state.running, false);
  assert.deepEqual(types(done.last), ['RemoveVips', 'RunNotify']);
  assert.deepEqual(done.last.find((e) => e.type === 'RunNotify'), { type: 'RunNotify', state: 'STOP', priority: 100, cause: 'Shutdown requested' });
  assert.equal(done.state.counters.released_master, 1);
  assert.equal(done.state.counters.pri_zero_sent, 1);
  assert.match(done.state.cause, /new master 10\.0\.0\.2 \(priority 90\) heard after/);
});

test('stop with handover: nobody answers, the VIPs go at the bound and not before', () => {
  const c = cfg({ version: 3 });
  const stop = run(c, [[5000, { type: 'ShutdownRequested', handover: true }]], masterAt(c));
  const boundAt = stop.state.timers.release ?? -1;
  assert.equal(boundAt, 5000 + handoverBoundMs(3, 100));
  const early = run(c, [[boundAt - 1, { type: 'ReleaseTimerFired' }]], stop.state);
  assert.equal(early.state.state, 'RELEASING', 'a timer event before its deadline is stale');
  const late = run(c, [[boundAt, { type: 'ReleaseTimerFired' }]], early.state);
  assert.equal(late.state.state, 'INIT');
  assert.deepEqual(types(late.last), ['RemoveVips', 'RunNotify']);
  assert.match(late.state.cause, /no new master heard/);
});

test('a forced stop while RELEASING drops the VIPs at once', () => {
  const c = cfg();
  const stop = run(c, [[5000, { type: 'ShutdownRequested', handover: true }]], masterAt(c));
  const forced = run(c, [[5100, { type: 'ShutdownRequested' }]], stop.state);
  assert.equal(forced.state.state, 'INIT');
  assert.equal(forced.state.running, false);
  assert.deepEqual(types(forced.last), ['CancelTimer', 'RemoveVips', 'RunNotify']);
  assert.equal(forced.state.counters.pri_zero_sent, 1, 'priority 0 was sent once, at the start of the handover');
});

test('a stop without handover (and a stop of a BACKUP) behaves as before', () => {
  const c = cfg();
  const r = run(c, [[4000, { type: 'ShutdownRequested' }]], masterAt(c));
  assert.deepEqual(types(r.last), ['SendAdvert', 'CancelTimer', 'RemoveVips', 'RunNotify']);
  const backup = run(c, [[0, { type: 'Started' }], [100, { type: 'ShutdownRequested', handover: true }]]);
  assert.equal(backup.state.state, 'INIT');
  assert.ok(!backup.all.some((e) => e.effect.type === 'SendAdvert'));
});

test('a fault while RELEASING for a stop ends the stop at once; for a step-down it enters FAULT without VIPs', () => {
  const c = cfg();
  const stop = run(c, [[5000, { type: 'ShutdownRequested', handover: true }], [5100, { type: 'LinkChanged', up: false }]], masterAt(c));
  assert.equal(stop.state.state, 'INIT');
  assert.equal(stop.state.running, false);
  assert.ok(types(stop.last).includes('RemoveVips'));
  const sd = run(c, [[5000, { type: 'StepDownRequested', holdMs: null }], [5100, { type: 'LinkChanged', up: false }]], masterAt(c));
  assert.equal(sd.state.state, 'FAULT');
  assert.ok(types(sd.last).includes('RemoveVips'));
  assert.equal(sd.state.timers.release, null);
});

test('step-down: RELEASING, then BACKUP once the new master is heard, and no preemption back', () => {
  const c = cfg({ basePriority: 150 });
  const m = masterAt(c);
  const sd = run(c, [[5000, { type: 'StepDownRequested', holdMs: null }]], m);
  assert.equal(sd.state.state, 'RELEASING');
  assert.deepEqual(sd.state.stepDown, { untilMs: null });
  assert.ok(!types(sd.last).includes('RemoveVips'));
  const heard = run(c, [[5700, advert('10.0.0.2', 100)], [5700 + HANDOVER_GRACE_MS, { type: 'ReleaseTimerFired' }]], sd.state);
  assert.equal(heard.state.state, 'BACKUP');
  assert.deepEqual(types(heard.last), ['RemoveVips', 'SetTimer', 'RunNotify']);
  assert.equal(heard.state.lastMaster?.address, '10.0.0.2');
  // With preempt and a higher priority it would discard these adverts and take over; the hold
  // makes it accept them, so its down timer keeps being pushed back.
  let s = heard.state;
  for (let t = 6700; t <= 60_700; t += 1000) {
    const r = run(c, [[t, advert('10.0.0.2', 100)], [t + 999, { type: 'MasterDownTimerFired' }]], s);
    assert.equal(r.state.state, 'BACKUP', `still BACKUP at ${t}`);
    s = r.state;
  }
  // The new master fails: silence for Master_Down_Interval makes us MASTER again, hold cleared.
  const down = s.timers.masterDown ?? 0;
  const back = run(c, [[down, { type: 'MasterDownTimerFired' }]], s);
  assert.equal(back.state.state, 'MASTER');
  assert.equal(back.state.stepDown, null);
});

test('step-down with a hold: preempts normally once the hold is over', () => {
  const c = cfg({ basePriority: 150 });
  const sd = run(c, [[5000, { type: 'StepDownRequested', holdMs: 10_000 }], [5700, advert('10.0.0.2', 100)], [5900, { type: 'ReleaseTimerFired' }]], masterAt(c));
  assert.equal(sd.state.state, 'BACKUP');
  const during = run(c, [[14_000, advert('10.0.0.2', 100)]], sd.state);
  assert.equal(during.state.timers.masterDown, 14_000 + (during.state.timers.masterDown ?? 0) - 14_000);
  assert.equal(during.state.lastMaster?.atMs, 14_000, 'accepted during the hold');
  const after = run(c, [[15_500, advert('10.0.0.2', 100)]], during.state);
  assert.equal(after.state.lastMaster?.atMs, 14_000, 'discarded after the hold (preempt)');
  const preempt = run(c, [[after.state.timers.masterDown ?? 0, { type: 'MasterDownTimerFired' }]], after.state);
  assert.equal(preempt.state.state, 'MASTER');
});

test('step-down nobody answers: the instance stays MASTER and keeps its VIPs', () => {
  const c = cfg();
  const sd = run(c, [[5000, { type: 'StepDownRequested', holdMs: null }]], masterAt(c));
  const at = sd.state.timers.release ?? -1;
  const r = run(c, [[at, { type: 'ReleaseTimerFired' }]], sd.state);
  assert.equal(r.state.state, 'MASTER');
  assert.equal(r.state.stepDown, null);
  assert.deepEqual(types(r.last), ['SendAdvert', 'SendGratuitousArp', 'SetTimer']);
  assert.equal(r.state.timers.advert, at + 1000);
  assert.match(r.state.cause, /Step-down failed/);
});

test('step-down of a BACKUP, FAULT or stopped instance changes nothing', () => {
  const c = cfg();
  const backup = run(c, [[0, { type: 'Started' }]]).state;
  const r = run(c, [[100, { type: 'StepDownRequested', holdMs: null }]], backup);
  assert.deepEqual(r.state, backup);
  assert.deepEqual(r.last, []);
  const stopped = initialInstanceState(c);
  assert.deepEqual(run(c, [[100, { type: 'StepDownRequested', holdMs: null }]], stopped).state, stopped);
});

test('a stop while RELEASING for a step-down turns it into a stop that still waits', () => {
  const c = cfg();
  const sd = run(c, [[5000, { type: 'StepDownRequested', holdMs: null }], [5200, { type: 'ShutdownRequested', handover: true }]], masterAt(c));
  assert.equal(sd.state.state, 'RELEASING');
  assert.equal(sd.state.release?.then, 'STOP');
  assert.equal(sd.state.release?.startMs, 5000);
  const done = run(c, [[5700, advert('10.0.0.2', 100)], [5900, { type: 'ReleaseTimerFired' }]], sd.state);
  assert.equal(done.state.state, 'INIT');
  assert.equal(done.state.running, false);
});
