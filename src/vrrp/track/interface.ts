/** `track_interface`: the link's up/down, as the LinkPort reports it, becomes a signal. */
import type { TrackerSignal } from './types.js';

export function interfaceSignal(ifname: string, up: boolean): TrackerSignal {
  return { kind: 'interface', up, cause: `Interface ${ifname} is ${up ? 'up' : 'down'}` };
}
