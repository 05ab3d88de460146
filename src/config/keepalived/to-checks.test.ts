import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { memorySource } from '../glob.js';
import { loadKeepalivedConfig } from './load.js';
import { keepalivedToChecks, poolFifoLine } from './to-checks.js';
import type { CheckSpec } from '../../check/spec.js';

const FIXTURES = fileURLToPath(new URL('../../../../test/fixtures/keepalived/', import.meta.url));

function plan(name: string, options = {}) {
  const text = readFileSync(FIXTURES + name, 'utf8');
  const loaded = loadKeepalivedConfig(`/etc/keepalived/${name}`, memorySource({ [`/etc/keepalived/${name}`]: text }), { configId: 'x' });
  return keepalivedToChecks(loaded.model, options);
}

function fromText(text: string) {
  const loaded = loadKeepalivedConfig('/k.conf', memorySource({ '/k.conf': text }), { configId: 'x' });
  return keepalivedToChecks(loaded.model);
}

function kind<K extends CheckSpec['kind']>(checkers: readonly CheckSpec[], k: K): CheckSpec & { kind: K } {
  const c = checkers.find((x) => x.kind === k);
  assert.ok(c, `no ${k}`);
  return c as CheckSpec & { kind: K };
}

test('seed002: two real servers with TCP_CHECK keep nb_get_retry, delay_before_retry, connect_timeout and the delay_loop of the service', () => {
  const p = plan('seed002-lvs-fixed.conf');
  assert.equal(p.pools.length, 1);
  const vs = p.pools[0]!.spec;
  assert.equal(vs.id, '192.168.44.188:80');
  assert.equal(vs.protocol, 'tcp');
  assert.deepEqual(vs.realServers.map((r) => [r.id, r.weight]), [['192.168.44.10:80', 1], ['192.168.44.20:80', 1]]);
  const tcp = kind(vs.realServers[0]!.checkers, 'TCP_CHECK');
  assert.equal(tcp.connectPort, 80);
  assert.equal(tcp.connectTimeoutMs, 3000);
  assert.equal(tcp.retry, 3);
  assert.equal(tcp.fall, 4, 'down at the retry + 1-th failure');
  assert.equal(tcp.delayBeforeRetryMs, 3000);
  assert.equal(tcp.delayLoopMs, 6000, 'delay_loop inherited from the virtual server');
  assert.equal(vs.quorum, 1);
  assert.equal(vs.hysteresis, 0);
  assert.equal(p.pools[0]!.fifoName, '[192.168.44.188]:tcp:80');
  assert.deepEqual(p.diagnostics, []);
});

test('seed004: weights 1 and 5 and connect_timeout 10 of the wrr service', () => {
  const p = plan('seed004.conf');
  const vs = p.pools[0]!.spec;
  assert.deepEqual(vs.realServers.map((r) => r.weight), [1, 5]);
  assert.equal(kind(vs.realServers[1]!.checkers, 'TCP_CHECK').connectTimeoutMs, 10_000);
});

