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
