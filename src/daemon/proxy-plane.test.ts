import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backendSpec, poolSpec, serviceSpec, type ServiceSpec } from '../proxy/types.js';
import { mergeServices } from './proxy-plane.js';
import type { MappedServices } from './services-from-nginx.js';

function part(services: ServiceSpec[], poolNames: string[], port = 1): MappedServices {
  return { services, pools: poolNames.map((n) => poolSpec(n, [backendSpec('127.0.0.1', port)])), diagnostics: [] };
}

test('services of two files on different addresses are joined with their pools and route pools', () => {
  const a = part([serviceSpec({ name: 'a', pool: 'pa', listenPort: 80, listenAddress: '10.0.0.1', routes: [{ pathPrefix: '/x/', pool: 'px' }] })], ['pa', 'px', 'unused']);
  const b = part([serviceSpec({ name: 'b', pool: 'pb', listenPort: 80, listenAddress: '10.0.0.2', protocol: 'tcp' })], ['pb']);
  const m = mergeServices([a, b]);
  assert.deepEqual(m.services.map((s) => s.name), ['a', 'b']);
  assert.deepEqual(m.pools.map((p) => p.name), ['pa', 'px', 'pb']);
  assert.deepEqual(m.diagnostics, []);
});

test('a second service on a taken address, or behind a wildcard of its family, is left out with an error', () => {
  const m = mergeServices([
    part([serviceSpec({ name: 'wild', pool: 'p', listenPort: 80, listenAddress: '0.0.0.0' })], ['p']),
    part(
      [
        serviceSpec({ name: 'same-port-v4', pool: 'q', listenPort: 80, listenAddress: '10.0.0.1' }),
        serviceSpec({ name: 'v6', pool: 'q', listenPort: 80, listenAddress: '::1' }),
        serviceSpec({ name: 'udp', pool: 'q', listenPort: 80, listenAddress: '10.0.0.1', protocol: 'udp' }),
      ],
      ['q'],
    ),
  ]);
  assert.deepEqual(m.services.map((s) => s.name), ['wild', 'v6', 'udp']);
  assert.deepEqual(m.diagnostics.map((d) => [d.severity, d.code]), [['error', 'HALO_DPL_NOT_SERVED']]);
  assert.match(m.diagnostics[0]?.message ?? '', /same-port-v4 is left out: wild already listens/);
});

test('one pool name defined differently by two files is refused, the same definition is shared', () => {
  const m = mergeServices([
    part([serviceSpec({ name: 'a', pool: 'p', listenPort: 81 })], ['p'], 1),
    part([serviceSpec({ name: 'b', pool: 'p', listenPort: 82 })], ['p'], 1),
    part([serviceSpec({ name: 'c', pool: 'p', listenPort: 83 })], ['p'], 2),
  ]);
  assert.deepEqual(m.services.map((s) => s.name), ['a', 'b']);
  assert.equal(m.pools.length, 1);
  assert.match(m.diagnostics[0]?.message ?? '', /pool p differently/);
});
