import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { loadKeepalivedConfig } from '../config/keepalived/load.js';
import { MemorySource } from '../config/nginx/memory-source.js';
import { fileConfigSource } from './config-source.js';
import { headerTemplate, IPVS_TCP_IDLE_MS, IPVS_UDP_IDLE_MS, servicesFromKeepalived } from './services-from-keepalived.js';

const dir = fileURLToPath(new URL('../../../test/fixtures/keepalived/', import.meta.url));

function mapFixture(name: string): ReturnType<typeof servicesFromKeepalived> {
  const r = loadKeepalivedConfig(`${dir}${name}`, fileConfigSource(), { configId: 'test' });
  return servicesFromKeepalived(r.model);
}

test('seed 004: wrr 1:5 over two real servers, lb_kind DR served as a full proxy and said once, persistence 50s', () => {
  const m = mapFixture('seed004.conf');
  assert.equal(m.services.length, 1);
  const s = m.services[0];
  assert.ok(s !== undefined);
  assert.deepEqual([s.name, s.protocol, s.listenAddress, s.listenPort, s.pool], ['tcp/192.168.1.120:80', 'tcp', '192.168.1.120', 80, 'tcp/192.168.1.120:80']);
  assert.equal(s.timeouts.idleMs, IPVS_TCP_IDLE_MS);
  const p = m.pools[0];
  assert.ok(p !== undefined);
  assert.equal(p.algorithm, 'wrr');
  assert.deepEqual(p.persistence, { timeoutMs: 50_000 });
  assert.deepEqual(p.backends.map((b) => [b.id, b.weight, b.backup, b.maxFails]), [
    ['192.168.1.103:80', 1, false, 0],
    ['192.168.1.104:80', 5, false, 0],
  ]);
  assert.deepEqual(m.diagnostics.map((d) => [d.severity, d.code, d.pos?.line]), [['info', 'HALO_DPL_FULL_PROXY', 40]]);
  assert.match(m.diagnostics[0]?.message ?? '', /lb_kind DR behaves as a full proxy/);
});

test('http_proxy makes an L7 service with the extension settings; UDP, sh flags, granularity, sorry server', () => {
  const m = mapFixture('halo-http-proxy.conf');
  const web = m.services.find((s) => s.name === 'tcp/10.0.0.100:80');
  assert.ok(web !== undefined);
  assert.equal(web.protocol, 'http');
  assert.equal(web.upstreamHttpVersion, '1.1');
  assert.deepEqual(web.retry, { conditions: ['error', 'timeout', 'http_502', 'http_503'], tries: 2, timeoutMs: 5000 });
  assert.deepEqual([web.timeouts.connectMs, web.timeouts.readMs, web.timeouts.sendMs], [2000, 30_000, 500]);
  assert.deepEqual(web.setHeaders, [
    { name: 'X-Forwarded-For', value: '$proxy_add_x_forwarded_for' },
    { name: 'X-Real-IP', value: '$remote_addr' },
    { name: 'Accept-Encoding', value: '' },
  ]);
  const webPool = m.pools.find((p) => p.name === web.pool);
  assert.equal(webPool?.keepalive.maxIdle, 16);
  assert.deepEqual(webPool?.backends.map((b) => [b.id, b.weight, b.maxConns]), [
    ['10.0.1.1:8080', 3, 0],
    ['10.0.1.2:8080', 1, 100],
  ]);
  const dns = m.services.find((s) => s.name === 'udp/10.0.0.100:53');
  assert.ok(dns !== undefined);
  assert.equal(dns.protocol, 'udp');
  assert.equal(dns.timeouts.idleMs, IPVS_UDP_IDLE_MS);
  const dnsPool = m.pools.find((p) => p.name === dns.pool);
  assert.deepEqual([dnsPool?.algorithm, dnsPool?.flags], ['sh', ['sh-port']]);
  assert.deepEqual(dnsPool?.persistence, { timeoutMs: 120_000, ipv4PrefixLen: 24 });
  assert.deepEqual(dnsPool?.backends.map((b) => [b.id, b.backup]), [
    ['10.0.2.1:53', false],
    ['10.0.2.2:53', false],
    ['10.0.9.9:53', true],
  ]);
  const info = m.diagnostics.filter((d) => d.code === 'HALO_DPL_FULL_PROXY');
  assert.equal(info.length, 1);
});

test('fwmark, SCTP, lblc and an http_proxy over UDP are reported, not dropped silently', () => {
  const src = new MemorySource({
    '/k.conf': `virtual_server fwmark 7 {
  protocol TCP
  real_server 127.0.0.1 80 { }
}
virtual_server 127.0.0.1 9000 {
  protocol SCTP
  real_server 127.0.0.1 9001 { }
}
virtual_server 127.0.0.1 9100 {
  lb_algo lblc
  protocol TCP
  real_server 127.0.0.1 9101 { }
}
virtual_server 127.0.0.1 9200 {
  protocol UDP
  http_proxy { }
  real_server 127.0.0.1 9201 { }
}
virtual_server 127.0.0.1 9300 {
  http_proxy { }
  real_server 127.0.0.1 9301 { }
}
`,
  });
  const r = loadKeepalivedConfig('/k.conf', src, { configId: 'test' });
  const m = servicesFromKeepalived(r.model);
  assert.deepEqual(m.services.map((s) => [s.name, s.protocol]), [
    ['tcp/127.0.0.1:9100', 'tcp'],
    // no protocol keyword: keepalived would say UDP, an HTTP service means TCP
    ['tcp/127.0.0.1:9300', 'http'],
  ]);
  assert.equal(m.pools[0]?.algorithm, 'wlc');
  assert.deepEqual(m.diagnostics.map((d) => [d.severity, d.code, d.pos?.line]), [
    ['warning', 'HALO_DPL_NOT_SERVED', 1],
    ['warning', 'HALO_DPL_NOT_SERVED', 5],
    ['warning', 'HALO_DPL_SCHEDULER', 10],
    ['error', 'HALO_DPL_NOT_SERVED', 16],
    ['info', 'HALO_DPL_FULL_PROXY', 9],
  ]);
});

test('header templates: %name is an nginx variable, %% a percent sign', () => {
  assert.equal(headerTemplate('%remote_addr'), '$remote_addr');
  assert.equal(headerTemplate('for=%remote_addr;x=100%%'), 'for=$remote_addr;x=100%');
  assert.equal(headerTemplate('plain'), 'plain');
});
