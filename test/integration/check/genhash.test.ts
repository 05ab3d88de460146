import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { main } from '../../../src/cli/main.js';
import type { CliIo } from '../../../src/cli/command.js';
import { startHttps } from './servers.js';

test('halo genhash -S fetches over TLS and sends the virtualhost as SNI', async () => {
  let sni = '';
  const https = await startHttps((_req, res) => res.end('tls page'), (n) => (sni = n));
  try {
    let out = '';
    let err = '';
    const io: CliIo = { out: (t) => void (out += t), err: (t) => void (err += t), cwd: '/', env: {} };
    const code = await main(['genhash', '-S', '-s', '127.0.0.1', '-p', String(https.port), '-u', '/', '-V', 'www.example.test'], io);
    assert.equal(code, 0, err);
    assert.equal(out, `MD5SUM = ${createHash('md5').update('tls page').digest('hex')}\n`);
    assert.equal(sni, 'www.example.test');
  } finally {
    await https.close();
  }
});
