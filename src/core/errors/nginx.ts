import type { ErrorTable } from './types.js';

/** The nginx.conf loader (src/config/nginx): syntax, directives, values. */
export const NGINX_ERRORS = {
  HALO_NGX_CANNOT_READ: {
    summary: 'An nginx config file cannot be read',
    help: 'Check the path (relative includes are relative to the directory of the main nginx.conf, as nginx resolves them against its conf prefix) and the file permissions.',
    exitCode: 1,
  },
  HALO_NGX_UNEXPECTED: {
    summary: 'The nginx config has a token where it cannot be',
    help: 'A `;`, `{` or `}` is out of place, a quoted string is not followed by a space, or the file ends inside a block. nginx refuses the same file with "unexpected ...".',
    exitCode: 5,
  },
  HALO_NGX_UNTERMINATED_STRING: {
    summary: 'A quoted string in the nginx config is not closed',
    help: 'Close the string with the same quote it was opened with; a quote inside it is written \\" or \\\'.',
    exitCode: 5,
  },
  HALO_NGX_INCLUDE: {
    summary: 'An nginx include cannot be followed',
    help: 'The include matches no file, includes itself (a cycle), or nests deeper than halo allows.',
    exitCode: 5,
  },
  HALO_NGX_UNKNOWN_DIRECTIVE: {
    summary: 'The nginx directive is unknown',
    help: 'nginx itself refuses an unknown directive. Check the spelling (the hint names the nearest known directive) and docs/balancing.md for the nginx subset halo reads.',
    exitCode: 5,
  },
  HALO_NGX_NOT_ALLOWED_HERE: {
    summary: 'The nginx directive is not allowed in this block',
    help: 'nginx accepts each directive only in some blocks (for example `server` with a weight only inside `upstream`); move it to one of them.',
    exitCode: 5,
  },
  HALO_NGX_ARGS: {
    summary: 'The nginx directive has the wrong number of arguments',
    help: 'docs/balancing.md lists the arguments of every directive halo reads; nginx reports the same as "invalid number of arguments".',
    exitCode: 5,
  },
  HALO_NGX_BAD_VALUE: {
    summary: 'A value in the nginx config is not valid',
    help: 'A number, time, address, port or parameter is not what the directive takes; the message names the value and what was expected.',
    exitCode: 5,
  },
  HALO_NGX_DUPLICATE: {
    summary: 'The nginx directive is given twice where only one is allowed',
    help: 'Remove one of them: nginx refuses a second `proxy_pass` in a location, a second upstream of one name, a second `listen` of one address in a server.',
    exitCode: 5,
  },
  HALO_NGX_UNKNOWN_UPSTREAM: {
    summary: 'The proxy_pass names neither an upstream nor an address',
    help: 'Declare an `upstream` block of that name, or write an IP address (halo does not resolve host names in proxy_pass).',
    exitCode: 5,
  },
  HALO_NGX_NO_SERVERS: {
    summary: 'The nginx upstream has no servers',
    help: 'Add at least one `server` line to the upstream; nginx refuses an empty upstream too.',
    exitCode: 5,
  },
  HALO_NGX_NOT_SUPPORTED: {
    summary: 'The nginx directive or parameter is not supported by halo',
    help: 'halo reads the proxy subset of nginx (docs/balancing.md). This directive is recognised but halo does not do what it asks (serving files, TLS, rewriting, ...), so the behaviour differs from nginx here. It is an error where running without it would be unsafe or cannot work (access control, TLS listeners, https backends).',
    exitCode: 5,
  },
  HALO_NGX_IGNORED: {
    summary: 'The nginx directive is recognised and has no effect in halo',
    help: 'The directive tunes something halo does its own way (worker processes, file serving, MIME types, logs); it is harmless to leave it in the file.',
  },
  HALO_NGX_METHOD_CONFLICT: {
    summary: 'The upstream balancing method conflicts with another setting',
    help: 'An upstream takes one balancing method; a second one replaces the first (nginx warns "load balancing method redefined"), and a `backup` server written after ip_hash, hash or random is refused, as nginx refuses it.',
    exitCode: 5,
  },
  HALO_NGX_NO_EVENTS: {
    summary: 'The nginx config has no events section',
    help: 'nginx refuses to start without an `events { }` block; halo does not need it and loads the file. Add `events { }` if nginx must read the same file.',
  },
  HALO_NGX_NO_PROXY_PASS: {
    summary: 'The nginx location has no proxy_pass',
    help: 'halo only proxies: a location without proxy_pass would serve files in nginx, and gets 404 from halo. Add a proxy_pass or remove the location.',
  },
} as const satisfies ErrorTable;
