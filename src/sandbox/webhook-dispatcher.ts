import { createHash, createHmac } from 'node:crypto';
import type { Logger } from './logger.ts';
import type { WebhookEvent } from './webhook-events.ts';

/**
 * Delivers events the way HubSpot does: gathered for `batchMs`, POSTed in batches of at most 100, at most 10
 * requests in flight, v3-signed (plus the legacy v1 header), and retried on non-2xx answers and timeouts with a
 * growing `attemptNumber`. HubSpot retries 10 times over 24 hours; the sandbox compresses that schedule.
 */

export interface DispatcherOptions {
  target: string;
  clientSecret: string;
  batchMs: number;
  logger: Logger;
  maxAttempts?: number;
  /** First retry delay; each further retry doubles it. */
  retryBaseMs?: number;
  timeoutMs?: number;
  /** Injectable for tests of signing; defaults to the wall clock. */
  clock?: () => number;
}

export const MAX_BATCH = 100;
const MAX_IN_FLIGHT = 10;

/** HubSpot's v3 signature: Base64 HMAC-SHA256 of method + uri + body + timestamp, keyed with the client secret. */
export function signV3(clientSecret: string, method: string, uri: string, body: string, timestamp: number): string {
  return createHmac('sha256', clientSecret).update(`${method}${uri}${body}${timestamp}`, 'utf8').digest('base64');
}

export class WebhookDispatcher {
  private buffer: WebhookEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private outstanding = 0;
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly slotWaiters: Array<() => void> = [];
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  /** Aborts deliveries in flight on close: a portal shutting down does not finish its sends. */
  private readonly stop = new AbortController();
  private closed = false;
  readonly stats = { requests: 0, delivered: 0, failedAttempts: 0, givenUp: 0 };

  constructor(private readonly opts: DispatcherOptions) {}

  enqueue(events: WebhookEvent[]): void {
    if (this.closed || events.length === 0) return;
    this.buffer.push(...events);
    this.timer ??= setTimeout(() => this.drain(), this.opts.batchMs);
  }

  /** Resolves when everything enqueued so far was answered 2xx or given up on. */
  async flush(): Promise<void> {
    this.drain();
    if (this.outstanding === 0) return;
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stop.abort();
    if (this.timer) clearTimeout(this.timer);
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    this.buffer = [];
    this.outstanding = 0;
    this.settle();
  }

  private drain(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.buffer.length > 0) {
      const batch = this.buffer.splice(0, MAX_BATCH);
      this.outstanding++;
      void this.attempt(batch, 0);
    }
  }

  private async attempt(batch: WebhookEvent[], attemptNumber: number): Promise<void> {
    if (this.closed) return;
    const events = batch.map((e) => ({ ...e, attemptNumber }));
    let ok = false;
    await this.slot();
    try {
      ok = await this.post(JSON.stringify(events));
    } finally {
      this.release();
    }
    if (this.closed) return;
    if (ok) {
      this.stats.delivered += events.length;
      return this.done();
    }
    this.stats.failedAttempts++;
    const max = this.opts.maxAttempts ?? 10;
    if (attemptNumber + 1 >= max) {
      this.stats.givenUp += events.length;
      this.opts.logger.warn({ events: events.length, attempts: max }, 'sandbox webhooks: giving up on a batch');
      return this.done();
    }
    const delay = (this.opts.retryBaseMs ?? 250) * 2 ** attemptNumber;
    const t = setTimeout(() => {
      this.retryTimers.delete(t);
      void this.attempt(batch, attemptNumber + 1);
    }, delay);
    this.retryTimers.add(t);
  }

  private async post(body: string): Promise<boolean> {
    const timestamp = (this.opts.clock ?? Date.now)();
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'HubSpot Connect 2.0 (http://dev.hubspot.com/) (sandbox)',
      'x-hubspot-signature': createHash('sha256').update(this.opts.clientSecret + body, 'utf8').digest('hex'),
      'x-hubspot-signature-version': 'v1',
      'x-hubspot-signature-v3': signV3(this.opts.clientSecret, 'POST', this.opts.target, body, timestamp),
      'x-hubspot-request-timestamp': String(timestamp),
    };
    this.stats.requests++;
    try {
      const signal = AbortSignal.any([this.stop.signal, AbortSignal.timeout(this.opts.timeoutMs ?? 5000)]);
      const res = await fetch(this.opts.target, { method: 'POST', headers, body, signal });
      await res.arrayBuffer().catch(() => undefined);
      return res.status >= 200 && res.status < 300;
    } catch (err) {
      this.opts.logger.debug({ err }, 'sandbox webhooks: delivery failed');
      return false;
    }
  }

  private async slot(): Promise<void> {
    if (this.inFlight < MAX_IN_FLIGHT) {
      this.inFlight++;
      return;
    }
    await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
    this.inFlight++;
  }

  private release(): void {
    this.inFlight--;
    this.slotWaiters.shift()?.();
  }

  private done(): void {
    this.outstanding--;
    this.settle();
  }

  private settle(): void {
    if (this.outstanding > 0 || this.buffer.length > 0) return;
    for (const w of this.waiting.splice(0)) w();
  }
}
