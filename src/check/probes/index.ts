/** One entry point for every probe kind: picks the probe, fills the target, never rejects. */
import { performance } from 'node:perf_hooks';
import type { CheckSpec } from '../spec.js';
import { probeDns } from './dns.js';
import { probeFile } from './file.js';
import { probeHttp } from './http.js';
import { fetchFast, probeTcpFast } from './native-probes.js';
import { probeMisc } from './misc.js';
import { probePing } from './ping.js';
import { probeSmtp } from './smtp.js';
import { errorText, type ProbeOutcome, type ProbeTarget } from './types.js';
import { probeUdp } from './udp.js';

export type { ProbeOutcome, ProbeTarget } from './types.js';

export interface ProbeContext {
  /** The real server's own address and port. */
  readonly server: ProbeTarget;
  /** HTTP: which urls to check this time (policy.urlsToProbe); empty = all. */
  readonly urlIndexes?: readonly number[];
  /** HTTP: the virtualhost of the real or virtual server, when the checker has none. */
  readonly virtualhost?: string;
  /** SMTP: HELO name when helo_name is not set (keepalived: the local host name). */
  readonly heloName?: string;
}

export function targetOf(spec: CheckSpec, server: ProbeTarget): ProbeTarget {
  return { address: spec.connectIp ?? server.address, port: spec.connectPort ?? server.port };
}

async function dispatch(spec: CheckSpec, ctx: ProbeContext): Promise<ProbeOutcome> {
  const target = targetOf(spec, ctx.server);
  switch (spec.kind) {
    case 'TCP_CHECK':
      return probeTcpFast(spec, target);
    case 'HTTP_GET':
    case 'SSL_GET':
      return probeHttp(spec, target, ctx.urlIndexes ?? [], ctx.virtualhost, fetchFast);
    case 'MISC_CHECK':
      return probeMisc(spec);
    case 'DNS_CHECK':
      return probeDns(spec, target);
    case 'SMTP_CHECK':
      return probeSmtp(spec, target, ctx.heloName);
    case 'UDP_CHECK':
      return probeUdp(spec, target);
    case 'PING_CHECK':
      return probePing(spec, target);
    case 'FILE_CHECK':
      return probeFile(spec);
    case 'BFD_CHECK':
      // The session lives in the checker process's BFD engine, which wraps this function
      // (checker-process.ts); reaching here means no engine runs the instance.
      return { ok: false, detail: `no BFD session runs for bfd_instance ${spec.name}`, durationMs: 0 };
  }
}

export async function runProbe(spec: CheckSpec, ctx: ProbeContext): Promise<ProbeOutcome> {
  const startMs = performance.now();
  try {
    return await dispatch(spec, ctx);
  } catch (err) {
    // Probes are written not to throw; this keeps a bug in one from stopping the runner.
    return { ok: false, detail: `probe error: ${errorText(err)}`, durationMs: Math.round(performance.now() - startMs) };
  }
}
