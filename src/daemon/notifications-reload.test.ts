import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadKeepalivedConfig } from '../config/keepalived/load.js';
import { parseFromVrrp, parseToVrrp, type InstanceReport } from './ipc.js';
import { buildNotifiers, NotifierSwitch, transitionFor, type RunningNotifiers } from './notifications.js';
import { NO_TRACKERS } from './tracker-specs.js';

function model(text: string) {
  return loadKeepalivedConfig('/virtual/keepalived.conf', { readFile: () => ({ ok: true, text }), glob: () => [] }, { configId: 't' }).model;
}

const report = (name: string, state: InstanceReport['state'], priority: number, deleted = false): InstanceReport => ({ name, vrid: 1, family: 4, ifname: 'eth0', state, priority, cause: 'why', ...(deleted ? { deleted: true } : {}) });

const instance = (name: string, vrid: number, extra: string): string => `
vrrp_instance ${name} {
  interface eth0
  virtual_router_id ${vrid}
  priority 100
  virtual_ipaddress { 10.9.9.${vrid} }
  ${extra}
}`;

async function lines(file: string, count: number): Promise<string[]> {
  const end = Date.now() + 5000;
  const read = (): string[] => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : []);
  while (Date.now() < end && read().length < count) await sleep(20);
  return read();
}

test('a removed instance\'s STOP is DELETED; the deleted flag crosses IPC both ways', () => {
  assert.equal(transitionFor({ state: 'MASTER', priority: 100 }, report('A', 'INIT', 100, true), false)?.state, 'DELETED');
  assert.equal(transitionFor({ state: 'MASTER', priority: 100 }, report('A', 'INIT', 100), false)?.state, 'STOP');
  const parsed = parseFromVrrp(JSON.parse(JSON.stringify({ type: 'state', instance: report('A', 'INIT', 0, true) })));
  assert.equal(parsed?.type === 'state' ? parsed.instance.deleted : 'wrong', true);
  const plain = parseFromVrrp({ type: 'state', instance: report('A', 'INIT', 0) });
  assert.equal(plain?.type === 'state' && 'deleted' in plain.instance, false);
  // The reload message carries the tracker specs; without them the VRRP process keeps its trackers.
  const withTrackers = parseToVrrp({ type: 'reload', instances: [], trackers: NO_TRACKERS });
  assert.deepEqual(withTrackers, { type: 'reload', instances: [], trackers: NO_TRACKERS });
  assert.deepEqual(parseToVrrp({ type: 'reload', instances: [] }), { type: 'reload', instances: [] });
  assert.deepEqual(parseToVrrp({ type: 'reload', instances: [], trackers: { scripts: 'x' } }), { type: 'reload', instances: [] }, 'malformed specs are ignored');
});

test('NotifierSwitch: a reload notifies nothing for kept instances, new ones are notified by the new set, removed ones by the old one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-ntfr-'));
  try {
    const out = join(dir, 'out');
    const script = join(dir, 'n.sh');
    writeFileSync(script, `#!/bin/sh\necho "$*" >> ${out}\n`);
    chmodSync(script, 0o755);
    const before = model(`${instance('KEEP', 1, `notify ${script}`)}${instance('GONE', 2, `notify ${script}\n  notify_deleted "${script} deleted-script"`)}${instance('PLAIN', 3, `notify ${script}`)}`);
    const after = model(`${instance('KEEP', 1, `notify ${script}`)}${instance('NEW', 4, `notify ${script}`)}`);
    const built: string[] = [];
    const closed: string[] = [];
    const build = (m: Parameters<typeof buildNotifiers>[0], o: Parameters<typeof buildNotifiers>[1], carried?: Parameters<typeof buildNotifiers>[2]): RunningNotifiers => {
      const tag = m === before ? 'before' : 'after';
      built.push(tag);
      const n = buildNotifiers(m, o, carried);
      return { ...n, close: () => (closed.push(tag), n.close()) };
    };
    const sw = new NotifierSwitch(before, { haloPid: process.pid, env: { PATH: '/usr/bin:/bin' }, log: () => undefined }, build, 2000);
    sw.onReport(report('KEEP', 'MASTER', 100));
    sw.onReport(report('GONE', 'MASTER', 100));
    sw.onReport(report('PLAIN', 'BACKUP', 100));
    assert.equal((await lines(out, 3)).length, 3);

    sw.reload(after);
    // What the VRRP process reports during and after the reload.
    sw.onReport(report('GONE', 'INIT', 0, true));
    sw.onReport(report('PLAIN', 'INIT', 0, true));
    sw.onReport(report('NEW', 'BACKUP', 100));
    sw.onReport(report('KEEP', 'MASTER', 100)); // re-reported after every reload: not a transition
    await sw.retire();
    assert.deepEqual(built, ['before', 'after']);
    assert.deepEqual(closed, ['before'], 'the old set is closed once it finished');
    const got = await lines(out, 8);
    await sw.idle();
    sw.close();
    assert.deepEqual(got.slice(3).sort(), [
      'INSTANCE GONE DELETED 0',
      'INSTANCE NEW BACKUP 100',
      // keepalived: without notify_deleted a removed instance is notified as FAULT.
      'INSTANCE PLAIN FAULT 0',
      'deleted-script',
    ].sort());
    assert.equal(got.filter((l) => l.startsWith('INSTANCE KEEP')).length, 1, 'KEEP was notified once, before the reload');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
