import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BodyFramer, parseRequestHead, parseResponseHead, responseFraming, REJECT_STATUS, type RejectReason } from './http1.js';

const seed = process.env.HALO_SEED !== undefined ? Number(process.env.HALO_SEED) : undefined;
const fcOpts = seed !== undefined ? { seed } : {};

function req(text: string) {
  return parseRequestHead(Buffer.from(text, 'latin1'), 0);
}

function rejected(text: string): RejectReason {
  const r = req(text);
  assert.equal(r.kind, 'error', `expected a rejection for ${JSON.stringify(text)}, got ${r.kind}`);
  return r.kind === 'error' ? r.reason : 'bad-request-line';
}

test('a simple GET parses with its headers, keep-alive and no body', () => {
  const r = req('GET /a?b=c HTTP/1.1\r\nHost: x\r\nX-A:  v \r\n\r\n');
  assert.equal(r.kind, 'ok');
  if (r.kind !== 'ok') return;
  assert.equal(r.head.method, 'GET');
  assert.equal(r.head.target, '/a?b=c');
  assert.equal(r.head.versionMinor, 1);
  assert.equal(r.head.keepAlive, true);
  assert.deepEqual(r.head.framing, { kind: 'none' });
  assert.deepEqual(r.head.headers.map((h) => [h.name, h.value]), [['Host', 'x'], ['X-A', 'v']]);
  assert.equal(r.head.headBytes, Buffer.byteLength('GET /a?b=c HTTP/1.1\r\nHost: x\r\nX-A:  v \r\n\r\n'));
});

test('an incomplete head asks for more bytes', () => {
  assert.equal(req('GET / HTTP/1.1\r\nHost: x\r\n').kind, 'incomplete');
  assert.equal(req('GET / HT').kind, 'incomplete');
});

