import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cfg, run, advert, types } from './testing/fsm-run.js';
import fc from 'fast-check';
import type { VrrpInstanceConfig } from './config.js';
import { effectivePriority, initialInstanceState, step, type VrrpEvent, type VrrpInstanceState } from './fsm.js';
import { masterDownIntervalMs, skewTimeMs } from './timers.js';

const seed = process.env.HALO_SEED === undefined ? {} : { seed: Number(process.env.HALO_SEED) };

test('every instance starts as BACKUP and waits Master_Down_Interval', () => {
  const c = cfg({ initialState: 'MASTER' });
  const { state } = run(c, [[0, { type: 'Started' }]]);
  assert.equal(state.state, 'BACKUP');
  assert.equal(state.timers.masterDown, masterDownIntervalMs(2, 100, 100));
  assert.equal(state.timers.masterDown, 3609.375);
});

test('the owner (priority 255) with state MASTER is master at once', () => {
  const c = cfg({ basePriority: 255, initialState: 'MASTER' });
  const { state, last } = run(c, [[0, { type: 'Started' }]]);
  assert.equal(state.state, 'MASTER');
  assert.deepEqual(types(last), ['AddVips', 'SendAdvert', 'SendGratuitousArp', 'SetTimer', 'RunNotify']);
  assert.deepEqual(last.find((e) => e.type === 'SendAdvert'), { type: 'SendAdvert', priority: 255, advertIntervalCs: 100 });
  const backupOwner = run(cfg({ basePriority: 255, initialState: 'BACKUP' }), [[0, { type: 'Started' }]]);
  assert.equal(backupOwner.state.state, 'BACKUP');
});

test('the down timer makes a backup MASTER: VIPs, advert, gratuitous ARP, advert timer, notify', () => {
  const c = cfg();
  const { state, last } = run(c, [[0, { type: 'Started' }], [3609.375, { type: 'MasterDownTimerFired' }]]);
  assert.equal(state.state, 'MASTER');
  assert.equal(state.counters.became_master, 1);
  assert.equal(state.timers.advert, 4609.375);
  assert.equal(state.timers.masterDown, null);
  assert.deepEqual(types(last), ['AddVips', 'SendAdvert', 'SendGratuitousArp', 'SetTimer', 'RunNotify']);
});

test('a timer event that does not match the deadline in the state is ignored', () => {
  const c = cfg();
  const early = run(c, [[0, { type: 'Started' }], [1000, { type: 'MasterDownTimerFired' }]]);
  assert.equal(early.state.state, 'BACKUP');
  assert.deepEqual(early.last, []);
  const stale = run(c, [[0, { type: 'Started' }], [3000, advert('10.0.0.2', 150)], [3609.375, { type: 'MasterDownTimerFired' }]]);
  assert.equal(stale.state.state, 'BACKUP');
});

test('a backup accepts higher or equal adverts, ignores lower ones with preempt, accepts them with nopreempt', () => {
  const c = cfg();
  const higher = run(c, [[0, { type: 'Started' }], [500, advert('10.0.0.2', 150)]]);
  assert.equal(higher.state.timers.masterDown, 500 + 3609.375);
  assert.equal(higher.state.lastMaster?.address, '10.0.0.2');
  const equal = run(c, [[0, { type: 'Started' }], [500, advert('10.0.0.0', 100)]]);
  assert.equal(equal.state.timers.masterDown, 500 + 3609.375);
  const lower = run(c, [[0, { type: 'Started' }], [500, advert('10.0.0.2', 90)]]);
  assert.equal(lower.state.timers.masterDown, 3609.375);
  const nopreempt = run(cfg({ preempt: false }), [[0, { type: 'Started' }], [500, advert('10.0.0.2', 90)]]);
  assert.equal(nopreempt.state.timers.masterDown, 500 + 3609.375);
});

test('a backup hearing priority 0 takes over after Skew_Time only', () => {
  const c = cfg({ basePriority: 90 });
  const r = run(c, [[0, { type: 'Started' }], [1000, advert('10.0.0.2', 100)], [2000, advert('10.0.0.2', 0)]]);
  assert.equal(r.state.timers.masterDown, 2000 + skewTimeMs(2, 90, 100));
  assert.equal(r.state.counters.pri_zero_rcvd, 1);
  const m = run(c, [[2000 + 648.4375, { type: 'MasterDownTimerFired' }]], r.state);
  assert.equal(m.state.state, 'MASTER');
});

