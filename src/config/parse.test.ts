import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memorySource } from './glob.js';
import { parseConfig } from './parse.js';
import type { ConfNode, ParseOptions, ParsedConfig, StatementShape } from './tree.js';

/** A tiny keyword oracle: how many arguments each keyword takes (enough for these tests). */
const ARGC: Readonly<Record<string, number>> = {
  global_defs: 0, notification_email_from: 1, smtp_server: 1, smtp_connect_timeout: 1, router_id: 1,
  vrrp_script: 1, script: 1, interval: 1, vrrp_instance: 1, state: 1, interface: 1, virtual_router_id: 1,
  priority: 1, advert_int: 1, authentication: 0, auth_type: 1, auth_pass: 1, virtual_ipaddress: 0,
  track_script: 0, nopreempt: 0, notification_email: 0,
};
const shape: StatementShape = (parents, words) => {
  const first = words[0] ?? '';
  const inList = ['virtual_ipaddress', 'track_script', 'notification_email'].includes(parents[parents.length - 1] ?? '');
  if (inList) return undefined;
  const n = ARGC[first];
  return n === undefined ? undefined : n + 1;
};

function parse(files: Record<string, string>, options: Partial<ParseOptions> = {}, entry = '/etc/keepalived/keepalived.conf'): ParsedConfig {
  return parseConfig(entry, memorySource(files), { configId: 'main', shape, ...options });
}

/** Statements as `keyword arg arg` lines, nested blocks indented. */
function outline(nodes: readonly ConfNode[], indent = ''): string[] {
  const out: string[] = [];
  for (const n of nodes) {
    out.push(indent + [n.keyword.text, ...n.args.map((a) => a.text)].join(' ') + (n.block === null ? '' : ' {'));
    if (n.block !== null) out.push(...outline(n.block, indent + '  '), indent + '}');
  }
  return out;
}

function codes(r: ParsedConfig): string[] {
  return r.diagnostics.map((d) => `${d.severity} ${d.code} ${d.pos ? `${d.pos.line}:${d.pos.col}` : '-'}`);
}

const MAIN = '/etc/keepalived/keepalived.conf';

test('blocks, nested blocks and positions', () => {
  const r = parse({ [MAIN]: 'vrrp_instance VI_1 {\n  state MASTER\n  virtual_ipaddress {\n    10.0.0.1/24 dev eth0\n  }\n}\n' });
  assert.deepEqual(outline(r.nodes), ['vrrp_instance VI_1 {', '  state MASTER', '  virtual_ipaddress {', '    10.0.0.1/24 dev eth0', '  }', '}']);
  assert.deepEqual(r.diagnostics, []);
  const vi = r.nodes[0];
  assert.deepEqual(vi?.keyword.pos, { file: MAIN, line: 1, col: 1 });
  assert.deepEqual(vi?.blockEnd, { file: MAIN, line: 6, col: 1 });
  const vip = vi?.block?.[1]?.block?.[0];
  assert.deepEqual(vip?.args.map((a) => a.pos.col), [17, 21]);
  assert.equal(r.files.get(MAIN)?.split('\n')[3], '    10.0.0.1/24 dev eth0');
});

test('the brace of a block may stand on the next line, after blank and comment lines', () => {
  const r = parse({ [MAIN]: 'global_defs\n{\n  router_id a\n}\nvrrp_instance V\n\n# comment\n  {\n  state BACKUP\n}\n' });
  assert.deepEqual(outline(r.nodes), ['global_defs {', '  router_id a', '}', 'vrrp_instance V {', '  state BACKUP', '}']);
  assert.deepEqual(r.diagnostics, []);
});

test('words after { or } on the same line start a new statement', () => {
  const r = parse({ [MAIN]: 'virtual_ipaddress { 10.0.0.1 } track_script{ chk }\n' });
  assert.deepEqual(outline(r.nodes), ['virtual_ipaddress {', '  10.0.0.1', '}', 'track_script {', '  chk', '}']);
});

