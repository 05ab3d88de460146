// ha_suspend in the checker process: no checks while the service address is not on this
// director; once the address appears (added in the kernel, as the VRRP process does for a VIP),
// checks run and a dead real server goes down. Runs checker-main.js in a namespace over IPC.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { NetnsLab, until } from './harness.js';

const CHECKER_MAIN = fileURLToPath(new URL('../../src/daemon/checker-main.js', import.meta.url));
const available = NetnsLab.available();
let lab: NetnsLab | undefined;
after(async () => {
  await lab?.destroy();
});

test('ha_suspend: checks start when the service address appears on the director', { skip: available.ok ? undefined : available.reason, timeout: 30_000 }, async () => {
  lab = new NetnsLab(43);
  lab.addSegment();
  const node = lab.addNode('d1');
  const vip = lab.ipv4Of(0, 100);
  const dir = mkdtempSync(join(tmpdir(), 'halo-hasuspend-'));
  lab.cleanupDir(dir);
  const file = join(dir, 'keepalived.conf');
  // Port 9 on the node's own address: nothing listens, so a check that runs fails at once.
  writeFileSync(file, `virtual_server ${vip} 80 {
  protocol TCP
  delay_loop 0.1
  ha_suspend
  real_server ${node.ipv4()} 9 {
    TCP_CHECK {
      retry 0
      connect_timeout 1
    }
  }
}
`);
  const child = lab.track(spawn('ip', ['netns', 'exec', node.ns, process.execPath, CHECKER_MAIN], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] }));
  const messages: { type: string; event?: { type: string; health?: string } }[] = [];
  child.on('message', (m) => {
    if (messages.length < 10_000) messages.push(m as (typeof messages)[number]);
  });
  child.send({ type: 'start', file, configId: 'd1' });
  assert.ok(await until(() => messages.some((m) => m.type === 'ready'), 10_000), `ready: ${JSON.stringify(messages)}`);
  const downEvent = (): boolean => messages.some((m) => m.type === 'event' && m.event?.type === 'server' && m.event.health === 'down');
  // Ten delay_loops without the address: nothing is checked, so nothing goes down.
  await new Promise((r) => setTimeout(r, 1_000));
  assert.equal(downEvent(), false, 'checks ran while the service address was absent');
  node.must(['ip', 'addr', 'add', `${vip}/32`, 'dev', 'eth0']);
  assert.ok(await until(downEvent, 5_000), 'the dead server went down once the address was there');
  await lab.kill(child);
});
