/**
 * The BFD engine: runs the pure sessions of src/check/bfd over UDP (RFC 5881, single hop).
 *
 * - Receiving: one socket per address family on port 3784 (or `port`), bound to `listenAddress`
 *   or the wildcard. A packet is matched to its session by Your Discriminator, or, when that is
 *   0, by the neighbor's address (RFC 5880 §6.8.6).
 * - Sending: one socket per session bound to its source_ip and a port drawn from 49152..65535
 *   (RFC 5881 §4: the same source port for the life of the session), TTL / hop limit 255
 *   (RFC 5881 §5) unless `ttl` / `hoplimit` says otherwise.
 * - Receive-side TTL: node:dgram does not expose IP_RECVTTL / IPV6_RECVHOPLIMIT, so halo cannot
 *   see the TTL of a received packet and accepts it (the `bad_ttl` counter stays 0). The GTSM
 *   check of RFC 5881 §5 is then the firewall's job; docs/checks.md gives the nftables rule.
 * - One timer per session, armed for the session's next deadline (its next packet or the end of
 *   its detection time); sessions are few (one per bfd_instance).
 *
 * Events: 'state' (name, BfdStateEvent) after every state change of a session.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { SeededPrng, type Prng } from '../../core/prng.js';
import {
  BFD_PORT, BFD_SOURCE_PORT_MAX, BFD_SOURCE_PORT_MIN, decodeBfd, diagText, encodeBfd, newBfdCounters, ttlAcceptable,
  type BfdCounters, type BfdState,
} from '../bfd/packet.js';
import { adminDown, adminUp, createSession, nextWakeMs, onPacket, onTimer, type BfdSession, type BfdStep } from '../bfd/session.js';
import type { BfdInstanceSpec } from '../bfd/spec.js';

export interface BfdStateEvent {
  readonly name: string;
  readonly from: BfdState;
  readonly to: BfdState;
  readonly diag: number;
  /** Why, as text: "no BFD packet from the neighbor for 50 ms (detection time)". */
  readonly cause: string;
}

export interface BfdEngineOptions {
  /** Destination and listening port (default 3784). Tests use another to run without root. */
  readonly port?: number;
  /** Address the receiving socket binds to; default the wildcard of each family in use. */
  readonly listenAddress?: string;
  readonly prng?: Prng;
  readonly nowMs?: () => number;
}

interface Entry {
  readonly spec: BfdInstanceSpec;
  session: BfdSession;
  socket: Socket | undefined;
  timer: NodeJS.Timeout | undefined;
  timerAtMs: number;
}

/** How many source ports are tried before giving up on a session (RFC 5881 §4 range). */
const SOURCE_PORT_TRIES = 16;

export class BfdEngine extends EventEmitter {
  readonly counters: BfdCounters = newBfdCounters();
  private readonly entries = new Map<string, Entry>();
  private readonly byDiscr = new Map<number, Entry>();
  private readonly rxSockets: Socket[] = [];
  private readonly prng: Prng;
  private readonly now: () => number;
  private readonly port: number;
  private running = false;

  constructor(
    private readonly instances: readonly BfdInstanceSpec[],
    private readonly options: BfdEngineOptions = {},
  ) {
    super();
    this.prng = options.prng ?? new SeededPrng((Date.now() ^ (process.pid << 8)) >>> 0);
    this.now = options.nowMs ?? (() => performance.now());
    this.port = options.port ?? BFD_PORT;
  }

  /** Opens the sockets and starts the sessions. Resolves with the problems met (never rejects). */
  async start(): Promise<string[]> {
    if (this.running) return [];
    this.running = true;
    const problems: string[] = [];
    const families = new Set(this.instances.map((i) => (i.neighborIp.includes(':') ? 6 : 4)));
    for (const fam of families) {
      const sock = createSocket({ type: fam === 6 ? 'udp6' : 'udp4', ...(fam === 6 ? { ipv6Only: true } : {}) });
      const address = this.options.listenAddress ?? (fam === 6 ? '::' : '0.0.0.0');
      const err = await bindSocket(sock, address, this.port);
      if (err !== undefined) {
        problems.push(`Cannot listen for BFD on ${address} port ${this.port}: ${err}`);
        sock.close();
        continue;
      }
      sock.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
      sock.on('error', () => undefined);
      this.rxSockets.push(sock);
    }
    const nowMs = this.now();
    for (const spec of this.instances) {
      const socket = await this.openSender(spec, problems);
      let discr = 0;
      // A unique non-zero local discriminator (RFC 5880 §6.8.1), bounded tries.
      for (let i = 0; i < 64 && (discr === 0 || this.byDiscr.has(discr)); i++) discr = this.prng.nextU32();
      const entry: Entry = { spec, session: undefined as unknown as BfdSession, socket, timer: undefined, timerAtMs: Infinity };
      this.entries.set(spec.name, entry);
      this.byDiscr.set(discr, entry);
      this.apply(entry, createSession(spec.session, discr, nowMs, this.prng));
    }
    return problems;
  }

