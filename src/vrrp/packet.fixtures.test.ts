// Test vectors captured from real keepalived (test/fixtures/vrrp/capture.sh): halo must encode
// each captured advert byte for byte from the instance's configuration, and decode it back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { decodeAdvert, encodeAdvert } from './packet.js';
import type { ChecksumMode, DecodeExpect, VrrpAdvert } from './packet.js';

interface Fixture {
  source: string;
  /**
   * checksumDst: the destination keepalived put in the pseudo-header when it is not the packet's
   * (`old_unicast_checksum`: the multicast group, even for a unicast peer).
   */
  instance: VrrpAdvert & { checksumMode: ChecksumMode; checksumDst?: string };
  packets: { family: 4 | 6; src: string; dst: string; ttl: number; payload: string }[];
}

const dir = new URL('../../../test/fixtures/vrrp/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

test('the keepalived captures are all there', () => {
  for (const name of ['v2-pass.json', 'v3-ipv4.json', 'v3-ipv6.json', 'v3-ipv4-unicast.json', 'v3-ipv4-unicast-old.json']) assert.ok(files.includes(name), `${name} is missing`);
});

for (const file of files) {
  const fx = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as Fixture;
  const { checksumMode, checksumDst, ...instance } = fx.instance;

  test(`${file}: encode reproduces every captured advert byte for byte, decode reads it`, () => {
    assert.ok(fx.packets.length >= 2, 'a capture holds at least one advert and one priority-0 advert');
    let priorityZero = 0;
    for (const p of fx.packets) {
      const wire = Uint8Array.from(Buffer.from(p.payload, 'hex'));
      // keepalived sends its configured priority while MASTER and 0 when it stops (RFC 3768 §6.4.3).
      const priority = wire[2] === 0 ? 0 : instance.priority;
      if (priority === 0) priorityZero++;
      const advert: VrrpAdvert = { ...instance, priority };
      // halo reproduces old_unicast_checksum by handing the codec the multicast group as the
      // pseudo-header destination while the runtime sends to the peer.
      const dst = checksumDst ?? p.dst;
      const e = encodeAdvert(advert, { src: p.src, dst, checksumMode });
      assert.ok(e.ok, e.ok ? '' : e.detail);
      assert.equal(Buffer.from(e.bytes).toString('hex'), p.payload);

      const expect: DecodeExpect = {
        version: instance.version,
        vrid: instance.vrid,
        addresses: instance.addresses,
        checksumMode,
        ...(instance.version === 2 ? { authType: instance.authType as 0 | 1, advertIntervalCs: instance.advertIntervalCs } : {}),
        ...(instance.authData !== undefined ? { authData: instance.authData } : {}),
      };
      const d = decodeAdvert(wire, { family: p.family, src: p.src, dst, ttl: p.ttl }, expect);
      assert.ok(d.ok, d.ok ? '' : `${d.reason}: ${d.detail}`);
      assert.deepEqual(d.advert, advert);
      assert.equal(d.checksumMode, checksumMode);
      if (checksumDst !== undefined) {
        const asSent = decodeAdvert(wire, { family: p.family, src: p.src, dst: p.dst, ttl: p.ttl }, expect);
        assert.equal(asSent.ok ? 'ok' : asSent.reason, 'checksum_err', 'the old unicast checksum differs from the current one');
      }
    }
    assert.ok(priorityZero >= 1, 'the capture has the priority-0 adverts keepalived sends when it stops');
  });

  if (fx.instance.version === 3 && fx.instance.family === 4) {
    test(`${file}: the other IPv4 checksum mode rejects it, "either" accepts it and says which matched`, () => {
      const other: ChecksumMode = checksumMode === 'pseudo-header' ? 'v2-style' : 'pseudo-header';
      for (const p of fx.packets) {
        const wire = Uint8Array.from(Buffer.from(p.payload, 'hex'));
        const ip = { family: p.family, src: p.src, dst: checksumDst ?? p.dst, ttl: p.ttl };
        const wrong = decodeAdvert(wire, ip, { checksumMode: other });
        assert.equal(wrong.ok ? 'ok' : wrong.reason, 'checksum_err');
        const either = decodeAdvert(wire, ip, { checksumMode: 'either' });
        assert.ok(either.ok && either.checksumMode === checksumMode);
      }
    });
  }
}
