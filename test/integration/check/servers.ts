/** Small real servers on loopback for the checker tests. Each returns a close() and its port. */
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as httpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as httpsServer } from 'node:https';
import { createServer as tcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';

export interface Running {
  readonly port: number;
  close(): Promise<void>;
}

function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

function track(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    // The probes close with a reset (no TIME_WAIT); that is an error event on this side.
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  return sockets;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

export async function startHttp(handler: Handler, host = '127.0.0.1'): Promise<Running> {
  const server = httpServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => handler(req, res, body));
  });
  const sockets = track(server);
  await new Promise<void>((r) => server.listen(0, host, r));
  return { port: (server.address() as AddressInfo).port, close: () => closeServer(server, sockets) };
}

let certCache: { key: string; cert: string } | undefined;
/** A self-signed certificate for localhost, made with the openssl CLI once per process. */
export function selfSignedCert(): { key: string; cert: string } {
  if (certCache) return certCache;
  const dir = mkdtempSync(join(tmpdir(), 'halo-cert-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')], { stdio: 'ignore' });
    certCache = { key: readFileSync(join(dir, 'k.pem'), 'utf8'), cert: readFileSync(join(dir, 'c.pem'), 'utf8') };
    return certCache;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startHttps(handler: Handler, onSni?: (name: string) => void): Promise<Running> {
  const { key, cert } = selfSignedCert();
  const server = httpsServer({ key, cert }, (req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => handler(req, res, body));
  });
  if (onSni) server.on('secureConnection', (s: { servername?: string | false }) => onSni(typeof s.servername === 'string' ? s.servername : ''));
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, close: () => closeServer(server, sockets) };
}

/** A raw TCP server: `onSocket` does what it likes (reset, stall, garbage). */
export async function startTcp(onSocket: (s: Socket) => void, host = '127.0.0.1'): Promise<Running> {
  const server = tcpServer(onSocket);
  const sockets = track(server);
  await new Promise<void>((r) => server.listen(0, host, r));
  return { port: (server.address() as AddressInfo).port, close: () => closeServer(server, sockets) };
}

export type DnsMode = 'ok' | 'servfail' | 'empty' | 'wrong-id' | 'silent';

export async function startDns(mode: () => DnsMode): Promise<Running> {
  const sock = createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    const m = mode();
    if (m === 'silent') return;
    let q: dnsPacket.Packet;
    try {
      q = dnsPacket.decode(msg);
    } catch {
      return;
    }
    const question = q.questions?.[0];
    if (!question) return;
    const answers: dnsPacket.Answer[] =
      m === 'ok' || m === 'wrong-id'
        ? question.type === 'A'
          ? [{ type: 'A', name: question.name, ttl: 60, data: '127.0.0.1' }]
          : [{ type: 'SOA', name: question.name, ttl: 60, data: { mname: 'ns.test', rname: 'admin.test', serial: 1, refresh: 60, retry: 60, expire: 60, minimum: 60 } }]
        : [];
    const reply = dnsPacket.encode({
      type: 'response',
      id: m === 'wrong-id' ? ((q.id ?? 0) + 1) & 0xffff : q.id ?? 0,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | (m === 'servfail' ? 2 : 0),
      questions: [question],
      answers,
    });
    sock.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  return { port: sock.address().port, close: () => new Promise((r) => sock.close(() => r())) };
}

export type SmtpMode = 'ok' | 'bad-greeting' | 'bad-helo' | 'silent';

export function startSmtp(mode: () => SmtpMode): Promise<Running> {
  return startTcp((s) => {
    const m = mode();
    if (m === 'silent') return;
    s.write(m === 'bad-greeting' ? '554 no service\r\n' : '220-smtp.test ESMTP\r\n220 ready\r\n');
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.length > 4096) return s.destroy();
      while (buf.includes('\r\n')) {
        const line = buf.slice(0, buf.indexOf('\r\n'));
        buf = buf.slice(buf.indexOf('\r\n') + 2);
        if (/^HELO /i.test(line)) s.write(m === 'bad-helo' ? '501 bad helo\r\n' : '250 smtp.test\r\n');
        else if (/^QUIT/i.test(line)) {
          s.end('221 bye\r\n');
          return;
        }
      }
    });
    s.on('error', () => undefined);
  });
}

export async function startUdpEcho(reply: (msg: Buffer) => Buffer | undefined): Promise<Running> {
  const sock = createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    const out = reply(msg);
    if (out) sock.send(out, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  return { port: sock.address().port, close: () => new Promise((r) => sock.close(() => r())) };
}

/** A loopback port that nothing listens on (bound then closed). */
export async function freePort(kind: 'tcp' | 'udp'): Promise<number> {
  if (kind === 'udp') {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    const p = s.address().port;
    await new Promise<void>((r) => s.close(() => r()));
    return p;
  }
  const srv = tcpServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const p = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return p;
}