  /**
   * Stops every session. The neighbors are told with AdminDown (§6.8.16) so they go Down at once
   * instead of after their detection time; `silent` skips that (what a crash looks like).
   */
  stop(options: { silent?: boolean } = {}): void {
    if (!this.running) return;
    this.running = false;
    for (const e of this.entries.values()) {
      if (e.timer) clearTimeout(e.timer);
      e.timer = undefined;
      // Tell the neighbor we go away on purpose (§6.8.16) rather than let it time out.
      if (e.socket && e.session.state !== 'AdminDown' && options.silent !== true) {
        const step = adminDown(e.session, this.now(), this.prng);
        for (const eff of step.effects) if (eff.type === 'Send') this.send(e, eff.packet);
      }
      const s = e.socket;
      // Close after the AdminDown packet has left.
      if (s) setImmediate(() => s.close());
      e.socket = undefined;
    }
    for (const l of this.rxSockets) l.close();
    this.rxSockets.length = 0;
  }

  state(name: string): BfdState | undefined {
    return this.entries.get(name)?.session.state;
  }

  session(name: string): BfdSession | undefined {
    return this.entries.get(name)?.session;
  }

  /** The operator's AdminDown / back (RFC 5880 §6.8.16). */
  setAdminDown(name: string, down: boolean): void {
    const e = this.entries.get(name);
    if (!e || !this.running) return;
    const nowMs = this.now();
    this.apply(e, down ? adminDown(e.session, nowMs, this.prng) : adminUp(e.session, nowMs, this.prng));
  }

  private async openSender(spec: BfdInstanceSpec, problems: string[]): Promise<Socket | undefined> {
    const v6 = spec.neighborIp.includes(':');
    const span = BFD_SOURCE_PORT_MAX - BFD_SOURCE_PORT_MIN + 1;
    let last = '';
    for (let i = 0; i < SOURCE_PORT_TRIES; i++) {
      const sock = createSocket({ type: v6 ? 'udp6' : 'udp4' });
      const port = BFD_SOURCE_PORT_MIN + this.prng.nextInt(span);
      const err = await bindSocket(sock, spec.sourceIp ?? (v6 ? '::' : '0.0.0.0'), port);
      if (err === undefined) {
        try {
          sock.setTTL(spec.ttl);
        } catch (e) {
          problems.push(`Cannot set TTL ${spec.ttl} for bfd_instance ${spec.name}: ${String(e)}`);
        }
        sock.on('error', () => undefined);
        // Packets that reach the sending socket (none should) are read and dropped.
        sock.on('message', () => undefined);
        return sock;
      }
      sock.close();
      last = err;
      if (!err.startsWith('EADDRINUSE')) break;
    }
    problems.push(`Cannot open the BFD socket of bfd_instance ${spec.name} from ${spec.sourceIp ?? 'any address'}: ${last}`);
    return undefined;
  }

  private onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    this.counters.received++;
    const r = decodeBfd(msg);
    if (!r.ok) {
      this.counters[r.reason]++;
      return;
    }
    const p = r.packet;
    let entry = p.yourDiscr !== 0 ? this.byDiscr.get(p.yourDiscr) : undefined;
    if (p.yourDiscr === 0) for (const e of this.entries.values()) if (sameAddress(e.spec.neighborIp, rinfo.address)) entry = e;
    if (entry === undefined || !sameAddress(entry.spec.neighborIp, rinfo.address)) {
      this.counters.unknown_session++;
      return;
    }
    // node:dgram gives no TTL (see the file comment): undefined is accepted by the check.
    if (!ttlAcceptable(undefined, entry.spec.maxHops)) {
      this.counters.bad_ttl++;
      return;
    }
    const step = onPacket(entry.session, p, this.now(), this.prng);
    if (step.rejected !== undefined) {
      this.counters[step.rejected]++;
      return;
    }
    this.counters.accepted++;
    this.apply(entry, step);
  }

  private apply(e: Entry, step: BfdStep): void {
    e.session = step.session;
    for (const eff of step.effects) {
      if (eff.type === 'Send') this.send(e, eff.packet);
      else {
        const ev: BfdStateEvent = { name: e.spec.name, from: eff.from, to: eff.to, diag: eff.diag, cause: eff.diag !== 0 ? `${eff.cause} (${diagText(eff.diag)})` : eff.cause };
        this.emit('state', e.spec.name, ev);
      }
    }
    this.arm(e);
  }

  private send(e: Entry, packet: Parameters<typeof encodeBfd>[0]): void {
    if (!e.socket) return;
    this.counters.sent++;
    e.socket.send(encodeBfd(packet), this.port, e.spec.neighborIp, () => undefined);
  }

  private arm(e: Entry): void {
    if (!this.running) return;
    const at = nextWakeMs(e.session);
    if (at === undefined) {
      if (e.timer) clearTimeout(e.timer);
      e.timer = undefined;
      e.timerAtMs = Infinity;
      return;
    }
    if (e.timer && at === e.timerAtMs) return;
    if (e.timer) clearTimeout(e.timer);
    e.timerAtMs = at;
    e.timer = setTimeout(() => {
      e.timer = undefined;
      e.timerAtMs = Infinity;
      if (!this.running) return;
      this.apply(e, onTimer(e.session, this.now(), this.prng));
    }, Math.max(0, at - this.now()));
  }
}

function bindSocket(sock: Socket, address: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const onError = (err: NodeJS.ErrnoException): void => resolve(`${err.code ?? 'EIO'}: ${err.message}`);
    sock.once('error', onError);
    sock.bind({ address, port, exclusive: true }, () => {
      sock.off('error', onError);
      resolve(undefined);
    });
  });
}

function sameAddress(a: string, b: string): boolean {
  if (a === b) return true;
  const strip = (x: string): string => (x.startsWith('::ffff:') ? x.slice(7) : x).toLowerCase();
  return strip(a) === strip(b);
}
