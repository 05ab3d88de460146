import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfNode, Word } from '../tree.js';
import { buildKeepalivedModel } from './build.js';
import { validateKeepalivedModel } from './validate.js';

// Trees built by hand: statement text "kw a b" → node; nested arrays are blocks.
type Spec = string | [string, Spec[]];
let line = 0;
function word(text: string, col: number): Word {
  return { text, quoted: false, pos: { file: '/t.conf', line, col }, includeChain: [] };
}
function nodes(specs: Spec[]): ConfNode[] {
  return specs.map((s) => {
    line++;
    const head = typeof s === 'string' ? s : s[0];
    const parts = head.split(' ').filter((p) => p.length > 0);
    let col = 1;
    const ws = parts.map((p) => { const w = word(p, col); col += p.length + 1; return w; });
    const block = typeof s === 'string' ? null : nodes(s[1]);
    return { keyword: ws[0] as Word, args: ws.slice(1), block };
  });
}
function build(specs: Spec[]) {
  line = 0;
  const r = buildKeepalivedModel(nodes(specs));
  return { model: r.model, diags: [...r.diagnostics, ...validateKeepalivedModel(r.model)] };
}
const codes = (ds: readonly { code: string }[]): string[] => ds.map((d) => d.code);

const vip = ['virtual_ipaddress', ['192.0.2.1']] as [string, Spec[]];

test('state MASTER without priority is 255 (address owner); BACKUP without priority is 100', () => {
  const { model, diags } = build([
    ['vrrp_instance A', ['state MASTER', 'interface eth0', 'virtual_router_id 1', vip]],
    ['vrrp_instance B', ['state BACKUP', 'interface eth0', 'virtual_router_id 2', vip]],
    ['vrrp_instance C', ['state MASTER', 'interface eth0', 'virtual_router_id 3', 'priority 150', vip]],
  ]);
  assert.deepEqual(model.vrrpInstances.map((i) => i.priority), [255, 100, 150]);
  assert.deepEqual(codes(diags), []);
});

test('auth_pass longer than 8 characters is cut with a warning at the value', () => {
  const { model, diags } = build([['vrrp_instance A', ['interface eth0', 'virtual_router_id 1', ['authentication', ['auth_type PASS', 'auth_pass 123456789']], vip]]]);
  assert.equal(model.vrrpInstances[0]?.auth?.pass, '12345678');
  assert.deepEqual(codes(diags), ['HALO_CFG_TRUNCATED']);
  assert.equal(diags[0]?.pos?.col, 11);
});

test('advert_int: whole seconds for v2, 10 ms steps up to 40.95 s for v3, IPv6 forces v3', () => {
  const inst = (name: string, extra: Spec[], addr = '192.0.2.1'): Spec => [`vrrp_instance ${name}`, ['interface eth0', `virtual_router_id ${name.length + 10 * extra.length}`, ...extra, ['virtual_ipaddress', [addr]]]];
  const { model, diags } = build([
    inst('a', ['advert_int 2']),
    inst('bb', ['advert_int 2.4']),
    inst('ccc', ['version 3', 'advert_int 0.25']),
    inst('dddd', ['version 3', 'advert_int 0.255']),
    inst('eeeee', ['version 3', 'advert_int 41']),
    inst('ffffff', ['advert_int 0.5'], 'fe80::1'),
  ]);
  assert.deepEqual(model.vrrpInstances.map((i) => [i.version, i.advertIntervalCs]), [[2, 200], [2, 200], [3, 25], [3, 26], [3, 4095], [3, 50]]);
  assert.deepEqual(codes(diags), ['HALO_CFG_ROUNDED', 'HALO_CFG_ROUNDED', 'HALO_CFG_ROUNDED']);
});