function masterAt(c: VrrpInstanceConfig): VrrpInstanceState {
  const started = run(c, [[0, { type: 'Started' }]]).state;
  const at = started.timers.masterDown ?? 0;
  const r = run(c, [[at, { type: 'MasterDownTimerFired' }]], started);
  assert.equal(r.state.state, 'MASTER');
  return r.state;
}

test('a master hearing priority 0 re-advertises at once and resets its advert timer', () => {
  const c = cfg();
  const m = masterAt(c);
  const r = run(c, [[4000, advert('10.0.0.2', 0)]], m);
  assert.deepEqual(types(r.last), ['SendAdvert', 'SetTimer']);
  assert.equal(r.state.timers.advert, 5000);
  assert.equal(r.state.state, 'MASTER');
});

test('a master steps down for a higher priority, or an equal one from a higher address', () => {
  const c = cfg({ version: 3 });
  const m = masterAt(c);
  const higher = run(c, [[4000, advert('10.0.0.0', 101, 200)]], m);
  assert.equal(higher.state.state, 'BACKUP');
  assert.equal(higher.state.masterAdverIntervalCs, 200, 'v3 learns the master interval');
  assert.equal(higher.state.timers.masterDown, 4000 + masterDownIntervalMs(3, 100, 200));
  assert.equal(higher.state.counters.released_master, 1);
  assert.deepEqual(types(higher.last).slice(0, 2), ['CancelTimer', 'RemoveVips']);
  // 10.0.0.10 > 10.0.0.1 numerically (and 10.0.0.9 < 10.0.0.10 though "9" > "1" as text).
  assert.equal(run(c, [[4000, advert('10.0.0.10', 100)]], m).state.state, 'BACKUP');
  const c9 = cfg({ primaryAddress: '10.0.0.10' });
  const m9 = masterAt(c9);
  const r9 = run(c9, [[4000, advert('10.0.0.9', 100)]], m9);
  assert.equal(r9.state.state, 'MASTER');
  assert.deepEqual(types(r9.last), ['SendAdvert']);
});

test('v3: Master_Adver_Interval resets to our own on becoming master', () => {
  const c = cfg({ version: 3 });
  const b = run(c, [[0, { type: 'Started' }], [100, advert('10.0.0.2', 200, 300)]]);
  assert.equal(b.state.masterAdverIntervalCs, 300);
  const m = run(c, [[100 + masterDownIntervalMs(3, 100, 300), { type: 'MasterDownTimerFired' }]], b.state);
  assert.equal(m.state.state, 'MASTER');
  assert.equal(m.state.masterAdverIntervalCs, 100);
});

test('a master answers a lower priority at once unless lower_prio_no_advert', () => {
  const c = cfg();
  const r = run(c, [[4000, advert('10.0.0.2', 50)]], masterAt(c));
  assert.deepEqual(types(r.last), ['SendAdvert']);
  const q = cfg({ lowerPrioNoAdvert: true });
  assert.deepEqual(types(run(q, [[4000, advert('10.0.0.2', 50)]], masterAt(q)).last), []);
});

test('the owner ignores adverts, even an equal priority from a higher address', () => {
  const c = cfg({ basePriority: 255, initialState: 'MASTER', primaryAddress: '10.0.0.1' });
  const m = run(c, [[0, { type: 'Started' }]]).state;
  const r = run(c, [[500, advert('10.0.0.9', 255)]], m);
  assert.equal(r.state.state, 'MASTER');
});

