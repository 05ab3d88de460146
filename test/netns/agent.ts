/**
 * The process a netns test runs inside a namespace: halo's Linux network adapters behind a JSON-lines
 * protocol on stdin/stdout (see Agent in harness.ts). Requests: {id, op, args}; replies:
 * {id, ok, result | error}; events: {event, ...} (received VRRP packets, link changes).
 */
import { readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { LinuxVrrpSockets } from '../../src/net/linux/vrrp-socket.js';
import { LinuxAddresses } from '../../src/net/linux/address.js';
import { LinuxNeighborAnnounce } from '../../src/net/linux/announce.js';
import { LinuxLinks } from '../../src/net/linux/link.js';
import { LinuxRoutes } from '../../src/net/linux/route.js';
import type { Family, RouteSpec, VipSpec } from '../../src/net/ports.js';

const sockets = new LinuxVrrpSockets();
const addresses = new LinuxAddresses({ onError: (code, message) => emit({ event: 'addressError', code, message }) });
const announce = new LinuxNeighborAnnounce();
const routes = new LinuxRoutes();
const links = new LinuxLinks({ onError: (code, message) => emit({ event: 'linkError', code, message }) });
const unwatch: Array<() => void> = [];

function emit(msg: unknown): void {
  process.stdout.write(JSON.stringify(msg) + '\n');
}

sockets.onPacket((d) => emit({ event: 'packet', ifname: d.ifname, family: d.family, src: d.src, dst: d.dst, ttl: d.ttl, payloadHex: Buffer.from(d.payload).toString('hex'), atMs: performance.now() }));

type Args = Record<string, unknown>;
const str = (a: Args, k: string): string => String(a[k]);
const fam = (a: Args): Family => (a['family'] === 6 ? 6 : 4);

const ops: Record<string, (a: Args) => unknown> = {
  ping: () => 'pong',
  open: (a) => sockets.open(str(a, 'ifname'), fam(a), (a['groups'] as string[] | undefined) ?? []),
  send: (a) =>
    sockets.send({
      ifname: str(a, 'ifname'),
      family: fam(a),
      dst: str(a, 'dst'),
      ...(a['src'] !== undefined ? { src: str(a, 'src') } : {}),
      ttl: Number(a['ttl'] ?? 255),
      payload: Buffer.from(str(a, 'payloadHex'), 'hex'),
    }),
  info: (a) => sockets.socketInfo(str(a, 'ifname'), fam(a)) ?? null,
  drops: () => sockets.dropCounts(),
  closeSockets: () => sockets.close(),
  vipAdd: (a) => addresses.add(a['vip'] as VipSpec),
  vipRemove: (a) => addresses.remove(a['vip'] as VipSpec),
  vipList: (a) => addresses.list(str(a, 'ifname')),
  routeAdd: (a) => routes.add(a['spec'] as RouteSpec),
  routeRemove: (a) => routes.remove(a['spec'] as RouteSpec),
  announce: (a) => announce.announce(str(a, 'ifname'), fam(a), str(a, 'address'), typeof a['router'] === 'boolean' ? { router: a['router'] } : {}),
  /** `count` announcements of one address, timed; with the agent's open descriptors before and after. */
  announceBurst: (a) => {
    const fds = (): number => readdirSync('/proc/self/fd').length;
    const fdsBefore = fds();
    const statsBefore = announce.stats();
    const count = Math.min(1000, Number(a['count'] ?? 1));
    const start = performance.now();
    let failed = 0;
    for (let i = 0; i < count; i++) if (!announce.announce(str(a, 'ifname'), fam(a), str(a, 'address')).ok) failed++;
    const elapsedMs = performance.now() - start;
    return { failed, elapsedMs, fdsBefore, fdsAfter: fds(), statsBefore, statsAfter: announce.stats() };
  },
  announceClose: (a) => (a['ifname'] === undefined ? announce.close() : announce.close(str(a, 'ifname'))),
  announceStats: () => announce.stats(),
  linkIsUp: (a) => links.isUp(str(a, 'ifname')),
  linkWatch: (a) => {
    unwatch.push(links.watch(a['ifnames'] as string[], (e) => emit({ event: 'link', ifname: e.ifname, up: e.up, atMs: performance.now() })));
    return true;
  },
  monitorPid: () => links.monitorPid() ?? null,
  addressWatch: (a) => {
    unwatch.push(addresses.watch(a['ifnames'] as string[], (e) => emit({ event: 'address', ...e, atMs: performance.now() })));
    return true;
  },
  addressMonitorPid: () => addresses.monitorPid() ?? null,
  addressPaths: () => addresses.pathCounts(),
  /**
   * `count` add+remove rounds of one VIP through netlink or through `ip`, timed: per add, the event
   * loop time the call held (until it returned its promise) and the time until it resolved (the
   * address is then on the interface: the kernel acked it, or ip exited).
   */
  vipBench: async (a) => {
    const vip = a['vip'] as VipSpec;
    const viaIp = a['path'] === 'ip';
    const adapter = viaIp ? new LinuxAddresses({ netlink: false }) : addresses;
    const count = Math.min(1000, Number(a['count'] ?? 1));
    const blockedMs: number[] = [];
    const presentMs: number[] = [];
    let failed = 0;
    const before = adapter.pathCounts();
    for (let i = 0; i < count; i++) {
      const start = performance.now();
      const pending = adapter.add(vip);
      blockedMs.push(performance.now() - start);
      const r = await pending;
      presentMs.push(performance.now() - start);
      if (!r.ok) failed++;
      if (!(await adapter.remove(vip)).ok) failed++;
    }
    const after = adapter.pathCounts();
    if (viaIp) adapter.close();
    return { failed, blockedMs, presentMs, netlink: after.netlink - before.netlink, ip: after.ip - before.ip };
  },
  monitorRestarts: () => links.restarts,
  now: () => performance.now(),
};

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  let req: { id: number; op: string; args: Args };
  try {
    req = JSON.parse(line) as typeof req;
  } catch {
    return;
  }
  const op = ops[req.op];
  if (!op) {
    emit({ id: req.id, ok: false, error: `unknown op ${req.op}` });
    return;
  }
  Promise.resolve()
    .then(() => op(req.args ?? {}))
    .then(
      (result) => emit({ id: req.id, ok: true, result: result ?? null }),
      (err: unknown) => emit({ id: req.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
    );
});
rl.on('close', () => {
  for (const u of unwatch) u();
  links.close();
  addresses.close();
  sockets.close();
  process.exit(0);
});
process.on('SIGTERM', () => {
  links.close();
  addresses.close();
  sockets.close();
  process.exit(0);
});
