// halo's BFD against keepalived's own BFD (Debian keepalived 2.2.7 built with BFD), in network
// namespaces: keepalived `bfd_instance` ↔ halo BfdEngine. Sessions come Up both ways; a path cut
// (nftables drop in keepalived's namespace) takes halo Down with diag 1 within the detection
// time; a clean stop of keepalived takes halo Down at once; a crash of halo takes keepalived Down.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { NetnsLab, until, type NetnsNode } from '../netns/harness.js';

const PEER = fileURLToPath(new URL('./bfd-peer.js', import.meta.url));
const available = NetnsLab.available();
const skip = !available.ok ? available.reason : !NetnsLab.hasCommand('keepalived') ? 'needs keepalived' : undefined;

let lab: NetnsLab | undefined;
after(async () => {
  await lab?.destroy();
});

interface PeerEvent { t: string; to?: string; from?: string; diag?: number; cause?: string; atMs?: number; problems?: string[] }

function startPeer(node: NetnsNode, input: object): { child: ChildProcess; events: PeerEvent[] } {
  const child = node.spawn([process.execPath, PEER, JSON.stringify(input)]);
  const events: PeerEvent[] = [];
  let partial = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) if (l.trim() !== '' && events.length < 10_000) events.push(JSON.parse(l) as PeerEvent);
  });
  return { child, events };
}

function startKeepalivedBfd(node: NetnsNode, conf: string): { child: ChildProcess; log: string[] } {
  const dir = mkdtempSync(join(tmpdir(), `${node.ns}-kabfd-`));
  node.lab.cleanupDir(dir);
  writeFileSync(join(dir, 'keepalived.conf'), conf);
  const child = node.spawn([
    'keepalived', '--dont-fork', '--log-console', '--log-detail', '--no-syslog',
    `--use-file=${join(dir, 'keepalived.conf')}`, `--pid=${join(dir, 'k.pid')}`, `--bfd_pid=${join(dir, 'bfd.pid')}`,
  ]);
  const log: string[] = [];
  for (const s of [child.stdout, child.stderr]) {
    s?.setEncoding('utf8');
    s?.on('data', (chunk: string) => { for (const l of chunk.split('\n')) if (l !== '' && log.length < 5000) log.push(l); });
  }
  return { child, log };
}

const lastState = (events: PeerEvent[]): string | undefined => events.filter((e) => e.t === 'state').at(-1)?.to;

test('keepalived bfd_instance and halo BFD: Up both ways, Down within the detection time', { skip, timeout: 90_000 }, async (t) => {
  lab = new NetnsLab(41);
  lab.addSegment();
  const ka = lab.addNode('ka');
  const ha = lab.addNode('ha');
  const kaConf = `global_defs {
  router_id ka
}
bfd_instance halo {
  neighbor_ip ${ha.ipv4()}
  source_ip ${ka.ipv4()}
  min_rx 50
  min_tx 50
  multiplier 3
}
`;
  const peerInput = { name: 'ka', neighborIp: ka.ipv4(), sourceIp: ha.ipv4(), minTxUs: 50_000, minRxUs: 50_000, multiplier: 3 };

  // 1. Both sides up.
  let k = startKeepalivedBfd(ka, kaConf);
  let p = startPeer(ha, peerInput);
  assert.ok(await until(() => p.events.some((e) => e.t === 'ready'), 5_000), 'halo peer ready');
  assert.deepEqual(p.events.find((e) => e.t === 'ready')?.problems, []);
  assert.ok(await until(() => lastState(p.events) === 'Up', 15_000), `halo session Up (events ${JSON.stringify(p.events)}; keepalived log tail ${k.log.slice(-10).join(' | ')})`);
  assert.ok(await until(() => k.log.some((l) => /\(halo\) Entering Up state/.test(l)), 5_000), `keepalived reports Up: ${k.log.slice(-10).join(' | ')}`);

  // 2. Path cut: keepalived's packets to halo are dropped; halo's detection time is 3 × 50 ms.
  await new Promise((r) => setTimeout(r, 500));
  const before = p.events.length;
  const cutAt = performance.now();
  ka.must(['sh', '-c', 'printf "%s" "$0" | nft -f -', 'table inet halobfd { chain out { type filter hook output priority 0; udp dport 3784 drop; }; }']);
  assert.ok(await until(() => p.events.slice(before).some((e) => e.to === 'Down'), 3_000), 'halo Down after the cut');
  const down = p.events.slice(before).find((e) => e.to === 'Down')!;
  // The peer's clock and ours are both performance.now() of different processes: use our own.
  const detectMs = performance.now() - cutAt;
  t.diagnostic(`halo detected the cut path in <= ${detectMs.toFixed(0)} ms (detection time 150 ms): ${down.cause}`);
  assert.equal(down.diag, 1);
  assert.ok(detectMs < 150 + 400, `halo Down after ${detectMs} ms`);
  ka.must(['nft', 'delete', 'table', 'inet', 'halobfd']);
  assert.ok(await until(() => lastState(p.events) === 'Up', 15_000), 'Up again after the path heals');

  // 3. Clean stop of keepalived: halo goes Down (AdminDown from keepalived, or the detection time).
  const stopBefore = p.events.length;
  const stopAt = performance.now();
  await lab.kill(k.child);
  assert.ok(await until(() => p.events.slice(stopBefore).some((e) => e.to === 'Down'), 3_000), 'halo Down after keepalived stopped');
  const stopMs = performance.now() - stopAt;
  const why = p.events.slice(stopBefore).find((e) => e.to === 'Down')!;
  t.diagnostic(`keepalived stopped: halo Down within ${stopMs.toFixed(0)} ms (${why.cause})`);

  // 4. keepalived again, then halo crashes (SIGKILL): keepalived must notice.
  k = startKeepalivedBfd(ka, kaConf);
  assert.ok(await until(() => lastState(p.events) === 'Up', 15_000), 'Up with the new keepalived');
  const logBefore = k.log.length;
  assert.ok(await until(() => k.log.some((l) => /\(halo\) Entering Up state/.test(l)), 5_000), 'keepalived Up again');
  await lab.kill(p.child, 'SIGKILL');
  const crashAt = performance.now();
  assert.ok(await until(() => k.log.slice(logBefore).some((l) => /\(halo\) Entering Down state/.test(l)), 5_000), `keepalived Down after halo crashed: ${k.log.slice(-10).join(' | ')}`);
  t.diagnostic(`halo killed: keepalived Down within ${(performance.now() - crashAt).toFixed(0)} ms`);
  p = startPeer(ha, peerInput);
  await lab.kill(p.child);
  await lab.kill(k.child);
});
