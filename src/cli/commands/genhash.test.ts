import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CliIo } from '../command.js';
import { main } from '../main.js';
import { parseGenhashArgs } from './genhash.js';

function io(): CliIo & { stdout: string; stderr: string } {
  const b = { stdout: '', stderr: '' };
  return Object.assign(b, { out: (t: string) => void (b.stdout += t), err: (t: string) => void (b.stderr += t), cwd: '/', env: {} });
}

test('halo genhash prints the MD5 of the body, as the HTTP checker computes it', async () => {
  let host = '';
  const server = createServer((req, res) => {
    host = req.headers.host ?? '';
    res.end(req.url === '/index.html' ? '<html>hello</html>' : 'other');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    const o = io();
    assert.equal(await main(['genhash', '-s', '127.0.0.1', '-p', String(port), '-u', '/index.html', '-V', 'www.test'], o), 0, o.stderr);
    assert.equal(o.stdout, `MD5SUM = ${createHash('md5').update('<html>hello</html>').digest('hex')}\n`);
    assert.equal(host, `www.test:${port}`);
    const v = io();
    assert.equal(await main(['genhash', '--server', '127.0.0.1', '--port', String(port), '--url', '/x', '-v', '-P', '1.1'], v), 0);
    assert.match(v.stdout, /^HTTP status: 200\n/);
    assert.match(v.stdout, /\nother\n/);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
  const refused = io();
  assert.equal(await main(['genhash', '-s', '127.0.0.1', '-p', String(port), '-u', '/'], refused), 1);
  assert.match(refused.stderr, /^halo genhash: Cannot fetch http:\/\/127\.0\.0\.1:\d+\/: connection refused \(HALO_CHK_GENHASH_FETCH\)/);
});

test('halo genhash flags follow genhash(1)', () => {
  assert.deepEqual(parseGenhashArgs(['-s', 'a', '-u', '/']), { ssl: false, protocol: '1.0', timeoutMs: 5000, verbose: false, server: 'a', url: '/' });
  const s = parseGenhashArgs(['-S', '-s', 'a', '-u', '/', '-t', '2.5', '-P', '1.0c']);
  assert.ok(typeof s !== 'string');
  assert.deepEqual([s.ssl, s.timeoutMs, s.protocol], [true, 2500, '1.0C']);
  assert.equal(parseGenhashArgs(['-u', '/']), 'Missing option: -s SERVER');
  assert.equal(parseGenhashArgs(['-s', 'a']), 'Missing option: -u URL');
  assert.equal(parseGenhashArgs(['-s', 'a', '-u', '/', '-p', '99999']), 'Invalid port: 99999');
  assert.equal(parseGenhashArgs(['-x']), 'Unknown option: -x');
});
