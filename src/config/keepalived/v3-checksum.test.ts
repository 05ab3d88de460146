// keepalived 2.2.8's `v3_checksum_as_v2`, in global_defs and in vrrp_instance, from the text of a
// keepalived.conf to the engine's instance config (the wire side: test/netns/v3-checksum.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigSource } from '../tree.js';
import { loadKeepalivedConfig } from './load.js';
import { toEngineConfig } from './to-engine.js';

function engine(text: string) {
  const source: ConfigSource = { readFile: () => ({ ok: true, text }), glob: () => [] };
  const loaded = loadKeepalivedConfig('/etc/keepalived/keepalived.conf', source, { configId: 'test' });
  const e = toEngineConfig(loaded.model, { primaryAddress: (_i, family) => (family === 4 ? '10.0.0.1' : 'fe80::1') });
  return { loaded, e, byName: (n: string) => e.instances.find((i) => i.name === n) };
}

const instance = (name: string, vrid: number, extra: string, version = 3, vip = `10.0.0.${vrid}/24`): string => `
vrrp_instance ${name} {
  state BACKUP
  interface eth0
  virtual_router_id ${vrid}
  priority 100
  advert_int 1
  version ${version}
  ${extra}
  virtual_ipaddress {
    ${vip}
  }
}`;

test('v3_checksum_as_v2 in an instance, bare or with a boolean, reaches the engine; absent means the pseudo-header', () => {
  const { loaded, e, byName } = engine(
    instance('BARE', 1, 'v3_checksum_as_v2') + instance('YES', 2, 'v3_checksum_as_v2 true') + instance('NO', 3, 'v3_checksum_as_v2 false') + instance('UNSET', 4, ''),
  );
  assert.deepEqual(loaded.diagnostics.filter((d) => d.severity === 'error'), []);
  assert.equal(byName('BARE')?.v3ChecksumAsV2, true);
  assert.equal(byName('YES')?.v3ChecksumAsV2, true);
  assert.equal(byName('NO')?.v3ChecksumAsV2, undefined);
  assert.equal(byName('UNSET')?.v3ChecksumAsV2, undefined);
  assert.equal(e.instances.length, 4);
});

test('v3_checksum_as_v2 in global_defs is every instance default, and an instance can turn it off', () => {
  const { byName } = engine(`global_defs {\n  v3_checksum_as_v2\n}\n` + instance('INHERITS', 1, '') + instance('OPTS_OUT', 2, 'v3_checksum_as_v2 off'));
  assert.equal(byName('INHERITS')?.v3ChecksumAsV2, true);
  assert.equal(byName('OPTS_OUT')?.v3ChecksumAsV2, undefined);
});

test('v3_checksum_as_v2 changes nothing for VRRPv2 and for IPv6 (neither has a pseudo-header choice)', () => {
  const { byName } = engine(instance('V2', 1, 'v3_checksum_as_v2', 2) + instance('V6', 2, 'v3_checksum_as_v2', 3, 'fd00::2/64'));
  assert.equal(byName('V2')?.v3ChecksumAsV2, undefined);
  assert.equal(byName('V6')?.v3ChecksumAsV2, undefined);
});

test('a bad value for v3_checksum_as_v2 is an error at its position', () => {
  const { loaded } = engine(instance('BAD', 1, 'v3_checksum_as_v2 maybe'));
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  assert.equal(errors.length, 1);
  assert.match(errors[0]?.message ?? '', /v3_checksum_as_v2/);
  assert.equal(errors[0]?.pos?.line, 9);
});
