/**
 * AddressPort on Linux through iproute2 (`ip addr add|del`, `ip -json addr show`). Adding an
 * address that is already there and removing one that is already gone both succeed: the runtime
 * states what it wants on the interface, as keepalived does when it (re)claims its VIPs, and a
 * restarted director cleaning up a crashed run's VIPs finds either state. IPv6 VIPs are added with
 * `nodad`: a tentative address (RFC 4862 DAD, about a second) cannot be used by clients or as a
 * source, which would lengthen every failover.
 */
import type { AddressPort, PortResult, VipSpec } from '../ports.js';
import { ipComplaint, ipRunner, type IpRunner } from './ip-command.js';

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

export type ListResult = { ok: true; addresses: ListedAddress[] } | { ok: false; error: string };

export class LinuxAddresses implements AddressPort {
  constructor(private readonly run: IpRunner = ipRunner()) {}

  async add(vip: VipSpec): Promise<PortResult> {
    const outcome = await this.run(addArgs(vip));
    if (outcome.status === 0) return { ok: true };
    const why = ipComplaint(outcome);
    if (ALREADY_PRESENT.test(why)) return { ok: true };
    return { ok: false, error: `Cannot add ${vip.address}/${vip.prefixLength} to ${vip.ifname}: ${why}`, code: outcome.status === null ? 'HALO_NET_COMMAND' : 'HALO_NET_ADDRESS_ADD' };
  }

  async remove(vip: VipSpec): Promise<PortResult> {
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