test('a virtual_server without protocol is UDP with a warning; checkers inherit timing from real and virtual server', () => {
  const { model, diags } = build([
    ['virtual_server 192.0.2.1 80', ['delay_loop 6', 'connect_timeout 2', 'retry 5',
      ['real_server 10.0.0.1 80', ['delay_before_retry 4', ['TCP_CHECK', ['connect_timeout 1']], ['HTTP_GET', [['url', ['path /']]]], ['MISC_CHECK', ['misc_path /bin/true']]]]]],
  ]);
  const vs = model.virtualServers[0];
  assert.equal(vs?.protocol, 'UDP');
  assert.deepEqual(codes(diags), ['HALO_CFG_DEFAULTED']);
  const [tcp, http, misc] = vs?.realServers[0]?.checkers ?? [];
  assert.ok(tcp && tcp.type === 'TCP_CHECK' && http && http.type === 'HTTP_GET' && misc && misc.type === 'MISC_CHECK');
  assert.deepEqual([tcp.connectTimeoutMs, tcp.delayLoopMs, tcp.retry, tcp.delayBeforeRetryMs], [1000, 6000, 5, 4000]);
  assert.deepEqual([http.connectTimeoutMs, http.retry, http.delayBeforeRetryMs], [2000, 5, 4000]);
  assert.deepEqual(http.url[0]?.statusCode, [{ from: 200, to: 299 }]);
  assert.equal(misc.retry, 5);
});

test('checker defaults without any inherited setting: retry 1 (DNS 3, MISC 0), delay_before_retry 1 s (HTTP 3 s, DNS delay_loop)', () => {
  const { model } = build([
    ['virtual_server 192.0.2.1 53', ['protocol UDP', ['real_server 10.0.0.1 53', [['TCP_CHECK', []], ['DNS_CHECK', []], ['MISC_CHECK', ['misc_path /bin/true']], ['SSL_GET', [['url', ['path /']]]]]]]],
  ]);
  const cs = model.virtualServers[0]?.realServers[0]?.checkers ?? [];
  assert.deepEqual(cs.map((c) => (c.type === 'FILE_CHECK' || c.type === 'BFD_CHECK' ? null : [c.type, c.retry, c.delayBeforeRetryMs, c.connectTimeoutMs])),
    [['TCP_CHECK', 1, 1000, 5000], ['DNS_CHECK', 3, 60000, 5000], ['MISC_CHECK', 0, 1000, 5000], ['SSL_GET', 1, 3000, 5000]]);
});

test('semantic checks point at the statement: unknown track_script, duplicate VRID, mixed families, strict mode', () => {
  const { diags } = build([
    ['vrrp_script chk', ['script /bin/true']],
    ['vrrp_instance A', ['interface eth0', 'virtual_router_id 7', ['track_script', ['chk', 'chx weight -2']], ['virtual_ipaddress', ['192.0.2.1', '2001:db8::1']]]],
    ['vrrp_instance B', ['interface eth0', 'virtual_router_id 7', 'strict_mode', ['unicast_peer', ['192.0.2.9']], vip]],
  ]);
  const byCode = new Map(diags.map((d) => [d.code, d] as const));
  assert.equal(byCode.get('HALO_CFG_UNKNOWN_REFERENCE')?.pos?.line, 8);
  assert.equal(byCode.get('HALO_CFG_UNKNOWN_REFERENCE')?.hint, 'did you mean `chk`?');
  assert.equal(byCode.get('HALO_CFG_MIXED_FAMILIES')?.pos?.line, 11);
  assert.equal(byCode.get('HALO_CFG_DUPLICATE_VRID')?.pos?.line, 14);
  assert.equal(byCode.get('HALO_CFG_STRICT_VIOLATION')?.pos?.line, 16);
});

test('unknown keywords get a hint from the keywords of their block; misplaced ones say where they belong', () => {
  const { diags } = build([['vrrp_instance A', ['interface eth0', 'virtual_router_id 1', 'priorty 100', 'real_server 1.2.3.4 80', vip]]]);
  assert.deepEqual(diags.map((d) => [d.code, d.hint ?? null]), [['HALO_CFG_UNKNOWN_KEYWORD', 'did you mean `priority`?'], ['HALO_CFG_MISPLACED_KEYWORD', null]]);
  assert.match(diags[1]?.message ?? '', /belongs in virtual_server/);
});

test('keywords that need a block, and values that are missing, are reported and skipped', () => {
  const { model, diags } = build(['vrrp_instance A', ['global_defs', [['router_id X', ['y']]]], ['vrrp_script s', ['interval']]]);
  assert.deepEqual(codes(diags).sort(), ['HALO_CFG_BAD_VALUE', 'HALO_CFG_MISSING_KEYWORD', 'HALO_CFG_MISSING_VALUE', 'HALO_CFG_MISSING_VALUE']);
  assert.equal(model.vrrpInstances.length, 0);
  assert.equal(model.globalDefs.routerId, undefined);
});
