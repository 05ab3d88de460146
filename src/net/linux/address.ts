/**
 * AddressPort on Linux through iproute2 (`ip addr add|del`, `ip -json addr show`). Adding an
 * address that is already there and removing one that is already gone both succeed: the runtime
 * states what it wants on the interface, as keepalived does when it (re)claims its VIPs, and a
 * restarted director cleaning up a crashed run's VIPs finds either state. IPv6 VIPs are added with
 * `nodad`: a tentative address (RFC 4862 DAD, about a second) cannot be used by clients or as a
 * source, which would lengthen every failover.
 *
 * Adding and removing go through halo's own rtnetlink requests (native/netlink.c) when the addon is
 * loaded: one request and its ack on a kept socket, like keepalived, instead of a fork+exec of `ip`
 * that blocks the event loop for milliseconds at the moment of a takeover (docs/vrrp.md). The
 * request carries what `ip addr add` would send for the same VipSpec; a VipSpec it cannot express
 * (a `brd +`, a scope name from rt_scopes, a label `ip` would refuse) and a machine without the
 * addon use `ip` as before. Listing and the watch stay on `ip -json` / `ip monitor`.
 */
import { getSystemErrorName } from 'node:util';
import { parseIpOfFamily } from '../../core/ip.js';
import type { ErrorCode } from '../../core/errors/index.js';
import type { AddressEvent, AddressPort, PortResult, VipSpec } from '../ports.js';
import { ipComplaint, ipRunner, type IpRunner } from './ip-command.js';
import { IpMonitor } from './ip-monitor.js';
import { describeErrno } from './errno-hint.js';
import { loadAddon, type NetlinkAddressOptions } from './native.js';

/** `ip addr add` arguments for a VIP, in `ip addr` syntax like keepalived's `virtual_ipaddress`. */
export function addArgs(vip: VipSpec): string[] {
  const args = [`-${vip.family}`, 'addr', 'add', `${vip.address}/${vip.prefixLength}`, 'dev', vip.ifname];
  if (vip.family === 4 && vip.broadcast !== undefined) args.push('broadcast', vip.broadcast);
  if (vip.family === 4 && vip.label !== undefined) args.push('label', vip.label);
  if (vip.scope !== undefined) args.push('scope', vip.scope);
  if (vip.family === 6) args.push('nodad');
  return args;
}

export function removeArgs(vip: VipSpec): string[] {
  return [`-${vip.family}`, 'addr', 'del', `${vip.address}/${vip.prefixLength}`, 'dev', vip.ifname];
}

/** The netlink half of the addon, injectable for tests. Both return 0 or -errno. */
export interface NetlinkAddressOps {
  addressAdd(ifname: string, family: 4 | 6, address: Uint8Array, prefixLength: number, options?: NetlinkAddressOptions): number;
  addressDel(ifname: string, family: 4 | 6, address: Uint8Array, prefixLength: number): number;
}

/** rt_scopes' built-in names, as `ip` reads them without /etc/iproute2/rt_scopes. */
const SCOPES: Readonly<Record<string, number>> = { global: 0, universe: 0, site: 200, link: 253, host: 254, nowhere: 255 };
const IFNAME_MAX = 15;

export interface NetlinkAddRequest {
  readonly ifname: string;
  readonly family: 4 | 6;
  readonly address: Uint8Array;
  readonly prefixLength: number;
  readonly options: NetlinkAddressOptions;
}

/**
 * The netlink request `ip addr add` would send for `vip` (addArgs), or undefined when the VipSpec
 * holds something only `ip` resolves or words the refusal of: then the adapter runs `ip`, so the
 * semantics and error texts stay those of the `ip` path.
 */
