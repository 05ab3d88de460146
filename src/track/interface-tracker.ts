/**
 * `track_interface`: follows the links through the network adapters' LinkPort (src/net) and emits
 * one signal per interface change. The LinkPort is injected, so tests and the simulator drive it.
 */
import type { LinkPort } from '../net/ports.js';
import type { TrackerSignal } from '../vrrp/track/types.js';
import { interfaceSignal } from '../vrrp/track/interface.js';

export class InterfaceTracker {
  private unsubscribe: (() => void) | null = null;
  private readonly last = new Map<string, boolean>();

  constructor(
    private readonly port: LinkPort,
    private readonly ifnames: readonly string[],
    private readonly onSignal: (ifname: string, signal: TrackerSignal) => void,
  ) {}

  /** Reads every link once (the initial signals), then follows changes. */
  async start(): Promise<void> {
    // Subscribe first so a change during the initial reads is not lost; duplicates are filtered.
    this.unsubscribe = this.port.watch(this.ifnames, (e) => this.apply(e.ifname, e.up));
    for (const ifname of this.ifnames) {
      let up = false;
      try {
        up = await this.port.isUp(ifname);
      } catch {
        up = false; // an interface that cannot be read counts as down, like a missing one
      }
      if (!this.last.has(ifname)) this.apply(ifname, up);
    }
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  private apply(ifname: string, up: boolean): void {
    if (!this.ifnames.includes(ifname) || this.last.get(ifname) === up) return;
    this.last.set(ifname, up);
    this.onSignal(ifname, interfaceSignal(ifname, up));
  }
}
