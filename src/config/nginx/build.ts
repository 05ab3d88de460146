/**
 * Statement tree → NginxModel, with nginx's defaults and its checks, every problem a positioned
 * diagnostic. Nothing is dropped silently: each directive is modelled, or reported as ignored
 * (info) or not supported (warning), or is an error (unknown, misplaced, bad value).
 */
import type { Diagnostic, SourcePos } from '../../core/diagnostic.js';
import type { ErrorCode } from '../../core/errors/index.js';
import { backendId } from '../../core/backend.js';
import type { ConfNode, Word } from '../tree.js';
import { lookupDirective, namesIn, type NginxContext } from './directives.js';
import {
  NGINX_DEFAULTS,
  type NginxHeader,
  type NginxHttp,
  type NginxHttpServer,
  type NginxListen,
  type NginxLocation,
  type NginxMethod,
  type NginxModel,
  type NginxProxyPass,
  type NginxProxySettings,
  type NginxStream,
  type NginxStreamServer,
  type NginxUpstream,
  type NginxUpstreamServer,
} from './model.js';
import { editDistance, isIpLiteral, parseCount, parseHostPort, parseNginxTimeMs } from './values.js';

const NEXT_UPSTREAM_HTTP = new Set(['error', 'timeout', 'invalid_header', 'http_500', 'http_502', 'http_503', 'http_504', 'http_403', 'http_404', 'http_429', 'non_idempotent', 'off']);

/** proxy_* settings written at one level (http, server or location); absent = inherited. */
interface ProxyLayer {
  setHeaders?: NginxHeader[];
  nextUpstream?: string[];
  nextUpstreamTries?: number;
  nextUpstreamTimeoutMs?: number;
  connectTimeoutMs?: number;
  readTimeoutMs?: number;
  sendTimeoutMs?: number;
  httpVersion?: '1.0' | '1.1';
  proxyTimeoutMs?: number;
  streamNextUpstream?: boolean;
}

type LayerKey = keyof ProxyLayer;

