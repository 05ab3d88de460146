import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memorySource } from '../glob.js';
import { loadKeepalivedConfig } from './load.js';

test('diagnostics come sorted by file order, line and column, and checks after building keep the include chain', () => {
  const files = {
    '/etc/keepalived/keepalived.conf': 'global_defs {\n  router_id A\n  bogus 1\n}\ninclude conf.d/vi.conf\nvrrp_script chk {\n  script /bin/true\n}\n',
    '/etc/keepalived/conf.d/vi.conf': 'vrrp_instance VI {\n  interface eth0\n  virtual_router_id 1\n  track_script {\n    chx\n  }\n  virtual_ipaddress {\n    192.0.2.1\n  }\n}\n',
  };
  const r = loadKeepalivedConfig('/etc/keepalived/keepalived.conf', memorySource(files), { configId: 'x' });
  assert.deepEqual(r.diagnostics.map((d) => [d.code, d.pos?.file, d.pos?.line]), [
    ['HALO_CFG_UNKNOWN_KEYWORD', '/etc/keepalived/keepalived.conf', 3],
    ['HALO_CFG_UNKNOWN_REFERENCE', '/etc/keepalived/conf.d/vi.conf', 5],
  ]);
  assert.deepEqual(r.diagnostics[1]?.includeChain?.map((p) => [p.file, p.line]), [['/etc/keepalived/keepalived.conf', 5]]);
  assert.equal(r.diagnostics[1]?.hint, 'did you mean `chk`?');
  assert.equal(r.model.vrrpInstances[0]?.trackScript[0]?.name, 'chx');
});

test('include_nginx FILE loads the nginx.conf (relative to the including file); its diagnostics keep their positions', () => {
  const files = {
    '/etc/keepalived/keepalived.conf': 'global_defs {\n  router_id A\n}\ninclude_nginx ../nginx/nginx.conf\ninclude_nginx /etc/nginx/missing.conf\n',
    '/etc/nginx/nginx.conf': 'events {}\nhttp {\n  upstream u { server 127.0.0.1:8081; }\n  server {\n    listen 8080;\n    proxy_bogus on;\n    location / { proxy_pass http://u; }\n  }\n}\n',
  };
  const r = loadKeepalivedConfig('/etc/keepalived/keepalived.conf', memorySource(files), { configId: 'x' });
  const inc = r.model.nginxIncludes ?? [];
  assert.deepEqual(inc.map((i) => [i.file, i.path, i.pos.line]), [
    ['../nginx/nginx.conf', '/etc/nginx/nginx.conf', 4],
    ['/etc/nginx/missing.conf', '/etc/nginx/missing.conf', 5],
  ]);
  assert.equal(inc[0]?.model?.http?.upstreams[0]?.name, 'u');
  assert.ok(r.files.has('/etc/nginx/nginx.conf'), 'the nginx file is there for caret snippets');
  const errs = r.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.code, d.pos?.file, d.pos?.line, d.includeChain?.map((p) => p.line)]);
  assert.deepEqual(errs, [
    // an unreadable file is reported at its include_nginx line
    ['HALO_NGX_CANNOT_READ', '/etc/keepalived/keepalived.conf', 5, undefined],
    // a bad directive in the nginx file points into that file, reached from line 4
    ['HALO_NGX_UNKNOWN_DIRECTIVE', '/etc/nginx/nginx.conf', 6, [4]],
  ]);
});

test('include_nginx takes one file: none is an error, more are warned about as keepalived does', () => {
  const r = loadKeepalivedConfig('/k.conf', memorySource({ '/k.conf': 'include_nginx\ninclude_nginx a b\n' }), { configId: 'x' });
  assert.deepEqual(r.diagnostics.map((d) => [d.severity, d.code, d.pos?.line]), [
    ['error', 'HALO_CFG_MISSING_VALUE', 1],
    ['error', 'HALO_NGX_CANNOT_READ', 2],
    ['warning', 'HALO_CFG_EXTRA_VALUE', 2],
  ]);
});
