/**
 * docs/keepalived-compat.md, rendered from the keyword tables so that the document and the loader
 * cannot disagree (a test compares them; regenerate with `node dist/scripts/gen-keepalived-compat.js`).
 */
import type { BlockDef, KeywordDef } from './schema-core.js';
import { allBlocks } from './schema.js';

const INTRO = `# keepalived.conf compatibility

<!-- Generated from src/config/keepalived/schema.ts by \`node dist/scripts/gen-keepalived-compat.js\`; a test keeps them equal. -->

halo reads \`keepalived.conf\` as keepalived 2.2 does. Every keyword of keepalived.conf(5) (the
man page of keepalived 2.2.7) is in one of three states:

- **modelled**: read into halo's typed model (\`halo dump-config\` shows it) with keepalived's
  value type, range and default;
- **not supported**: recognised, reported with the warning \`HALO_CFG_NOT_SUPPORTED\` naming the
  keyword and the reason below, and otherwise ignored (nothing is dropped silently);
- **deprecated**: an older spelling, read as the keyword named, with the warning
  \`HALO_CFG_DEPRECATED\`.

A keyword that is none of these is an error (\`HALO_CFG_UNKNOWN_KEYWORD\`, with a "did you mean"
hint from the keywords of that block), and a keyword written in the wrong block says where it
belongs (\`HALO_CFG_MISPLACED_KEYWORD\`). Value types: BOOL is \`on|off|true|false|yes|no\` (a bare
keyword means on where keepalived allows it), TIMER is decimal seconds with microsecond resolution.

## Quirks halo reproduces

| keepalived behaviour | halo |
|---|---|
| \`auth_pass\` longer than 8 characters is cut to 8 | same, warning \`HALO_CFG_TRUNCATED\` |
| \`state MASTER\` without \`priority\` means priority 255 (address owner); otherwise the default is 100 | same (checked with \`keepalived -t\` and \`vrrp_strict\`: it accepts MASTER without priority as the owner and rejects MASTER with priority 100) |
| \`state\` is compared exactly: \`state backup\` or \`state master\` is read as BACKUP with a warning | same, warning \`HALO_CFG_DEFAULTED\` (seed 000's backup file says \`state backup\`) |
| a \`virtual_server\` without \`protocol\` is UDP, with a warning | same, warning \`HALO_CFG_DEFAULTED\` |
| \`advert_int\` is rounded to whole seconds for VRRPv2 (at least 1) and to 10 ms for VRRPv3 (at most 40.95 s) | same, warning \`HALO_CFG_ROUNDED\` |
| an IPv6 instance always uses VRRPv3 | same (a conflicting \`version 2\` is warned about) |
| all \`virtual_ipaddress\` entries of an instance share its family | error \`HALO_CFG_MIXED_FAMILIES\` (keepalived drops the address with an error) |
| the same VRID twice on one interface and family | error \`HALO_CFG_DUPLICATE_VRID\` (unless their unicast peers are disjoint or multicast groups differ) |
| \`vrrp_strict\`: VIPs required, no unicast peers, no authentication, no \`preempt_delay\`, no \`accept\` with v2, \`state MASTER\` only with priority 255, first IPv6 VIP link-local, no \`vmac_xmit_base\` | error \`HALO_CFG_STRICT_VIOLATION\` for each (keepalived resets most of them and refuses some) |
| \`nopreempt\` and \`preempt_delay\` only work with initial state BACKUP | warning \`HALO_CFG_CONFLICT\` |
| accept mode defaults to on, or with strict mode to (priority = 255) | same |
| a virtual server's timing options are its real servers' defaults, whose values are their checkers' defaults; \`retry\` defaults to 1 (DNS_CHECK 3, MISC_CHECK 0), \`delay_before_retry\` to 1 s (HTTP_GET/SSL_GET 3 s, DNS_CHECK \`delay_loop\`), \`connect_timeout\` to 5 s, \`delay_loop\` to 60 s | same; \`dump-config\` shows every checker's resolved values |
| default scheduler \`wlc\`, forwarding method NAT, real server weight 1, quorum 1, bare \`persistence_timeout\` 360 s | same |
| a fwmark service clears \`ha_suspend\` and the ports of its real and sorry servers | same, warning \`HALO_CFG_CONFLICT\` |
| a \`virtual_server_group\` mixing IPv4, IPv6 and a fwmark without family is removed | error \`HALO_CFG_MIXED_FAMILIES\` |
| \`lb_algo\`/\`lb_kind\` are other names of \`lvs_sched\`/\`lvs_method\`; methods are exactly NAT, DR, TUN | same |

## Where halo differs from keepalived 2.2 on purpose

- **Statements joined on one line** (a config pasted without its line breaks, seed 000): keepalived
  reads such a line as one statement and reports "Unexpected '{'" and unknown keywords, losing most
  of the configuration. halo splits it with the keyword tables (each keyword takes the words it can
  take) into the model of the multi-line form, and warns with \`HALO_CFG_JOINED_LINES\`.
- **Old spellings** keepalived 2.2 no longer knows and ignores (\`nb_get_retry\`, \`lvs_id\`,
  \`vrrp_unicast_bind\`, \`vrrp_unicast_peer\`) are read as their replacements with
  \`HALO_CFG_DEPRECATED\`: the tutorials use \`nb_get_retry\` and mean \`retry\`. With keepalived 2.2
  such a checker gets the default retry of 1.
- **References to undefined names** (\`track_script\`, \`track_file\`, \`track_process\`, sync group
  members, \`virtual_server group\`, FILE_CHECK's \`track_file\`) are errors; keepalived logs and
  ignores them, so the instance would silently lose a tracker.
- **Values keepalived 2.2.7 rejects but whose meaning is its default** are accepted:
  \`vrrp_garp_interval 0\`, \`vrrp_gna_interval 0\` (seed 002) and \`persistence_timeout 0\`.

## Checked against keepalived

Every fixture in \`test/fixtures/keepalived/\` was also given to \`keepalived -t -f FILE\`
(keepalived 2.2.7, Debian). keepalived agrees with the golden diagnostics on: unknown keywords
(and their lines), \`state backup\`/\`state master\`, \`auth_pass\` truncation, the UDP default,
advert_int rounding for v2 and v3, out-of-range VRID and priority, invalid BOOL, TIMER, address,
scheduler, protocol and forwarding method values, VIP family mismatch, duplicate VRIDs and
instance names, real servers of the wrong family, the strict-mode rules, fwmark service clearing,
mixed-family server groups, unknown tracked scripts/processes, and the unclosed \`virtual_server\`
of seed 002 ("There are 1 missing '}'s"; both read the block to the end of the file, halo with the
warning \`HALO_CFG_BLOCK_CLOSED_AT_END\`). Differences: the one-line seed 000 (see above),
\`nb_get_retry\`/\`lvs_id\`/\`vrrp_unicast_*\` (keepalived: unknown keyword), FILE_CHECK \`dynamic\`
and sync group \`notify_deleted\` (in the man page, but the Debian build rejects them; halo models
them), and checks that need the machine (interfaces that do not exist, users for \`script_user\`),
which halo leaves to the runtime. keepalived 2.2.7 crashes (SIGSEGV) on \`bad-values.conf\`.

## Keywords
`;