test('a stray } is a positioned error, a block left open at the end is closed there with a warning', () => {
  const r = parse({ [MAIN]: 'global_defs {\n  router_id a\n}\n}\nvrrp_instance V {\n  state MASTER\n  authentication {\n    auth_type PASS\n}\n' });
  assert.deepEqual(codes(r), ['error HALO_CFG_UNBALANCED_BRACE 4:1', 'warning HALO_CFG_BLOCK_CLOSED_AT_END 5:17']);
  assert.match(r.diagnostics[1]?.message ?? '', /`vrrp_instance`/);
  assert.deepEqual(outline(r.nodes), ['global_defs {', '  router_id a', '}', 'vrrp_instance V {', '  state MASTER', '  authentication {', '    auth_type PASS', '  }', '}']);
});

test('a { with no statement before it is an error and its block is dropped', () => {
  const r = parse({ [MAIN]: 'global_defs {\n}\n{ router_id x }\nvrrp_script s {\n}\n' });
  assert.deepEqual(codes(r), ['error HALO_CFG_UNBALANCED_BRACE 3:1']);
  assert.deepEqual(outline(r.nodes), ['global_defs {', '}', 'vrrp_script s {', '}']);
});

test('an unterminated string is an error at its quote', () => {
  const r = parse({ [MAIN]: 'vrrp_script s {\n  script "/bin/true\n}\n' });
  assert.deepEqual(codes(r), ['error HALO_CFG_UNTERMINATED_STRING 2:10']);
  assert.equal(r.nodes[0]?.block?.[0]?.args[0]?.text, '/bin/true');
});

test('joined lines are separated by keyword with one warning per line (seed 000)', () => {
  const joined =
    'global_defs { notification_email { 1012447978@qq.com } notification_email_from Alexandre.Cassen@firewall.loc smtp_server 127.0.0.1 smtp_connect_timeout 30 router_id LVS_DEVEL } vrrp_script chk_nginx{ script "/usr/local/sbin/check_ng.sh" interval 3 } vrrp_instance VI_1 { state MASTER interface ens33 virtual_router_id 51 priority 100 advert_int 1 authentication { auth_type PASS auth_pass gys } virtual_ipaddress { 192.168.123.100 } track_script{ chk_nginx } }';
  const multi = `global_defs {
  notification_email {
    1012447978@qq.com
  }
  notification_email_from Alexandre.Cassen@firewall.loc
  smtp_server 127.0.0.1
  smtp_connect_timeout 30
  router_id LVS_DEVEL
}
vrrp_script chk_nginx {
  script "/usr/local/sbin/check_ng.sh"
  interval 3
}
vrrp_instance VI_1 {
  state MASTER
  interface ens33
  virtual_router_id 51
  priority 100
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass gys
  }
  virtual_ipaddress {
    192.168.123.100
  }
  track_script {
    chk_nginx
  }
}
`;
  const a = parse({ [MAIN]: joined });
  const b = parse({ [MAIN]: multi });
  assert.deepEqual(outline(a.nodes), outline(b.nodes));
  assert.deepEqual(b.diagnostics, []);
  assert.deepEqual(codes(a), ['warning HALO_CFG_JOINED_LINES 1:110']);
  assert.match(a.diagnostics[0]?.message ?? '', /new statements start at `smtp_server`, `smtp_connect_timeout`, .* and 4 more \(10 in all\)$/);
});

test('without an oracle, or with an unknown keyword, a joined line stays one statement', () => {
  const r = parseConfig(MAIN, memorySource({ [MAIN]: 'global_defs { router_id a smtp_server b }\nglobal_defs { mystery 1 router_id c }\n' }), { configId: 'main' });
  assert.deepEqual(outline(r.nodes), ['global_defs {', '  router_id a smtp_server b', '}', 'global_defs {', '  mystery 1 router_id c', '}']);
  const s = parse({ [MAIN]: 'global_defs { mystery 1 router_id c }\n' });
  assert.deepEqual(outline(s.nodes), ['global_defs {', '  mystery 1 router_id c', '}']);
  assert.deepEqual(codes(s), []);
});

