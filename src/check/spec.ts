/**
 * halo's own description of health checks. The keywords and defaults follow keepalived's
 * `keepalived.conf(5)` (v2.2): the config layer maps `TCP_CHECK { ... }` blocks onto these
 * types, and the nginx loader maps its (passive) settings onto the same shapes. Times are in
 * milliseconds here (keepalived writes seconds, with fractions allowed since 2.0.12).
 *
 * Pure: building a spec never throws; `buildCheck` returns the spec and the problems it found.
 */

export type CheckKind =
  | 'TCP_CHECK'
  | 'HTTP_GET'
  | 'SSL_GET'
  | 'MISC_CHECK'
  | 'DNS_CHECK'
  | 'SMTP_CHECK'
  | 'UDP_CHECK'
  | 'PING_CHECK'
  | 'FILE_CHECK'
  | 'BFD_CHECK';

export const CHECK_KINDS: readonly CheckKind[] = [
  'TCP_CHECK',
  'HTTP_GET',
  'SSL_GET',
  'MISC_CHECK',
  'DNS_CHECK',
  'SMTP_CHECK',
  'UDP_CHECK',
  'PING_CHECK',
  'FILE_CHECK',
  'BFD_CHECK',
];

/** Options every checker has (keepalived: "All checkers have the following options"). */
export interface CommonCheckOptions {
  /** Address to probe; default: the real server's address. */
  readonly connectIp?: string;
  /** Port to probe; default: the real server's port. */
  readonly connectPort?: number;
  /** Source address of the probe (`bindto`). */
  readonly bindTo?: string;
  /** Source port of the probe (`bind_port`). */
  readonly bindPort?: number;
  /** `connect_timeout`, keepalived default 5 s. Also the whole-probe deadline for halo. */
  readonly connectTimeoutMs: number;
  /**
   * `retry` (old name `nb_get_retry`): extra checks made when a check of a live server fails,
   * before the checker declares the server down. Default 1; DNS_CHECK 3; MISC_CHECK 0.
   */
  readonly retry: number;
  /** `delay_before_retry`: default 3 s for HTTP_GET/SSL_GET, delay_loop for DNS_CHECK, else 1 s. */
  readonly delayBeforeRetryMs: number;
  /** `delay_loop`: the period between checks, default 60 s. */
  readonly delayLoopMs: number;
  /**
   * `warmup`: the first check starts after a random delay in [0, warmup]. keepalived enables it
   * by default with the maximum at delay_loop; 0 disables it.
   */
  readonly warmupMs: number;
  /** `alpha`: start with the checker failed, so a server is down until its first good check. */
  readonly alpha: boolean;
  /** `log_all_failures`: log every failed check, not only the ones that change state. */
  readonly logAllFailures: boolean;
  /**
   * halo extension `rise`: consecutive good checks before a down checker is up again.
   * keepalived behaves as rise 1 (one success brings a server back).
   */
  readonly rise: number;
  /**
   * halo extension `fall`: consecutive failed checks before an up checker is down. When not
   * configured it is `retry + 1`, which is exactly keepalived's retry semantics.
   */
  readonly fall: number;
  /**
   * halo extension `jitter`: each period is stretched or shrunk by a random fraction up to this
   * many per mille (0..500), so that checks started together drift apart. Default 0.
   */
  readonly jitterPermille: number;
}

export interface TcpCheckSpec extends CommonCheckOptions {
  readonly kind: 'TCP_CHECK';
}

/** One `status_code` item: a single code is `{ from: n, to: n }`. */
export interface StatusRange {
  readonly from: number;
  readonly to: number;
}

export const DEFAULT_STATUS_RANGES: readonly StatusRange[] = [{ from: 200, to: 299 }];

export interface UrlSpec {
  readonly path: string;
  /** Lower-case hex MD5 of the body, as `genhash` prints it. */
  readonly digest?: string;
  /** Default 200-299 (keepalived). */
  readonly statusCodes: readonly StatusRange[];
  readonly virtualhost?: string;
  /** A JavaScript regular expression source searched in the body. */
  readonly regex?: string;
  /** `regex_no_match`: a match fails the check instead. */
  readonly regexNoMatch: boolean;
  /** halo extension: the body must contain this text. */
  readonly expectBody?: string;
}