export function netlinkAddRequest(vip: VipSpec): NetlinkAddRequest | undefined {
  const address = parseIpOfFamily(vip.address, vip.family);
  const maxPrefix = vip.family === 4 ? 32 : 128;
  if (!address || !Number.isInteger(vip.prefixLength) || vip.prefixLength < 0 || vip.prefixLength > maxPrefix) return undefined;
  if (vip.ifname.length === 0 || vip.ifname.length > IFNAME_MAX) return undefined;
  const options: { label?: string; scope?: number; broadcast?: Uint8Array; flags?: number } = {};
  if (vip.family === 4 && vip.broadcast !== undefined) {
    const brd = parseIpOfFamily(vip.broadcast, 4);
    if (!brd) return undefined; // `brd +` / `brd -`: ip computes them
    options.broadcast = brd;
  }
  if (vip.family === 4 && vip.label !== undefined) {
    // ip accepts a label only when it starts with the device name; the kernel limits it to 15 bytes.
    if (!vip.label.startsWith(vip.ifname) || Buffer.byteLength(vip.label) > IFNAME_MAX) return undefined;
    options.label = vip.label;
  }
  if (vip.scope !== undefined) {
    const scope = /^\d+$/.test(vip.scope) ? Number(vip.scope) : SCOPES[vip.scope];
    if (scope === undefined || scope > 255) return undefined;
    options.scope = scope;
  }
  if (vip.family === 6) options.flags = IFA_F_NODAD;
  return { ifname: vip.ifname, family: vip.family, address, prefixLength: vip.prefixLength, options };
}

/** Passes of the request builder in `prepare` (V8 optimises code it has run often). */
const PREPARE_PASSES = 50;

/** linux/if_addr.h: skip duplicate address detection (the `nodad` of `ip addr add`). */
const IFA_F_NODAD = 0x02;

/** `ENODEV (no such interface)`; address changes need CAP_NET_ADMIN, not the raw sockets' CAP_NET_RAW. */
function describeNetlinkErrno(negErrno: number): string {
  let name: string;
  try {
    name = getSystemErrorName(negErrno);
  } catch {
    return `errno ${-negErrno}`;
  }
  return name === 'EPERM' || name === 'EACCES' ? `${name} (needs CAP_NET_ADMIN)` : describeErrno(name);
}

interface JsonAddrInfo {
  family?: string;
  local?: string;
  prefixlen?: number;
  label?: string;
}

/** One address of `ip -json addr show`. */
export interface ListedAddress {
  readonly address: string;
  readonly prefixLength: number;
  readonly family: 4 | 6;
  readonly label?: string;
}

export function parseAddrJson(json: string): ListedAddress[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  const out: ListedAddress[] = [];
  for (const link of parsed as Array<{ addr_info?: JsonAddrInfo[] }>) {
    for (const a of link.addr_info ?? []) {
      if (typeof a.local !== 'string' || typeof a.prefixlen !== 'number') continue;
      const family = a.family === 'inet6' ? 6 : a.family === 'inet' ? 4 : undefined;
      if (family === undefined) continue;
      out.push(a.label !== undefined ? { address: a.local, prefixLength: a.prefixlen, family, label: a.label } : { address: a.local, prefixLength: a.prefixlen, family });
    }
  }
  return out;
}

/** How the kernel words EEXIST / EADDRNOTAVAIL: extended acks on current kernels, errno text on older. */
const ALREADY_PRESENT = /File exists|address already assigned/i;
const ALREADY_GONE = /Cannot assign requested address|address not found/i;

/**
 * Parses one line of `ip monitor address` (`2: eth0    inet 10.0.0.5/32 scope global eth0:vip`,
 * `Deleted 2: eth0    inet6 fd00::5/64 ...`); other lines give undefined. The name is the device's,
 * not the label.
 */
export function parseAddressMonitorLine(line: string): AddressEvent | undefined {
  const m = /^(Deleted\s+)?\d+:\s+(\S+)\s+(inet6?)\s+([0-9A-Fa-f:.]+)\/(\d+)/.exec(line);
  if (!m) return undefined;
  return { ifname: m[2] ?? '', address: m[4] ?? '', prefixLength: Number(m[5]), family: m[3] === 'inet6' ? 6 : 4, present: m[1] === undefined };
}

export interface LinuxAddressesOptions {
  readonly run?: IpRunner;
  readonly ipPath?: string;
  /** Told when the address monitor stops unexpectedly (it is restarted). */
  readonly onError?: (code: ErrorCode, message: string) => void;
  /**
   * Netlink requests for add/remove: default the addon's when it is loaded (none when `run` is
   * given), false to always run `ip` (the bench compares the two paths).
   */
  readonly netlink?: NetlinkAddressOps | false;
}

/** How many adds and removes went each way since the adapter was made. */
export interface AddressPathCounts {
  readonly netlink: number;
  readonly ip: number;
}

interface AddressWatcher {
  readonly names: ReadonlySet<string>;
  readonly onChange: (event: AddressEvent) => void;
}

