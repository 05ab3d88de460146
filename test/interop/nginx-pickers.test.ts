/**
 * halo's nginx pickers against real nginx (Debian nginx-light), on loopback only: one nginx
 * process serves a few tiny backends (`return 200 NAME`) and front servers that proxy to them with
 * each balancing method; the same requests are put to halo's picker and the choices compared one
 * by one. Covers the smooth weighted round robin sequence, backups, least_conn ties and least_conn with
 * connections held open on small Node backends (weights 1/2/1), ip_hash (clients bound
 * to different 127.x.y.z addresses), hash and hash consistent (keys in `$arg_k`), each also with a
 * server marked `down` so that nginx's rehash paths are compared too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Picker, PickerBackend } from '../../src/balance/picker.js';
import { createRoundRobin } from '../../src/balance/nginx-round-robin.js';
import { createLeastConn } from '../../src/balance/nginx-least-conn.js';
import { createIpHash } from '../../src/balance/nginx-ip-hash.js';
import { createHash } from '../../src/balance/nginx-hash.js';
import { createChash } from '../../src/balance/nginx-chash.js';
import { SeededPrng } from '../../src/core/prng.js';

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
/** How long a held request may stay open at most (the test ends them sooner). */
const HOLD_S = 10;
const BACKENDS = ['a', 'b', 'c', 'd'];
/** Free loopback ports, found by the kernel (bind to port 0), for the backends then the fronts. */
const PORTS: number[] = [];
const backendPort = (k: number): number => PORTS[k] ?? 0;
const frontPort = (k: number): number => PORTS[BACKENDS.length + k] ?? 0;

interface Front {
  readonly name: string;
  readonly index: number;
  /** The upstream block's body. */
  readonly upstream: string;
}

const FRONTS: Front[] = [];
function front(name: string, upstream: string): Front {
  const f = { name, index: FRONTS.length, upstream };
  FRONTS.push(f);
  return f;
}
/** Upstream lines name backends as `@k` until the ports are known. */
const srv = (k: number, params = ''): string => `server @${k}${params ? ' ' + params : ''};`;
const withPorts = (upstream: string): string =>
  upstream
    .replace(/@(\d+)/g, (_, k: string) => `127.0.0.1:${backendPort(Number(k))}`)
    .replace(/#(\d+)/g, (_, k: string) => `127.0.0.1:${HOLD_PORTS[Number(k)] ?? 0}`);

const RR = front('rr', `${srv(0, 'weight=5')} ${srv(1)} ${srv(2)}`);
const BACKUP = front('backup', `${srv(0, 'down')} ${srv(1, 'down')} ${srv(2, 'backup weight=2')} ${srv(3, 'backup')}`);
const LEAST = front('least', `least_conn; ${srv(0)} ${srv(1)} ${srv(2)}`);
/** Backends `#k` are small Node servers of this test that can hold a response open (see `hold`). */
const holdSrv = (k: number, params = ''): string => `server #${k}${params ? ' ' + params : ''};`;
const HOLD_PORTS: number[] = [];
const MAXC = front('maxc', `${holdSrv(0, 'max_conns=1')} ${holdSrv(1, 'weight=2 max_conns=2')} ${holdSrv(2)}`);
const LEAST_W = front('least-w', `least_conn; ${holdSrv(0)} ${holdSrv(1, 'weight=2')} ${holdSrv(2)}`);
const IPH = front('iphash', `ip_hash; ${srv(0)} ${srv(1, 'weight=2')} ${srv(2)} ${srv(3)}`);
const IPH_DOWN = front('iphash-down', `ip_hash; ${srv(0)} ${srv(1, 'weight=2')} ${srv(2, 'down')} ${srv(3)}`);
const HASH = front('hash', `hash $arg_k; ${srv(0)} ${srv(1, 'weight=3')} ${srv(2)}`);
const HASH_DOWN = front('hash-down', `hash $arg_k; ${srv(0)} ${srv(1, 'weight=3 down')} ${srv(2)}`);
const CHASH = front('chash', `hash $arg_k consistent; ${srv(0)} ${srv(1, 'weight=2')} ${srv(2)} ${srv(3)}`);
const CHASH_DOWN = front('chash-down', `hash $arg_k consistent; ${srv(0)} ${srv(1, 'weight=2 down')} ${srv(2)} ${srv(3)}`);

function conf(dir: string): string {
  const lines = [
    'daemon off;',
    'master_process off;',
    'worker_processes 1;',
    `error_log ${dir}/error.log;`,
    `pid ${dir}/nginx.pid;`,
    'events { worker_connections 256; }',
    'http {',
    '  access_log off;',
    ...BACKENDS.map((name, k) => `  server { listen 127.0.0.1:${backendPort(k)}; return 200 "${name}"; }`),
    ...FRONTS.flatMap((f) => [
      `  upstream ${f.name.replace('-', '_')} { ${withPorts(f.upstream)} }`,
      // No proxy buffering, so that the first bytes of a held response reach the client at once.
      `  server { listen 127.0.0.1:${frontPort(f.index)}; location / { proxy_buffering off; proxy_pass http://${f.name.replace('-', '_')}; } }`,
    ]),
    '}',
  ];
  return lines.join('\n') + '\n';
}

/** The same pool as the upstream line, for halo: ids are the backend names, names as nginx writes them. */
function pool(f: Front): { backends: PickerBackend[]; down: string[] } {
  const backends: PickerBackend[] = [];
  const down: string[] = [];
  for (const m of f.upstream.matchAll(/server ([@#])(\d+)([^;]*);/g)) {
    const k = Number(m[2]);
    const params = m[3] ?? '';
    const weight = Number(/weight=(\d+)/.exec(params)?.[1] ?? '1');
    const id = BACKENDS[k] ?? '?';
    const port = m[1] === '@' ? backendPort(k) : (HOLD_PORTS[k] ?? 0);
    const maxConns = Number(/max_conns=(\d+)/.exec(params)?.[1] ?? '0');
    backends.push({ id, weight, backup: /\bbackup\b/.test(params), maxConns, name: `127.0.0.1:${port}` });
    if (params.includes('down')) down.push(id);
  }
  return { backends, down };
}

function halo(f: Front, create: (b: PickerBackend[], o: { prng: SeededPrng }) => Picker): Picker {
  const { backends, down } = pool(f);
  const p = create(backends, { prng: new SeededPrng(1) });
  for (const id of down) p.setAvailable(id, false);
  return p;
}

function get(port: number, path: string, localAddress?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: 3000, ...(localAddress ? { localAddress } : {}) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(`${res.statusCode === 200 ? '' : res.statusCode + ' '}${body}`));
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
  });
}

/** Starts a request that the backend answers at once and keeps open; resolves with the first bytes. */
function hold(port: number, open: http.ClientRequest[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/hold', agent: false, timeout: (HOLD_S + 3) * 1000 }, (res) => {
      res.setEncoding('utf8');
      res.once('data', (c: string) => resolve(c));
      res.on('error', () => undefined);
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    open.push(req);
  });
}

