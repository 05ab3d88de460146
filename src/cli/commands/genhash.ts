/**
 * `halo genhash`: what keepalived's genhash does. Fetches one URL over HTTP or HTTPS and prints
 * the MD5 digest of the body, ready to paste into a `digest` line of an HTTP_GET/SSL_GET url
 * block. Same flags as genhash(1): -s server -p port -u url [-S] [-V vhost] [-P 1.0|1.0c|1.1]
 * [-t timeout] [-v]. The fetch is the very code the HTTP checker uses, so the digest printed is
 * the one the checker computes.
 */
import { isIP } from 'node:net';
import { errorDef } from '../../core/errors/index.js';
import { fetchOnce, md5Hex } from '../../check/probes/http.js';
import type { HttpProtocol } from '../../check/spec.js';
import type { Command } from '../command.js';

const USAGE = `Usage: halo genhash -s SERVER -p PORT -u URL [options]

Fetch URL from SERVER:PORT and print the MD5 digest of the body, for the \`digest\` line of an
HTTP_GET or SSL_GET url block (as keepalived's genhash does).

Options:
  -s, --server ADDR            address to connect to (required)
  -p, --port PORT              port (default 80, or 443 with -S)
  -u, --url PATH               path to fetch (required)
  -S, --use-ssl                use TLS (SSL_GET)
  -V, --use-virtualhost HOST   Host header (and TLS SNI) to send
  -P, --protocol VERSION       HTTP version: 1.0 (default), 1.0c (1.0 + Connection: close), 1.1
  -t, --timeout SECONDS        connection timeout (default 5)
  -v, --verbose                also print the status line, headers and body
  -h, --help                   this help
`;

interface Args {
  server?: string | undefined;
  port?: number;
  url?: string | undefined;
  ssl: boolean;
  vhost?: string | undefined;
  protocol: HttpProtocol;
  timeoutMs: number;
  verbose: boolean;
}

export function parseGenhashArgs(argv: readonly string[]): Args | string {
  const a: Args = { ssl: false, protocol: '1.0', timeoutMs: 5000, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    const value = (): string | undefined => argv[++i];
    switch (flag) {
      case '-s':
      case '--server':
        a.server = value();
        break;
      case '-p':
      case '--port': {
        const v = Number(value());
        if (!Number.isInteger(v) || v < 1 || v > 65535) return `Invalid port: ${argv[i] ?? ''}`;
        a.port = v;
        break;
      }
      case '-u':
      case '--url':
        a.url = value();
        break;
      case '-S':
      case '--use-ssl':
        a.ssl = true;
        break;
      case '-V':
      case '--use-virtualhost':
        a.vhost = value();
        break;
      case '-P':
      case '--protocol': {
        const v = (value() ?? '').toUpperCase();
        if (v !== '1.0' && v !== '1.0C' && v !== '1.1') return `Invalid protocol: ${argv[i] ?? ''} (expected 1.0, 1.0c or 1.1)`;
        a.protocol = v;
        break;
      }
      case '-t':
      case '--timeout': {
        const v = Number(value());
        if (!(v > 0)) return `Invalid timeout: ${argv[i] ?? ''}`;
        a.timeoutMs = Math.round(v * 1000);
        break;
      }
      case '-v':
      case '--verbose':
        a.verbose = true;
        break;
      case '-m':
      case '--fwmark':
        return 'Unsupported option: -m (halo does not mark check packets)';
      default:
        return `Unknown option: ${flag}`;
    }
  }
  if (a.server === undefined || a.server === '') return 'Missing option: -s SERVER';
  if (a.url === undefined || a.url === '') return 'Missing option: -u URL';
  return a;
}

export const genhashCommand: Command = {
  name: 'genhash',
  summary: 'Print the MD5 digest of a web page for an HTTP_GET/SSL_GET digest line',
  usage: USAGE,
  async run(argv, io) {
    const a = parseGenhashArgs(argv);
    if (typeof a === 'string') {
      io.err(`halo genhash: ${a} (HALO_CLI_USAGE)\n${errorDef('HALO_CLI_USAGE').help}\n`);
      return 2;
    }
    const port = a.port ?? (a.ssl ? 443 : 80);
    const server = a.server as string;
    const hostName = a.vhost ?? (isIP(server) === 6 ? `[${server}]` : server);
    const r = await fetchOnce({
      target: { address: server, port },
      tls: a.ssl,
      path: a.url as string,
      host: port === (a.ssl ? 443 : 80) ? hostName : `${hostName}:${port}`,
      protocol: a.protocol,
      method: 'GET',
      headers: [],
      timeoutMs: a.timeoutMs,
      maxBodyBytes: 64 * 1024 * 1024,
      verifyTls: false,
      ...(a.vhost !== undefined ? { sniName: a.vhost } : {}),
    });
    if (!r.ok) {
      io.err(`halo genhash: Cannot fetch ${a.ssl ? 'https' : 'http'}://${server}:${port}${a.url as string}: ${r.detail} (HALO_CHK_GENHASH_FETCH)\n`);
      return 1;
    }
    if (a.verbose) {
      io.out(`HTTP status: ${r.response.status}\n`);
      for (const [k, v] of r.response.headers) io.out(`${k}: ${v}\n`);
      io.out(`\n${r.response.body.toString('utf8')}\n\n`);
    }
    io.out(`MD5SUM = ${md5Hex(r.response.body)}\n`);
    return 0;
  },
};