function status(d: KeywordDef): string {
  if (d.status === 'modelled') return d.synonymOf !== undefined ? `modelled (other name of \`${d.synonymOf}\`)` : 'modelled';
  if (d.status === 'deprecated') return `deprecated → \`${d.replacement ?? ''}\``;
  return 'not supported';
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function blockTable(b: BlockDef): string[] {
  const lines: string[] = [];
  if (b.kind === 'list') {
    lines.push(`### \`${b.id}\` (list)`, '', `Each entry: \`${cell(b.entrySyntax ?? '')}\``, '');
    return lines;
  }
  lines.push(`### ${b.id === 'top level' ? 'Top level' : `\`${b.id}\``}`, '', '| keyword | status | value | notes |', '|---|---|---|---|');
  for (const kw of Object.keys(b.keywords).sort()) {
    const d = b.keywords[kw] as KeywordDef;
    const value = d.block !== undefined ? `${d.syntax ?? ''} { ... }`.trim() : d.syntax ?? '';
    const notes = d.status === 'modelled' ? (d.note ?? '') : d.note ?? '';
    lines.push(`| \`${kw}\` | ${status(d)} | ${value === '' ? '' : '`' + cell(value) + '`'} | ${cell(notes)} |`);
  }
  lines.push('');
  return lines;
}

export function renderCompatDoc(): string {
  const c = keywordCounts();
  const out: string[] = [INTRO, `${c.modelled} keyword entries modelled, ${c.unsupported} recognised but not supported, ${c.deprecated} deprecated spellings (a keyword valid in several blocks counts once per block).`, ''];
  for (const b of allBlocks()) out.push(...blockTable(b));
  return out.join('\n');
}

/** Counts per status, for the summary line and tests. */
export function keywordCounts(): Record<'modelled' | 'unsupported' | 'deprecated', number> {
  const c = { modelled: 0, unsupported: 0, deprecated: 0 };
  for (const b of allBlocks()) for (const d of Object.values(b.keywords)) c[d.status]++;
  return c;
}
