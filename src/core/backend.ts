/**
 * A backend's state as every layer sees it. Health (what checks and passive health say) and admin
 * state (what an operator says) are separate fields, and every change carries its cause.
 */
export type Health = 'unknown' | 'up' | 'down';
export type AdminState = 'ready' | 'drain' | 'maint';

export interface StateCause {
  /** Who changed it: a probe kind, `passive`, `api`, `config`, `slow-start`, ... */
  readonly source: string;
  /** One line, shown in logs, the API and the dashboard: `HTTP_GET /health: status 503`. */
  readonly detail: string;
  readonly atMs: number;
}

/** A stable id for one backend of one pool: `ip:port` as the config names it (`[v6]:port`). */
export type BackendId = string;

export interface BackendState {
  readonly id: BackendId;
  readonly health: Health;
  readonly admin: AdminState;
  /** The configured weight. */
  readonly weight: number;
  /** The weight in force now (0 while inhibited, ramping during slow start, dynamic from checks). */
  readonly effectiveWeight: number;
  readonly cause: StateCause;
}

export function backendId(address: string, port: number): BackendId {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