test('an oracle answer out of range is ignored', () => {
  for (const bad of [0, -1, 1.5, 99, NaN]) {
    const r = parse({ [MAIN]: 'a b c\n' }, { shape: () => bad });
    assert.deepEqual(outline(r.nodes), ['a b c'], String(bad));
  }
});

test('conditional lines select by config id', () => {
  const text = 'global_defs {\n@main router_id main_router\n@backup router_id backup_router\n  @^main smtp_server 10.0.0.1\n@^backup   nopreempt\n}\n';
  assert.deepEqual(outline(parse({ [MAIN]: text }).nodes), ['global_defs {', '  router_id main_router', '  nopreempt', '}']);
  assert.deepEqual(outline(parse({ [MAIN]: text }, { configId: 'backup' }).nodes), ['global_defs {', '  router_id backup_router', '  smtp_server 10.0.0.1', '}']);
  const kept = parse({ [MAIN]: '@main router_id x\n' }).nodes[0];
  assert.deepEqual(kept?.keyword.pos.col, 7);
});

test('a conditional with no id is an error and the line is dropped', () => {
  const r = parse({ [MAIN]: '@ router_id x\n@^ router_id y\nrouter_id z\n' });
  assert.deepEqual(codes(r), ['error HALO_CFG_BAD_CONDITIONAL 1:1', 'error HALO_CFG_BAD_CONDITIONAL 2:1']);
  assert.deepEqual(outline(r.nodes), ['router_id z']);
});

test('macros: $NAME and ${NAME}, columns point at the use, undefined names are kept and reported', () => {
  const r = parse({ [MAIN]: '$IF=eth0\n$VIP=  10.0.0.1/24  # comment\ninterface $IF\nvirtual_ipaddress {\n  ${VIP} dev ${IF}x $NOPE\n}\n' });
  assert.deepEqual(outline(r.nodes), ['interface eth0', 'virtual_ipaddress {', '  10.0.0.1/24 dev eth0x $NOPE', '}']);
  assert.deepEqual(codes(r), ['warning HALO_CFG_UNDEFINED_MACRO 5:21']);
  const entry = r.nodes[1]?.block?.[0];
  assert.deepEqual([entry?.keyword.pos.col, entry?.args[0]?.pos.col, entry?.args[1]?.pos.col, entry?.args[2]?.pos.col], [3, 10, 14, 21]);
});

test('`$NAME = value` with blanks before `=` is no definition, as in keepalived', () => {
  const r = parse({ [MAIN]: '$X = abc\n$X\n' });
  assert.deepEqual(outline(r.nodes), ['$X = abc', '$X']);
  assert.deepEqual(codes(r), ['warning HALO_CFG_UNDEFINED_MACRO 1:1', 'warning HALO_CFG_UNDEFINED_MACRO 2:1']);
});

test('macro values may use earlier macros and may be redefined', () => {
  const r = parse({ [MAIN]: '$A=1\n$B=$A.2\nx $B\n$A=3\ny $A $B\n' });
  assert.deepEqual(outline(r.nodes), ['x 1.2', 'y 3 1.2']);
});

test('a multi-line macro expands to several lines', () => {
  const r = parse({ [MAIN]: '$RS=real_server 10.0.0.1 80 { \\\n  weight 1 \\\n}\nvirtual_server 10.0.0.9 80 {\n  $RS\n}\n' });
  assert.deepEqual(outline(r.nodes), ['virtual_server 10.0.0.9 80 {', '  real_server 10.0.0.1 80 {', '    weight 1', '  }', '}']);
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.nodes[0]?.block?.[0]?.block?.[0]?.keyword.pos.line, 5);
});

