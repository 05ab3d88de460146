/**
 * halo's local control socket: a Unix stream socket served by the supervisor (`halo run`), the
 * first piece of halo's API. Requests and replies are newline-delimited JSON, one object per
 * line: `{"op":"step-down","instance":"VI_1"}` → `{"ok":true,...}`. A failed request answers
 * `{"ok":false,"error":{"code":"HALO_CTL_...","message":"..."}}` and changes nothing.
 *
 * It is a small router: each operation is a handler registered by name (`handle(op, fn)`), so
 * other parts of halo add theirs without touching this file. Access control is the file system:
 * the socket is mode 0600 in a directory halo creates mode 0700 (root-owned when halo runs as
 * root), as for other daemons' local control sockets.
 *
 * Bounds: at most `maxConnections` clients, lines of at most `maxLineBytes`, one request handled
 * at a time per connection (a client sends the next after the reply), and an idle timeout.
 */
import { chmodSync, mkdirSync, unlinkSync, lstatSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { ErrorCode } from '../core/errors/index.js';

export const DEFAULT_CONTROL_SOCKET = '/run/halo/halo.sock';

export type ControlRequest = Readonly<Record<string, unknown>> & { readonly op: string };

export type ControlReply =
  | ({ readonly ok: true } & Readonly<Record<string, unknown>>)
  | { readonly ok: false; readonly error: { readonly code: ErrorCode; readonly message: string } };

export type ControlHandler = (request: ControlRequest) => ControlReply | Promise<ControlReply>;

export function refuse(code: ErrorCode, message: string): ControlReply {
  return { ok: false, error: { code, message } };
}

export interface ControlServerOptions {
  readonly path: string;
  readonly maxConnections?: number;
  readonly maxLineBytes?: number;
  readonly idleTimeoutMs?: number;
  readonly log?: (level: 'info' | 'warn' | 'error', code: ErrorCode | undefined, message: string) => void;
}

const DEFAULTS = { maxConnections: 16, maxLineBytes: 64 * 1024, idleTimeoutMs: 30_000 };

export class ControlServer {
  private readonly handlers = new Map<string, ControlHandler>();
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly o: Required<Omit<ControlServerOptions, 'log'>> & Pick<ControlServerOptions, 'log'>;

  constructor(options: ControlServerOptions) {
    this.o = { ...DEFAULTS, ...options };
  }

  /** Registers an operation; a second handler for the same op replaces nothing and returns false. */
  handle(op: string, handler: ControlHandler): boolean {
    if (this.handlers.has(op)) return false;
    this.handlers.set(op, handler);
    return true;
  }

  ops(): string[] {
    return [...this.handlers.keys()].sort();
  }

  /** Runs one request through the router (also what each line on the socket goes through). */
  async dispatch(line: string): Promise<ControlReply> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (e) {
      return refuse('HALO_CTL_BAD_REQUEST', `Request is not JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return refuse('HALO_CTL_BAD_REQUEST', 'Request is not a JSON object');
    const op = (parsed as Record<string, unknown>)['op'];
    if (typeof op !== 'string') return refuse('HALO_CTL_BAD_REQUEST', 'Request has no "op" string');
    const handler = this.handlers.get(op);
    if (handler === undefined) return refuse('HALO_CTL_UNKNOWN_OP', `Unknown op: ${op} (known: ${this.ops().join(', ')})`);
    try {
      return await handler(parsed as ControlRequest);
    } catch (e) {
      return refuse('HALO_CTL_REFUSED', `${op} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /**
   * Creates the directory (0700) if missing, replaces a stale socket file (one nobody answers
   * on), refuses to take over a live one, listens and sets mode 0600.
   */
  async listen(): Promise<{ ok: true } | { ok: false; error: string }> {
    const path = this.o.path;
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      if (existsAsSocket(path)) {
        if (await answers(path)) return { ok: false, error: `${path} is served by another process` };
        unlinkSync(path);
      }
    } catch (e) {
      return { ok: false, error: e instanceof Error ? e.message : String(e) };
    }
    const server = createServer({ allowHalfOpen: false }, (s) => this.accept(s));
    server.maxConnections = this.o.maxConnections;
    const r = await new Promise<{ ok: true } | { ok: false; error: string }>((resolve) => {
      server.once('error', (e) => resolve({ ok: false, error: e.message }));
      // The umask makes the socket private from the start; chmod below makes it exact.
      const oldMask = process.umask(0o177);
      try {
        server.listen(path, () => resolve({ ok: true }));
      } finally {
        process.umask(oldMask);
      }
    });
    if (!r.ok) return r;
    try {
      chmodSync(path, 0o600);
    } catch (e) {
      server.close();
      return { ok: false, error: e instanceof Error ? e.message : String(e) };
    }
    server.on('error', (e) => this.o.log?.('error', 'HALO_CTL_SOCKET_FAILED', `Control socket ${path}: ${e.message}`));
    this.server = server;
    return { ok: true };
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    try {
      unlinkSync(this.o.path);
    } catch {
      // Already gone.
    }
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.setEncoding('utf8');
    socket.setTimeout(this.o.idleTimeoutMs, () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffered = '';
    let busy = false;
    const pending: string[] = [];
    const next = (): void => {
      if (busy) return;
      const line = pending.shift();
      if (line === undefined) return;
      busy = true;
      void this.dispatch(line).then((reply) => {
        busy = false;
        if (!socket.destroyed) socket.write(`${JSON.stringify(reply)}\n`);
        next();
      });
    };
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (line.length > 0) pending.push(line);
      }
      // One request at a time per client, and a bounded backlog of them.
      if (Buffer.byteLength(buffered) > this.o.maxLineBytes || pending.length > 64) {
        socket.end(`${JSON.stringify(refuse('HALO_CTL_BAD_REQUEST', `Request line longer than ${this.o.maxLineBytes} bytes or too many queued requests`))}\n`);
        pending.length = 0;
        buffered = '';
        return;
      }
      next();
    });
  }
}

