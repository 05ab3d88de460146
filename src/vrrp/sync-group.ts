/**
 * vrrp_sync_group semantics, pure. The members of a group move together:
 *
 * - a member becomes MASTER only when every member wants to (each is MASTER already or waits with
 *   `wantsMaster`), so the VIPs of a group never end up split between two directors by our choice;
 * - a MASTER member whose partner fell back to BACKUP (it heard a better master) follows it;
 * - one member's own FAULT puts every other member in FAULT; they leave it together.
 *
 * The runtime calls `syncGroupOrders` after every step of a member and delivers the returned
 * events to the named members, then asks again (a bounded number of rounds; the orders converge
 * because each one moves a member towards the group's common state).
 */
import type { VrrpInstanceConfig } from './config.js';
import type { VrrpEvent, VrrpInstanceState } from './fsm.js';
import { ownFault } from './fsm.js';

export interface SyncGroupMember {
  readonly config: VrrpInstanceConfig;
  readonly state: VrrpInstanceState;
}

export interface SyncGroupOrder {
  readonly member: string;
  readonly event: VrrpEvent;
}

export function syncGroupOrders(members: readonly SyncGroupMember[]): SyncGroupOrder[] {
  const running = members.filter((m) => m.state.running);
  const orders: SyncGroupOrder[] = [];
  const faulty = running.find((m) => ownFault(m.config, m.state) !== null);
  for (const m of running) {
    const shouldFault = faulty !== undefined && faulty !== m && ownFault(m.config, m.state) === null;
    if (shouldFault !== m.state.groupFault) {
      orders.push({ member: m.config.name, event: { type: 'SyncGroupFaultChanged', fault: shouldFault, member: faulty?.config.name ?? m.config.name } });
    }
  }
  if (orders.length > 0 || faulty !== undefined) return orders;
  const stayingBackup = running.find((m) => m.state.state === 'BACKUP' && !m.state.wantsMaster);
  if (stayingBackup !== undefined) {
    for (const m of running) {
      if (m.state.state === 'MASTER') orders.push({ member: m.config.name, event: { type: 'SyncGroupBackupRequired', member: stayingBackup.config.name } });
    }
    return orders;
  }
  const allWant = running.length === members.length && running.every((m) => m.state.state === 'MASTER' || (m.state.state === 'BACKUP' && m.state.wantsMaster));
  if (allWant) {
    for (const m of running) if (m.state.wantsMaster) orders.push({ member: m.config.name, event: { type: 'SyncGroupMasterAllowed' } });
  }
  return orders;
}