test('checkers-all: every checker kind is mapped with its own options, BFD_CHECK with its bfd_instance', () => {
  const p = plan('checkers-all.conf');
  const rs = p.pools[0]!.spec.realServers[0]!;
  assert.deepEqual(rs.checkers.map((c) => c.kind), ['HTTP_GET', 'SSL_GET', 'TCP_CHECK', 'SMTP_CHECK', 'DNS_CHECK', 'MISC_CHECK', 'UDP_CHECK', 'PING_CHECK', 'FILE_CHECK', 'BFD_CHECK']);
  assert.equal(rs.weight, 10);
  const http = kind(rs.checkers, 'HTTP_GET');
  assert.equal(http.httpProtocol, '1.1');
  assert.equal(http.fastRecovery, true);
  assert.equal(http.virtualhost, 'www.example.com');
  assert.equal(http.connectPort, 8080);
  assert.equal(http.bindTo, '10.0.0.5');
  assert.equal(http.logAllFailures, true);
  assert.equal(http.retry, 2, 'retry of the virtual server');
  assert.equal(http.delayBeforeRetryMs, 2500, 'delay_before_retry of the real server');
  assert.equal(http.connectTimeoutMs, 4000);
  assert.deepEqual(http.urls[0]?.statusCodes, [{ from: 200, to: 200 }, { from: 204, to: 204 }, { from: 300, to: 399 }]);
  assert.equal(http.urls[1]?.digest, '9b3a0c85a887a256d6939da88aabd8cd');
  assert.equal(http.urls[1]?.regex, 'ok|ready');
  assert.equal(http.urls[1]?.regexNoMatch, true);
  const ssl = kind(rs.checkers, 'SSL_GET');
  assert.equal(ssl.enableSni, true);
  assert.equal(ssl.httpProtocol, '1.0', 'keepalived default');
  const tcp = kind(rs.checkers, 'TCP_CHECK');
  assert.deepEqual([tcp.connectIp, tcp.connectPort, tcp.bindPort, tcp.warmupMs], ['10.0.1.11', 443, 40000, 0]);
  assert.equal(kind(rs.checkers, 'SMTP_CHECK').heloName, 'lb1.example.com');
  const dns = kind(rs.checkers, 'DNS_CHECK');
  assert.deepEqual([dns.type, dns.name], ['A', 'example.com']);
  const misc = kind(rs.checkers, 'MISC_CHECK');
  assert.deepEqual([misc.miscPath, misc.miscTimeoutMs, misc.miscDynamic, misc.user], ['/etc/halo/check.sh 10.0.1.1', 5000, true, 'nobody']);
  const udp = kind(rs.checkers, 'UDP_CHECK');
  assert.deepEqual([...(udp.payload ?? [])], [0x00, 0x01, 0xab]);
  assert.deepEqual([udp.requireReply, udp.minReplyLength, udp.maxReplyLength], [true, 2, 512]);
  assert.equal(kind(rs.checkers, 'PING_CHECK').retry, 4, 'own retry beats the inherited one');
  const file = kind(rs.checkers, 'FILE_CHECK');
  assert.deepEqual([file.path, file.weight, file.reverse, file.dynamic], ['/run/halo/maint', 3, true, true]);
  const bfd = kind(rs.checkers, 'BFD_CHECK');
  // Down until the session is Up, and one read decides (keepalived acts on BFD events at once).
  assert.deepEqual([bfd.name, bfd.alpha, bfd.retry, bfd.fall, bfd.warmupMs], ['bfd1', true, 0, 1, 0]);
  assert.deepEqual(p.bfdInstances, [{
    name: 'bfd1', neighborIp: '10.0.1.1', sourceIp: '10.0.0.5', ttl: 255, maxHops: 0,
    session: { desiredMinTxUs: 15_500, requiredMinRxUs: 20_000, idleTxUs: 1_000_000, detectMult: 3, passive: true },
  }]);
  assert.deepEqual(p.diagnostics, []);
});