test('a bad macro definition is an error', () => {
  const r = parse({ [MAIN]: '$1X=2\n$=3\nrouter_id $\n' });
  assert.deepEqual(codes(r), ['error HALO_CFG_BAD_MACRO 1:1', 'error HALO_CFG_BAD_MACRO 2:1']);
  assert.deepEqual(outline(r.nodes), ['router_id $']);
});

test('include: relative to the including file, globs, braces, include chain on words', () => {
  const r = parse({
    [MAIN]: 'include conf.d/*.conf\ninclude /etc/keepalived/{b,a}.inc\n',
    '/etc/keepalived/conf.d/20-two.conf': 'router_id two\ninclude ../sub/x.conf\n',
    '/etc/keepalived/conf.d/10-one.conf': 'router_id one\n',
    '/etc/keepalived/conf.d/.hidden.conf': 'router_id hidden\n',
    '/etc/keepalived/conf.d/skip.txt': 'router_id txt\n',
    '/etc/keepalived/sub/x.conf': 'router_id x\n',
    '/etc/keepalived/a.inc': 'router_id a\n',
    '/etc/keepalived/b.inc': 'router_id b\n',
  });
  assert.deepEqual(outline(r.nodes), ['router_id one', 'router_id two', 'router_id x', 'router_id b', 'router_id a']);
  assert.deepEqual(r.diagnostics, []);
  const x = r.nodes[2];
  assert.deepEqual(x?.keyword.pos, { file: '/etc/keepalived/sub/x.conf', line: 1, col: 1 });
  assert.deepEqual(x?.keyword.includeChain, [
    { file: MAIN, line: 1, col: 1 },
    { file: '/etc/keepalived/conf.d/20-two.conf', line: 2, col: 1 },
  ]);
  assert.deepEqual([...r.files.keys()][0], MAIN);
  assert.equal(r.files.size, 6);
});

test('include inside a block splices the file into the block', () => {
  const r = parse({ [MAIN]: 'virtual_server 10.0.0.1 80 {\n  include "rs.conf" # servers\n}\n', '/etc/keepalived/rs.conf': 'real_server 10.0.0.2 80 {\n}\n' });
  assert.deepEqual(outline(r.nodes), ['virtual_server 10.0.0.1 80 {', '  real_server 10.0.0.2 80 {', '  }', '}']);
});

test('a missing plain include or an empty glob is info only, as keepalived is silent', () => {
  const r = parse({ [MAIN]: 'include missing.conf\ninclude /none/*.conf\nrouter_id a\n' });
  assert.deepEqual(codes(r), ['info HALO_CFG_INCLUDE_MISSING 1:1', 'info HALO_CFG_INCLUDE_MISSING 2:1']);
  assert.deepEqual(outline(r.nodes), ['router_id a']);
});

test('an include with no file is an error', () => {
  assert.deepEqual(codes(parse({ [MAIN]: 'include   # nothing\n' })), ['error HALO_CFG_BAD_INCLUDE 1:1']);
});

test('an include cycle is an error with the chain, and reading goes on', () => {
  const r = parse({ [MAIN]: 'include a.conf\nrouter_id end\n', '/etc/keepalived/a.conf': 'include b.conf\n', '/etc/keepalived/b.conf': 'router_id b\ninclude keepalived.conf\n' });
  assert.deepEqual(codes(r), ['error HALO_CFG_INCLUDE_CYCLE 2:1']);
  const d = r.diagnostics[0];
  assert.equal(d?.pos?.file, '/etc/keepalived/b.conf');
  assert.match(d?.message ?? '', /keepalived\.conf -> \/etc\/keepalived\/a\.conf -> \/etc\/keepalived\/b\.conf -> \/etc\/keepalived\/keepalived\.conf$/);
  assert.equal(d?.includeChain?.length, 2);
  assert.deepEqual(outline(r.nodes), ['router_id b', 'router_id end']);
});