export type HttpProtocol = '1.0' | '1.0C' | '1.1';

export interface HttpCheckSpec extends CommonCheckOptions {
  readonly kind: 'HTTP_GET' | 'SSL_GET';
  readonly urls: readonly UrlSpec[];
  /** `http_protocol`: 1.0 (keepalived's default), 1.0C (1.0 with `Connection: close`) or 1.1. */
  readonly httpProtocol: HttpProtocol;
  /** `virtualhost` inherited from the real or virtual server, overridden per url. */
  readonly virtualhost?: string;
  /** `fast_recovery`: when down (or with alpha) check every url back to back, not one per delay_loop. */
  readonly fastRecovery: boolean;
  /** SSL_GET `enable_sni` / `sni_name`: the name sent in the TLS handshake. */
  readonly sniName?: string;
  readonly enableSni: boolean;
  /** halo extensions: request method, extra headers and body. */
  readonly method: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly requestBody?: string;
  /** halo: the most body bytes read for digest/regex; the rest is not read. Default 1 MiB. */
  readonly maxBodyBytes: number;
  /** halo: verify the server's certificate (keepalived does not without an SSL block). Default false. */
  readonly verifyTls: boolean;
}

export interface MiscCheckSpec extends CommonCheckOptions {
  readonly kind: 'MISC_CHECK';
  /** `misc_path`: the command line; split on spaces, quoted parts kept whole. */
  readonly miscPath: string;
  /** `misc_timeout`: default delay_loop (keepalived). */
  readonly miscTimeoutMs: number;
  /** `misc_dynamic`: exit 2..255 sets the weight to code - 2. */
  readonly miscDynamic: boolean;
  /** `user`: run as this user (and group). */
  readonly user?: string;
  readonly group?: string;
}

export type DnsType = 'A' | 'NS' | 'CNAME' | 'SOA' | 'MX' | 'TXT' | 'AAAA';
export const DNS_TYPES: readonly DnsType[] = ['A', 'NS', 'CNAME', 'SOA', 'MX', 'TXT', 'AAAA'];

export interface DnsCheckSpec extends CommonCheckOptions {
  readonly kind: 'DNS_CHECK';
  /** Default SOA. */
  readonly type: DnsType;
  /** Default `.`. */
  readonly name: string;
}

export interface SmtpCheckSpec extends CommonCheckOptions {
  readonly kind: 'SMTP_CHECK';
  /** `helo_name`: default the host name the runner gives (keepalived: the local host name). */
  readonly heloName?: string;
}

export interface UdpCheckSpec extends CommonCheckOptions {
  readonly kind: 'UDP_CHECK';
  /** `payload` as bytes; keepalived sends a random payload when not set (halo: 8 bytes from the Prng). */
  readonly payload?: Uint8Array;
  /** `require_reply`: a reply must come back. */
  readonly requireReply: boolean;
  /** `require_reply HEX`: the reply's first bytes must match; null nibbles (x) match anything. */
  readonly replyPattern?: readonly (number | null)[];
  readonly minReplyLength: number;
  readonly maxReplyLength: number;
}

export interface PingCheckSpec extends CommonCheckOptions {
  readonly kind: 'PING_CHECK';
}

export interface FileCheckSpec extends CommonCheckOptions {
  readonly kind: 'FILE_CHECK';
  /** The `file` of the `track_file` block the checker names. */
  readonly path: string;
  /** The track_file weight multiplier (default 1); 0 makes the file a plain up/down switch. */
  readonly weight: number;
  readonly reverse: boolean;
  /** `dynamic`: value × weight is added to the real server's weight. */
  readonly dynamic: boolean;
}

