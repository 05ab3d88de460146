/**
 * What the notifiers are told. A transition is a fact in the past tense about an instance or a
 * sync group; LVS events are about virtual and real servers (the checker's side).
 */

export type NotifyScope = 'INSTANCE' | 'GROUP';

/**
 * keepalived's states in notify arguments and FIFO lines (always upper case). DELETED goes only
 * to instances removed by a reload with `notify_deleted` set; the FIFO alone also carries
 * MASTER_RX_LOWER_PRI and the priority-change lines of `notify_priority_changes`.
 */
export type NotifyState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP' | 'DELETED' | 'MASTER_RX_LOWER_PRI' | 'MASTER_PRIORITY' | 'BACKUP_PRIORITY';

export interface TransitionEvent {
  readonly scope: NotifyScope;
  /** Instance or sync group name, e.g. `VI_1`. */
  readonly name: string;
  readonly state: NotifyState;
  /** Effective priority after the transition (keepalived's fourth argument); 0 for groups. */
  readonly priority: number;
  readonly previousState?: NotifyState | 'INIT';
  /** Why: the tracker, the advert or the operator action that caused it. */
  readonly cause?: string;
}

/** A virtual server (`VS`) or real server (`RS`) went up or down. `vs`/`rs` as `[addr]:proto:port`. */
export type LvsEvent =
  | { readonly kind: 'VS'; readonly vs: string; readonly up: boolean }
  | { readonly kind: 'RS'; readonly rs: string; readonly vs: string; readonly up: boolean };

/** keepalived's `[addr]:proto:port` form, brackets for IPv4 and IPv6 alike. */
export function lvsEndpoint(address: string, protocol: 'tcp' | 'udp' | 'sctp', port: number): string {
  return `[${address}]:${protocol}:${port}`;
}

/** One notify FIFO line, keepalived's format, newline included. */
export function fifoLine(event: TransitionEvent | LvsEvent): string {
  if ('scope' in event) return `${event.scope} "${event.name}" ${event.state} ${event.priority}\n`;
  if (event.kind === 'VS') return `VS ${event.vs} ${event.up ? 'UP' : 'DOWN'}\n`;
  return `RS ${event.rs} ${event.vs} ${event.up ? 'UP' : 'DOWN'}\n`;
}
