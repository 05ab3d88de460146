/**
 * TEST HELPER ONLY: a tiny round-robin picker that honours the picker interface (availability,
 * weight 0, backups, max_conns, exclusions) so the proxy can be tested before the real pickers of
 * `src/balance/` are wired in. Production code never imports this file.
 */
import type { Picker, PickerBackend, PickerFactory, PickContext } from '../../balance/picker.js';

export const testRoundRobin: PickerFactory = (backends: readonly PickerBackend[]): Picker => {
  const list = backends.map((b) => ({ ...b, available: true, conns: 0, weightNow: b.weight }));
  let next = 0;
  const usable = (b: (typeof list)[number], ctx: PickContext): boolean =>
    b.available && b.weightNow > 0 && (b.maxConns === 0 || b.conns < b.maxConns) && !(ctx.exclude?.has(b.id) ?? false);
  return {
    name: 'test-rr',
    pick(ctx) {
      for (const backup of [false, true]) {
        for (let i = 0; i < list.length; i++) {
          const idx = (next + i) % list.length;
          const b = list[idx];
          if (b !== undefined && b.backup === backup && usable(b, ctx)) {
            next = idx + 1;
            return b.id;
          }
        }
      }
      return undefined;
    },
    setAvailable(id, available) {
      for (const b of list) if (b.id === id) b.available = available;
    },
    setWeight(id, weight) {
      for (const b of list) if (b.id === id) b.weightNow = weight;
    },
    connectionOpened(id) {
      for (const b of list) if (b.id === id) b.conns++;
    },
    connectionClosed(id) {
      for (const b of list) if (b.id === id) b.conns--;
    },
  };
};
