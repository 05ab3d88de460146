/**
 * halo's own keywords in keepalived.conf, written like keepalived's: `http_proxy { ... }` inside a
 * `virtual_server` makes it an L7 service of halo's HTTP proxy. The directives inside carry
 * nginx's names and meaning (docs/configuration.md, "halo extensions"), so an operator who knows
 * one knows the other. `include_nginx FILE` at the top level serves an nginx.conf beside the
 * keepalived.conf, as `halo run --nginx FILE` does (the file is read by ./load.ts).
 * `notify_webhook URL` in global_defs POSTs every notification as JSON (src/notify/webhook.ts).
 */
import type { Word } from '../tree.js';
import { block, custom, int, keywordsBlock, oneOf, timerMs, type KeywordDef, type Target } from './schema-core.js';
import { childEnv, walkBlock } from './walk.js';

/** The `proxy_next_upstream` conditions nginx knows and halo's proxy honours. */
export const NEXT_UPSTREAM_CONDITIONS = [
  'error',
  'timeout',
  'invalid_header',
  'http_500',
  'http_502',
  'http_503',
  'http_504',
  'http_403',
  'http_404',
  'http_429',
  'non_idempotent',
] as const;

export const HTTP_PROXY = keywordsBlock('http_proxy', {
  proxy_set_header: custom(1, 2, 'NAME [VALUE]', (_c, n, t) => {
    const name = (n.args[0] as Word).text;
    (t['setHeaders'] as Target[]).push({ name, value: n.args[1]?.text ?? '', pos: n.keyword.pos });
  }),
  proxy_next_upstream: custom(1, NEXT_UPSTREAM_CONDITIONS.length, `off | ${NEXT_UPSTREAM_CONDITIONS.join('|')}...`, (ctx, n, t) => {
    const words = n.args.map((w) => w.text);
    if (words.length === 1 && words[0] === 'off') {
      t['nextUpstream'] = [];
      return;
    }
    const known: readonly string[] = NEXT_UPSTREAM_CONDITIONS;
    const out: string[] = [];
    for (const w of n.args) {
      if (known.includes(w.text)) out.push(w.text);
      else ctx.error('HALO_CFG_BAD_VALUE', `Value of proxy_next_upstream is not valid: "${w.text}" (expected off or ${NEXT_UPSTREAM_CONDITIONS.join(', ')})`, w);
    }
    t['nextUpstream'] = out;
  }),
  proxy_next_upstream_tries: int('nextUpstreamTries', 0, 1000),
  proxy_next_upstream_timeout: timerMs('nextUpstreamTimeoutMs', 86400),
  proxy_connect_timeout: timerMs('connectTimeoutMs', 86400),
  proxy_read_timeout: timerMs('readTimeoutMs', 86400),
  proxy_send_timeout: timerMs('sendTimeoutMs', 86400),
  proxy_http_version: oneOf('httpVersion', ['1.0', '1.1']),
  keepalive: int('keepalive', 0, 100000),
});

/** `http_proxy { ... }` in a virtual_server. */
export const HTTP_PROXY_KEYWORD: KeywordDef = block(HTTP_PROXY, 0, 0, (ctx, n, t, env) => {
  const hp: Target = { setHeaders: [], pos: n.keyword.pos, keywordPos: {} };
  walkBlock(ctx, HTTP_PROXY, n.block ?? [], hp, childEnv(env, 'http_proxy'));
  t['httpProxy'] = hp;
});

/**
 * `include_nginx FILE` (top level): the nginx.conf to serve with this keepalived.conf. A relative
 * FILE is taken from the directory of the file that names it, as keepalived's `include` is.
 * Recorded here; ./load.ts reads it and reports its diagnostics with their own positions.
 */
export const INCLUDE_NGINX_KEYWORD: KeywordDef = custom(1, 1, 'FILE', (_c, n, t) => {
  const list = (t['nginxIncludes'] ??= []) as Target[];
  list.push({ file: (n.args[0] as Word).text, pos: n.keyword.pos });
});

/**
 * `notify_webhook URL` (global_defs, repeatable): every VRRP transition and real-server change is
 * POSTed as JSON to URL, in order, with retries and a bounded queue (src/notify/webhook.ts).
 */
export const NOTIFY_WEBHOOK_KEYWORD: KeywordDef = custom(1, 1, 'URL', (ctx, n, t) => {
  const w = n.args[0] as Word;
  if (!/^https?:\/\/[^\s/?#]+/i.test(w.text) || !URL.canParse(w.text)) {
    ctx.error('HALO_CFG_BAD_VALUE', `Value of notify_webhook is not valid: "${w.text}" (expected an http:// or https:// URL)`, w);
    return;
  }
  const list = (t['notifyWebhooks'] ??= []) as string[];
  list.push(w.text);
});
