/**
 * Email on transitions (`notification_email`, `notification_email_from`, `smtp_server host [port]`,
 * `smtp_connect_timeout`, `smtp_alert`), sent with nodemailer over plain SMTP like keepalived
 * (no STARTTLS unless asked: keepalived's relay is usually a local MTA).
 *
 * Subjects and bodies read like keepalived's so existing mail filters keep working:
 *   [LVS_DEVEL] VRRP Instance VI_1 - Entering MASTER state
 *   => VRRP Instance is now owning VRRP VIPs <=
 *
 * Mail goes out one message at a time from a bounded queue, in order. A dead or slow server costs
 * only the mail queue's time (each attempt is bounded by the connect timeout); no other channel
 * waits for it, and a failure is a logged event, never an exception.
 */
import { hostname } from 'node:os';
import nodemailer from 'nodemailer';
import type { LogSink } from './log.js';
import type { LvsEvent, TransitionEvent } from './events.js';

export interface EmailConfig {
  readonly to: readonly string[];
  /** `notification_email_from`; default `halo@<hostname>`. */
  readonly from?: string;
  readonly host: string;
  /** Default 25. */
  readonly port?: number;
  /** `smtp_connect_timeout` in ms; keepalived's default is 30 s. */
  readonly connectTimeoutMs?: number;
  /** `router_id`, shown in brackets at the start of the subject; default the host name. */
  readonly routerId?: string;
  /** halo extension: use STARTTLS when the server offers it. */
  readonly startTls?: boolean;
  readonly maxQueued?: number;
}

export interface MailMessage {
  readonly subject: string;
  readonly body: string;
}

export function transitionMail(routerId: string, e: TransitionEvent): MailMessage {
  const what = e.scope === 'INSTANCE' ? `VRRP Instance ${e.name}` : `VRRP Group ${e.name}`;
  const subject = `[${routerId}] ${what} - Entering ${e.state} state`;
  let line: string;
  if (e.scope === 'GROUP') line = `=> All VRRP group instances are now in ${e.state} state <=`;
  else if (e.state === 'MASTER') line = '=> VRRP Instance is now owning VRRP VIPs <=';
  else line = '=> VRRP Instance is no longer owning VRRP VIPs <=';
  const details = [line, '', `Priority: ${e.priority}`];
  if (e.previousState) details.push(`Previous state: ${e.previousState}`);
  if (e.cause) details.push(`Cause: ${e.cause}`);
  return { subject, body: `${details.join('\n')}\n` };
}

export function lvsMail(routerId: string, e: LvsEvent): MailMessage {
  if (e.kind === 'VS') return { subject: `[${routerId}] Virtual Server ${e.vs} - ${e.up ? 'UP' : 'DOWN'}`, body: `=> Virtual server ${e.vs} is ${e.up ? 'up' : 'down'} <=\n` };
  return { subject: `[${routerId}] Realserver ${e.rs} of virtual server ${e.vs} - ${e.up ? 'UP' : 'DOWN'}`, body: `=> ${e.up ? 'CHECK succeed on service' : 'CHECK failed on service'} <=\n` };
}

export class EmailNotifier {
  private readonly queue: MailMessage[] = [];
  private sending = false;
  private readonly transport: ReturnType<typeof nodemailer.createTransport>;
  private readonly idleWaiters: (() => void)[] = [];
  readonly counters = { sent: 0, failed: 0, dropped: 0 };

  constructor(private readonly config: EmailConfig, private readonly log: LogSink) {
    const timeout = config.connectTimeoutMs ?? 30_000;
    this.transport = nodemailer.createTransport({
      host: config.host,
      port: config.port ?? 25,
      secure: false,
      ignoreTLS: !config.startTls,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      // halo's own name in the greeting rather than whatever the resolver says.
      name: hostname(),
    });
  }

  get routerId(): string {
    return this.config.routerId ?? hostname();
  }

  send(message: MailMessage): void {
    if (this.config.to.length === 0) return;
    this.queue.push(message);
    const max = this.config.maxQueued ?? 100;
    if (this.queue.length > max) {
      const dropped = this.queue.shift() as MailMessage;
      this.counters.dropped++;
      this.log({ level: 'warn', code: 'HALO_NTF_QUEUE_FULL', message: `Dropped email "${dropped.subject}": ${max} emails already waiting for ${this.config.host}` });
    }
    void this.drain();
  }

  idle(): Promise<void> {
    if (!this.sending && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    this.transport.close();
  }

  private async drain(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.queue.length > 0) {
        const m = this.queue.shift() as MailMessage;
        try {
          await this.transport.sendMail({
            from: this.config.from ?? `halo@${hostname()}`,
            to: [...this.config.to],
            subject: m.subject,
            text: m.body,
            headers: { 'X-Mailer': 'halo' },
          });
          this.counters.sent++;
        } catch (e) {
          this.counters.failed++;
          const err = e as { code?: string; message?: string };
          this.log({ level: 'warn', code: 'HALO_NTF_SMTP_FAILED', message: `Cannot send email "${m.subject}" through ${this.config.host}:${this.config.port ?? 25}: ${err.code ?? err.message ?? String(e)}` });
        }
      }
    } finally {
      this.sending = false;
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }
}