test('fwmark service: quorum, hysteresis, scripts with their users, sorry server, omega, alpha, inhibit_on_failure per real server', () => {
  const p = plan('fwmark.conf');
  const pool = p.pools.find((x) => x.spec.id === 'fwmark 42');
  assert.ok(pool);
  const vs = pool.spec;
  assert.deepEqual([vs.quorum, vs.hysteresis, vs.omega], [2, 1, true]);
  assert.equal(vs.haSuspend, false, 'a fwmark service has no address to wait for (the config layer clears it)');
  assert.equal(vs.quorumUp, '/etc/halo/quorum.sh up');
  assert.equal(vs.quorumDown, '/etc/halo/quorum.sh down');
  assert.equal(vs.sorryServer, '10.0.9.9', 'fwmark services clear the sorry server port');
  const rs = vs.realServers[0]!;
  assert.equal(rs.id, '10.0.3.1');
  assert.equal(rs.weight, 3);
  assert.equal(rs.notifyUp, '/etc/halo/rs.sh');
  assert.equal(rs.notifyDown, '/etc/halo/rs.sh down');
  assert.deepEqual(pool.scriptUsers['/etc/halo/rs.sh down'], { user: 'nobody' });
  assert.equal(rs.inhibitOnFailure, false, 'the real server turns it off');
  assert.equal(vs.realServers[1]!.inhibitOnFailure, true, 'inherited from the virtual server');
  const tcp = kind(rs.checkers, 'TCP_CHECK');
  assert.equal(tcp.alpha, true, 'alpha of the virtual server');
  assert.equal(tcp.connectTimeoutMs, 1500);
  // The mark selects the port: a TCP_CHECK without connect_port has nothing to connect to.
  assert.ok(p.diagnostics.some((d) => d.code === 'HALO_SVC_NO_PORT' && d.severity === 'error'));
  const down = { type: 'server', serverId: '10.0.3.1', health: 'down', cause: { source: 'TCP_CHECK', detail: 'x', atMs: 0 } } as const;
  // No `protocol` in the block: keepalived's default is UDP.
  assert.equal(poolFifoLine(pool, down), 'RS [10.0.3.1]:udp:0 FWM 42 DOWN');
  assert.equal(poolFifoLine(pool, { type: 'quorum', vsId: vs.id, up: true, liveWeight: 3, quorum: 2, atMs: 0 }), 'VS FWM 42 UP');
});

test('virtualhost comes from the checker, else the real server, else the virtual server; smtp_alert and log_all_failures fall back to global_defs', () => {
  const p = fromText(`global_defs {
  smtp_alert_checker
  checker_log_all_failures
  lvs_notify_fifo /run/halo/lvs.fifo
}
virtual_server 127.0.0.1 8080 {
  protocol TCP
  virtualhost vs.example
  delay_loop 2
  real_server 127.0.0.2 8081 {
    virtualhost rs.example
    HTTP_GET {
      url {
        path /a
      }
    }
  }
  real_server 127.0.0.3 8081 {
    HTTP_GET {
      url {
        path /b
      }
    }
    HTTP_GET {
      virtualhost ck.example
      log_all_failures off
      url {
        path /c
      }
    }
  }
}
`);
  assert.deepEqual(p.diagnostics, []);
  assert.equal(p.lvsNotifyFifo, '/run/halo/lvs.fifo');
  const [a, b] = p.pools[0]!.spec.realServers;
  const host = (c: CheckSpec | undefined): string | undefined => (c && (c.kind === 'HTTP_GET' || c.kind === 'SSL_GET') ? c.virtualhost : 'none');
  assert.equal(host(a!.checkers[0]), 'rs.example');
  assert.equal(host(b!.checkers[0]), 'vs.example');
  assert.equal(host(b!.checkers[1]), 'ck.example');
  assert.equal(a!.smtpAlert, true);
  assert.equal(b!.checkers[0]!.logAllFailures, true);
  assert.equal(b!.checkers[1]!.logAllFailures, false);
  assert.equal(b!.checkers[0]!.delayLoopMs, 2000);
  assert.equal(b!.checkers[0]!.delayBeforeRetryMs, 3000, 'HTTP_GET default');
});

test('an empty configuration yields no pools and a warning; a bad value is an error with the checker position', () => {
  const empty = fromText('global_defs {\n  router_id x\n}\n');
  assert.deepEqual(empty.pools, []);
  assert.deepEqual(empty.diagnostics.map((d) => d.code), ['HALO_SVC_NO_SERVICES']);
  const bad = fromText('virtual_server 127.0.0.1 80 {\n  protocol TCP\n  real_server 127.0.0.2 80 {\n    HTTP_GET {\n      url {\n        path /x\n        regex "("\n      }\n    }\n  }\n}\n');
  const d = bad.diagnostics.find((x) => x.code === 'HALO_CHK_SPEC_INVALID');
  assert.ok(d, JSON.stringify(bad.diagnostics));
  assert.equal(d.pos?.line, 4);
});