test('effective priority = base + tracker weights, clamped to 1..254; the owner stays 255', () => {
  const c = cfg({
    trackers: [
      { name: 'chk_nginx', weight: -20, initiallyUp: true },
      { name: 'bonus', weight: 10, initiallyUp: false },
    ],
  });
  assert.equal(effectivePriority(c, { chk_nginx: true, bonus: false }), 100);
  assert.equal(effectivePriority(c, { chk_nginx: false, bonus: false }), 80);
  assert.equal(effectivePriority(c, { chk_nginx: true, bonus: true }), 110);
  assert.equal(effectivePriority(cfg({ basePriority: 250, trackers: [{ name: 'b', weight: 50, initiallyUp: true }] }), {}), 254);
  assert.equal(effectivePriority(cfg({ basePriority: 10, trackers: [{ name: 'b', weight: -50, initiallyUp: false }] }), {}), 1);
  assert.equal(effectivePriority(cfg({ basePriority: 255, trackers: [{ name: 'b', weight: -50, initiallyUp: false }] }), {}), 255);
});

test('a master whose tracker fails advertises its lower priority at once', () => {
  const c = cfg({ trackers: [{ name: 'chk_nginx', weight: -20, initiallyUp: true }] });
  const r = run(c, [[4000, { type: 'TrackerChanged', tracker: 'chk_nginx', up: false }]], masterAt(c));
  assert.equal(r.state.effectivePriority, 80);
  assert.deepEqual(r.last.find((e) => e.type === 'SendAdvert'), { type: 'SendAdvert', priority: 80, advertIntervalCs: 100 });
  assert.equal(r.state.state, 'MASTER');
});

test('a priority change re-times a backup down timer at once', () => {
  const c = cfg({ trackers: [{ name: 't', weight: -50, initiallyUp: true }] });
  const b = run(c, [[0, { type: 'Started' }], [1000, advert('10.0.0.2', 200)]]);
  assert.equal(b.state.timers.masterDown, 1000 + masterDownIntervalMs(2, 100, 100));
  const r = run(c, [[2000, { type: 'TrackerChanged', tracker: 't', up: false }]], b.state);
  assert.equal(r.state.effectivePriority, 50);
  assert.equal(r.state.timers.masterDown, 1000 + masterDownIntervalMs(2, 50, 100));
});

test('a weight-0 tracker failing sends a master to FAULT with priority 0; recovery returns to BACKUP', () => {
  const c = cfg({ trackers: [{ name: 'link', weight: 0, initiallyUp: true }] });
  const f = run(c, [[4000, { type: 'TrackerChanged', tracker: 'link', up: false }]], masterAt(c));
  assert.equal(f.state.state, 'FAULT');
  assert.equal(f.state.counters.pri_zero_sent, 1);
  assert.deepEqual(f.last.find((e) => e.type === 'SendAdvert'), { type: 'SendAdvert', priority: 0, advertIntervalCs: 100 });
  assert.ok(f.last.some((e) => e.type === 'RemoveVips'));
  assert.deepEqual(Object.values(f.state.timers), [null, null, null, null, null]);
  const ignored = run(c, [[4500, advert('10.0.0.2', 200)]], f.state);
  assert.equal(ignored.state.state, 'FAULT');
  const back = run(c, [[5000, { type: 'TrackerChanged', tracker: 'link', up: true }]], f.state);
  assert.equal(back.state.state, 'BACKUP');
  assert.equal(back.state.timers.masterDown, 5000 + 3609.375);
  const linkDown = run(c, [[4000, { type: 'LinkChanged', up: false }]], masterAt(c));
  assert.equal(linkDown.state.state, 'FAULT');
  const startsFaulty = run(cfg({ trackers: [{ name: 'x', weight: 0, initiallyUp: false }] }), [[0, { type: 'Started' }]]);
  assert.equal(startsFaulty.state.state, 'FAULT');
});

test('a master that stops sends priority 0, removes its VIPs and notifies STOP', () => {
  const c = cfg();
  const r = run(c, [[4000, { type: 'ShutdownRequested' }]], masterAt(c));
  assert.equal(r.state.state, 'INIT');
  assert.equal(r.state.running, false);
  assert.deepEqual(types(r.last), ['SendAdvert', 'CancelTimer', 'RemoveVips', 'RunNotify']);
  assert.equal(r.state.counters.pri_zero_sent, 1);
});

test('v2 drops adverts with another interval and counts them', () => {
  const c = cfg();
  const r = run(c, [[0, { type: 'Started' }], [500, advert('10.0.0.2', 200, 200)]]);
  assert.equal(r.state.counters.advert_interval_err, 1);
  assert.equal(r.state.timers.masterDown, 3609.375);
});

