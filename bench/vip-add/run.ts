// VIP add bench: the time from halo's takeover decision (the call to AddressPort.add) until the
// address is on the interface, through halo's rtnetlink request (native/netlink.c) and through
// `ip addr add` (the path before it), in one namespace of a lab, in the same run, taking turns in
// batches of 10 so a change of machine load falls on both. Per add: "held", the event-loop time
// the call took before returning its promise (nothing else of the VRRP process runs meanwhile,
// adverts included), and "present", until the promise resolved (the kernel's ack, or ip's exit).
// Each add is followed by a remove (not timed). Needs root. Usage:
//   npx tsc -p . && node dist/bench/vip-add/run.js [--count 200]
import { Agent, NetnsLab } from '../../test/netns/harness.js';

const argv = process.argv.slice(2);
const countArg = argv.indexOf('--count');
const COUNT = Math.max(10, Math.min(1000, countArg >= 0 ? Number(argv[countArg + 1]) || 200 : 200));
const BATCH = 10;

type Bench = { failed: number; blockedMs: number[]; presentMs: number[]; netlink: number; ip: number };

function pct(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

const avail = NetnsLab.available();
if (!avail.ok) {
  console.error(`Cannot run the VIP add bench: ${avail.reason}`);
  process.exit(2);
}
const lab = new NetnsLab(61);
try {
  lab.addSegment();
  const node = lab.addNode('d1');
  const agent = await Agent.start(node);
  const vip = { address: lab.ipv4Of(0, 100), prefixLength: 32, family: 4, ifname: 'eth0', label: 'eth0:vip' };
  const all: Record<'netlink' | 'ip', { held: number[]; present: number[]; failed: number }> = {
    netlink: { held: [], present: [], failed: 0 },
    ip: { held: [], present: [], failed: 0 },
  };
  // Warm-up, not counted: the first add loads the addon and opens the netlink socket.
  for (const path of ['netlink', 'ip'] as const) await agent.call('vipBench', { vip, count: 2, path });
  for (let done = 0; done < COUNT; done += BATCH) {
    for (const path of ['netlink', 'ip'] as const) {
      const r = (await agent.call('vipBench', { vip, count: BATCH, path })) as Bench;
      all[path].held.push(...r.blockedMs);
      all[path].present.push(...r.presentMs);
      all[path].failed += r.failed;
    }
  }
  console.log(`VIP add, ${COUNT} adds per path (ms)      held p50   held p99   present p50   present p99   failed`);
  for (const path of ['netlink', 'ip'] as const) {
    const a = all[path];
    console.log(
      `${path.padEnd(40)}${pct(a.held, 50).toFixed(3).padStart(9)}${pct(a.held, 99).toFixed(3).padStart(11)}${pct(a.present, 50).toFixed(3).padStart(14)}${pct(a.present, 99).toFixed(3).padStart(14)}${String(a.failed).padStart(9)}`,
    );
  }
  for (const path of ['netlink', 'ip'] as const) console.log(`${path} present over 1 ms: ${all[path].present.filter((x) => x > 1).length} of ${all[path].present.length}`);
  console.log(`ratio ip/netlink, present p50: ${(pct(all.ip.present, 50) / pct(all.netlink.present, 50)).toFixed(0)}x`);
} finally {
  await lab.destroy();
}
