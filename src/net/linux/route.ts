/**
 * RoutePort on Linux: keepalived's `virtual_routes` and `virtual_rules` entries are already in
 * `ip route` / `ip rule` syntax, so they are handed to iproute2 word for word (no shell). As with
 * VIPs, adding what is there and removing what is gone succeed, so the runtime states what it wants.
 */
import type { PortResult, RoutePort, RouteSpec } from '../ports.js';
import { ipComplaint, ipRunner, type IpRunner } from './ip-command.js';

const ALREADY_PRESENT = /File exists|already exists/i;
/** ESRCH for routes ("No such process"), ENOENT for rules. */
const ALREADY_GONE = /No such process|No such file or directory|not found/i;

export function routeArgs(spec: RouteSpec, verb: 'add' | 'del'): string[] {
  return [`-${spec.family}`, spec.kind, verb, ...spec.args];
}

export class LinuxRoutes implements RoutePort {
  constructor(private readonly run: IpRunner = ipRunner()) {}

  async add(spec: RouteSpec): Promise<PortResult> {
    const outcome = await this.run(routeArgs(spec, 'add'));
    if (outcome.status === 0) return { ok: true };
    const why = ipComplaint(outcome);
    if (ALREADY_PRESENT.test(why)) return { ok: true };
    return { ok: false, error: `Cannot add ${spec.kind} ${spec.args.join(' ')}: ${why}`, code: outcome.status === null ? 'HALO_NET_COMMAND' : 'HALO_NET_ROUTE_ADD' };
  }

  async remove(spec: RouteSpec): Promise<PortResult> {
    const outcome = await this.run(routeArgs(spec, 'del'));
    if (outcome.status === 0) return { ok: true };
    const why = ipComplaint(outcome);
    if (ALREADY_GONE.test(why)) return { ok: true };
    return { ok: false, error: `Cannot remove ${spec.kind} ${spec.args.join(' ')}: ${why}`, code: outcome.status === null ? 'HALO_NET_COMMAND' : 'HALO_NET_ROUTE_REMOVE' };
  }
}
