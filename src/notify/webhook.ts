/**
 * Webhooks (halo extension): each transition is POSTed as JSON to every configured URL.
 *
 * Delivery is in order per URL (one request at a time), with retries on network errors, timeouts,
 * 5xx, 408 and 429, waiting `backoffBaseMs` × 2^(attempt-1) (capped at `backoffMaxMs`, ±20 %
 * jitter so a fleet does not retry in step). Other 4xx answers are final. An event that fails
 * `maxAttempts` times is dropped and logged; the queue holds at most `maxQueued` events and drops
 * the oldest when full. Nothing here throws or blocks the caller.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LogSink } from './log.js';

export interface WebhookConfig {
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Per request; default 5000 ms. */
  readonly timeoutMs?: number;
  /** Attempts per event, first included; default 5. */
  readonly maxAttempts?: number;
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  readonly maxQueued?: number;
}

export class WebhookNotifier {
  private readonly queue: unknown[] = [];
  private sending = false;
  private closed = false;
  private wait: { timer: NodeJS.Timeout; resolve: () => void } | null = null;
  private readonly idleWaiters: (() => void)[] = [];
  readonly counters = { delivered: 0, failed: 0, retries: 0, dropped: 0 };

  constructor(private readonly config: WebhookConfig, private readonly log: LogSink) {}

  post(payload: unknown): void {
    if (this.closed) return;
    this.queue.push(payload);
    const max = this.config.maxQueued ?? 100;
    if (this.queue.length > max) {
      this.queue.shift();
      this.counters.dropped++;
      this.log({ level: 'warn', code: 'HALO_NTF_QUEUE_FULL', message: `Dropped the oldest webhook event for ${this.config.url}: ${max} already waiting` });
    }
    void this.drain();
  }

  idle(): Promise<void> {
    if (!this.sending && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
    if (this.wait) {
      clearTimeout(this.wait.timer);
      this.wait.resolve();
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wait = null;
        resolve();
      }, ms);
      this.wait = { timer, resolve };
    });
  }

  /**
   * One attempt: null on success, else the reason and whether another attempt may help. Uses
   * node:http rather than fetch: fetch loads its HTTP stack lazily, and that first call costs tens
   * of milliseconds of blocked event loop that a VRRP process must not pay mid-transition.
   */
  private attempt(body: string): Promise<{ reason: string; retry: boolean } | null> {
    const timeoutMs = this.config.timeoutMs ?? 5000;
    return new Promise((resolve) => {
      let url: URL;
      try {
        url = new URL(this.config.url);
      } catch {
        resolve({ reason: `invalid URL ${this.config.url}`, retry: false });
        return;
      }
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      let settled = false;
      const done = (r: { reason: string; retry: boolean } | null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(r);
      };
      const req = send(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'halo', ...this.config.headers },
      }, (res) => {
        res.resume(); // drain so the socket is freed
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) done(null);
          else done({ reason: `HTTP ${status}`, retry: status >= 500 || status === 408 || status === 429 });
        });
        res.on('error', (e: NodeJS.ErrnoException) => done({ reason: e.code ?? e.message, retry: true }));
      });
      // One deadline for the whole exchange: connect, send and answer.
      const timer = setTimeout(() => {
        req.destroy();
        done({ reason: `timed out after ${timeoutMs} ms`, retry: true });
      }, timeoutMs);
      req.on('error', (e: NodeJS.ErrnoException) => done({ reason: e.code ?? e.message, retry: true }));
      req.end(body);
    });
  }

  private async drain(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const body = JSON.stringify(this.queue.shift());
        const maxAttempts = Math.max(1, this.config.maxAttempts ?? 5);
        let failure: { reason: string; retry: boolean } | null = null;
        for (let attempt = 1; attempt <= maxAttempts && !this.closed; attempt++) {
          failure = await this.attempt(body);
          if (failure === null || !failure.retry || attempt === maxAttempts) break;
          this.counters.retries++;
          const base = Math.min((this.config.backoffBaseMs ?? 500) * 2 ** (attempt - 1), this.config.backoffMaxMs ?? 30_000);
          await this.sleep(base * (0.8 + 0.4 * Math.random()));
        }
        if (failure === null) this.counters.delivered++;
        else {
          this.counters.failed++;
          this.log({ level: 'warn', code: 'HALO_NTF_WEBHOOK_FAILED', message: `Webhook ${this.config.url} failed: ${failure.reason}${failure.retry ? ` after ${maxAttempts} attempts` : ''}` });
        }
      }
    } finally {
      this.sending = false;
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }
}
