import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CliIo } from '../command.js';
import { parseRunArgs, poolIndex, runCommand, DEFAULT_DRAIN_MS, DEFAULT_PID_FILE } from './run.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../../../test/fixtures/keepalived');

function bufferIo(): CliIo & { outText: () => string; errText: () => string } {
  let out = '';
  let err = '';
  return { out: (t) => void (out += t), err: (t) => void (err += t), cwd: '/etc/keepalived', env: {}, outText: () => out, errText: () => err };
}

test('keepalived flags keep their meaning', () => {
  const r = parseRunArgs(['-f', 'k.conf', '-n', '-l', '-D', '-p', '/run/k.pid', '--config-id', 'lb1', '--dont-release-vrrp', '-r', 'v.pid'], { cwd: '/etc/keepalived' });
  assert.ok(r.ok);
  assert.equal(r.options.file, '/etc/keepalived/k.conf');
  assert.equal(r.options.pidFile, '/run/k.pid');
  assert.equal(r.options.vrrpPidFile, '/etc/keepalived/v.pid');
  assert.equal(r.options.statusFile, '/run/halo.status.json');
  assert.equal(r.options.configId, 'lb1');
  assert.equal(r.options.logDetail, true);
  assert.equal(r.options.dontRelease, true);
  const long = parseRunArgs(['--use-file=/x.conf', '--log-detail', '-V', '--status-file', 's.json'], { cwd: '/' });
  assert.ok(long.ok);
  assert.equal(long.options.file, '/x.conf');
  assert.equal(long.options.pidFile, DEFAULT_PID_FILE);
  assert.equal(long.options.statusFile, '/s.json');
  assert.equal(long.options.dontRelease, true);
  assert.equal(long.options.controlSocket, '/run/halo/halo.sock');
  // With --pid, the socket sits beside the pid file (two halos in one test machine do not clash).
  assert.equal(r.options.controlSocket, '/run/halo.sock');
  const own = parseRunArgs(['--control-socket', 'c.sock'], { cwd: '/var' });
  assert.ok(own.ok);
  assert.equal(own.options.controlSocket, '/var/c.sock');
  const none = parseRunArgs(['--no-control-socket'], { cwd: '/' });
  assert.ok(none.ok);
  assert.equal(none.options.controlSocket, null);
});

test('other keepalived flags are refused with the reason; unknown flags and missing values too', () => {
  const x = parseRunArgs(['-X'], { cwd: '/' });
  assert.ok(!x.ok);
  assert.match(x.message, /^keepalived option -X is not supported by halo run: .*removes its VIPs/);
  const snmp = parseRunArgs(['--snmp'], { cwd: '/' });
  assert.ok(!snmp.ok && /SNMP/.test(snmp.message));
  const unknown = parseRunArgs(['--frobnicate'], { cwd: '/' });
  assert.ok(!unknown.ok && unknown.message === 'Unknown option: --frobnicate');
  const missing = parseRunArgs(['-f'], { cwd: '/' });
  assert.ok(!missing.ok && /needs a file/.test(missing.message));
  const flagAsValue = parseRunArgs(['-p', '-D'], { cwd: '/' });
  assert.ok(!flagAsValue.ok);
});

test('halo run refuses a refused flag with exit 2 and HALO_DMN_FLAG_UNSUPPORTED', async () => {
  const io = bufferIo();
  assert.equal(await runCommand.run(['-P'], io), 2);
  assert.match(io.errText(), /keepalived option -P is not supported by halo run: .*\(HALO_DMN_FLAG_UNSUPPORTED\)/);
});

test('halo run refuses to start on configuration errors: diagnostics printed, exit 5, no pid file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-run-'));
  try {
    const io = bufferIo();
    const pid = join(dir, 'halo.pid');
    const code = await runCommand.run(['-f', join(FIXTURES, 'bad-values.conf'), '-p', pid], io);
    assert.equal(code, 5);
    assert.match(io.errText(), /bad-values\.conf:\d+:\d+: error HALO_CFG_/);
    assert.match(io.errText(), /HALO_DMN_CONFIG_REFUSED/);
    assert.equal(existsSync(pid), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('halo run refuses an instance on an interface without an address to send from: exit 5, no pid file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'halo-run-'));
  try {
    const conf = join(dir, 'k.conf');
    writeFileSync(conf, 'vrrp_instance VI_X {\n  interface halo-none0\n  virtual_router_id 9\n  priority 100\n  virtual_ipaddress {\n    192.0.2.9\n  }\n}\n');
    const io = bufferIo();
    const pid = join(dir, 'halo.pid');
    assert.equal(await runCommand.run(['-f', conf, '-p', pid], io), 5);
    assert.match(io.errText(), /k\.conf:1:1: error HALO_DMN_INSTANCE_UNUSABLE: Instance VI_X cannot run: interface halo-none0 has no IPv4 address/);
    assert.equal(existsSync(pid), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('run: --nginx, --workers and --drain-ms are parsed and checked', () => {
  const r = parseRunArgs(['--nginx', 'n.conf', '--workers', '2', '--drain-ms=500'], { cwd: '/etc/halo' });
  assert.ok(r.ok);
  assert.equal(r.options.nginx, '/etc/halo/n.conf');
  assert.equal(r.options.workers, 2);
  assert.equal(r.options.drainMs, 500);
  const d = parseRunArgs([], { cwd: '/' });
  assert.ok(d.ok);
  assert.equal(d.options.drainMs, DEFAULT_DRAIN_MS);
  assert.equal(d.options.nginx, undefined);
  assert.equal(parseRunArgs(['--workers', '0'], { cwd: '/' }).ok, false);
  assert.equal(parseRunArgs(['--drain-ms', 'soon'], { cwd: '/' }).ok, false);
});

test('run: a checker vsId maps to the tcp and udp pools of that address, not to nginx upstreams', () => {
  const pools = [{ name: 'tcp/10.0.0.1:80' }, { name: 'udp/10.0.0.1:80' }, { name: 'tcp/[fd00::1]:443' }, { name: 'backend' }];
  const index = poolIndex({ pools: pools as never });
  assert.deepEqual(index.get('10.0.0.1:80'), ['tcp/10.0.0.1:80', 'udp/10.0.0.1:80']);
  assert.deepEqual(index.get('[fd00::1]:443'), ['tcp/[fd00::1]:443']);
  assert.equal(index.size, 2);
});
