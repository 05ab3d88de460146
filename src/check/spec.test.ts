import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildCheck, checkLabel, parseHexString, parseStatusCodes, statusMatches } from './spec.js';

test('keepalived defaults per checker kind', () => {
  const tcp = buildCheck({ kind: 'TCP_CHECK' });
  assert.deepEqual(tcp.problems, []);
  assert.equal(tcp.spec.connectTimeoutMs, 5000);
  assert.equal(tcp.spec.delayLoopMs, 60000);
  assert.equal(tcp.spec.retry, 1);
  assert.equal(tcp.spec.delayBeforeRetryMs, 1000);
  assert.equal(tcp.spec.warmupMs, 60000, 'warmup defaults to delay_loop');
  assert.equal(tcp.spec.fall, 2, 'fall = retry + 1');
  assert.equal(tcp.spec.rise, 1);
  assert.equal(tcp.spec.alpha, false);

  const http = buildCheck({ kind: 'HTTP_GET', urls: [{ path: '/' }] });
  assert.equal(http.spec.delayBeforeRetryMs, 3000);
  assert.ok(http.spec.kind === 'HTTP_GET');
  if (http.spec.kind === 'HTTP_GET') {
    assert.deepEqual(http.spec.urls[0]?.statusCodes, [{ from: 200, to: 299 }]);
    assert.equal(http.spec.httpProtocol, '1.0');
    assert.equal(http.spec.method, 'GET');
  }
  const dns = buildCheck({ kind: 'DNS_CHECK', delayLoopMs: 7000 });
  assert.equal(dns.spec.retry, 3);
  assert.equal(dns.spec.delayBeforeRetryMs, 7000, 'DNS_CHECK retries after delay_loop');
  if (dns.spec.kind === 'DNS_CHECK') {
    assert.equal(dns.spec.type, 'SOA');
    assert.equal(dns.spec.name, '.');
  }
  const misc = buildCheck({ kind: 'MISC_CHECK', miscPath: '/bin/true', delayLoopMs: 4000 });
  assert.equal(misc.spec.retry, 0);
  assert.equal(misc.spec.fall, 1);
  if (misc.spec.kind === 'MISC_CHECK') assert.equal(misc.spec.miscTimeoutMs, 4000);
  const udp = buildCheck({ kind: 'UDP_CHECK' });
  if (udp.spec.kind === 'UDP_CHECK') {
    assert.equal(udp.spec.requireReply, false);
    assert.equal(udp.spec.maxReplyLength, 255);
  }
});

test('explicit options override defaults; fall overrides retry + 1', () => {
  const r = buildCheck({ kind: 'TCP_CHECK', retry: 3, delayBeforeRetryMs: 3000, connectTimeoutMs: 3000, connectPort: 80 });
  assert.equal(r.spec.fall, 4);
  assert.equal(checkLabel(r.spec), 'TCP_CHECK :80');
  const f = buildCheck({ kind: 'TCP_CHECK', retry: 3, fall: 2, rise: 3 });
  assert.equal(f.spec.fall, 2);
  assert.equal(f.spec.rise, 3);
});

test('bad values are reported, not thrown', () => {
  const r = buildCheck({ kind: 'HTTP_GET', urls: [{ path: 'x', digest: 'nothex', regex: '(' }], connectTimeoutMs: -1, jitterPermille: 900 });
  assert.equal(r.problems.length, 5, r.problems.join('\n'));
  assert.ok(r.problems.some((p) => p.startsWith('Invalid connect_timeout: -1')));
  assert.ok(r.problems.some((p) => p.startsWith('Invalid digest: nothex')));
  assert.ok(r.problems.some((p) => p.startsWith('Invalid regex: (')));
  assert.equal(r.spec.connectTimeoutMs, 1, 'clamped into range');
  assert.equal(buildCheck({ kind: 'HTTP_GET', urls: [] }).problems.length, 1);
  assert.equal(buildCheck({ kind: 'MISC_CHECK', miscPath: ' ' }).problems.length, 1);
  assert.equal(buildCheck({ kind: 'UDP_CHECK', minReplyLength: 10, maxReplyLength: 5 }).problems.length, 1);
});

test('status_code lists with ranges', () => {
  const r = parseStatusCodes('200-299 400-499 503');
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.spec, [{ from: 200, to: 299 }, { from: 400, to: 499 }, { from: 503, to: 503 }]);
  assert.ok(statusMatches(204, r.spec));
  assert.ok(statusMatches(503, r.spec));
  assert.ok(!statusMatches(502, r.spec));
  assert.ok(!statusMatches(301, r.spec));
  assert.equal(parseStatusCodes('20x').problems.length, 1);
  assert.equal(parseStatusCodes('299-200').problems.length, 1);
  assert.deepEqual(parseStatusCodes('').spec, [{ from: 200, to: 299 }]);
});

test('keepalived free-form hex strings', () => {
  // The man page's example: "Ab12f 3 456 546443123" is AB 12 0F 03 45 06 54 64 43 12 03.
  assert.deepEqual(parseHexString('Ab12f 3 456 546443123', false).spec, [0xab, 0x12, 0x0f, 0x03, 0x45, 0x06, 0x54, 0x64, 0x43, 0x12, 0x03]);
  assert.deepEqual(parseHexString('01x2 ff', true).spec, [0x01, null, 0xff]);
  assert.equal(parseHexString('zz', false).problems.length, 1);
});