/**
 * BFD_CHECK: the real server is up while the named bfd_instance's session is Up. The session
 * runs in the checker process (src/check/runner/bfd-engine.ts); the probe reads its state and a
 * state change triggers a check at once, so delay_loop only bounds how stale a missed event is.
 */
export interface BfdCheckSpec extends CommonCheckOptions {
  readonly kind: 'BFD_CHECK';
  readonly name: string;
}

export type CheckSpec =
  | TcpCheckSpec
  | HttpCheckSpec
  | MiscCheckSpec
  | DnsCheckSpec
  | SmtpCheckSpec
  | UdpCheckSpec
  | PingCheckSpec
  | FileCheckSpec
  | BfdCheckSpec;

/** A real server as the checker process sees it. */
export interface RealServerSpec {
  /** `ip:port` (`[v6]:port`), see core/backend.ts. */
  readonly id: string;
  readonly address: string;
  readonly port: number;
  /** `weight`, default 1. */
  readonly weight: number;
  readonly checkers: readonly CheckSpec[];
  /** `inhibit_on_failure`: on failure set weight 0 instead of leaving the pool. */
  readonly inhibitOnFailure: boolean;
  /** halo extension: after recovery the weight ramps from 1 to `weight` over this time. 0 = off. */
  readonly slowStartMs: number;
  readonly notifyUp?: string;
  readonly notifyDown?: string;
  readonly smtpAlert?: boolean;
}

export interface VirtualServerSpec {
  /** `ip:port` of the service, used in events and lvs_notify_fifo lines. */
  readonly id: string;
  readonly address: string;
  readonly port: number;
  /** `protocol` for the notify FIFO line: tcp, udp, sctp. */
  readonly protocol: 'tcp' | 'udp' | 'sctp';
  readonly realServers: readonly RealServerSpec[];
  /** `quorum`: minimum total live weight, default 1. */
  readonly quorum: number;
  /** `hysteresis`: default 0. */
  readonly hysteresis: number;
  readonly quorumUp?: string;
  readonly quorumDown?: string;
  /** `sorry_server`: `ip:port` put in the pool while the quorum is lost. */
  readonly sorryServer?: string;
  /** `ha_suspend`: no checks while the service address is not on this director. */
  readonly haSuspend: boolean;
  /** `omega`: run quorum_down / notify_down when halo stops. */
  readonly omega: boolean;
  readonly virtualhost?: string;
}

// ---- defaults and building ------------------------------------------------------------------

export const DEFAULT_DELAY_LOOP_MS = 60_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export function defaultRetry(kind: CheckKind): number {
  if (kind === 'DNS_CHECK') return 3;
  if (kind === 'MISC_CHECK') return 0;
  return 1;
}

export function defaultDelayBeforeRetryMs(kind: CheckKind, delayLoopMs: number): number {
  if (kind === 'HTTP_GET' || kind === 'SSL_GET') return 3_000;
  if (kind === 'DNS_CHECK') return delayLoopMs;
  return 1_000;
}

/** What the config layer (or a test) says; everything optional takes keepalived's default. */
export interface CommonInput {
  connectIp?: string;
  connectPort?: number;
  bindTo?: string;
  bindPort?: number;
  connectTimeoutMs?: number;
  retry?: number;
  delayBeforeRetryMs?: number;
  delayLoopMs?: number;
  warmupMs?: number;
  alpha?: boolean;
  logAllFailures?: boolean;
  rise?: number;
  fall?: number;
  jitterPermille?: number;
}

export interface UrlInput {
  path: string;
  digest?: string;
  statusCodes?: readonly StatusRange[];
  virtualhost?: string;
  regex?: string;
  regexNoMatch?: boolean;
  expectBody?: string;
}