function existsAsSocket(path: string): boolean {
  try {
    return lstatSync(path).isSocket();
  } catch {
    return false;
  }
}

/** True when something accepts connections on the socket (bounded to 500 ms). */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection(path);
    const done = (v: boolean): void => {
      clearTimeout(t);
      c.destroy();
      resolve(v);
    };
    const t = setTimeout(() => done(false), 500);
    c.once('connect', () => done(true));
    c.once('error', () => done(false));
  });
}

/**
 * One request over the socket, for `halo step-down`, `halo status` and tests: connects, sends one
 * line, reads one line, closes. Never throws: a failure is a `HALO_CTL_UNREACHABLE` reply.
 */
export function controlRequest(path: string, request: ControlRequest, timeoutMs = 5000): Promise<ControlReply> {
  return new Promise((resolve) => {
    let buffered = '';
    let settled = false;
    const c = createConnection(path);
    const finish = (reply: ControlReply): void => {
      if (settled) return;
      settled = true;
      clearTimeout(t);
      c.destroy();
      resolve(reply);
    };
    const t = setTimeout(() => finish(refuse('HALO_CTL_UNREACHABLE', `No answer on ${path} within ${timeoutMs} ms`)), timeoutMs);
    c.setEncoding('utf8');
    c.once('connect', () => c.write(`${JSON.stringify(request)}\n`));
    c.on('data', (chunk: string) => {
      buffered += chunk;
      const nl = buffered.indexOf('\n');
      if (nl < 0) return;
      try {
        const reply = JSON.parse(buffered.slice(0, nl)) as ControlReply;
        finish(typeof reply === 'object' && reply !== null && typeof reply.ok === 'boolean' ? reply : refuse('HALO_CTL_UNREACHABLE', `Malformed reply on ${path}`));
      } catch {
        finish(refuse('HALO_CTL_UNREACHABLE', `Malformed reply on ${path}`));
      }
    });
    c.once('error', (e) => finish(refuse('HALO_CTL_UNREACHABLE', `Cannot reach ${path}: ${e.message}`)));
    c.once('close', () => finish(refuse('HALO_CTL_UNREACHABLE', `${path} closed the connection without answering`)));
  });
}