test('HTTP/1.0 closes unless keep-alive is asked; HTTP/1.1 keeps unless close', () => {
  const a = req('GET / HTTP/1.0\r\n\r\n');
  const b = req('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
  const c = req('GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
  assert.ok(a.kind === 'ok' && !a.head.keepAlive);
  assert.ok(b.kind === 'ok' && b.head.keepAlive);
  assert.ok(c.kind === 'ok' && !c.head.keepAlive);
});

test('smuggling shapes are refused with 400', () => {
  const cases: Array<[string, RejectReason]> = [
    ['POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n', 'cl-and-te'],
    ['POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n', 'cl-and-te'],
    ['POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n', 'conflicting-content-length'],
    ['POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 4\r\n\r\n', 'bad-content-length'],
    ['POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n', 'bad-content-length'],
    ['POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x10\r\n\r\n', 'bad-content-length'],
    ['POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \r\n\r\n', 'bad-content-length'],
    ['GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n', 'bare-cr-or-lf'],
    ['GET / HTTP/1.1\nHost: h\n\n', 'bare-cr-or-lf'],
    ['GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n', 'bare-cr-or-lf'],
    ['GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n  folded\r\n\r\n', 'obs-fold'],
    ['GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding : chunked\r\n\r\n', 'bad-header-name'],
    ['GET / HTTP/1.1\r\nHost: h\r\nX(y): 1\r\n\r\n', 'bad-header-name'],
    ['GET / HTTP/1.1\r\nHost: h\r\n: 1\r\n\r\n', 'bad-header-name'],
    ['GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n', 'bad-header-name'],
    ['GET / HTTP/1.1\r\nHost: h\r\nX: a\x00b\r\n\r\n', 'bad-header-value'],
    ['GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 'duplicate-host'],
    ['GET / HTTP/1.1\r\nX: y\r\n\r\n', 'missing-host'],
    ['GET  / HTTP/1.1\r\nHost: h\r\n\r\n', 'bad-request-line'],
    ['GET / HTTP/1.1 \r\nHost: h\r\n\r\n', 'bad-request-line'],
    ['GET /\x7f HTTP/1.1\r\nHost: h\r\n\r\n', 'bad-request-line'],
    ['GET / FOO/1.1\r\nHost: h\r\n\r\n', 'bad-request-line'],
    ['GET / HTTP/2.0\r\nHost: h\r\n\r\n', 'bad-version'],
    ['POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', 'unsupported-transfer-encoding'],
    ['POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n', 'unsupported-transfer-encoding'],
    ['POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked\r\n\r\n', 'unsupported-transfer-encoding'],
    ['POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n', 'unsupported-transfer-encoding'],
  ];
  for (const [text, reason] of cases) {
    assert.equal(rejected(text), reason, JSON.stringify(text));
    assert.ok(REJECT_STATUS[reason] >= 400, reason);
  }
  assert.equal(REJECT_STATUS['cl-and-te'], 400);
  assert.equal(REJECT_STATUS['conflicting-content-length'], 400);
  assert.equal(REJECT_STATUS['bare-cr-or-lf'], 400);
});

test('a bare LF is refused before the head completes', () => {
  assert.equal(rejected('GET / HTTP/1.1\nHost'), 'bare-cr-or-lf');
});

test('two equal Content-Lengths collapse to one (RFC 9112 section 6.3)', () => {
  const r = req('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n');
  assert.ok(r.kind === 'ok');
  if (r.kind === 'ok') assert.deepEqual(r.head.framing, { kind: 'length', length: 5 });
});

test('limits: request line 414, head 431, header count 431', () => {
  const lim = { maxHeadBytes: 200, maxLineBytes: 50, maxHeaders: 3 };
  const p = (t: string) => parseRequestHead(Buffer.from(t, 'latin1'), 0, lim);
  const long = p(`GET /${'a'.repeat(60)} HTTP/1.1\r\n`);
  assert.ok(long.kind === 'error' && long.reason === 'request-line-too-long');
  const longIncomplete = p(`GET /${'a'.repeat(60)}`);
  assert.ok(longIncomplete.kind === 'error' && longIncomplete.reason === 'request-line-too-long');
  const big = p(`GET / HTTP/1.1\r\nHost: h\r\nX: ${'b'.repeat(200)}`);
  assert.ok(big.kind === 'error' && big.reason === 'head-too-large');
  const many = p('GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n');
  assert.ok(many.kind === 'error' && many.reason === 'too-many-headers');
  assert.equal(REJECT_STATUS['request-line-too-long'], 414);
  assert.equal(REJECT_STATUS['head-too-large'], 431);
});

test('pipelined requests parse one after the other', () => {
  const b = Buffer.from('GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n', 'latin1');
  const a = parseRequestHead(b, 0);
  assert.ok(a.kind === 'ok');
  if (a.kind !== 'ok') return;
  const c = parseRequestHead(b, a.head.headBytes);
  assert.ok(c.kind === 'ok' && c.head.target === '/2');
});

test('Upgrade is seen only with Connection: upgrade; Expect: 100-continue is seen', () => {
  const u = req('GET /ws HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n');
  assert.ok(u.kind === 'ok' && u.head.upgrade === 'websocket');
  const n = req('GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n');
  assert.ok(n.kind === 'ok' && n.head.upgrade === undefined);
  const e = req('PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n');
  assert.ok(e.kind === 'ok' && e.head.expectContinue);
});

test('response heads and their framing (RFC 9112 section 6.3)', () => {
  const p = (t: string) => parseResponseHead(Buffer.from(t, 'latin1'), 0);
  const a = p('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello');
  assert.ok(a.kind === 'ok');
  if (a.kind !== 'ok') return;
  assert.deepEqual(responseFraming('GET', a.head), { kind: 'length', length: 5 });
  assert.deepEqual(responseFraming('HEAD', a.head), { kind: 'none' });
  const b = p('HTTP/1.1 204 No Content\r\n\r\n');
  assert.ok(b.kind === 'ok' && responseFraming('GET', b.head).kind === 'none');
  const c = p('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
  assert.ok(c.kind === 'ok' && responseFraming('GET', c.head).kind === 'chunked');
  const d = p('HTTP/1.0 200 OK\r\n\r\n');
  assert.ok(d.kind === 'ok' && responseFraming('GET', d.head).kind === 'close' && !d.head.keepAlive);
  const e = p('HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n');
  assert.ok(e.kind === 'ok' && e.head.reason === '');
  for (const bad of ['HTTP/1.1 2000 OK\r\n\r\n', 'HTTP/1.1 20 OK\r\n\r\n', 'HTTX/1.1 200 OK\r\n\r\n', 'HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n']) {
    assert.equal(p(bad).kind, 'error', JSON.stringify(bad));
  }
});

function chunkedAll(body: string, limits?: { maxBodyBytes: number; maxChunkLineBytes: number; maxTrailerBytes: number }) {
  const f = new BodyFramer({ kind: 'chunked' }, limits);
  const b = Buffer.from(body, 'latin1');
  const parts: string[] = [];
  const st = f.feed(b, 0, (s, e) => parts.push(b.toString('latin1', s, e)));
  return { used: st.used, done: st.done, error: st.error, data: parts.join('') };
}

test('chunked bodies: sizes, extensions, trailers, and where the body ends', () => {
  const r = chunkedAll('5\r\nhello\r\nA;name=val\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\nGET /next');
  assert.equal(r.error, undefined);
  assert.equal(r.done, true);
  assert.equal(r.data, 'hello0123456789');
  assert.equal(r.used, '5\r\nhello\r\nA;name=val\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n'.length);
});

test('bad chunk framing is refused with a reason', () => {
  const cases: Array<[string, RejectReason]> = [
    ['g\r\n', 'bad-chunk-size'],
    ['-1\r\n', 'bad-chunk-size'],
    ['0x5\r\nhello\r\n', 'bad-chunk-size'],
    [' 5\r\nhello\r\n', 'bad-chunk-size'],
    ['5 x\r\nhello\r\n', 'bad-chunk-size'],
    ['\r\n', 'bad-chunk-size'],
    ['5\nhello\r\n', 'bad-chunk-size'],
    ['5\r\nhelloXX', 'bad-chunk-terminator'],
    ['5\r\nhello\n0\r\n\r\n', 'bad-chunk-terminator'],
    ['fffffffffffffff\r\n', 'bad-chunk-size'],
    ['5;a\x00\r\nhello\r\n', 'bad-chunk-extension'],
    ['0\r\nX: 1\nY: 2\r\n\r\n', 'bad-trailer'],
    ['0\r\n\rX', 'bad-chunk-terminator'],
  ];
  for (const [body, reason] of cases) assert.equal(chunkedAll(body).error, reason, JSON.stringify(body));
  assert.equal(REJECT_STATUS['bad-chunk-size'], 400);
  assert.equal(chunkedAll('5 ;x\r\nhello\r\n0\r\n\r\n').done, true, 'BWS before an extension is allowed');
});

test('body size limit gives 413', () => {
  const f = new BodyFramer({ kind: 'length', length: 100 }, { maxBodyBytes: 10, maxChunkLineBytes: 100, maxTrailerBytes: 100 });
  assert.equal(f.feed(Buffer.alloc(11), 0).error, 'body-too-large');
  assert.equal(chunkedAll('b\r\nhello world\r\n0\r\n\r\n', { maxBodyBytes: 10, maxChunkLineBytes: 100, maxTrailerBytes: 100 }).error, 'body-too-large');
  assert.equal(REJECT_STATUS['body-too-large'], 413);
});

test('property: chunked framing gives the same result however the bytes are split', () => {
  const chunkArb = fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { maxLength: 6 });
  fc.assert(
    fc.property(chunkArb, fc.array(fc.nat(200), { maxLength: 8 }), fc.boolean(), (chunks, cuts, ext) => {
      const parts: Buffer[] = [];
      for (const c of chunks) parts.push(Buffer.from(`${c.length.toString(16)}${ext ? ';e=1' : ''}\r\n`, 'latin1'), Buffer.from(c), Buffer.from('\r\n'));
      parts.push(Buffer.from('0\r\n\r\n'));
      const wire = Buffer.concat(parts);
      const tail = Buffer.from('NEXT');
      const all = Buffer.concat([wire, tail]);
      const points = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
      const f = new BodyFramer({ kind: 'chunked' });
      const got: Buffer[] = [];
      let used = 0;
      let done = false;
      let prev = 0;
      for (const end of [...points, all.length]) {
        if (done) break;
        const piece = all.subarray(prev, end);
        prev = end;
        const st = f.feed(piece, 0, (s, e) => got.push(Buffer.from(piece.subarray(s, e))));
        assert.equal(st.error, undefined);
        used += st.used;
        done = st.done;
      }
      assert.equal(done, true);
      assert.equal(used, wire.length);
      assert.deepEqual(Buffer.concat(got), Buffer.concat(chunks.map((c) => Buffer.from(c))));
    }),
    fcOpts,
  );
});

test('property: the request parser never throws and either accepts, waits or names a reason', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const r = parseRequestHead(Buffer.concat([Buffer.from('GET / HTTP/1.1\r\nHost: h\r\n'), Buffer.from(bytes)]), 0);
      assert.ok(r.kind === 'ok' || r.kind === 'incomplete' || (r.kind === 'error' && r.reason in REJECT_STATUS));
    }),
    fcOpts,
  );
});