export function buildNginxModel(nodes: readonly ConfNode[]): { model: NginxModel; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];

  const report = (severity: Diagnostic['severity'], code: ErrorCode, message: string, word: Word, hint?: string): void => {
    diagnostics.push({
      severity,
      code,
      message,
      pos: word.pos,
      length: Math.max(1, word.text.length),
      ...(word.includeChain.length > 0 ? { includeChain: word.includeChain } : {}),
      ...(hint !== undefined ? { hint } : {}),
    });
  };

  /**
   * Checks a directive against the table for `context`; returns true when the caller should model
   * it (reports and returns false for ignored, unsupported, misplaced and unknown ones).
   */
  const admit = (node: ConfNode, context: NginxContext): boolean => {
    const name = node.keyword.text;
    const found = lookupDirective(name, context);
    if (found === undefined) {
      const near = namesIn(context)
        .map((n) => ({ n, d: editDistance(name, n) }))
        .filter((x) => x.d <= 2)
        .sort((a, b) => a.d - b.d || a.n.localeCompare(b.n))[0];
      report('error', 'HALO_NGX_UNKNOWN_DIRECTIVE', `Unknown directive: ${name}`, node.keyword, near !== undefined ? `did you mean \`${near.n}\`?` : undefined);
      return false;
    }
    if (!found.here) {
      report('error', 'HALO_NGX_NOT_ALLOWED_HERE', `Directive is not allowed here: ${name} (in ${contextName(context)})`, node.keyword);
      return false;
    }
    if (found.spec.kind === 'ignore') {
      report('info', 'HALO_NGX_IGNORED', `Ignored because ${found.spec.why ?? 'it has no effect in halo'}: ${name}`, node.keyword);
      return false;
    }
    if (found.spec.kind === 'unsupported' || found.spec.kind === 'refuse') {
      report(found.spec.kind === 'refuse' ? 'error' : 'warning', 'HALO_NGX_NOT_SUPPORTED', `Not supported because ${found.spec.why ?? 'halo does not do it'}: ${name}`, node.keyword);
      return false;
    }
    return true;
  };

  const wantBlock = (node: ConfNode, yes: boolean): boolean => {
    if (yes && node.block === null) {
      report('error', 'HALO_NGX_UNEXPECTED', `Directive has no opening {: ${node.keyword.text}`, node.keyword);
      return false;
    }
    if (!yes && node.block !== null) {
      report('error', 'HALO_NGX_UNEXPECTED', `Directive is not terminated by ;: ${node.keyword.text} (it takes no block)`, node.keyword);
      return false;
    }
    return true;
  };

  const argCount = (node: ConfNode, min: number, max: number): boolean => {
    const n = node.args.length;
    if (n < min || n > max) {
      const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
      report('error', 'HALO_NGX_ARGS', `Invalid number of arguments in ${node.keyword.text}: ${n} (it takes ${want})`, node.keyword);
      return false;
    }
    return true;
  };

  const time = (node: ConfNode, word: Word, allowMs: boolean): number | undefined => {
    const ms = parseNginxTimeMs(word.text, allowMs);
    if (ms === undefined) report('error', 'HALO_NGX_BAD_VALUE', `Invalid time in ${node.keyword.text}: ${word.text}`, word, allowMs ? 'e.g. 30s, 500ms, 1m30s; a bare number is seconds' : 'e.g. 10s, 1m; a bare number is seconds');
    return ms;
  };

  const count = (node: ConfNode, word: Word, min: number): number | undefined => {
    const n = parseCount(word.text);
    if (n === undefined || n < min) {
      report('error', 'HALO_NGX_BAD_VALUE', `Invalid number in ${node.keyword.text}: ${word.text} (a whole number of at least ${min})`, word);
      return undefined;
    }
    return n;
  };

  /** Sets one proxy setting at this level; nginx refuses a second one in the same block. */
  const setLayer = <K extends LayerKey>(layer: ProxyLayer, key: K, value: ProxyLayer[K] | undefined, node: ConfNode): void => {
    if (value === undefined) return;
    if (layer[key] !== undefined) {
      report('error', 'HALO_NGX_DUPLICATE', `Directive is duplicate: ${node.keyword.text}`, node.keyword);
      return;
    }
    layer[key] = value;
  };

  /** The proxy_* directives shared by http, server and location (and their stream cousins). */
  const proxySetting = (node: ConfNode, layer: ProxyLayer, stream: boolean): void => {
    if (!wantBlock(node, false)) return;
    const name = node.keyword.text;
    const a0 = node.args[0];
    switch (name) {
      case 'proxy_set_header': {
        if (!argCount(node, 2, 2) || a0 === undefined) return;
        const value = node.args[1];
        layer.setHeaders ??= [];
        layer.setHeaders.push({ name: a0.text, value: value?.text ?? '', pos: node.keyword.pos });
        return;
      }
      case 'proxy_connect_timeout':
      case 'proxy_read_timeout':
      case 'proxy_send_timeout':
      case 'proxy_next_upstream_timeout':
      case 'proxy_timeout': {
        if (!argCount(node, 1, 1) || a0 === undefined) return;
        const key: LayerKey =
          name === 'proxy_connect_timeout' ? 'connectTimeoutMs'
          : name === 'proxy_read_timeout' ? 'readTimeoutMs'
          : name === 'proxy_send_timeout' ? 'sendTimeoutMs'
          : name === 'proxy_timeout' ? 'proxyTimeoutMs'
          : 'nextUpstreamTimeoutMs';
        setLayer(layer, key, time(node, a0, true), node);
        return;
      }
      case 'proxy_next_upstream_tries': {
        if (!argCount(node, 1, 1) || a0 === undefined) return;
        setLayer(layer, 'nextUpstreamTries', count(node, a0, 0), node);
        return;
      }
      case 'proxy_http_version': {
        if (!argCount(node, 1, 1) || a0 === undefined) return;
        if (a0.text !== '1.0' && a0.text !== '1.1') {
          report('error', 'HALO_NGX_BAD_VALUE', `Invalid value in proxy_http_version: ${a0.text} (1.0 or 1.1)`, a0);
          return;
        }
        setLayer(layer, 'httpVersion', a0.text, node);
        return;
      }
      case 'proxy_next_upstream': {
        if (stream) {
          if (!argCount(node, 1, 1) || a0 === undefined) return;
          if (a0.text !== 'on' && a0.text !== 'off') {
            report('error', 'HALO_NGX_BAD_VALUE', `Invalid value in proxy_next_upstream: ${a0.text} (on or off in stream)`, a0);
            return;
          }
          setLayer(layer, 'streamNextUpstream', a0.text === 'on', node);
          return;
        }
        if (!argCount(node, 1, Infinity)) return;
        const conditions: string[] = [];
        for (const w of node.args) {
          if (!NEXT_UPSTREAM_HTTP.has(w.text)) {
            report('error', 'HALO_NGX_BAD_VALUE', `Invalid value in proxy_next_upstream: ${w.text}`, w, 'error, timeout, invalid_header, http_500, http_502, http_503, http_504, http_403, http_404, http_429, non_idempotent or off');
            continue;
          }
          if (w.text !== 'off') conditions.push(w.text);
        }
        // nginx lets `off` win over anything written with it.
        const off = node.args.find((w) => w.text === 'off');
        if (off !== undefined && node.args.length > 1) report('warning', 'HALO_NGX_BAD_VALUE', 'Off overrides the other conditions in proxy_next_upstream: no retries', off);
        setLayer(layer, 'nextUpstream', off !== undefined ? [] : conditions, node);
        return;
      }
      default:
        report('error', 'HALO_NGX_NOT_ALLOWED_HERE', `Directive is not allowed here: ${name}`, node.keyword);
    }
  };

  const mergeHttp = (layers: readonly ProxyLayer[]): NginxProxySettings => {
    const pick = <K extends LayerKey>(key: K): ProxyLayer[K] | undefined => {
      for (let k = layers.length - 1; k >= 0; k--) {
        const v = layers[k]?.[key];
        if (v !== undefined) return v;
      }
      return undefined;
    };
    // nginx inherits the proxy_set_header list whole from the nearest level that has one, and
    // always adds `Host $proxy_host` and `Connection close` unless the list sets them.
    const user = pick('setHeaders') ?? [];
    const defaults: NginxHeader[] = [
      { name: 'Host', value: '$proxy_host' },
      { name: 'Connection', value: 'close' },
    ].filter((d) => !user.some((u) => u.name.toLowerCase() === d.name.toLowerCase()));
    return {
      setHeaders: [...defaults, ...user],
      nextUpstream: pick('nextUpstream') ?? [...NGINX_DEFAULTS.proxyNextUpstream],
      nextUpstreamTries: pick('nextUpstreamTries') ?? 0,
      nextUpstreamTimeoutMs: pick('nextUpstreamTimeoutMs') ?? 0,
      connectTimeoutMs: pick('connectTimeoutMs') ?? NGINX_DEFAULTS.proxyConnectTimeoutMs,
      readTimeoutMs: pick('readTimeoutMs') ?? NGINX_DEFAULTS.proxyReadTimeoutMs,
      sendTimeoutMs: pick('sendTimeoutMs') ?? NGINX_DEFAULTS.proxySendTimeoutMs,
      httpVersion: pick('httpVersion') ?? NGINX_DEFAULTS.proxyHttpVersion,
    };
  };

  // ---- upstream ----------------------------------------------------------------------------

  const buildUpstream = (node: ConfNode, context: 'upstream' | 'stream-upstream'): NginxUpstream | undefined => {
    if (!wantBlock(node, true) || !argCount(node, 1, 1)) return undefined;
    const nameWord = node.args[0];
    if (nameWord === undefined) return undefined;
    let method: NginxMethod = { name: 'round_robin', flags: [] };
    const servers: NginxUpstreamServer[] = [];
    let keepalive: number | null = null;
    let keepaliveRequests: number = NGINX_DEFAULTS.keepaliveRequests;
    let keepaliveTimeoutMs: number = NGINX_DEFAULTS.keepaliveTimeoutMs;
    let methodWord: Word | undefined;
    const setMethod = (m: NginxMethod, word: Word): void => {
      if (methodWord !== undefined) report('warning', 'HALO_NGX_METHOD_CONFLICT', `Load balancing method redefined: ${word.text} replaces ${methodWord.text}`, word);
      method = m;
      methodWord = word;
    };
    for (const d of node.block ?? []) {
      if (!admit(d, context)) continue;
      const a0 = d.args[0];
      switch (d.keyword.text) {
        case 'server': {
          if (!wantBlock(d, false) || !argCount(d, 1, Infinity) || a0 === undefined) break;
          const s = upstreamServer(d, a0, context === 'stream-upstream');
          if (s === undefined) break;
          // nginx refuses `backup` on a server written after ip_hash, hash or random; written
          // before, it is kept, and used only when every primary is out (their round-robin
          // fallback), which is what halo does with backups anyway.
          if (s.backup && methodWord !== undefined && (method.name === 'ip_hash' || method.name === 'hash' || method.name === 'random')) {
            const w = d.args.find((x) => x.text === 'backup') ?? d.keyword;
            report('error', 'HALO_NGX_METHOD_CONFLICT', `Balancing method does not support parameter backup: ${method.name}`, w);
            break;
          }
          servers.push(s);
          break;
        }
        case 'least_conn':
        case 'ip_hash':
          if (wantBlock(d, false) && argCount(d, 0, 0)) setMethod({ name: d.keyword.text === 'ip_hash' ? 'ip_hash' : 'least_conn', flags: [], pos: d.keyword.pos }, d.keyword);
          break;
        case 'hash': {
          if (!wantBlock(d, false) || !argCount(d, 1, 2) || a0 === undefined) break;
          const a1 = d.args[1];
          if (a1 !== undefined && a1.text !== 'consistent') {
            report('error', 'HALO_NGX_BAD_VALUE', `Invalid parameter in hash: ${a1.text} (only consistent)`, a1);
            break;
          }
          setMethod({ name: 'hash', flags: a1 !== undefined ? ['consistent'] : [], key: a0.text, pos: d.keyword.pos }, d.keyword);
          break;
        }
        case 'random': {
          if (!wantBlock(d, false) || !argCount(d, 0, 2)) break;
          const a1 = d.args[1];
          if (a0 !== undefined && a0.text !== 'two') {
            report('error', 'HALO_NGX_BAD_VALUE', `Invalid parameter in random: ${a0.text} (only two)`, a0);
            break;
          }
          if (a1 !== undefined && a1.text !== 'least_conn') {
            report('error', 'HALO_NGX_BAD_VALUE', `Invalid parameter in random two: ${a1.text} (only least_conn)`, a1);
            break;
          }
          setMethod({ name: 'random', flags: a0 !== undefined ? ['two'] : [], pos: d.keyword.pos }, d.keyword);
          break;
        }
        case 'keepalive': {
          if (!wantBlock(d, false) || !argCount(d, 1, 1) || a0 === undefined) break;
          const n = count(d, a0, 1);
          if (n !== undefined) keepalive = n;
          break;
        }
        case 'keepalive_requests': {
          if (!wantBlock(d, false) || !argCount(d, 1, 1) || a0 === undefined) break;
          const n = count(d, a0, 1);
          if (n !== undefined) keepaliveRequests = n;
          break;
        }
        case 'keepalive_timeout': {
          if (!wantBlock(d, false) || !argCount(d, 1, 1) || a0 === undefined) break;
          const ms = time(d, a0, true);
          if (ms !== undefined) keepaliveTimeoutMs = ms;
          break;
        }
        default:
          report('error', 'HALO_NGX_NOT_ALLOWED_HERE', `Directive is not allowed here: ${d.keyword.text} (in upstream)`, d.keyword);
      }
    }
    if (servers.length === 0) report('error', 'HALO_NGX_NO_SERVERS', `No servers are inside upstream: ${nameWord.text}`, nameWord);
    const m: NginxMethod = method;
    return { name: nameWord.text, pos: node.keyword.pos, method: m, servers, keepalive, keepaliveRequests, keepaliveTimeoutMs };
  };

  const upstreamServer = (d: ConfNode, addr: Word, stream: boolean): NginxUpstreamServer | undefined => {
    const hp = parseHostPort(addr.text, false);
    if (!hp.ok) {
      report('error', 'HALO_NGX_BAD_VALUE', `Invalid server address: ${addr.text} (${hp.why})`, addr);
      return undefined;
    }
    if (hp.port === null && stream) {
      report('error', 'HALO_NGX_BAD_VALUE', `No port in upstream server: ${addr.text}`, addr);
      return undefined;
    }
    if (!isIpLiteral(hp.host)) {
      report('error', 'HALO_NGX_BAD_VALUE', `Server address is not an IP address: ${addr.text} (halo resolves no host names)`, addr);
      return undefined;
    }
    let weight: number = NGINX_DEFAULTS.weight;
    let maxFails: number = NGINX_DEFAULTS.maxFails;
    let failTimeoutMs: number = NGINX_DEFAULTS.failTimeoutMs;
    let maxConns: number = NGINX_DEFAULTS.maxConns;
    let backup = false;
    let down = false;
    for (const p of d.args.slice(1)) {
      const eq = p.text.indexOf('=');
      const key = eq >= 0 ? p.text.slice(0, eq) : p.text;
      const value = eq >= 0 ? p.text.slice(eq + 1) : '';
      const bad = (why: string): void => report('error', 'HALO_NGX_BAD_VALUE', `Invalid parameter: ${p.text} (${why})`, p);
      switch (key) {
        case 'weight': {
          const n = parseCount(value);
          if (n === undefined || n < 1) bad('weight is a whole number of at least 1');
          else weight = n;
          break;
        }
        case 'max_fails': {
          const n = parseCount(value);
          if (n === undefined) bad('max_fails is a whole number');
          else maxFails = n;
          break;
        }
        case 'max_conns': {
          const n = parseCount(value);
          if (n === undefined) bad('max_conns is a whole number');
          else maxConns = n;
          break;
        }
        case 'fail_timeout': {
          const ms = parseNginxTimeMs(value, false);
          if (ms === undefined) bad('fail_timeout is a time: 10s, 1m, or seconds');
          else failTimeoutMs = ms;
          break;
        }
        case 'backup':
          if (eq >= 0) bad('backup takes no value');
          else backup = true;
          break;
        case 'down':
          if (eq >= 0) bad('down takes no value');
          else down = true;
          break;
        case 'resolve':
        case 'slow_start':
        case 'route':
        case 'service':
        case 'drain':
          report('warning', 'HALO_NGX_NOT_SUPPORTED', `Not supported because it is an nginx Plus feature: ${key}`, p);
          break;
        default:
          bad('server takes weight=, max_fails=, fail_timeout=, max_conns=, backup, down');
      }
    }
    const port = hp.port ?? NGINX_DEFAULTS.upstreamPort;
    return { address: addr.text, host: hp.host, port, id: backendId(hp.host, port), weight, maxFails, failTimeoutMs, backup, down, maxConns, pos: d.keyword.pos };
  };

  // ---- listen --------------------------------------------------------------------------------

  const listen = (d: ConfNode, stream: boolean): NginxListen | undefined => {
    const a0 = d.args[0];
    if (!wantBlock(d, false) || !argCount(d, 1, Infinity) || a0 === undefined) return undefined;
    const hp = parseHostPort(a0.text, true);
    if (!hp.ok) {
      report('error', 'HALO_NGX_BAD_VALUE', `Invalid listen address: ${a0.text} (${hp.why})`, a0);
      return undefined;
    }
    if (hp.host !== '*' && !isIpLiteral(hp.host)) {
      report('error', 'HALO_NGX_BAD_VALUE', `Listen address is not an IP address: ${a0.text} (halo resolves no host names)`, a0);
      return undefined;
    }
    if (stream && hp.port === null) {
      report('error', 'HALO_NGX_BAD_VALUE', `No port in listen: ${a0.text}`, a0);
      return undefined;
    }
    let defaultServer = false;
    let udp = false;
    let ipv6Only = true;
    const address = hp.host === '*' ? '0.0.0.0' : hp.host;
    for (const p of d.args.slice(1)) {
      const key = p.text.includes('=') ? p.text.slice(0, p.text.indexOf('=')) : p.text;
      if ((key === 'default_server' || key === 'default') && !stream) defaultServer = true;
      else if (key === 'udp' && stream) udp = true;
      else if (key === 'ipv6only') {
        // nginx: ipv6only=on by default, and it only means something on an IPv6 address
        const v = p.text.slice(key.length + 1);
        if (v !== 'on' && v !== 'off') report('error', 'HALO_NGX_BAD_VALUE', `Invalid value in listen: ${p.text} (ipv6only=on or ipv6only=off)`, p);
        else if (!address.includes(':')) report('info', 'HALO_NGX_IGNORED', `Ignored because the address is IPv4: listen ${p.text}`, p);
        else ipv6Only = v === 'on';
      } else if (['reuseport', 'backlog', 'rcvbuf', 'sndbuf', 'deferred', 'bind', 'so_keepalive', 'fastopen', 'setfib', 'accept_filter'].includes(key)) {
        report('info', 'HALO_NGX_IGNORED', `Ignored because halo sets its own socket options: listen ${key}`, p);
      } else if (['ssl', 'http3', 'quic', 'proxy_protocol'].includes(key)) {
        // Serving plain text where clients expect TLS (or a PROXY header) cannot work: refuse.
        report('error', 'HALO_NGX_NOT_SUPPORTED', `Not supported because halo does not terminate TLS or read PROXY headers: listen ${key}`, p);
      } else if (['http2', 'spdy'].includes(key)) {
        report('warning', 'HALO_NGX_NOT_SUPPORTED', `Not supported because halo speaks HTTP/1.1 to clients: listen ${key}`, p);
      } else {
        report('error', 'HALO_NGX_BAD_VALUE', `Invalid parameter in listen: ${p.text}`, p);
      }
    }
    return { address, port: hp.port ?? NGINX_DEFAULTS.listenPort, defaultServer, udp, ipv6Only, pos: d.keyword.pos };
  };

  // ---- http ----------------------------------------------------------------------------------

  interface PendingPass {
    readonly word: Word;
    readonly scheme: 'http' | 'https';
    readonly host: string;
    readonly port: number | null;
    readonly uri: string | null;
    readonly pos: SourcePos;
  }

  const parseProxyPass = (d: ConfNode): PendingPass | undefined => {
    const a0 = d.args[0];
    if (!wantBlock(d, false) || !argCount(d, 1, 1) || a0 === undefined) return undefined;
    const m = /^(https?):\/\/([^/]*)(\/.*)?$/.exec(a0.text);
    if (m === null) {
      report('error', 'HALO_NGX_BAD_VALUE', `Invalid URL prefix in proxy_pass: ${a0.text}`, a0, 'proxy_pass http://UPSTREAM or http://ADDRESS:PORT, with an optional /URI');
      return undefined;
    }
    if (a0.text.includes('$')) {
      report('warning', 'HALO_NGX_NOT_SUPPORTED', `Not supported: variables in proxy_pass: ${a0.text}`, a0);
      return undefined;
    }
    const scheme = m[1] === 'https' ? 'https' : 'http';
    if (scheme === 'https') report('error', 'HALO_NGX_NOT_SUPPORTED', `Not supported because halo does not speak TLS to backends: ${a0.text}`, a0);
    const hp = parseHostPort(m[2] ?? '', false);
    if (!hp.ok) {
      report('error', 'HALO_NGX_BAD_VALUE', `Invalid host in proxy_pass: ${a0.text} (${hp.why})`, a0);
      return undefined;
    }
    return { word: a0, scheme, host: hp.host, port: hp.port, uri: m[3] ?? null, pos: d.keyword.pos };
  };

  interface PendingLocation {
    readonly match: 'prefix' | 'exact' | 'regex';
    readonly path: string;
    readonly noRegex: boolean;
    readonly caseless: boolean;
    readonly pass: PendingPass | null;
    readonly layers: ProxyLayer[];
    readonly pos: SourcePos;
    readonly keyword: Word;
  }

  const buildLocation = (node: ConfNode, parentLayers: readonly ProxyLayer[], out: PendingLocation[], parent: PendingLocation | null): void => {
    if (!wantBlock(node, true) || !argCount(node, 1, 2)) return;
    let mod = '';
    let pathWord = node.args[0];
    // nginx also takes the modifier glued to the path: `location =/x`, `location ^~/x`, `location ~\.php$`.
    const glued = node.args.length === 1 && pathWord !== undefined ? /^(=|\^~|~\*|~)(.+)$/.exec(pathWord.text) : null;
    if (glued !== null && pathWord !== undefined) {
      mod = glued[1] ?? '';
      pathWord = { ...pathWord, text: glued[2] ?? '', pos: { ...pathWord.pos, col: pathWord.pos.col + mod.length } };
    } else if (node.args.length === 2) {
      mod = node.args[0]?.text ?? '';
      pathWord = node.args[1];
      if (mod !== '=' && mod !== '^~' && mod !== '~' && mod !== '~*') {
        report('error', 'HALO_NGX_BAD_VALUE', `Invalid location modifier: ${mod}`, node.args[0] ?? node.keyword);
        return;
      }
    }
    if (pathWord === undefined) return;
    const match = mod === '=' ? 'exact' : mod === '~' || mod === '~*' ? 'regex' : 'prefix';
    if (match === 'regex') {
      // nginx tries the regexes nested in the longest prefix before the others; halo keeps one
      // flat list in the order written, so it refuses the nested form rather than reorder it.
      if (parent !== null) {
        report('error', 'HALO_NGX_NOT_SUPPORTED', `Not supported: regular expression locations inside another location: location ${mod} ${pathWord.text}`, node.keyword, 'write it at the server level');
        return;
      }
      const why = regexError(pathWord.text, mod === '~*');
      if (why !== undefined) {
        report('error', 'HALO_NGX_BAD_VALUE', `Invalid regular expression in location: ${pathWord.text} (${why})`, pathWord, 'halo uses JavaScript regular expressions: most PCRE patterns work as written');
        return;
      }
    } else if (pathWord.text.startsWith('@')) {
      report('warning', 'HALO_NGX_NOT_SUPPORTED', `Not supported: named locations: ${pathWord.text}`, pathWord);
      return;
    }
    if (parent !== null && parent.match === 'exact') {
      // nginx: "location ... cannot be inside the exact location"
      report('error', 'HALO_NGX_BAD_VALUE', `Location cannot be inside the exact location: ${pathWord.text} (in = ${parent.path})`, pathWord);
      return;
    }
    if (parent !== null && !pathWord.text.startsWith(parent.path)) {
      report('error', 'HALO_NGX_BAD_VALUE', `Location is outside its parent location: ${pathWord.text} (in ${parent.path})`, pathWord);
      return;
    }
    const layer: ProxyLayer = {};
    const layers = [...parentLayers, layer];
    let pass: PendingPass | null = null;
    const nested: ConfNode[] = [];
    for (const d of node.block ?? []) {
      if (!admit(d, 'location')) continue;
      if (d.keyword.text === 'location') nested.push(d);
      else if (d.keyword.text === 'proxy_pass') {
        if (pass !== null) {
          report('error', 'HALO_NGX_DUPLICATE', 'Directive is duplicate: proxy_pass', d.keyword);
          continue;
        }
        pass = parseProxyPass(d) ?? null;
        if (pass !== null && pass.uri !== null && match === 'regex') {
          // nginx refuses this too: which part of the URI to replace is undefined for a regex
          report('error', 'HALO_NGX_BAD_VALUE', `proxy_pass cannot have a URI part in a regular expression location: ${pass.word.text}`, pass.word);
          pass = null;
        }
      } else proxySetting(d, layer, false);
    }
    const here: PendingLocation = { match, path: pathWord.text, noRegex: mod === '^~', caseless: mod === '~*', pass, layers, pos: node.keyword.pos, keyword: node.keyword };
    out.push(here);
    for (const d of nested) buildLocation(d, layers, out, here);
  };

  interface PendingServer {
    readonly listen: NginxListen[];
    readonly serverNames: string[];
    readonly locations: PendingLocation[];
    readonly pos: SourcePos;
  }

  const buildHttpServer = (node: ConfNode, httpLayer: ProxyLayer): PendingServer | undefined => {
    if (!wantBlock(node, true) || !argCount(node, 0, 0)) return undefined;
    const layer: ProxyLayer = {};
    const listens: NginxListen[] = [];
    const serverNames: string[] = [];
    const locationNodes: ConfNode[] = [];
    for (const d of node.block ?? []) {
      if (!admit(d, 'server')) continue;
      switch (d.keyword.text) {
        case 'listen': {
          const l = listen(d, false);
          if (l === undefined) break;
          if (listens.some((x) => x.address === l.address && x.port === l.port)) {
            report('error', 'HALO_NGX_DUPLICATE', `Duplicate listen: ${l.address}:${l.port}`, d.keyword);
            break;
          }
          listens.push(l);
          break;
        }
        case 'server_name':
          if (wantBlock(d, false) && argCount(d, 1, Infinity)) {
            for (const w of d.args) {
              const why = serverNameError(w.text);
              if (why !== undefined) report('error', 'HALO_NGX_BAD_VALUE', `Invalid server name: ${w.text} (${why})`, w);
              else serverNames.push(w.text);
            }
          }
          break;
        case 'location':
          locationNodes.push(d);
          break;
        default:
          proxySetting(d, layer, false);
      }
    }
    // nginx: a server without listen listens on *:80 (when run as root).
    if (listens.length === 0) listens.push({ address: '0.0.0.0', port: NGINX_DEFAULTS.listenPort, defaultServer: false, udp: false, ipv6Only: true, pos: node.keyword.pos });
    const locations: PendingLocation[] = [];
    for (const d of locationNodes) buildLocation(d, [httpLayer, layer], locations, null);
    const seen = new Set<string>();
    for (const l of locations) {
      const key = l.match === 'exact' ? `= ${l.path}` : l.match === 'regex' ? `~${l.caseless ? '*' : ''} ${l.path}` : l.path;
      if (seen.has(key)) report('error', 'HALO_NGX_DUPLICATE', `Duplicate location: ${l.path}`, l.keyword);
      seen.add(key);
    }
    return { listen: listens, serverNames: serverNames.length > 0 ? serverNames : [''], locations, pos: node.keyword.pos };
  };

  const buildHttp = (node: ConfNode): NginxHttp | undefined => {
    if (!wantBlock(node, true) || !argCount(node, 0, 0)) return undefined;
    const layer: ProxyLayer = {};
    const upstreams: NginxUpstream[] = [];
    const pending: PendingServer[] = [];
    const serverNodes: ConfNode[] = [];
    for (const d of node.block ?? []) {
      if (!admit(d, 'http')) continue;
      if (d.keyword.text === 'upstream') {
        const u = buildUpstream(d, 'upstream');
        if (u === undefined) continue;
        if (upstreams.some((x) => x.name === u.name)) report('error', 'HALO_NGX_DUPLICATE', `Duplicate upstream: ${u.name}`, d.args[0] ?? d.keyword);
        else upstreams.push(u);
      } else if (d.keyword.text === 'server') serverNodes.push(d);
      else proxySetting(d, layer, false);
    }
    // Servers after every http-level setting: nginx merges http settings into servers whatever
    // the order they are written in.
    for (const d of serverNodes) {
      const s = buildHttpServer(d, layer);
      if (s !== undefined) pending.push(s);
    }
    // nginx: one default server per address and port across all servers.
    const defaults = new Map<string, NginxListen>();
    for (const s of pending) {
      for (const l of s.listen) {
        if (!l.defaultServer) continue;
        const key = `${l.address}:${l.port}`;
        if (defaults.has(key)) {
          diagnostics.push({ severity: 'error', code: 'HALO_NGX_DUPLICATE', message: `A duplicate default server: ${key}`, pos: l.pos });
        } else defaults.set(key, l);
      }
    }
    const servers: NginxHttpServer[] = pending.map((s) => ({
      listen: s.listen,
      serverNames: s.serverNames,
      pos: s.pos,
      locations: s.locations.map((l): NginxLocation => {
        if (l.pass === null) report('warning', 'HALO_NGX_NO_PROXY_PASS', `Location has no proxy_pass: ${l.match === 'exact' ? '= ' : l.match === 'regex' ? (l.caseless ? '~* ' : '~ ') : l.noRegex ? '^~ ' : ''}${l.path} (halo answers 404 there)`, l.keyword);
        return { match: l.match, path: l.path, ...(l.noRegex ? { noRegex: true } : {}), ...(l.caseless ? { caseless: true } : {}), proxyPass: l.pass === null ? null : resolvePass(l.pass, upstreams), proxy: mergeHttp(l.layers), pos: l.pos };
      }),
    }));
    return { pos: node.keyword.pos, upstreams, servers };
  };

  const resolvePass = (p: PendingPass, upstreams: readonly NginxUpstream[]): NginxProxyPass => {
    const up = p.port === null ? upstreams.find((u) => u.name === p.host) : undefined;
    if (up === undefined && !isIpLiteral(p.host)) {
      report('error', 'HALO_NGX_UNKNOWN_UPSTREAM', `No upstream and no address: ${p.host}`, p.word, 'declare `upstream ' + p.host + ' { server ADDRESS; }` or write an IP address');
    }
    return {
      scheme: p.scheme,
      upstream: up?.name ?? null,
      host: p.host,
      port: p.port ?? (p.scheme === 'https' ? 443 : 80),
      uri: p.uri,
      pos: p.pos,
    };
  };

  // ---- stream --------------------------------------------------------------------------------

  const buildStream = (node: ConfNode): NginxStream | undefined => {
    if (!wantBlock(node, true) || !argCount(node, 0, 0)) return undefined;
    const layer: ProxyLayer = {};
    const upstreams: NginxUpstream[] = [];
    const serverNodes: ConfNode[] = [];
    for (const d of node.block ?? []) {
      if (!admit(d, 'stream')) continue;
      if (d.keyword.text === 'upstream') {
        const u = buildUpstream(d, 'stream-upstream');
        if (u === undefined) continue;
        if (upstreams.some((x) => x.name === u.name)) report('error', 'HALO_NGX_DUPLICATE', `Duplicate upstream: ${u.name}`, d.args[0] ?? d.keyword);
        else upstreams.push(u);
      } else if (d.keyword.text === 'server') serverNodes.push(d);
      else proxySetting(d, layer, true);
    }
    const servers: NginxStreamServer[] = [];
    for (const s of serverNodes) {
      if (!wantBlock(s, true) || !argCount(s, 0, 0)) continue;
      const own: ProxyLayer = {};
      const listens: NginxListen[] = [];
      let pass: NginxStreamServer['proxyPass'] = null;
      let passSeen = false;
      for (const d of s.block ?? []) {
        if (!admit(d, 'stream-server')) continue;
        if (d.keyword.text === 'listen') {
          const l = listen(d, true);
          if (l !== undefined) listens.push(l);
        } else if (d.keyword.text === 'proxy_pass') {
          const a0 = d.args[0];
          if (!wantBlock(d, false) || !argCount(d, 1, 1) || a0 === undefined) continue;
          if (passSeen) {
            report('error', 'HALO_NGX_DUPLICATE', 'Directive is duplicate: proxy_pass', d.keyword);
            continue;
          }
          passSeen = true;
          const up = upstreams.find((u) => u.name === a0.text);
          if (up !== undefined) {
            pass = { upstream: up.name, host: up.name, port: 0, pos: d.keyword.pos };
            continue;
          }
          const hp = parseHostPort(a0.text, false);
          if (!hp.ok || hp.port === null || !isIpLiteral(hp.host)) {
            report('error', 'HALO_NGX_UNKNOWN_UPSTREAM', `No upstream and no address: ${a0.text}`, a0, 'stream proxy_pass takes an upstream name or ADDRESS:PORT');
            continue;
          }
          pass = { upstream: null, host: hp.host, port: hp.port, pos: d.keyword.pos };
        } else proxySetting(d, own, true);
      }
      if (listens.length === 0) report('error', 'HALO_NGX_ARGS', 'No listen is defined for the stream server', s.keyword);
      if (!passSeen) report('warning', 'HALO_NGX_NO_PROXY_PASS', 'Stream server has no proxy_pass: halo closes its connections', s.keyword);
      const get = <K extends LayerKey>(key: K): ProxyLayer[K] | undefined => own[key] ?? layer[key];
      servers.push({
        listen: listens,
        proxyPass: pass,
        connectTimeoutMs: get('connectTimeoutMs') ?? NGINX_DEFAULTS.streamConnectTimeoutMs,
        timeoutMs: get('proxyTimeoutMs') ?? NGINX_DEFAULTS.streamProxyTimeoutMs,
        nextUpstream: get('streamNextUpstream') ?? true,
        nextUpstreamTries: get('nextUpstreamTries') ?? 0,
        nextUpstreamTimeoutMs: get('nextUpstreamTimeoutMs') ?? 0,
        pos: s.keyword.pos,
      });
    }
    return { pos: node.keyword.pos, upstreams, servers };
  };

  // ---- main ----------------------------------------------------------------------------------

  let http: NginxHttp | null = null;
  let stream: NginxStream | null = null;
  const first = nodes[0];
  if (first !== undefined && !nodes.some((d) => d.keyword.text === 'events')) {
    report('warning', 'HALO_NGX_NO_EVENTS', 'No events section: nginx refuses this file, halo loads it', first.keyword);
  }
  for (const d of nodes) {
    if (!admit(d, 'main')) continue;
    if (d.keyword.text === 'http') {
      if (http !== null) {
        report('error', 'HALO_NGX_DUPLICATE', 'Directive is duplicate: http', d.keyword);
        continue;
      }
      http = buildHttp(d) ?? null;
    } else if (d.keyword.text === 'stream') {
      if (stream !== null) {
        report('error', 'HALO_NGX_DUPLICATE', 'Directive is duplicate: stream', d.keyword);
        continue;
      }
      stream = buildStream(d) ?? null;
    }
  }
  return { model: { http, stream }, diagnostics };
}

function contextName(context: NginxContext): string {
  switch (context) {
    case 'main':
      return 'the main context';
    case 'stream-server':
      return 'stream server';
    case 'stream-upstream':
      return 'stream upstream';
    default:
      return context;
  }
}

/** Why a location regex does not compile (undefined when it does). */
function regexError(source: string, caseless: boolean): string | undefined {
  try {
    new RegExp(source, caseless ? 'i' : '');
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message.replace(/^Invalid regular expression: /, '') : 'does not compile';
  }
}

/**
 * nginx's server_name forms: exact, `*.x` or `.x` (leading wildcard), `x.*` (trailing wildcard),
 * `~regex`. A `*` anywhere else is an error in nginx ("invalid server name").
 */
function serverNameError(name: string): string | undefined {
  if (name.startsWith('~')) return regexError(name.slice(1), false);
  const inner = name.startsWith('*.') ? name.slice(2) : name.endsWith('.*') ? name.slice(0, -2) : name;
  if (inner.includes('*')) return 'a * only at the start as *. or at the end as .*';
  return undefined;
}
