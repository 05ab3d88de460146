/**
 * Health carried over a reload. When the check set changes, the checker process starts again on
 * the new file; a real server it already judged keeps that judgement instead of starting over
 * (keepalived keeps the state of real servers that stay across a reload): an up server stays up
 * (no re-alpha), a down one stays down until its checks pass `rise` times. A server without a
 * carried health (new in the file) starts as at boot.
 */
import type { CheckEvent, PoolState, ServerState } from './policy.js';
import { effectiveWeight, targetWeight } from './policy.js';
import type { VirtualServerSpec } from './spec.js';

export type CarriedHealth = 'up' | 'down';

export function carryPool(
  vs: VirtualServerSpec,
  init: { readonly state: PoolState; readonly events: readonly CheckEvent[] },
  carried: (serverId: string) => CarriedHealth | undefined,
  nowMs: number,
): { state: PoolState; events: readonly CheckEvent[] } {
  let touched = false;
  const servers: ServerState[] = init.state.servers.map((s, i) => {
    const rs = vs.realServers[i];
    const health = rs === undefined ? undefined : carried(rs.id);
    // Without checkers a server is always up; nothing to carry.
    if (rs === undefined || health === undefined || rs.checkers.length === 0) return s;
    touched = true;
    const detail = `${health} before the reload`;
    const next: ServerState = {
      ...s,
      checkers: s.checkers.map((c) => ({ ...c, up: health === 'up', lastDetail: detail, lastChangeMs: nowMs })),
      health,
      cause: { source: 'check', detail: `${detail} (kept)`, atMs: nowMs },
    };
    return { ...next, reportedWeight: effectiveWeight(rs, next, nowMs) };
  });
  if (!touched) return init;
  let live = 0;
  vs.realServers.forEach((rs, i) => {
    const s = servers[i];
    if (s !== undefined && s.health === 'up') live += targetWeight(rs, s);
  });
  const quorumUp = live >= vs.quorum;
  const sorryActive = !quorumUp && vs.sorryServer !== undefined;
  const events: CheckEvent[] = init.events.filter((e) => e.type !== 'sorry-server');
  if (sorryActive && vs.sorryServer !== undefined) events.push({ type: 'sorry-server', vsId: vs.id, serverId: vs.sorryServer, active: true, atMs: nowMs });
  return { state: { ...init.state, servers, quorumUp, sorryActive }, events };
}
