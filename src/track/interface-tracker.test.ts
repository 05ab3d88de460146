import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InterfaceTracker } from './interface-tracker.js';
import type { LinkEvent, LinkPort } from '../net/ports.js';
import type { TrackerSignal } from '../vrrp/track/types.js';

class FakeLinks implements LinkPort {
  readonly state = new Map<string, boolean>([['eth0', true], ['eth1', false]]);
  private handler: ((e: LinkEvent) => void) | null = null;
  async isUp(ifname: string): Promise<boolean> {
    return this.state.get(ifname) ?? false;
  }
  watch(_ifnames: readonly string[], onChange: (event: LinkEvent) => void): () => void {
    this.handler = onChange;
    return () => (this.handler = null);
  }
  set(ifname: string, up: boolean): void {
    this.state.set(ifname, up);
    this.handler?.({ ifname, up });
  }
}

test('initial link states, then one signal per real change, only for tracked interfaces', async () => {
  const links = new FakeLinks();
  const got: [string, boolean, string][] = [];
  const t = new InterfaceTracker(links, ['eth0', 'eth1', 'eth9'], (n, s: TrackerSignal) => got.push([n, s.kind !== 'file' && s.up, s.cause]));
  await t.start();
  links.set('eth0', true); // no change
  links.set('eth0', false);
  links.set('eth2', false); // not tracked
  links.set('eth1', true);
  t.stop();
  links.set('eth1', false); // after stop: ignored
  assert.deepEqual(got, [
    ['eth0', true, 'Interface eth0 is up'],
    ['eth1', false, 'Interface eth1 is down'],
    ['eth9', false, 'Interface eth9 is down'],
    ['eth0', false, 'Interface eth0 is down'],
    ['eth1', true, 'Interface eth1 is up'],
  ]);
});
