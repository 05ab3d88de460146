/**
 * The proxy plane end to end on loopback: a keepalived.conf L7 virtual_server (halo's http_proxy
 * extension) mapped to services, run by proxy workers, backend states pushed as the checker
 * process will, and a reload that changes the headers without a failed request.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { loadKeepalivedConfig } from '../../src/config/keepalived/load.js';
import { MemorySource } from '../../src/config/nginx/memory-source.js';
import { ProxyPlane } from '../../src/daemon/proxy-plane.js';
import { servicesFromKeepalived } from '../../src/daemon/services-from-keepalived.js';
import { deadPort, httpBackend } from '../../src/proxy/testing/harness.js';

function get(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 3000 }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString() }));
      res.on('error', () => resolve({ status: -1, body: '' }));
    });
    req.on('error', (e) => resolve({ status: -1, body: e.message }));
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}

function config(vsPort: number, a: number, b: number, tag: string): ReturnType<typeof servicesFromKeepalived> {
  const text = `virtual_server 127.0.0.1 ${vsPort} {
  lb_algo rr
  protocol TCP
  http_proxy {
    proxy_set_header X-Real-IP %remote_addr
    proxy_set_header X-Tag ${tag}
  }
  real_server 127.0.0.1 ${a} { weight 1 }
  real_server 127.0.0.1 ${b} { weight 1 }
}
`;
  const r = loadKeepalivedConfig('/k.conf', new MemorySource({ '/k.conf': text }), { configId: 'test' });
  assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), []);
  return servicesFromKeepalived(r.model);
}

test('proxy plane: keepalived http_proxy service, states from the checker side, reload in place', { timeout: 60_000 }, async () => {
  const echo = (name: string) => (q: http.IncomingMessage, res: http.ServerResponse): void => void res.end(`${name} ${String(q.headers['x-real-ip'])} ${String(q.headers['x-tag'])}`);
  const a = await httpBackend(echo('a'));
  const b = await httpBackend(echo('b'));
  const vsPort = await deadPort();
  const plane = new ProxyPlane({ workers: 1, drainBoundMs: 2000 });
  try {
    const m1 = config(vsPort, a.port, b.port, 'one');
    await plane.start({ services: m1.services, pools: m1.pools });
    assert.deepEqual(plane.notListening({ services: m1.services, pools: m1.pools }), []);
    const first = [await get(vsPort), await get(vsPort)].map((r) => r.body).sort();
    assert.deepEqual(first, ['a 127.0.0.1 one', 'b 127.0.0.1 one']);

    const id = `127.0.0.1:${a.port}`;
    const down = { id, pool: m1.services[0]?.pool ?? '', health: 'down' as const, admin: 'ready' as const, weight: 1, effectiveWeight: 1, cause: { source: 'TCP_CHECK', detail: 'refused', atMs: 0 } };
    plane.setStates([down]);
    await new Promise((r) => setTimeout(r, 200));
    for (let i = 0; i < 4; i++) assert.equal((await get(vsPort)).body, 'b 127.0.0.1 one');

    const m2 = config(vsPort, a.port, b.port, 'two');
    await plane.reload({ services: m2.services, pools: m2.pools });
    // the state of a backend survives a reload (the checker does not resend it)
    for (let i = 0; i < 4; i++) assert.equal((await get(vsPort)).body, 'b 127.0.0.1 two');
    plane.setStates([{ ...down, health: 'up' }]);
    await new Promise((r) => setTimeout(r, 200));
    const back = [await get(vsPort), await get(vsPort)].map((r) => r.body).sort();
    assert.deepEqual(back, ['a 127.0.0.1 two', 'b 127.0.0.1 two']);
  } finally {
    await plane.stop();
    await a.close();
    await b.close();
  }
});