const WATCHERS_MAX = 256;

export type ListResult = { ok: true; addresses: ListedAddress[] } | { ok: false; error: string };

export class LinuxAddresses implements AddressPort {
  private readonly run: IpRunner;
  private readonly watchers = new Set<AddressWatcher>();
  /** Per watched interface, the `address/prefix` set last seen, to report what vanished while no monitor ran. */
  private readonly known = new Map<string, Set<string>>();
  private readonly monitor: IpMonitor;
  /** undefined until the first add/remove looks for the addon. */
  private netlink: NetlinkAddressOps | false | undefined;
  private readonly counts = { netlink: 0, ip: 0 };

  constructor(options: LinuxAddressesOptions | IpRunner = {}) {
    const opts: LinuxAddressesOptions = typeof options === 'function' ? { run: options } : options;
    // An injected `ip` runner (a test's fake) means every change goes to it unless netlink is given too.
    this.netlink = opts.netlink ?? (opts.run !== undefined ? false : undefined);
    const ipPath = opts.ipPath ?? 'ip';
    this.run = opts.run ?? ipRunner(ipPath);
    const onError = opts.onError ?? (() => {});
    this.monitor = new IpMonitor({
      ipPath,
      object: 'address',
      onLine: (line) => {
        const event = parseAddressMonitorLine(line);
        if (event) this.update(event);
      },
      onStart: () => void this.resync(),
      onDied: (why, delayMs) => onError('HALO_NET_ADDRESS_MONITOR', `Address monitor stopped: ${why} (restarting in ${delayMs} ms)`),
    });
  }

  watch(ifnames: readonly string[], onChange: (event: AddressEvent) => void): () => void {
    if (this.watchers.size >= WATCHERS_MAX) throw new RangeError(`LinuxAddresses: more than ${WATCHERS_MAX} watchers`);
    const watcher: AddressWatcher = { names: new Set(ifnames), onChange };
    this.watchers.add(watcher);
    if (!this.monitor.active) this.monitor.start();
    else void this.resync();
    return () => {
      this.watchers.delete(watcher);
      if (this.watchers.size === 0) {
        this.monitor.stop();
        this.known.clear();
      }
    };
  }

  /** Stops the address monitor and forgets every watcher. */
  close(): void {
    this.watchers.clear();
    this.monitor.stop();
    this.known.clear();
  }

  /** PID of the running `ip monitor address` (for tests that kill it). */
  monitorPid(): number | undefined {
    return this.monitor.pid();
  }

  private watched(ifname: string): boolean {
    for (const w of this.watchers) if (w.names.has(ifname)) return true;
    return false;
  }

  /** Reads every watched interface; reports what appeared or vanished since it was last seen. */
  private async resync(): Promise<void> {
    const names = new Set<string>();
    for (const w of this.watchers) for (const n of w.names) names.add(n);
    for (const ifname of names) {
      const r = await this.listDetailed(ifname);
      if (!r.ok) continue;
      const now = new Map<string, ListedAddress>(r.addresses.map((a) => [`${a.address}/${a.prefixLength}`, a]));
      const before = this.known.get(ifname);
      if (!before) {
        this.known.set(ifname, new Set(now.keys()));
        continue;
      }
      for (const key of [...before]) {
        if (now.has(key)) continue;
        const [address = '', prefix = '0'] = key.split('/');
        this.update({ ifname, address, prefixLength: Number(prefix), family: address.includes(':') ? 6 : 4, present: false });
      }
      for (const a of now.values()) if (!before.has(`${a.address}/${a.prefixLength}`)) this.update({ ifname, address: a.address, prefixLength: a.prefixLength, family: a.family, present: true });
    }
  }

  private update(event: AddressEvent): void {
    if (!this.watched(event.ifname)) return;
    const key = `${event.address}/${event.prefixLength}`;
    let set = this.known.get(event.ifname);
    if (!set) {
      set = new Set();
      this.known.set(event.ifname, set);
    }
    if (event.present) set.add(key);
    else set.delete(key);
    for (const w of [...this.watchers]) {
      if (!w.names.has(event.ifname)) continue;
      try {
        w.onChange(event);
      } catch {
        // One failing watcher must not keep the others from hearing about the address.
      }
    }
  }

