// Re-captures keepalived's adverts in two fresh network namespaces (test/fixtures/vrrp/capture.sh)
// and checks that halo decodes every one and encodes it back byte for byte. When the installed
// keepalived is the one the committed fixtures came from, the fresh capture must also equal them,
// which shows the committed vectors are real and reproducible.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeAdvert, encodeAdvert } from '../../src/vrrp/packet.js';
import type { ChecksumMode, VrrpAdvert } from '../../src/vrrp/packet.js';

interface Fixture {
  source: string;
  instance: VrrpAdvert & { checksumMode: ChecksumMode; checksumDst?: string };
  packets: { family: 4 | 6; src: string; dst: string; ttl: number; payload: string }[];
}

const fixtureDir = fileURLToPath(new URL('../../../test/fixtures/vrrp/', import.meta.url));

function missingTool(): string | undefined {
  for (const tool of ['ip', 'tcpdump', 'keepalived']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return tool;
  }
  return undefined;
}

test('fresh keepalived captures decode and re-encode byte for byte', { timeout: 180_000 }, (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root: network namespaces and raw sockets');
  const missing = missingTool();
  if (missing !== undefined) return t.skip(`needs ${missing} installed`);
  const out = mkdtempSync(join(tmpdir(), 'halo-vrrp-capture-'));
  try {
    const r = spawnSync('bash', [join(fixtureDir, 'capture.sh')], {
      env: { ...process.env, HALO_CAPTURE_OUT: out },
      encoding: 'utf8',
      timeout: 150_000,
      killSignal: 'SIGTERM',
    });
    assert.equal(r.status, 0, `capture.sh failed:\n${r.stdout}\n${r.stderr}`);
    const files = readdirSync(out).filter((f) => f.endsWith('.json')).sort();
    assert.ok(files.length >= 5, `capture.sh wrote ${files.join(', ')}`);
    for (const file of files) {
      const fresh = JSON.parse(readFileSync(join(out, file), 'utf8')) as Fixture;
      const { checksumMode, checksumDst } = fresh.instance;
      for (const p of fresh.packets) {
        const wire = Uint8Array.from(Buffer.from(p.payload, 'hex'));
        const d = decodeAdvert(wire, { family: p.family, src: p.src, dst: checksumDst ?? p.dst, ttl: p.ttl }, { checksumMode });
        assert.ok(d.ok, `${file}: ${d.ok ? '' : d.detail}`);
        assert.equal(d.advert.vrid, fresh.instance.vrid);
        assert.deepEqual(d.advert.addresses, fresh.instance.addresses);
        const e = encodeAdvert(d.advert, { src: p.src, dst: checksumDst ?? p.dst, checksumMode });
        assert.ok(e.ok);
        assert.equal(Buffer.from(e.bytes).toString('hex'), p.payload, `${file}: re-encoded advert differs`);
      }
      let committed: Fixture | undefined;
      try {
        committed = JSON.parse(readFileSync(join(fixtureDir, file), 'utf8')) as Fixture;
      } catch {
        committed = undefined;
      }
      if (committed !== undefined && committed.source === fresh.source) {
        // Same keepalived: the adverts are the same bytes (the count may differ by timing).
        const payloads = new Set(committed.packets.map((p) => p.payload));
        for (const p of fresh.packets) assert.ok(payloads.has(p.payload), `${file}: fresh advert ${p.payload} is not in the committed fixture`);
      }
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
