/**
 * The keepalived.conf of tutorial 004 under `halo serve --keepalived` (VRRP is not run): its
 * `virtual_server 192.168.1.120 80` with `lb_algo wrr`, `lb_kind DR`, `persistence_timeout 50` is
 * served by halo's proxy over real servers .103 (weight 1) and .104 (weight 5). Two network
 * namespaces made by the test (./serve-lab.ts): the VIP and the clients in one, the real servers in
 * the other. No other address is ever contacted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { REPO, ServeLab, labUnavailable } from './serve-lab.js';

const CONF = join(REPO, 'test/fixtures/keepalived/seed004.conf');
const VIP_URL = 'http://192.168.1.120/';
const CLIENTS = Array.from({ length: 12 }, (_, i) => `192.168.1.${201 + i}`);

test('seed 004 virtual_server: wrr 1:5 over new clients, each client pinned by persistence, DR said once to be a full proxy', { timeout: 60_000 }, async (t) => {
  const why = labUnavailable();
  if (why !== undefined) {
    t.skip(why);
    return;
  }
  const lab = new ServeLab({ lb: ['192.168.1.120/24', ...CLIENTS.map((c) => `${c}/32`)], web: ['192.168.1.103/24', '192.168.1.104/24'] });
  try {
    await lab.backend('rs103', '192.168.1.103', 80);
    await lab.backend('rs104', '192.168.1.104', 80);
    await lab.serve(['--keepalived', CONF]);
    assert.equal((lab.serveErr.match(/HALO_DPL_FULL_PROXY/g) ?? []).length, 1, lab.serveErr);
    assert.match(lab.serveErr, /lb_kind DR behaves as a full proxy/);

    // every client is new: wrr decides, 1 in 6 to the weight-1 server
    const firsts = CLIENTS.map((c) => lab.get(VIP_URL, c));
    assert.equal(firsts.filter((r) => r === '200 rs103').length, 2, firsts.join(', '));
    assert.equal(firsts.filter((r) => r === '200 rs104').length, 10, firsts.join(', '));

    // persistence_timeout 50: each client keeps its real server
    for (const [i, c] of CLIENTS.entries()) {
      const again = [lab.get(VIP_URL, c), lab.get(VIP_URL, c)];
      assert.deepEqual(again, [firsts[i], firsts[i]], `client ${c} stays on ${firsts[i] ?? '?'}`);
    }
  } finally {
    await lab.destroy();
  }
});
