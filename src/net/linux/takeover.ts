/**
 * TakeoverPort on Linux: a backup's planned takeover (advert, VIPs, first gratuitous ARP /
 * unsolicited NA) carried out at its deadline by the addon's takeover thread (native/takeover.c),
 * which sleeps on the exact deadline and does not wait for the event loop. Each instance has one
 * of the addon's slots. A plan the thread cannot carry (no addon, no open VRRP socket, a VIP only
 * `ip` can express, too many entries, no free slot) is not armed, and the runtime takes over in
 * JavaScript as before.
 */
import type { TakeoverPlan, TakeoverPort, TakeoverReport } from '../ports.js';
import { forwardsIpv6 } from './announce.js';
import { netlinkAddRequest } from './address.js';
import { describeErrno } from './errno-hint.js';
import { errnoName, loadAddon, type NativeTakeoverPlan, type NativeTakeoverReport } from './native.js';
import type { LinuxVrrpSockets } from './vrrp-socket.js';

const PARTS = ['advert', 'vip', 'announce'] as const;

export class LinuxTakeover implements TakeoverPort {
  private readonly slots = new Map<string, number>();
  private free: number[] | undefined;

  constructor(private readonly sockets: LinuxVrrpSockets) {}

  arm(key: string, inMs: number, plan?: TakeoverPlan): boolean {
    const loaded = loadAddon();
    if (!loaded.ok) return false;
    const { takeoverArm, takeoverStats } = loaded.addon;
    if (takeoverArm === undefined || takeoverStats === undefined) return false;
    const addon = loaded.addon;
    let native: NativeTakeoverPlan | undefined;
    if (plan !== undefined) {
      native = this.toNative(plan);
      if (native === undefined) return false;
    }
    if (this.free === undefined) {
      this.free = [];
      for (let i = takeoverStats.call(addon).slots; i > 0; i--) this.free.push(i - 1);
    }
    let slot = this.slots.get(key);
    if (slot === undefined) {
      if (native === undefined) return false;
      slot = this.free.pop();
      if (slot === undefined) return false;
      this.slots.set(key, slot);
    }
    let r: number;
    try {
      r = takeoverArm.call(addon, slot, inMs, native);
    } catch {
      r = -22; // EINVAL: the plan did not parse
    }
    return r === 0;
  }

  onCarriedOut(handler: (key: string) => void): void {
    const loaded = loadAddon();
    if (!loaded.ok) return;
    const { takeoverOnFired, takeoverFired } = loaded.addon;
    if (takeoverOnFired === undefined || takeoverFired === undefined) return;
    const addon = loaded.addon;
    takeoverOnFired.call(addon, () => {
      for (const slot of takeoverFired.call(addon)) {
        for (const [key, s] of this.slots) if (s === slot) handler(key);
      }
    });
  }

  claim(key: string, forget = false): TakeoverReport | undefined {
    const slot = this.slots.get(key);
    const loaded = loadAddon();
    if (slot === undefined || !loaded.ok || loaded.addon.takeoverClaim === undefined) return undefined;
    const report = loaded.addon.takeoverClaim(slot, forget);
    if (forget) {
      this.slots.delete(key);
      this.free?.push(slot);
    }
    return report === null ? undefined : reportOf(report);
  }

  private toNative(plan: TakeoverPlan): NativeTakeoverPlan | undefined {
    const adverts: Array<NativeTakeoverPlan['adverts'][number]> = [];
    for (const request of plan.adverts) {
      const a = this.sockets.nativeAdvert(request);
      if (a === undefined) return undefined;
      adverts.push(a);
    }
    const addresses: Array<NativeTakeoverPlan['addresses'][number]> = [];
    for (const vip of plan.vips) {
      const r = netlinkAddRequest(vip);
      if (r === undefined) return undefined;
      addresses.push([r.ifname, r.family, r.address, r.prefixLength, r.options]);
    }
    const announces = plan.announce.map((a) => [a.ifname, a.family, a.address, a.family === 6 && forwardsIpv6(a.ifname)] as const);
    return { adverts, addresses, announces };
  }
}

function reportOf(r: NativeTakeoverReport): TakeoverReport {
  return {
    lateMs: r.lateMs,
    advertMs: r.advertMs,
    vipsMs: r.addressesMs,
    announceMs: r.announceMs,
    errors: r.errors.map(([part, index, errno]) => ({ part: PARTS[part], index, error: describeErrno(errnoName(errno)) })),
  };
}
