import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LinuxRoutes, routeArgs } from './route.js';
import type { IpOutcome } from './ip-command.js';

const route = { kind: 'route' as const, family: 4 as const, args: ['to', '10.8.0.0/24', 'via', '10.9.0.2', 'dev', 'eth0', 'table', '100'] };
const rule = { kind: 'rule' as const, family: 6 as const, args: ['from', 'fd00::5', 'table', '100'] };

test('routeArgs hands the keepalived words to ip route / ip rule unchanged', () => {
  assert.deepEqual(routeArgs(route, 'add'), ['-4', 'route', 'add', 'to', '10.8.0.0/24', 'via', '10.9.0.2', 'dev', 'eth0', 'table', '100']);
  assert.deepEqual(routeArgs(rule, 'del'), ['-6', 'rule', 'del', 'from', 'fd00::5', 'table', '100']);
});

test('present on add and gone on remove succeed; other failures carry a code', async () => {
  const answer = (stderr: string, status: number | null = 2): LinuxRoutes =>
    new LinuxRoutes(async (): Promise<IpOutcome> => ({ status, stdout: '', stderr }));
  assert.deepEqual(await answer('RTNETLINK answers: File exists\n').add(route), { ok: true });
  assert.deepEqual(await answer('RTNETLINK answers: No such process\n').remove(route), { ok: true });
  assert.deepEqual(await answer('RTNETLINK answers: No such file or directory\n').remove(rule), { ok: true });
  const r = await answer('Error: Nexthop has invalid gateway.\n').add(route);
  assert.deepEqual(r, { ok: false, error: 'Cannot add route to 10.8.0.0/24 via 10.9.0.2 dev eth0 table 100: Nexthop has invalid gateway', code: 'HALO_NET_ROUTE_ADD' });
  const r2 = await answer('RTNETLINK answers: Operation not permitted\n').remove(rule);
  assert.equal(!r2.ok && r2.code, 'HALO_NET_ROUTE_REMOVE');
  const r3 = await answer('', null).add(rule);
  assert.equal(!r3.ok && r3.code, 'HALO_NET_COMMAND');
});
