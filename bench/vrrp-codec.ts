// Microbenchmark of the VRRP codec: nanoseconds per advert for encode and decode (VRRPv3 IPv4,
// three VIPs, pseudo-header checksum). There is no reference program to hold a ratio against
// here (keepalived's codec is not separable), so it prints absolute numbers; it never fails.
//   npx tsc -p . && node dist/bench/vrrp-codec.js
import { decodeAdvert, encodeAdvert } from '../src/vrrp/packet.js';
import type { VrrpAdvert } from '../src/vrrp/packet.js';

const advert: VrrpAdvert = {
  version: 3, vrid: 52, priority: 150, advertIntervalCs: 100, authType: 0,
  addresses: ['10.199.2.10', '10.199.2.11', '10.199.2.12'], family: 4,
};
const ip = { src: '10.199.0.1', dst: '224.0.0.18' };
const encoded = encodeAdvert(advert, ip);
if (!encoded.ok) throw new Error(encoded.detail);
const wire = encoded.bytes;
const rx = { family: 4 as const, ttl: 255, ...ip };
const expect = { vrid: 52, addresses: advert.addresses };

const runs = 500_000;
const cases: [string, () => unknown][] = [
  ['encode', () => encodeAdvert(advert, ip)],
  ['decode', () => decodeAdvert(wire, rx, expect)],
];
for (const [name, fn] of cases) {
  for (let i = 0; i < 50_000; i++) fn();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) fn();
  const ns = Number(process.hrtime.bigint() - t0) / runs;
  console.log(`${name}: ${ns.toFixed(0)} ns/advert (${(1e3 / ns).toFixed(2)} M adverts/s)`);
}