export type CheckInput =
  | ({ kind: 'TCP_CHECK' } & CommonInput)
  | ({
      kind: 'HTTP_GET' | 'SSL_GET';
      urls: readonly UrlInput[];
      httpProtocol?: HttpProtocol;
      virtualhost?: string;
      fastRecovery?: boolean;
      enableSni?: boolean;
      sniName?: string;
      method?: string;
      headers?: readonly (readonly [string, string])[];
      requestBody?: string;
      maxBodyBytes?: number;
      verifyTls?: boolean;
    } & CommonInput)
  | ({ kind: 'MISC_CHECK'; miscPath: string; miscTimeoutMs?: number; miscDynamic?: boolean; user?: string; group?: string } & CommonInput)
  | ({ kind: 'DNS_CHECK'; type?: DnsType; name?: string } & CommonInput)
  | ({ kind: 'SMTP_CHECK'; heloName?: string } & CommonInput)
  | ({
      kind: 'UDP_CHECK';
      payload?: Uint8Array;
      requireReply?: boolean;
      replyPattern?: readonly (number | null)[];
      minReplyLength?: number;
      maxReplyLength?: number;
    } & CommonInput)
  | ({ kind: 'PING_CHECK' } & CommonInput)
  | ({ kind: 'FILE_CHECK'; path: string; weight?: number; reverse?: boolean; dynamic?: boolean } & CommonInput)
  | ({ kind: 'BFD_CHECK'; name: string } & CommonInput);

export interface BuildResult<T> {
  readonly spec: T;
  /** Problems found; each is a message for HALO_CHK_SPEC_INVALID. Empty when the spec is sound. */
  readonly problems: readonly string[];
}

function intIn(problems: string[], name: string, value: number, min: number, max: number): number {
  if (!Number.isFinite(value) || !Number.isInteger(value) || value < min || value > max) {
    problems.push(`Invalid ${name}: ${value} (expected an integer from ${min} to ${max})`);
    return Math.min(max, Math.max(min, Number.isFinite(value) ? Math.round(value) : min));
  }
  return value;
}

function buildCommon(kind: CheckKind, input: CommonInput, problems: string[]): CommonCheckOptions {
  const delayLoopMs = intIn(problems, 'delay_loop', input.delayLoopMs ?? DEFAULT_DELAY_LOOP_MS, 1, 86_400_000);
  const retry = intIn(problems, 'retry', input.retry ?? defaultRetry(kind), 0, 1_000);
  const common: CommonCheckOptions = {
    connectTimeoutMs: intIn(problems, 'connect_timeout', input.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, 1, 3_600_000),
    retry,
    delayBeforeRetryMs: intIn(problems, 'delay_before_retry', input.delayBeforeRetryMs ?? defaultDelayBeforeRetryMs(kind, delayLoopMs), 0, 86_400_000),
    delayLoopMs,
    warmupMs: intIn(problems, 'warmup', input.warmupMs ?? delayLoopMs, 0, 86_400_000),
    alpha: input.alpha ?? false,
    logAllFailures: input.logAllFailures ?? false,
    rise: intIn(problems, 'rise', input.rise ?? 1, 1, 1_000),
    fall: intIn(problems, 'fall', input.fall ?? retry + 1, 1, 1_001),
    jitterPermille: intIn(problems, 'jitter', input.jitterPermille ?? 0, 0, 500),
    ...(input.connectIp !== undefined ? { connectIp: input.connectIp } : {}),
    ...(input.bindTo !== undefined ? { bindTo: input.bindTo } : {}),
    ...(input.connectPort !== undefined ? { connectPort: intIn(problems, 'connect_port', input.connectPort, 1, 65_535) } : {}),
    ...(input.bindPort !== undefined ? { bindPort: intIn(problems, 'bind_port', input.bindPort, 1, 65_535) } : {}),
  };
  return common;
}

/** Parses `200`, `200-299`, `200-299 400-499 503` (keepalived's status_code list). */
export function parseStatusCodes(text: string): BuildResult<readonly StatusRange[]> {
  const problems: string[] = [];
  const ranges: StatusRange[] = [];
  for (const item of text.trim().split(/\s+/)) {
    if (item === '') continue;
    const m = /^(\d{3})(?:-(\d{3}))?$/.exec(item);
    if (!m) {
      problems.push(`Invalid status_code: ${item} (expected NNN or NNN-NNN)`);
      continue;
    }
    const from = Number(m[1]);
    const to = m[2] !== undefined ? Number(m[2]) : from;
    if (from < 100 || to > 599 || to < from) {
      problems.push(`Invalid status_code: ${item} (codes run from 100 to 599, low before high)`);
      continue;
    }
    ranges.push({ from, to });
  }
  return { spec: ranges.length > 0 ? ranges : DEFAULT_STATUS_RANGES, problems };
}

