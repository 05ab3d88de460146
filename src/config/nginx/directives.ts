/**
 * Every nginx directive halo recognises, by block: modelled (it shapes the proxy), ignored
 * (harmless for a proxy, reported as info with the reason), or not supported (halo would behave
 * differently from nginx; reported as a warning with the reason). Anything not in this table is
 * an unknown directive, as nginx itself says.
 */

export type NginxContext = 'main' | 'events' | 'http' | 'server' | 'location' | 'upstream' | 'stream' | 'stream-server' | 'stream-upstream';

export interface DirectiveSpec {
  readonly contexts: readonly NginxContext[];
  /**
   * `refuse`: not supported, and loading without it would be unsafe (access control): an error,
   * where `unsupported` is a warning.
   */
  readonly kind: 'model' | 'ignore' | 'unsupported' | 'refuse';
  /** Why it is ignored or not supported (completes "Ignored because ..." / "Not supported because ..."). */
  readonly why?: string;
}

const HTTP_ALL: NginxContext[] = ['http', 'server', 'location'];
const STREAM_ALL: NginxContext[] = ['stream', 'stream-server'];
const UPSTREAMS: NginxContext[] = ['upstream', 'stream-upstream'];

const table: Record<string, DirectiveSpec> = {};

function add(names: string, contexts: readonly NginxContext[], kind: DirectiveSpec['kind'], why?: string): void {
  for (const name of names.split(/\s+/).filter((s) => s.length > 0)) {
    const prev = table[name];
    if (prev !== undefined && prev.kind === kind && prev.why === why) {
      table[name] = { contexts: [...prev.contexts, ...contexts], kind, ...(why !== undefined ? { why } : {}) };
    } else if (prev === undefined) {
      table[name] = { contexts, kind, ...(why !== undefined ? { why } : {}) };
    } else {
      // One name, two meanings in different blocks (e.g. `server` in http and upstream).
      table[`${name}@${contexts.join(',')}`] = { contexts, kind, ...(why !== undefined ? { why } : {}) };
    }
  }
}

// Modelled.
add('http stream', ['main'], 'model');
add('upstream server', ['http', 'stream'], 'model');
add('server', UPSTREAMS, 'model');
add('listen', ['server', 'stream-server'], 'model');
add('server_name', ['server'], 'model');
add('location', ['server', 'location'], 'model');
add('proxy_pass', ['location', 'stream-server'], 'model');
add('proxy_set_header proxy_read_timeout proxy_send_timeout proxy_http_version', HTTP_ALL, 'model');
add('proxy_connect_timeout proxy_next_upstream proxy_next_upstream_tries proxy_next_upstream_timeout', [...HTTP_ALL, ...STREAM_ALL], 'model');
add('proxy_timeout', STREAM_ALL, 'model');
add('least_conn hash random', UPSTREAMS, 'model');
add('ip_hash keepalive keepalive_requests keepalive_timeout@upstream', ['upstream'], 'model');

// Ignored: harmless for a proxy.
const WORKERS = 'halo runs its own proxy workers (one per core by default)';
const LOGS = 'halo writes its own logs and counters';
add('load_module', ['main'], 'ignore', 'halo has the upstream, proxy and stream features built in');
add('worker_processes worker_rlimit_nofile worker_cpu_affinity worker_priority worker_shutdown_timeout pid user daemon master_process working_directory lock_file thread_pool timer_resolution pcre_jit env', ['main'], 'ignore', WORKERS);
add('events', ['main'], 'ignore', 'halo does its own connection processing (the block and everything in it)');
add('error_log', ['main', ...HTTP_ALL, ...STREAM_ALL], 'ignore', LOGS);
add('access_log log_format open_log_file_cache', [...HTTP_ALL, ...STREAM_ALL], 'ignore', LOGS);
add('default_type types charset charset_types source_charset override_charset sendfile sendfile_max_chunk aio directio index autoindex_exact_size types_hash_max_size types_hash_bucket_size open_file_cache open_file_cache_valid open_file_cache_min_uses open_file_cache_errors etag if_modified_since', HTTP_ALL, 'ignore', 'halo serves no files');
add('gzip gzip_types gzip_min_length gzip_comp_level gzip_vary gzip_proxied gzip_disable gzip_http_version gzip_buffers', HTTP_ALL, 'ignore', 'halo passes bodies through unchanged (compression is left to the backends)');
add('tcp_nopush tcp_nodelay reset_timedout_connection server_tokens server_names_hash_bucket_size server_names_hash_max_size variables_hash_max_size variables_hash_bucket_size', HTTP_ALL, 'ignore', 'it tunes nginx internals halo does not have');
add('keepalive_timeout@http keepalive_requests@http client_header_timeout client_body_timeout send_timeout client_max_body_size client_body_buffer_size client_header_buffer_size large_client_header_buffers', HTTP_ALL, 'ignore', 'halo applies its own client-side limits and timeouts (docs/proxy.md)');
add('proxy_buffering proxy_buffers proxy_buffer_size proxy_busy_buffers_size proxy_temp_path proxy_max_temp_file_size proxy_temp_file_write_size', HTTP_ALL, 'ignore', 'halo streams responses with bounded buffers of its own');
add('tcp_nodelay@stream proxy_buffer_size@stream preread_buffer_size preread_timeout', STREAM_ALL, 'ignore', 'it tunes nginx internals halo does not have');
add('zone', UPSTREAMS, 'ignore', 'halo shares backend state with its workers over IPC, not through a shared memory zone');
add('resolver resolver_timeout', [...HTTP_ALL, ...STREAM_ALL], 'ignore', 'halo resolves no names in proxy_pass (addresses only)');