  /** The netlink requests, looked up once: the addon's if it is loaded and has them. */
  private netlinkOps(): NetlinkAddressOps | false {
    if (this.netlink === undefined) {
      const load = loadAddon();
      const addon = load.ok ? load.addon : undefined;
      this.netlink = addon?.addressAdd && addon.addressDel ? { addressAdd: addon.addressAdd.bind(addon), addressDel: addon.addressDel.bind(addon) } : false;
    }
    return this.netlink;
  }

  /** Adds and removes made through netlink and through `ip`. */
  pathCounts(): AddressPathCounts {
    return { ...this.counts };
  }

  /**
   * Builds the netlink request of `vip` without sending it (warms the code of the first add) and
   * opens the netlink socket. Measured: a process's first add took 0.19 ms, the third 0.02 ms.
   */
  prepare(vip: VipSpec): void {
    if (this.netlinkOps() === false) return;
    for (let i = 0; i < PREPARE_PASSES; i++) netlinkAddRequest(vip);
    const load = loadAddon();
    if (load.ok) load.addon.netlinkOpen?.();
  }

  async add(vip: VipSpec): Promise<PortResult> {
    const ops = this.netlinkOps();
    const req = ops ? netlinkAddRequest(vip) : undefined;
    if (ops && req) {
      this.counts.netlink++;
      const r = ops.addressAdd(req.ifname, req.family, req.address, req.prefixLength, req.options);
      // EEXIST is ip's "File exists": the address is already there, which is what was wanted.
      if (r === 0 || r === -17) return { ok: true };
      return { ok: false, error: `Cannot add ${vip.address}/${vip.prefixLength} to ${vip.ifname}: ${describeNetlinkErrno(r)}`, code: 'HALO_NET_ADDRESS_ADD' };
    }
    this.counts.ip++;
    const outcome = await this.run(addArgs(vip));
    if (outcome.status === 0) return { ok: true };
    const why = ipComplaint(outcome);
    if (ALREADY_PRESENT.test(why)) return { ok: true };
    return { ok: false, error: `Cannot add ${vip.address}/${vip.prefixLength} to ${vip.ifname}: ${why}`, code: outcome.status === null ? 'HALO_NET_COMMAND' : 'HALO_NET_ADDRESS_ADD' };
  }

  async remove(vip: VipSpec): Promise<PortResult> {
    const ops = this.netlinkOps();
    const req = ops ? netlinkAddRequest(vip) : undefined;
    if (ops && req) {
      this.counts.netlink++;
      // `ip addr del ADDR/PREFIX dev IF` sends only the address, prefix and interface; so does this.
      const r = ops.addressDel(req.ifname, req.family, req.address, req.prefixLength);
      // EADDRNOTAVAIL is ip's "Cannot assign requested address": already gone, as wanted.
      if (r === 0 || r === -99) return { ok: true };
      return { ok: false, error: `Cannot remove ${vip.address}/${vip.prefixLength} from ${vip.ifname}: ${describeNetlinkErrno(r)}`, code: 'HALO_NET_ADDRESS_REMOVE' };
    }
    this.counts.ip++;
    const outcome = await this.run(removeArgs(vip));
    if (outcome.status === 0) return { ok: true };
    const why = ipComplaint(outcome);
    if (ALREADY_GONE.test(why)) return { ok: true };
    return { ok: false, error: `Cannot remove ${vip.address}/${vip.prefixLength} from ${vip.ifname}: ${why}`, code: outcome.status === null ? 'HALO_NET_COMMAND' : 'HALO_NET_ADDRESS_REMOVE' };
  }

  async list(ifname: string): Promise<readonly string[]> {
    const r = await this.listDetailed(ifname);
    return r.ok ? r.addresses.map((a) => `${a.address}/${a.prefixLength}`) : [];
  }

  /** `list` with its failure told apart from an interface that has no address. */
  async listDetailed(ifname: string): Promise<ListResult> {
    const outcome = await this.run(['-json', 'addr', 'show', 'dev', ifname]);
    if (outcome.status !== 0) return { ok: false, error: `Cannot list the addresses of ${ifname}: ${ipComplaint(outcome)}` };
    const addresses = parseAddrJson(outcome.stdout);
    if (!addresses) return { ok: false, error: `Cannot list the addresses of ${ifname}: ip printed no JSON` };
    return { ok: true, addresses };
  }
}
