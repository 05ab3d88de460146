import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countMatches, initialProcessState, processCountObserved, processMatches } from './process.js';
import type { ProcessInfo, ProcessTrackerConfig } from './process.js';

const cfg = (over: Partial<ProcessTrackerConfig>): ProcessTrackerConfig => ({ name: 'p', process: ['nginx'], fullCommand: false, quorum: 1, forkDelayMs: 0, terminateDelayMs: 0, ...over });
const proc = (comm: string, argv: string[], state = 'S'): ProcessInfo => ({ pid: 1, comm, argv, state });

test('name only: exact comm match, not a prefix, zombies not counted', () => {
  const c = cfg({});
  assert.equal(processMatches(c, proc('nginx', ['nginx: master process /usr/sbin/nginx'])), true);
  assert.equal(processMatches(c, proc('nginx-debug', ['x'])), false);
  assert.equal(processMatches(cfg({ process: ['ssh'] }), proc('sshd', ['/usr/sbin/sshd'])), false);
  assert.equal(processMatches(c, proc('nginx', [], 'Z')), false);
});

test('a name longer than 15 bytes matches the truncated comm and the argv0 basename', () => {
  const c = cfg({ process: ['very-long-daemon-name'] });
  assert.equal(processMatches(c, proc('very-long-daemo', ['/opt/bin/very-long-daemon-name', '-d'])), true);
  assert.equal(processMatches(c, proc('very-long-daemo', ['/opt/bin/very-long-daemon-other'])), false);
});

test('parameters: exact, partial and initial', () => {
  const p = proc('haproxy', ['/usr/sbin/haproxy', '-f', '/etc/haproxy/haproxy.cfg', '-D']);
  assert.equal(processMatches(cfg({ process: ['/usr/sbin/haproxy', '-f', '/etc/haproxy/haproxy.cfg', '-D'] }), p), true);
  assert.equal(processMatches(cfg({ process: ['haproxy', '-f', '/etc/haproxy/haproxy.cfg'] }), p), false);
  assert.equal(processMatches(cfg({ process: ['haproxy', '-f', '/etc/haproxy/haproxy.cfg'], paramMatch: 'partial' }), p), true);
  assert.equal(processMatches(cfg({ process: ['haproxy', '-f', '/etc/hap'], paramMatch: 'partial' }), p), false);
  assert.equal(processMatches(cfg({ process: ['haproxy', '-f', '/etc/hap'], paramMatch: 'initial' }), p), true);
  // param_match with no parameters: the command must have none.
  assert.equal(processMatches(cfg({ process: ['haproxy'], paramMatch: 'exact' }), p), false);
  assert.equal(processMatches(cfg({ process: ['haproxy'], paramMatch: 'exact' }), proc('haproxy', ['haproxy'])), true);
});

test('full_command compares the whole command line', () => {
  const c = cfg({ process: ['nginx: master process /usr/sbin/nginx'], fullCommand: true });
  assert.equal(processMatches(c, proc('nginx', ['nginx: master process /usr/sbin/nginx'])), true);
  assert.equal(processMatches(c, proc('nginx', ['nginx: worker process'])), false);
});

test('quorum and quorum_max bound the count', () => {
  const c = cfg({ quorum: 2, quorumMax: 3 });
  const s0 = initialProcessState(c);
  const ps = (n: number) => Array.from({ length: n }, () => proc('nginx', ['nginx']));
  assert.equal(processCountObserved(c, s0, countMatches(c, ps(1)), 0, true).state.up, false);
  assert.equal(processCountObserved(c, s0, countMatches(c, ps(2)), 0, true).state.up, true);
  assert.equal(processCountObserved(c, s0, countMatches(c, ps(4)), 0, true).state.up, false);
  assert.equal(processCountObserved(cfg({ quorum: 0, quorumMax: 0 }), s0, 0, 0, true).state.up, true);
});

test('terminate_delay holds the tracker up until the loss has lasted the delay', () => {
  const c = cfg({ terminateDelayMs: 1000, forkDelayMs: 500 });
  let s = processCountObserved(c, initialProcessState(c), 1, 0, true).state;
  assert.equal(s.up, true);
  let step = processCountObserved(c, s, 0, 100);
  assert.deepEqual([step.state.up, step.changed, step.recheckAtMs], [true, false, 1100]);
  s = step.state;
  step = processCountObserved(c, s, 0, 1100);
  assert.deepEqual([step.state.up, step.changed], [false, true]);
  assert.match(step.state.cause, /0 processes nginx .* for 1000 ms/);
  // A bounce shorter than fork_delay does not bring it up.
  s = step.state;
  step = processCountObserved(c, s, 1, 1200);
  assert.equal(step.state.up, false);
  step = processCountObserved(c, step.state, 0, 1300);
  assert.equal(step.state.pendingSinceMs, null);
  step = processCountObserved(c, step.state, 1, 1400);
  step = processCountObserved(c, step.state, 1, 1900);
  assert.deepEqual([step.state.up, step.changed], [true, true]);
});
