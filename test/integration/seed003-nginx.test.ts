/**
 * The nginx.conf of tutorial 003 runs unchanged under `halo serve --nginx`: it listens on port 80
 * and balances over 192.168.0.42 and .43 with max_fails=2 fail_timeout=3. The test runs in two
 * network namespaces it creates (./serve-lab.ts): halo and the client in one, the two web servers
 * on those addresses in the other, joined by a veth pair. No other address is ever contacted.
 *
 * It shows nginx's behaviour: round robin web1/web2; web1 stopped → every request still answered
 * (the failed connect retries on web2), and after two failures within 3 s web1 is not tried any
 * more; web1 back → after fail_timeout one probe request reaches it and round robin resumes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { REPO, ServeLab, labUnavailable, sleep } from './serve-lab.js';

const CONF = join(REPO, 'test/fixtures/nginx/seed003.conf');
const URL80 = 'http://127.0.0.1/';

function count(list: readonly string[], what: string): number {
  return list.filter((x) => x === what).length;
}

test('seed 003 nginx.conf runs unchanged: round robin, web1 out after max_fails=2, back after fail_timeout=3', { timeout: 60_000 }, async (t) => {
  const why = labUnavailable();
  if (why !== undefined) {
    t.skip(why);
    return;
  }
  const lab = new ServeLab({ lb: ['192.168.0.1/24'], web: ['192.168.0.42/24', '192.168.0.43/24'] });
  try {
    await lab.backend('web1', '192.168.0.42', 80);
    await lab.backend('web2', '192.168.0.43', 80);
    await lab.serve(['--nginx', CONF]);

    const first = Array.from({ length: 6 }, () => lab.get(URL80));
    assert.equal(count(first, '200 web1'), 3, `${first.join(', ')}\n${lab.serveOut}\n${lab.serveErr}`);
    assert.equal(count(first, '200 web2'), 3, first.join(', '));
    for (let i = 1; i < first.length; i++) assert.notEqual(first[i], first[i - 1], `round robin alternates: ${first.join(', ')}`);

    await lab.stop('backend web1');
    const failsBefore = (lab.serveErr.match(/HALO_PRX_UPSTREAM_FAILED/g) ?? []).length;
    const started = Date.now();
    const during = Array.from({ length: 8 }, () => lab.get(URL80));
    const elapsedMs = Date.now() - started;
    assert.deepEqual(during, Array.from({ length: 8 }, () => '200 web2'), 'every request answered by web2 (a failed connect retries on the next server)');
    await sleep(300); // worker log lines travel over IPC
    const fails = (lab.serveErr.match(/HALO_PRX_UPSTREAM_FAILED/g) ?? []).length - failsBefore;
    if (elapsedMs < 2500) assert.equal(fails, 2, `web1 tried exactly max_fails=2 times within fail_timeout, then left out (${elapsedMs} ms)`);
    else assert.ok(fails >= 2 && fails <= 4, `${fails} failed attempts in ${elapsedMs} ms`);

    await lab.backend('web1', '192.168.0.42', 80);
    await sleep(3200); // fail_timeout=3: then one request probes web1
    const after = Array.from({ length: 6 }, () => lab.get(URL80));
    assert.equal(count(after, '200 web1'), 3, after.join(', '));
    assert.equal(count(after, '200 web2'), 3, after.join(', '));
    for (let i = 1; i < after.length; i++) assert.notEqual(after[i], after[i - 1], `round robin again: ${after.join(', ')}`);
  } finally {
    await lab.destroy();
  }
});
