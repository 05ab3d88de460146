/** Helpers for the state machine's tests: an instance config and a run of timed events. */
import { instanceConfig, type VrrpInstanceConfig } from '../config.js';
import { initialInstanceState, step, type VrrpEffect, type VrrpEvent, type VrrpInstanceState } from '../fsm.js';

export const VIP = { address: '192.168.1.100', prefixLength: 32, family: 4 as const, ifname: 'eth0' };

/** VI_1: VRID 51 on eth0, priority 100, one VIP; `over` changes any field. */
export function cfg(over: Partial<VrrpInstanceConfig> = {}): VrrpInstanceConfig {
  return instanceConfig({ name: 'VI_1', vrid: 51, ifname: 'eth0', basePriority: 100, primaryAddress: '10.0.0.1', vips: [VIP], ...over });
}

/** Runs events in order and returns the final state, every effect with its time, and the last step's effects. */
export function run(config: VrrpInstanceConfig, events: ReadonlyArray<readonly [number, VrrpEvent]>, from?: VrrpInstanceState) {
  let state = from ?? initialInstanceState(config);
  const all: Array<{ atMs: number; effect: VrrpEffect }> = [];
  let last: readonly VrrpEffect[] = [];
  for (const [atMs, event] of events) {
    const r = step(config, state, event, atMs);
    state = r.state;
    last = r.effects;
    for (const effect of r.effects) all.push({ atMs, effect });
  }
  return { state, all, last };
}

/** Events 10 ms apart from t = 10; the final state. */
export function runSpaced(config: VrrpInstanceConfig, events: readonly VrrpEvent[]): VrrpInstanceState {
  return run(
    config,
    events.map((e, i) => [(i + 1) * 10, e] as const),
  ).state;
}

export const advert = (srcIp: string, priority: number, advertIntervalCs = 100): VrrpEvent => ({ type: 'AdvertReceived', srcIp, vrid: 51, priority, advertIntervalCs });
/** Effect types without the log lines. */
export const types = (effects: readonly VrrpEffect[]): string[] => effects.filter((e) => e.type !== 'Log').map((e) => e.type);