test('include depth is bounded', () => {
  const files: Record<string, string> = { [MAIN]: 'include d1.conf\n' };
  for (let i = 1; i <= 30; i++) files[`/etc/keepalived/d${i}.conf`] = `router_id d${i}\ninclude d${i + 1}.conf\n`;
  const r = parse(files, { includeDepthMax: 5 });
  assert.deepEqual(codes(r), ['error HALO_CFG_INCLUDE_DEPTH 2:1']);
  assert.equal(r.nodes.length, 5);
  const deflt = parse(files);
  assert.equal(deflt.nodes.length, 20);
  assert.equal(deflt.diagnostics[0]?.code, 'HALO_CFG_INCLUDE_DEPTH');
});

test('an unreadable entry file is an error without position', () => {
  const r = parse({}, {}, '/nowhere.conf');
  assert.deepEqual(codes(r), ['error HALO_CFG_CANNOT_READ -']);
  assert.equal(r.nodes.length, 0);
});

test('CRLF line ends and a byte order mark are whitespace', () => {
  const r = parse({ [MAIN]: '\ufeffglobal_defs {\r\n  router_id a\r\n}\r\n' });
  assert.deepEqual(outline(r.nodes), ['global_defs {', '  router_id a', '}']);
  assert.deepEqual(r.diagnostics, []);
});

test('a comment that hides blocks of known statements is a warning (a config that lost its line breaks)', () => {
  const joined = '! Configuration File for keepalived global_defs { router_id LVS_DEVEL } vrrp_instance VI_1 { state MASTER }';
  const r = parse({ [MAIN]: joined + '\nglobal_defs {  # vrrp_script s { interval 1 } vrrp_instance V { state BACKUP }\n}\n' });
  assert.deepEqual(codes(r), ['warning HALO_CFG_CONFIG_IN_COMMENT 1:1', 'warning HALO_CFG_CONFIG_IN_COMMENT 2:16']);
  assert.match(r.diagnostics[0]?.message ?? '', /`global_defs \{` and what follows/);
  assert.match(r.diagnostics[1]?.message ?? '', /`vrrp_script s \{`/);
  // Commented-out config on its own lines, prose with braces and unknown words stay quiet.
  const quiet = parse({
    [MAIN]: '#virtual_server 10.0.0.1 80 {\n# virtual_ipaddress { 10.0.0.1 }\n# see {a} and {b} or {c}\n# mystery { } other { }\n',
  });
  assert.deepEqual(codes(quiet), []);
  // Without a schema there is nothing to recognise.
  assert.deepEqual(codes(parseConfig(MAIN, memorySource({ [MAIN]: joined }), { configId: 'main' })), []);
});

test('~SEQ repeats the rest of the line with $VAR set to each value (keepalived 2.2)', () => {
  const r = parse({
    [MAIN]: '$i=outer\nvirtual_ipaddress {\n~SEQ(i, 3) 10.0.0.$i/24\n  ~SEQ(n,5,-2,1) 10.1.0.${n}\n~SEQ(i,2,2,7) x$i\n}\nkeep $i\n',
  });
  assert.deepEqual(outline(r.nodes), [
    'virtual_ipaddress {',
    '  10.0.0.1/24',
    '  10.0.0.2/24',
    '  10.0.0.3/24',
    '  10.1.0.5',
    '  10.1.0.3',
    '  10.1.0.1',
    '  x2',
    '  x4',
    '  x6',
    '}',
    'keep outer',
  ]);
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.nodes[0]?.block?.[1]?.keyword.pos.col, 12);
  assert.equal(r.nodes[0]?.block?.[1]?.keyword.pos.line, 3);
});

test('a bad ~SEQ is an error and the line is dropped', () => {
  const r = parse({ [MAIN]: '~SEQ(i) a\n~SEQ(1x, 3) b\n~SEQ(i, 1, 0, 3) c\n~SEQ(i, 1, x) d\n~SEQ(i, 3 e\n~SEQ(i, 1, 1, 999999999) f\nok\n' });
  assert.deepEqual(codes(r), [1, 2, 3, 4, 5, 6].map((l) => `error HALO_CFG_BAD_SEQ ${l}:1`));
  assert.deepEqual(outline(r.nodes), ['ok']);
});

