// The lab cleans up after itself: processes killed by PID, namespaces deleted, even when a test
// body throws (destroy runs from `after`).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NetnsLab, run, until } from './harness.js';

const avail = NetnsLab.available();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('netns harness', { skip: avail.ok ? false : avail.reason }, () => {
  test('nodes get their addresses, see each other, and destroy leaves nothing behind', async () => {
    const lab = new NetnsLab(4);
    try {
      lab.addSegment();
      const a = lab.addNode('a');
      const b = lab.addNode('b');
      assert.ok(a.hasAddress('10.213.4.1'));
      assert.ok(b.hasAddress('fd00:213:4::2'));
      assert.ok(a.ping(b.ipv4()), 'a cannot reach b over IPv4');
      assert.ok(a.ping(b.ipv6()), 'a cannot reach b over IPv6');
      assert.equal(a.neighbor(b.ipv4())?.lladdr, b.mac());
      // The host's own stack is untouched: the lab's addresses live only in its namespaces.
      assert.doesNotMatch(run(['ip', 'addr']).stdout, /10\.213\.4\./);
      const web = await b.startWebServer(8080, 'hello from b');
      assert.deepEqual(a.httpGet(b.ipv4(), 8080), { ok: true, body: 'hello from b' });
      assert.deepEqual(a.httpGet(b.ipv6(), 8080), { ok: true, body: 'hello from b' });
      assert.equal(a.httpGet(b.ipv4(), 8081).ok, false, 'nothing listens on 8081');
      await lab.kill(web);
      assert.ok(await until(() => !a.httpGet(b.ipv4(), 8080, 500).ok, 2000), 'the killed server still answers');
      const sleeper = a.spawn(['sleep', '30']);
      await new Promise((r) => sleeper.once('spawn', r));
      const pid = sleeper.pid ?? 0;
      assert.ok(alive(pid));
      await lab.destroy();
      assert.equal(alive(pid), false, 'the background process survived destroy');
      assert.deepEqual(lab.leftovers(), []);
    } finally {
      await lab.destroy();
    }
  });

  test('namespaces left by a dead test process are reaped, live ones are kept', () => {
    // A pid above the kernel's pid_max cannot be alive.
    const dead = 'halo-99999999-1-x';
    const live = `halo-${process.pid}-999-x`;
    for (const ns of [dead, live]) assert.equal(run(['ip', 'netns', 'add', ns]).status, 0);
    try {
      const reaped = NetnsLab.reapStale();
      assert.ok(reaped.includes(dead));
      assert.ok(!reaped.includes(live));
      assert.match(run(['ip', 'netns', 'list']).stdout, new RegExp(live));
    } finally {
      run(['ip', 'netns', 'del', dead]);
      run(['ip', 'netns', 'del', live]);
    }
  });
});