/** Node backends that answer `/hold` with a first chunk and then keep the response open. */
const holdServers: http.Server[] = [];

async function startHoldBackends(): Promise<void> {
  for (let k = 0; k < 3; k++) {
    const name = BACKENDS[k] ?? '?';
    const server = http.createServer((req, res) => {
      if (req.url?.startsWith('/hold') === true) {
        res.writeHead(200, { 'Content-Length': '1000' });
        res.write(name);
        return; // held: the body is never finished; closeAllConnections ends it
      }
      res.end(name);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const a = server.address();
    HOLD_PORTS.push(typeof a === 'object' && a !== null ? a.port : 0);
    holdServers.push(server);
  }
}

let nginx: ChildProcess | undefined;
let dir = '';

/**
 * `count` distinct free loopback ports: all listened on at once (so the kernel cannot hand out one
 * twice), then released for nginx. The Node backends of this test are started before, so their
 * ports are not among them.
 */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<net.Server>((resolve, reject) => {
      const s = net.createServer();
      s.on('error', reject);
      s.listen(0, '127.0.0.1', () => resolve(s));
    })),
  );
  const ports = servers.map((s) => {
    const a = s.address();
    return typeof a === 'object' && a !== null ? a.port : 0;
  });
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}

/** Returns why the test cannot run here (no nginx), or undefined once nginx answers. Throws if nginx fails. */
async function start(): Promise<string | undefined> {
  if (NGINX === undefined) return 'needs nginx (Debian nginx-light)';
  if (spawnSync(NGINX, ['-v']).status !== 0) return 'nginx does not run here';
  await startHoldBackends();
  PORTS.push(...(await freePorts(BACKENDS.length + FRONTS.length)));
  dir = mkdtempSync(join(tmpdir(), 'halo-nginx-pickers-'));
  writeFileSync(join(dir, 'nginx.conf'), conf(dir));
  const t = spawnSync(NGINX, ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')], { encoding: 'utf8' });
  if (t.status !== 0) throw new Error(`nginx -t refused the test config: ${t.stderr}`);
  nginx = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
  // Wait (bounded) until the last front answers.
  for (let k = 0; k < 50; k++) {
    try {
      await get(frontPort(FRONTS.length - 1), '/?k=probe');
      return undefined;
    } catch {
      await sleep(100);
    }
  }
  const log = existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : '';
  throw new Error(`nginx did not start: ${log.slice(-300)}`);
}

function stop(): void {
  if (nginx?.pid !== undefined && nginx.exitCode === null) nginx.kill('SIGTERM');
  for (const server of holdServers) {
    server.closeAllConnections();
    server.close();
  }
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
}

test('halo picks what nginx picks', async (t) => {
  let why: string | undefined;
  try {
    why = await start();
  } catch (e) {
    stop();
    throw e;
  }
  if (why !== undefined) {
    stop();
    t.skip(why);
    return;
  }
  try {
    await t.test('smooth weighted round robin 5/1/1: the same 21 choices', async () => {
      const p = halo(RR, createRoundRobin);
      const ours: string[] = [];
      const theirs: string[] = [];
      for (let k = 0; k < 21; k++) {
        theirs.push(await get(frontPort(RR.index), '/'));
        ours.push(p.pick({ nowMs: 0 }) ?? '-');
      }
      assert.deepEqual(ours, theirs);
      assert.equal(theirs.slice(0, 7).join(' '), 'a a b a c a a');
    });

    await t.test('backups take over, in their own weighted rotation, when every primary is down', async () => {
      const p = halo(BACKUP, createRoundRobin);
      const ours: string[] = [];
      const theirs: string[] = [];
      for (let k = 0; k < 9; k++) {
        theirs.push(await get(frontPort(BACKUP.index), '/'));
        ours.push(p.pick({ nowMs: 0 }) ?? '-');
      }
      assert.deepEqual(ours, theirs);
      assert.deepEqual(new Set(theirs), new Set(['c', 'd']));
    });

    await t.test('least_conn with ties: the same rotation', async () => {
      const p = halo(LEAST, createLeastConn);
      const ours: string[] = [];
      const theirs: string[] = [];
      for (let k = 0; k < 9; k++) {
        theirs.push(await get(frontPort(LEAST.index), '/'));
        ours.push(p.pick({ nowMs: 0 }) ?? '-');
      }
      assert.deepEqual(ours, theirs);
    });

    await t.test('least_conn with connections held open: the same choices', async () => {
      const p = halo(LEAST_W, createLeastConn);
      const open: http.ClientRequest[] = [];
      const ours: string[] = [];
      const theirs: string[] = [];
      try {
        // Hold one connection, then two quick requests, five times over: nginx counts the held
        // ones (conns / weight) and breaks ties by smooth weighted round robin.
        for (let round = 0; round < 5; round++) {
          const held = await hold(frontPort(LEAST_W.index), open);
          const mine = p.pick({ nowMs: 0 }) ?? '-';
          p.connectionOpened(mine);
          theirs.push(`hold:${held}`);
          ours.push(`hold:${mine}`);
          for (let k = 0; k < 2; k++) {
            theirs.push(await get(frontPort(LEAST_W.index), '/'));
            ours.push(p.pick({ nowMs: 0 }) ?? '-');
          }
        }
      } finally {
        for (const r of open) r.destroy();
      }
      assert.deepEqual(ours, theirs);
    });

    await t.test('max_conns: full servers are passed over while their connections are held', async () => {
      const p = halo(MAXC, createRoundRobin);
      const open: http.ClientRequest[] = [];
      const ours: string[] = [];
      const theirs: string[] = [];
      try {
        for (let round = 0; round < 4; round++) {
          const held = await hold(frontPort(MAXC.index), open);
          const mine = p.pick({ nowMs: 0 }) ?? '-';
          p.connectionOpened(mine);
          theirs.push(`hold:${held}`);
          ours.push(`hold:${mine}`);
          for (let k = 0; k < 3; k++) {
            theirs.push(await get(frontPort(MAXC.index), '/'));
            ours.push(p.pick({ nowMs: 0 }) ?? '-');
          }
        }
      } finally {
        for (const r of open) r.destroy();
      }
      assert.deepEqual(ours, theirs);
    });

    for (const f of [IPH, IPH_DOWN]) {
      await t.test(`ip_hash (${f.name}): the same server for 60 client /24s`, async () => {
        const p = halo(f, createIpHash);
        for (let k = 0; k < 60; k++) {
          const local = `127.${1 + ((k * 37) % 250)}.${(k * 101) % 256}.${1 + (k % 200)}`;
          const theirs = await get(frontPort(f.index), '/', local);
          assert.equal(p.pick({ nowMs: 0, clientIp: local }), theirs, local);
        }
      });
    }

    for (const [f, create] of [
      [HASH, createHash],
      [HASH_DOWN, createHash],
      [CHASH, createChash],
      [CHASH_DOWN, createChash],
    ] as const) {
      await t.test(`${f.name}: the same server for 200 keys`, async () => {
        const p = halo(f, create);
        for (let k = 0; k < 200; k++) {
          // nginx hashes $arg_k as sent (not percent-decoded): keys need no encoding here.
          const key = `object-${k * 7919}.jpg`;
          const theirs = await get(frontPort(f.index), `/?k=${key}`);
          assert.equal(p.pick({ nowMs: 0, hashKey: key }), theirs, key);
        }
      });
    }
  } finally {
    stop();
  }
});
