import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CliIo } from './command.js';
import { main } from './main.js';
import { signum, signumArgument, SIGNUM_NAMES } from './signum.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => void out.push(t), err: (t) => void err.push(t), cwd: process.cwd(), env: {} };
  return { io, out, err };
}

test('keepalived sigfunc names map to the signals halo run handles (Linux numbers)', () => {
  assert.deepEqual(
    SIGNUM_NAMES.map((n) => [n, signum(n)]),
    [
      ['RELOAD', 1],
      ['DATA', 10],
      ['STATS', 12],
      ['STOP', 15],
      ['JSON', 10],
    ],
  );
  assert.equal(signum('STATS_CLEAR'), undefined);
  assert.equal(signum('stop'), undefined, 'upper case only, as keepalived');
});

test('the flag is read as --signum=NAME and --signum NAME', () => {
  assert.deepEqual(signumArgument(['--signum=RELOAD']), { name: 'RELOAD' });
  assert.deepEqual(signumArgument(['--signum', 'DATA']), { name: 'DATA' });
  assert.equal(signumArgument(['run', '--signum=DATA']), undefined);
});

test('halo --signum prints the number; an unknown name is an error with its code', async () => {
  const ok = capture();
  assert.equal(await main(['--signum=RELOAD'], ok.io), 0);
  assert.equal(ok.out.join(''), '1\n');
  const bad = capture();
  assert.equal(await main(['--signum=STATS_CLEAR'], bad.io), 1);
  assert.match(bad.err.join(''), /HALO_CLI_SIGNUM_UNKNOWN/);
  assert.match(bad.err.join(''), /RELOAD, DATA, STATS, STOP, JSON/);
});
