// Differential framing test through the real proxy on loopback: random sequences of valid
// pipelined requests (Content-Length and chunked bodies, random chunk sizes, extensions,
// trailers), cut at random points into writes, must reach the backend as exactly the same
// requests, in order, and every one must be answered. A framing bug (a body taken for a head, a
// head for a body) shows up as a different request list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fc from 'fast-check';
import { be, httpBackend, startHttpProxy, statuses } from '../../src/proxy/testing/harness.js';

const seed = process.env['HALO_SEED'] !== undefined ? Number(process.env['HALO_SEED']) : undefined;

interface Req {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  body: string;
  chunked: boolean;
  chunks: number[];
  ext: boolean;
  trailer: boolean;
}

function encode(r: Req): string {
  if (r.method === 'GET') return `GET ${r.path} HTTP/1.1\r\nHost: t\r\n\r\n`;
  if (!r.chunked) return `${r.method} ${r.path} HTTP/1.1\r\nHost: t\r\nContent-Length: ${r.body.length}\r\n\r\n${r.body}`;
  let out = `${r.method} ${r.path} HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n`;
  let off = 0;
  for (const n of r.chunks) {
    if (off >= r.body.length) break;
    const piece = r.body.slice(off, off + n);
    off += piece.length;
    out += `${piece.length.toString(16)}${r.ext ? ';x=1' : ''}\r\n${piece}\r\n`;
  }
  if (off < r.body.length) out += `${(r.body.length - off).toString(16)}\r\n${r.body.slice(off)}\r\n`;
  return out + (r.trailer ? '0\r\nX-Trailer: 1\r\n\r\n' : '0\r\n\r\n');
}

const reqArb: fc.Arbitrary<Req> = fc.record({
  method: fc.constantFrom('GET' as const, 'POST' as const, 'PUT' as const),
  path: fc.stringMatching(/^\/[a-z0-9]{0,8}$/),
  // bodies that look like requests and chunk lines on purpose
  body: fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom('GET /x HTTP/1.1\r\nHost: t\r\n\r\n', '0\r\n\r\n', '5\r\nhello\r\n')),
  chunked: fc.boolean(),
  chunks: fc.array(fc.integer({ min: 1, max: 20 }), { maxLength: 5 }),
  ext: fc.boolean(),
  trailer: fc.boolean(),
});

function send(port: number, wire: Buffer, cuts: number[], expected: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    const got: Buffer[] = [];
    const timer = setTimeout(() => s.destroy(), 5000);
    s.on('data', (d: Buffer) => {
      got.push(d);
      if (statuses(Buffer.concat(got).toString('latin1')).length >= expected) s.end();
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(got).toString('latin1'));
    });
    s.on('connect', () => {
      let prev = 0;
      const points = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b);
      for (const c of [...points, wire.length]) {
        if (c > prev) s.write(wire.subarray(prev, c));
        prev = c;
      }
    });
  });
}

test('property: pipelined requests reach the backend exactly as sent, however the bytes are cut', { timeout: 120_000 }, async () => {
  const b = await httpBackend((req, res, body) => res.end(`${req.method} ${req.url} ${body.length}`));
  const p = await startHttpProxy([be(b.port)]);
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(reqArb, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(2000), { maxLength: 6 }), async (reqs, cuts) => {
        const before = b.requests.length;
        const wire = Buffer.from(reqs.map(encode).join(''), 'latin1');
        const text = await send(p.port, wire, cuts, reqs.length);
        assert.deepEqual(statuses(text), reqs.map(() => 200));
        const seen = b.requests.slice(before).map((r) => [r.method, r.url, r.body]);
        assert.deepEqual(seen, reqs.map((r) => [r.method, r.path, r.method === 'GET' ? '' : r.body]));
      }),
      { numRuns: 60, ...(seed !== undefined ? { seed } : {}) },
    );
  } finally {
    await p.close();
    await b.close();
  }
});