test('vrrp_startup_delay holds the protocol back; down_timer_adverts replaces the 3', () => {
  const c = cfg({ startupDelayMs: 5000, downTimerAdverts: 5 });
  const s = run(c, [[0, { type: 'Started' }]]);
  assert.equal(s.state.state, 'INIT');
  assert.equal(s.state.timers.startupDelay, 5000);
  const b = run(c, [[5000, { type: 'StartupDelayFired' }]], s.state);
  assert.equal(b.state.state, 'BACKUP');
  assert.equal(b.state.timers.masterDown, 5000 + 5000 + 609.375);
});

test('preempt_delay: a lower master is accepted until the delay is over, then taken over at once', () => {
  const c = cfg({ preemptDelayMs: 10_000 });
  const r = run(c, [
    [0, { type: 'Started' }],
    [1000, advert('10.0.0.2', 90)],
    [2000, advert('10.0.0.2', 90)],
  ]);
  assert.equal(r.state.state, 'BACKUP');
  assert.equal(r.state.timers.masterDown, 2000 + 3609.375, 'lower adverts still reset the down timer');
  assert.equal(r.state.timers.preemptDelay, 10_000);
  const after = run(c, [[9000, advert('10.0.0.2', 90)], [10_000, { type: 'PreemptDelayFired' }]], r.state);
  assert.equal(after.state.state, 'MASTER');
  const nopre = cfg({ preemptDelayMs: 10_000, preempt: false });
  assert.equal(run(nopre, [[0, { type: 'Started' }]]).state.timers.preemptDelay, null);
});

test('sync group member waits for the group before becoming MASTER', () => {
  const c = cfg({ syncGroup: 'G' });
  const w = run(c, [[0, { type: 'Started' }], [3609.375, { type: 'MasterDownTimerFired' }]]);
  assert.equal(w.state.state, 'BACKUP');
  assert.equal(w.state.wantsMaster, true);
  assert.ok(!w.last.some((e) => e.type === 'AddVips'));
  const m = run(c, [[3700, { type: 'SyncGroupMasterAllowed' }]], w.state);
  assert.equal(m.state.state, 'MASTER');
  const b = run(c, [[4000, { type: 'SyncGroupBackupRequired', member: 'VI_2' }]], m.state);
  assert.equal(b.state.state, 'BACKUP');
  const f = run(c, [[4000, { type: 'SyncGroupFaultChanged', member: 'VI_2', fault: true }]], m.state);
  assert.equal(f.state.state, 'FAULT');
  assert.equal(run(c, [[5000, { type: 'SyncGroupFaultChanged', member: 'VI_2', fault: false }]], f.state).state.state, 'BACKUP');
});

test('an owner in a sync group waits for the group in BACKUP, not INIT (simulator seed 5020)', () => {
  const c = cfg({ basePriority: 255, initialState: 'MASTER', syncGroup: 'G' });
  const r = run(c, [[0, { type: 'Started' }]]);
  assert.equal(r.state.state, 'BACKUP');
  assert.equal(r.state.wantsMaster, true);
  assert.equal(run(c, [[10, { type: 'SyncGroupMasterAllowed' }]], r.state).state.state, 'MASTER');
});