test('checked include variants turn silent skips into HALO_CFG_INCLUDE_CHECK errors', () => {
  const files = {
    '/etc/keepalived/a.conf': 'router_id a\n',
    '/etc/keepalived/conf.d/x.conf': 'router_id x\n',
  };
  const run = (line: string): string[] => codes(parse({ ...files, [MAIN]: line + '\n' }));
  assert.deepEqual(run('include missing.conf'), ['info HALO_CFG_INCLUDE_MISSING 1:1']);
  assert.deepEqual(run('includer missing.conf'), ['info HALO_CFG_INCLUDE_MISSING 1:1']);
  assert.deepEqual(run('includem missing.conf'), ['error HALO_CFG_INCLUDE_CHECK 1:1']);
  assert.deepEqual(run('includew none.d/*.conf'), ['error HALO_CFG_INCLUDE_CHECK 1:1']);
  assert.deepEqual(run('includea none.d/*.conf'), ['error HALO_CFG_INCLUDE_CHECK 1:1']);
  assert.deepEqual(run('includeb {a,zz}.conf'), ['error HALO_CFG_INCLUDE_CHECK 1:1']);
  assert.deepEqual(run('includeb {a,conf.d/*}.conf'), []);
  assert.deepEqual(run('includem conf.d/*.conf'), []);
  const r = parse({ ...files, [MAIN]: 'includea a.conf\n  includem "conf.d/x.conf"\n' });
  assert.deepEqual(outline(r.nodes), ['router_id a', 'router_id x']);
  assert.deepEqual(r.diagnostics, []);
});

test('a source that throws becomes a read error, never an exception', () => {
  const throwing = {
    readFile(path: string): { ok: true; text: string } {
      if (path === MAIN) return { ok: true, text: 'include a.conf\ninclude b*.conf\nrouter_id x\n' };
      throw new Error('boom');
    },
    glob(): readonly string[] {
      throw new Error('boom');
    },
  };
  const r = parseConfig(MAIN, throwing, { configId: 'main' });
  assert.deepEqual(codes(r), ['warning HALO_CFG_CANNOT_READ 1:1', 'info HALO_CFG_INCLUDE_MISSING 2:1']);
  assert.deepEqual(outline(r.nodes), ['router_id x']);
});

test('an unclosed block hints at the first statement indented like its keyword', () => {
  const r = parse({ [MAIN]: 'global_defs {\n    router_id a\nvrrp_instance V {\n    state MASTER\n}\n' });
  assert.deepEqual(codes(r), ['error HALO_CFG_UNCLOSED_BLOCK 1:13']);
  assert.match(r.diagnostics[0]?.hint ?? '', /^`vrrp_instance` on line 3 is indented like `global_defs`/);
  // A file without indentation gives no such clue: the block is closed at the end, with a warning.
  const flat = parse({ [MAIN]: 'global_defs {\nrouter_id a\nvrrp_instance V {\nstate MASTER\n}\n' });
  assert.deepEqual(codes(flat), ['warning HALO_CFG_BLOCK_CLOSED_AT_END 1:13']);
  assert.equal(flat.diagnostics[0]?.hint, 'add the missing `}` at the end');
});

test('a joined ~SEQ line is warned about once', () => {
  const r = parse({ [MAIN]: 'global_defs {\n~SEQ(i, 3) router_id r$i smtp_server 10.0.0.$i\n}\n' });
  assert.deepEqual(codes(r), ['warning HALO_CFG_JOINED_LINES 2:26']);
  assert.equal(r.nodes[0]?.block?.length, 6);
  const u = parse({ [MAIN]: '~SEQ(i, 3) kw$i $NOPE $NADA\n' });
  assert.deepEqual(codes(u), ['warning HALO_CFG_UNDEFINED_MACRO 1:17', 'warning HALO_CFG_UNDEFINED_MACRO 1:23']);
});
