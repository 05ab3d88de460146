// The addon's netlink entry points (native/netlink.c) check every argument in C and answer a bad one
// with -errno, never a crash or a throw. Every call here names an interface that does not exist,
// so nothing reaches the kernel's address tables of the machine running the tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadAddon, type HaloNetAddon } from './native.js';

const load = loadAddon();
const addon: HaloNetAddon | undefined = load.ok && typeof load.addon.addressAdd === 'function' ? load.addon : undefined;
const skip = addon ? false : `needs the native addon with netlink: ${load.ok ? 'addressAdd missing (rebuild native/)' : load.error}`;
const NO_SUCH_IF = 'halo-nope0';
const EINVAL = -22;
const ENODEV = -19;
const EAFNOSUPPORT = -97;

const seedEnv = process.env['HALO_SEED'];
const params: fc.Parameters<unknown> = seedEnv !== undefined && seedEnv !== '' ? { seed: Number(seedEnv), numRuns: 300 } : { numRuns: 300 };

test('addressAdd and addressDel refuse bad arguments with a named errno', { skip }, () => {
  const a = addon as HaloNetAddon;
  const add = a.addressAdd?.bind(a) as (...args: unknown[]) => number;
  const del = a.addressDel?.bind(a) as (...args: unknown[]) => number;
  const v4 = new Uint8Array([10, 0, 0, 5]);
  assert.equal(add(), EINVAL);
  assert.equal(add(NO_SUCH_IF, 5, v4, 32), EAFNOSUPPORT);
  assert.equal(add(NO_SUCH_IF, 4, new Uint8Array(16), 32), EINVAL, 'IPv4 needs 4 bytes');
  assert.equal(add(NO_SUCH_IF, 6, v4, 64), EINVAL, 'IPv6 needs 16 bytes');
  assert.equal(add(NO_SUCH_IF, 4, v4, 33), EINVAL);
  assert.equal(add(NO_SUCH_IF, 4, v4, -1), EINVAL);
  assert.equal(add(NO_SUCH_IF, 4, [10, 0, 0, 5], 32), EINVAL, 'not a Uint8Array');
  assert.equal(add(NO_SUCH_IF, 4, new Uint16Array(2), 32), EINVAL);
  assert.equal(add(42, 4, v4, 32), EINVAL);
  assert.equal(add('', 4, v4, 32), ENODEV);
  assert.equal(add('x'.repeat(40), 4, v4, 32), ENODEV);
  assert.equal(add(NO_SUCH_IF, 4, v4, 32), ENODEV);
  assert.equal(del(NO_SUCH_IF, 4, v4, 32), ENODEV);
  assert.equal(del(NO_SUCH_IF, 6, new Uint8Array(16), 129), EINVAL);
  // Every argument is checked before the name is looked up, so bad options are EINVAL even on a
  // missing interface (and no test needs a real one).
  assert.equal(add(NO_SUCH_IF, 4, v4, 32, 'label'), EINVAL);
  assert.equal(add(NO_SUCH_IF, 4, v4, 32, { label: 'lo:much-too-long-a-label' }), EINVAL);
  assert.equal(add(NO_SUCH_IF, 4, v4, 32, { label: '' }), EINVAL);
  assert.equal(add(NO_SUCH_IF, 4, v4, 32, { label: 7 }), EINVAL);
  assert.equal(add(NO_SUCH_IF, 6, new Uint8Array(16), 64, { label: 'lo:x' }), EINVAL, 'labels are IPv4 only');
  assert.equal(add(NO_SUCH_IF, 4, v4, 32, { scope: 256 }), EINVAL);
  assert.equal(add(NO_SUCH_IF, 4, v4, 32, { scope: 'link' }), EINVAL);
  assert.equal(add(NO_SUCH_IF, 4, v4, 32, { broadcast: new Uint8Array(16) }), EINVAL);
  assert.equal(add(NO_SUCH_IF, 6, new Uint8Array(16), 64, { broadcast: v4 }), EINVAL, 'broadcast is IPv4 only');
  assert.equal(add(NO_SUCH_IF, 4, v4, 32, { flags: 'nodad' }), EINVAL);
});

test('property: no argument list makes addressAdd or addressDel throw or answer anything but 0 or -errno on a missing interface', { skip }, () => {
  const a = addon as HaloNetAddon;
  const add = a.addressAdd?.bind(a) as (...args: unknown[]) => number;
  const del = a.addressDel?.bind(a) as (...args: unknown[]) => number;
  const anyValue = fc.oneof(
    fc.integer({ min: -1000, max: 1000 }),
    fc.double(),
    fc.string({ maxLength: 40 }),
    fc.constant(NO_SUCH_IF),
    fc.uint8Array({ maxLength: 20 }),
    fc.constantFrom(undefined, null, 4, 6),
    fc.record({ label: fc.anything(), scope: fc.anything(), broadcast: fc.oneof(fc.uint8Array({ maxLength: 6 }), fc.anything()), flags: fc.anything() }, { requiredKeys: [] }),
  );
  fc.assert(
    fc.property(fc.array(anyValue, { maxLength: 6 }), fc.boolean(), (args, isDel) => {
      // Never an interface that exists: the first argument is forced to a missing name when it is a string.
      const safe = typeof args[0] === 'string' ? [NO_SUCH_IF, ...args.slice(1)] : args;
      const r = isDel ? del(...safe) : add(...safe);
      assert.ok(Number.isInteger(r) && r < 0 && r >= -4095, `answered ${r}`);
    }),
    params,
  );
});

test('netlinkOpen opens the kept socket ahead of the first request, and is idempotent', { skip }, () => {
  const a = addon as HaloNetAddon;
  assert.equal(typeof a.netlinkOpen, 'function');
  assert.equal(a.netlinkOpen?.(), 0);
  assert.equal(a.netlinkStats?.().open, true);
  const before = a.netlinkStats?.().requests;
  assert.equal(a.netlinkOpen?.(), 0);
  assert.equal(a.netlinkStats?.().requests, before, 'opening sends no request');
});

test('openAnnounceSocket opens one socket per interface and family, once; a missing interface is ENODEV', { skip: skip || (process.getuid?.() !== 0 ? 'needs root: raw and packet sockets' : false) }, () => {
  const a = addon as HaloNetAddon;
  a.closeAnnounceSockets('lo');
  const opened = a.announceStats().opened;
  a.openAnnounceSocket?.('lo', 4);
  a.openAnnounceSocket?.('lo', 4);
  a.openAnnounceSocket?.('lo', 6);
  assert.equal(a.announceStats().opened, opened + 2, 'one packet socket and one ICMPv6 socket, each opened once');
  assert.throws(() => a.openAnnounceSocket?.(NO_SUCH_IF, 4), (e: NodeJS.ErrnoException) => e.code === 'ENODEV');
  assert.throws(() => a.openAnnounceSocket?.('lo', 5 as 4), TypeError);
  assert.equal(a.closeAnnounceSockets('lo'), 2);
});