// Recognised, not supported: nginx would do something halo does not.
add('root alias try_files autoindex', ['http', 'server', 'location'], 'unsupported', 'halo serves no files');
add('return rewrite error_page if set map geo split_clients internal sub_filter add_header expires', HTTP_ALL, 'unsupported', 'halo does not rewrite requests or responses');
add('limit_req limit_req_zone limit_conn limit_conn_zone limit_rate', HTTP_ALL, 'unsupported', 'halo applies no rate limits from nginx.conf (nothing is enforced)');
add('allow deny auth_basic auth_basic_user_file auth_request', HTTP_ALL, 'refuse', 'halo enforces no access control from nginx.conf, and serving without it would open what the file closes');
add('ssl_certificate ssl_certificate_key ssl_protocols ssl_ciphers ssl_session_cache ssl_session_timeout ssl_session_tickets ssl_prefer_server_ciphers ssl_dhparam ssl_stapling ssl_stapling_verify', ['http', 'server', ...STREAM_ALL], 'ignore', 'halo does not terminate TLS (a `listen ... ssl` is refused, so these settings are never needed)');
add('http2', ['http', 'server'], 'unsupported', 'halo speaks HTTP/1.1 to clients');
add('proxy_redirect proxy_cache proxy_cache_path proxy_cache_valid proxy_cache_key proxy_intercept_errors proxy_hide_header proxy_pass_header proxy_ignore_headers proxy_cookie_domain proxy_cookie_path proxy_pass_request_body proxy_pass_request_headers proxy_request_buffering proxy_ssl_verify proxy_ssl_server_name proxy_ssl_certificate proxy_ssl_certificate_key proxy_ssl_protocols proxy_method proxy_store', HTTP_ALL, 'unsupported', 'halo passes requests and responses through as they are');
add('real_ip_header set_real_ip_from real_ip_recursive', HTTP_ALL, 'unsupported', 'halo takes the client address from the connection');
add('fastcgi_pass uwsgi_pass scgi_pass grpc_pass memcached_pass stub_status', ['location'], 'unsupported', 'halo proxies HTTP only');
add('sticky ntlm queue least_time', UPSTREAMS, 'unsupported', 'it is an nginx Plus or third-party feature');
add('allow@stream deny@stream', STREAM_ALL, 'refuse', 'halo enforces no access control from nginx.conf, and serving without it would open what the file closes');
add('proxy_protocol proxy_responses proxy_requests proxy_ssl proxy_download_rate proxy_upload_rate return@stream map@stream limit_conn@stream', STREAM_ALL, 'unsupported', 'halo forwards streams as they are');

export const DIRECTIVES: Readonly<Record<string, DirectiveSpec>> = table;

/** The table by bare name (the `@context` suffixes only keep same-named entries apart). */
let byName: Map<string, DirectiveSpec[]> | undefined;

/** The spec of `name` in `context`, or of `name` anywhere (to say "not allowed here"). */
export function lookupDirective(name: string, context: NginxContext): { spec: DirectiveSpec; here: boolean } | undefined {
  if (byName === undefined) {
    byName = new Map();
    for (const [key, spec] of Object.entries(table)) {
      const base = key.includes('@') ? key.slice(0, key.indexOf('@')) : key;
      const list = byName.get(base);
      if (list === undefined) byName.set(base, [spec]);
      else list.push(spec);
    }
  }
  const specs = byName.get(name);
  if (specs === undefined) return undefined;
  for (const spec of specs) if (spec.contexts.includes(context)) return { spec, here: true };
  const first = specs[0];
  return first === undefined ? undefined : { spec: first, here: false };
}

/** Directive names known in `context`, for "did you mean" hints. */
export function namesIn(context: NginxContext): string[] {
  const out = new Set<string>();
  for (const [key, spec] of Object.entries(table)) {
    if (spec.contexts.includes(context)) out.add(key.includes('@') ? key.slice(0, key.indexOf('@')) : key);
  }
  return [...out];
}
