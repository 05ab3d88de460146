/**
 * The balancing algorithms the proxy workers know, by the name a PoolSpec gives: every picker of
 * `src/balance/` under its LVS or nginx name.
 */
import { PICKERS } from '../balance/registry.js';
import type { PickerRegistry } from './http-proxy.js';

export const pickerRegistry: PickerRegistry = (name) =>
  Object.prototype.hasOwnProperty.call(PICKERS, name) ? PICKERS[name]?.factory : undefined;
