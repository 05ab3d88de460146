import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadNginxConfig } from './load.js';
import { MemorySource } from './memory-source.js';
import { upstreamPicker } from './picker.js';
import { SeededPrng } from '../../core/prng.js';

const conf = `http {
  upstream web { server 10.0.0.1 weight=5; server 10.0.0.2; server 10.0.0.3 down; server 10.0.0.4 backup; }
  upstream cache { hash $request_uri consistent; server 10.0.1.1:8080; server 10.0.1.2:8080; }
}`;

test('an upstream becomes its picker: weights, down servers unavailable, backups last', () => {
  const r = loadNginxConfig('/etc/nginx/nginx.conf', new MemorySource({ '/etc/nginx/nginx.conf': conf }));
  const web = r.model.http?.upstreams.find((u) => u.name === 'web');
  assert.ok(web);
  const made = upstreamPicker(web, new SeededPrng(1));
  assert.ok(made);
  const seq: string[] = [];
  for (let k = 0; k < 12; k++) seq.push(made.picker.pick({ nowMs: 0 }) ?? '-');
  assert.equal(seq.filter((x) => x === '10.0.0.1:80').length, 10);
  assert.equal(seq.filter((x) => x === '10.0.0.2:80').length, 2);
  made.picker.setAvailable('10.0.0.1:80', false);
  made.picker.setAvailable('10.0.0.2:80', false);
  assert.equal(made.picker.pick({ nowMs: 0 }), '10.0.0.4:80');
});

test('hash ... consistent gives the ketama picker with the servers as written', () => {
  const r = loadNginxConfig('/etc/nginx/nginx.conf', new MemorySource({ '/etc/nginx/nginx.conf': conf }));
  const cache = r.model.http?.upstreams.find((u) => u.name === 'cache');
  assert.ok(cache);
  const made = upstreamPicker(cache, new SeededPrng(1));
  assert.equal(made?.picker.name, 'hash consistent');
  assert.deepEqual(made?.backends.map((b) => b.name), ['10.0.1.1:8080', '10.0.1.2:8080']);
});