// Property: whatever happens, the state and its timers agree, and VIPs are only ever held by a MASTER.
const eventArb: fc.Arbitrary<VrrpEvent> = fc.oneof(
  fc.constant<VrrpEvent>({ type: 'Started' }),
  fc.constant<VrrpEvent>({ type: 'StartupDelayFired' }),
  fc.record({
    type: fc.constant('AdvertReceived' as const),
    srcIp: fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.0'),
    vrid: fc.constantFrom(51, 52),
    priority: fc.integer({ min: 0, max: 255 }),
    advertIntervalCs: fc.constantFrom(100, 200),
  }),
  fc.constant<VrrpEvent>({ type: 'MasterDownTimerFired' }),
  fc.constant<VrrpEvent>({ type: 'AdvertTimerFired' }),
  fc.constant<VrrpEvent>({ type: 'PreemptDelayFired' }),
  fc.record({ type: fc.constant('TrackerChanged' as const), tracker: fc.constantFrom('w0', 'neg', 'nope'), up: fc.boolean() }),
  fc.record({ type: fc.constant('LinkChanged' as const), up: fc.boolean() }),
  fc.constant<VrrpEvent>({ type: 'ShutdownRequested' }),
  fc.constant<VrrpEvent>({ type: 'ShutdownRequested', handover: true }),
  fc.record({ type: fc.constant('StepDownRequested' as const), holdMs: fc.constantFrom(null, 0, 5000) }),
  fc.constant<VrrpEvent>({ type: 'ReleaseTimerFired' }),
  fc.constant<VrrpEvent>({ type: 'SyncGroupMasterAllowed' }),
  fc.record({ type: fc.constant('SyncGroupBackupRequired' as const), member: fc.constant('x') }),
  fc.record({ type: fc.constant('SyncGroupFaultChanged' as const), member: fc.constant('x'), fault: fc.boolean() }),
);

test('property: timers match the state and VIPs are held exactly while MASTER or RELEASING', () => {
  fc.assert(
    fc.property(
      fc.record({
        version: fc.constantFrom(2 as const, 3 as const),
        basePriority: fc.integer({ min: 1, max: 255 }),
        preempt: fc.boolean(),
        preemptDelayMs: fc.constantFrom(0, 5000),
        initialState: fc.constantFrom('MASTER' as const, 'BACKUP' as const),
        startupDelayMs: fc.constantFrom(0, 2000),
        syncGroup: fc.constantFrom(undefined, 'G'),
      }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 3000 }), eventArb, fc.boolean()), { maxLength: 60 }),
      (over, events) => {
        const { syncGroup, ...rest } = over;
        const c = cfg({
          ...rest,
          ...(syncGroup === undefined ? {} : { syncGroup }),
          trackers: [
            { name: 'w0', weight: 0, initiallyUp: true },
            { name: 'neg', weight: -30, initiallyUp: true },
          ],
        });
        let state = initialInstanceState(c);
        let now = 0;
        let vipsHeld = false;
        for (const [dt, event, fireDue] of events) {
          now += dt;
          // Half the time deliver timer events exactly at their deadline, as the runtime does.
          const timerOf = { MasterDownTimerFired: 'masterDown', AdvertTimerFired: 'advert', PreemptDelayFired: 'preemptDelay', StartupDelayFired: 'startupDelay', ReleaseTimerFired: 'release' } as const;
          const name = event.type in timerOf ? timerOf[event.type as keyof typeof timerOf] : null;
          const due = name === null ? null : state.timers[name];
          if (fireDue && due !== null && due > now) now = due;
          const r = step(c, state, event, now);
          for (const e of r.effects) {
            if (e.type === 'AddVips') vipsHeld = true;
            if (e.type === 'RemoveVips') vipsHeld = false;
            if (e.type === 'SetTimer') assert.ok(e.atMs >= now, 'no timer in the past');
          }
          state = r.state;
          assert.equal(vipsHeld, state.state === 'MASTER' || state.state === 'RELEASING', `VIPs held ${vipsHeld} in ${state.state}`);
          assert.equal(state.timers.advert !== null, state.state === 'MASTER');
          assert.equal(state.timers.release !== null, state.state === 'RELEASING', `release timer in ${state.state}`);
          assert.equal(state.release !== null, state.state === 'RELEASING');
          if (state.state === 'RELEASING') assert.ok(state.running, 'a RELEASING instance is still running');
          if (state.state === 'BACKUP') assert.equal(state.timers.masterDown !== null, !state.wantsMaster);
          if (state.wantsMaster) assert.equal(state.state, 'BACKUP', 'only a BACKUP waits for its group');
          if (state.state === 'FAULT' || !state.running) assert.equal(state.timers.masterDown, null);
          assert.ok(state.effectivePriority >= 1 && state.effectivePriority <= 255);
          if (state.effectivePriority === 255) assert.equal(c.basePriority, 255);
        }
      },
    ),
    { numRuns: 300, ...seed },
  );
});