export function statusMatches(status: number, ranges: readonly StatusRange[]): boolean {
  return ranges.some((r) => status >= r.from && status <= r.to);
}

/**
 * Parses keepalived's free-form HEX_STR (`Ab12f 3 456`): each space-separated group is read in
 * pairs of digits, an odd last digit standing alone (`f` → 0x0f). With `wildcards`, an `x` digit
 * matches anything (returned as null for the whole byte, halo's simplification).
 */
export function parseHexString(text: string, wildcards: boolean): BuildResult<readonly (number | null)[]> {
  const problems: string[] = [];
  const bytes: (number | null)[] = [];
  for (const group of text.trim().split(/\s+/)) {
    if (group === '') continue;
    const valid = wildcards ? /^[0-9a-fA-FxX]+$/ : /^[0-9a-fA-F]+$/;
    if (!valid.test(group)) {
      problems.push(`Invalid hex string: ${group}`);
      continue;
    }
    for (let i = 0; i < group.length; i += 2) {
      const pair = group.slice(i, i + 2);
      bytes.push(/[xX]/.test(pair) ? null : parseInt(pair, 16));
    }
  }
  return { spec: bytes, problems };
}

export function buildCheck(input: CheckInput): BuildResult<CheckSpec> {
  const problems: string[] = [];
  const common = buildCommon(input.kind, input, problems);
  switch (input.kind) {
    case 'TCP_CHECK':
    case 'PING_CHECK':
      return { spec: { kind: input.kind, ...common }, problems };
    case 'BFD_CHECK':
      if (input.name.trim() === '') problems.push('Missing name: BFD_CHECK needs the name of a bfd_instance');
      return { spec: { kind: 'BFD_CHECK', ...common, name: input.name }, problems };
    case 'SMTP_CHECK':
      return { spec: { kind: 'SMTP_CHECK', ...common, ...(input.heloName !== undefined ? { heloName: input.heloName } : {}) }, problems };
    case 'DNS_CHECK': {
      const type = input.type ?? 'SOA';
      if (!DNS_TYPES.includes(type)) problems.push(`Invalid DNS_CHECK type: ${String(type)} (expected one of ${DNS_TYPES.join(', ')})`);
      return { spec: { kind: 'DNS_CHECK', ...common, type, name: input.name ?? '.' }, problems };
    }
    case 'MISC_CHECK': {
      if (input.miscPath.trim() === '') problems.push('Missing misc_path: MISC_CHECK needs a command');
      const miscTimeoutMs = intIn(problems, 'misc_timeout', input.miscTimeoutMs ?? common.delayLoopMs, 1, 86_400_000);
      return {
        spec: {
          kind: 'MISC_CHECK',
          ...common,
          miscPath: input.miscPath,
          miscTimeoutMs,
          miscDynamic: input.miscDynamic ?? false,
          ...(input.user !== undefined ? { user: input.user } : {}),
          ...(input.group !== undefined ? { group: input.group } : {}),
        },
        problems,
      };
    }
    case 'UDP_CHECK': {
      const minReplyLength = intIn(problems, 'min_reply_length', input.minReplyLength ?? 0, 0, 65_507);
      const maxReplyLength = intIn(problems, 'max_reply_length', input.maxReplyLength ?? 255, 0, 65_507);
      if (minReplyLength > maxReplyLength) problems.push(`Invalid reply lengths: min_reply_length ${minReplyLength} > max_reply_length ${maxReplyLength}`);
      return {
        spec: {
          kind: 'UDP_CHECK',
          ...common,
          requireReply: input.requireReply ?? input.replyPattern !== undefined,
          minReplyLength,
          maxReplyLength,
          ...(input.payload !== undefined ? { payload: input.payload } : {}),
          ...(input.replyPattern !== undefined ? { replyPattern: input.replyPattern } : {}),
        },
        problems,
      };
    }
    case 'FILE_CHECK': {
      if (input.path.trim() === '') problems.push('Missing file: FILE_CHECK needs the file of a track_file');
      return {
        spec: {
          kind: 'FILE_CHECK',
          ...common,
          path: input.path,
          weight: input.weight ?? 1,
          reverse: input.reverse ?? false,
          dynamic: input.dynamic ?? false,
        },
        problems,
      };
    }
    case 'HTTP_GET':
    case 'SSL_GET': {
      if (input.urls.length === 0) problems.push(`Missing url: ${input.kind} needs at least one url block`);
      const urls: UrlSpec[] = input.urls.map((u) => {
        if (!u.path.startsWith('/')) problems.push(`Invalid url path: ${u.path} (must start with /)`);
        if (u.digest !== undefined && !/^[0-9a-fA-F]{32}$/.test(u.digest)) problems.push(`Invalid digest: ${u.digest} (expected 32 hex digits, as genhash prints)`);
        if (u.regex !== undefined) {
          try {
            new RegExp(u.regex);
          } catch (e) {
            problems.push(`Invalid regex: ${u.regex}: ${e instanceof Error ? e.message : String(e)}`);
          }
        }
        return {
          path: u.path,
          statusCodes: u.statusCodes && u.statusCodes.length > 0 ? u.statusCodes : DEFAULT_STATUS_RANGES,
          regexNoMatch: u.regexNoMatch ?? false,
          ...(u.digest !== undefined ? { digest: u.digest.toLowerCase() } : {}),
          ...(u.virtualhost !== undefined ? { virtualhost: u.virtualhost } : {}),
          ...(u.regex !== undefined ? { regex: u.regex } : {}),
          ...(u.expectBody !== undefined ? { expectBody: u.expectBody } : {}),
        };
      });
      const method = (input.method ?? 'GET').toUpperCase();
      if (!/^[A-Z]+$/.test(method)) problems.push(`Invalid method: ${method}`);
      return {
        spec: {
          kind: input.kind,
          ...common,
          urls,
          httpProtocol: input.httpProtocol ?? '1.0',
          fastRecovery: input.fastRecovery ?? false,
          enableSni: input.enableSni ?? input.sniName !== undefined,
          method,
          headers: input.headers ?? [],
          maxBodyBytes: intIn(problems, 'max_body_bytes', input.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, 0, 64 * 1024 * 1024),
          verifyTls: input.verifyTls ?? false,
          ...(input.virtualhost !== undefined ? { virtualhost: input.virtualhost } : {}),
          ...(input.sniName !== undefined ? { sniName: input.sniName } : {}),
          ...(input.requestBody !== undefined ? { requestBody: input.requestBody } : {}),
        },
        problems,
      };
    }
  }
}

/** A short name for logs and causes: `HTTP_GET /health`, `TCP_CHECK :80`, `MISC_CHECK /bin/x`. */
export function checkLabel(spec: CheckSpec): string {
  switch (spec.kind) {
    case 'HTTP_GET':
    case 'SSL_GET':
      return `${spec.kind} ${spec.urls.map((u) => u.path).join(',')}`;
    case 'MISC_CHECK':
      return `MISC_CHECK ${spec.miscPath.split(/\s+/)[0] ?? ''}`;
    case 'DNS_CHECK':
      return `DNS_CHECK ${spec.type} ${spec.name}`;
    case 'FILE_CHECK':
      return `FILE_CHECK ${spec.path}`;
    case 'BFD_CHECK':
      return `BFD_CHECK ${spec.name}`;
    default:
      return spec.connectPort !== undefined ? `${spec.kind} :${spec.connectPort}` : spec.kind;
  }
}
