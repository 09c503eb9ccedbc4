import http from 'node:http';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type AppDeps } from '../../src/api/app.ts';
import { webhookRoutes } from '../../src/api/routes/webhooks.ts';
import { jobRoutes } from '../../src/api/routes/jobs.ts';
import { loadConfig } from '../../src/config/config.ts';
import { createLogger, redactSecrets } from '../../src/logging.ts';
import { createQueue } from '../../src/queue/create-queue.ts';
import type { JobQueue } from '../../src/queue/queue.ts';
import { uniqueName } from '../support/services.ts';
import { tempDir } from '../support/tmp.ts';
import { event, v3Headers } from '../webhooks/webhook-app.ts';

const ADMIN = 'admin-secret-token-0001';
const READER = 'reader-secret-token-002';
const CLIENT_SECRET = 'webhook-client-secret-x';
const tmp = tempDir('hsai-security-');
let queue: JobQueue;

beforeAll(async () => {
  queue = await createQueue({ dataDir: tmp.dir, prefix: uniqueName('sec'), defaultMaxAttempts: 3 });
});
afterAll(async () => {
  await queue.close();
  tmp.cleanup();
});

/** The real app (auth, limiter, error format, request logs) with the jobs and webhook routes. */
async function app(over: Partial<AppDeps> = {}): Promise<FastifyInstance> {
  return buildApp({
    tokens: [
      { token: ADMIN, role: 'admin', name: 'ops' },
      { token: READER, role: 'reader', name: 'rita' },
    ],
    rateLimitPerMinute: 10,
    routes: [
      { name: 'jobs', plugin: jobRoutes, opts: { queue } },
      { name: 'webhooks', plugin: webhookRoutes, opts: { queue, clientSecret: CLIENT_SECRET, allowedVersions: ['v3'], maxBodyBytes: 64 * 1024, publicUrl: 'https://hooks.example.com' } },
    ],
    ...over,
  });
}

function statuses(rs: Array<{ statusCode: number }>): Record<number, number> {
  const out: Record<number, number> = {};
  for (const r of rs) out[r.statusCode] = (out[r.statusCode] ?? 0) + 1;
  return out;
}

describe('API security', () => {
  it('rate-limits a flood of wrong tokens per client address, before authentication', async () => {
    const a = await app();
    try {
      const flood = [];
      for (let i = 0; i < 25; i++) flood.push(await a.inject({ url: '/v1/jobs/stats', headers: { authorization: `Bearer guess-${i}-xxxxxxxx` } }));
      expect(statuses(flood)).toEqual({ 401: 10, 429: 15 });
      const limited = flood.at(-1)!;
      expect(limited.json().error.code).toBe('RATE_LIMITED');
      expect(limited.headers['retry-after']).toBeDefined();
      // Anonymous requests from that address share its budget; a valid token has a budget of its own.
      expect((await a.inject({ url: '/v1/jobs/stats' })).statusCode).toBe(429);
      expect((await a.inject({ url: '/v1/jobs/stats', headers: { authorization: `Bearer ${ADMIN}` } })).statusCode).toBe(200);
      // Another address is not affected.
      expect((await a.inject({ url: '/v1/jobs/stats', remoteAddress: '10.1.2.3', headers: { authorization: 'Bearer wrong-token-123' } })).statusCode).toBe(401);
      // Probes and HubSpot's deliveries are never limited.
      expect((await a.inject({ url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await a.close();
    }
  });

  it('ignores a spoofed X-Forwarded-For unless TRUST_PROXY trusts the peer', async () => {
    const spoofed = (a: FastifyInstance, i: number, remoteAddress = '127.0.0.1') =>
      a.inject({ url: '/v1/jobs/stats', remoteAddress, headers: { 'x-forwarded-for': `203.0.113.${i}`, authorization: 'Bearer not-a-token-000' } });

    const direct = await app();
    try {
      // Each request claims another address; without trusted proxies they all count against the peer's budget.
      const rs = [];
      for (let i = 0; i < 12; i++) rs.push(await spoofed(direct, i));
      expect(statuses(rs)).toEqual({ 401: 10, 429: 2 });
    } finally {
      await direct.close();
    }

    const behindOne = await app({ trustProxy: loadConfig({ TRUST_PROXY: '1' }).TRUST_PROXY });
    try {
      const rs = [];
      for (let i = 0; i < 12; i++) rs.push(await spoofed(behindOne, i));
      expect(statuses(rs)).toEqual({ 401: 12 }); // one proxy in front: its X-Forwarded-For is the client
    } finally {
      await behindOne.close();
    }

    const listed = await app({ trustProxy: loadConfig({ TRUST_PROXY: '10.0.0.0/8' }).TRUST_PROXY });
    try {
      const fromProxy = [];
      const fromElsewhere = [];
      for (let i = 0; i < 12; i++) fromProxy.push(await spoofed(listed, i, '10.0.0.5'));
      for (let i = 0; i < 12; i++) fromElsewhere.push(await spoofed(listed, i, '192.0.2.7'));
      expect(statuses(fromProxy)).toEqual({ 401: 12 });
      expect(statuses(fromElsewhere)).toEqual({ 401: 10, 429: 2 });
    } finally {
      await listed.close();
    }
  });

  it('accepts the Bearer scheme in any case', async () => {
    const a = await app({ rateLimitPerMinute: 100 });
    try {
      for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
        expect((await a.inject({ url: '/v1/jobs/stats', headers: { authorization: `${scheme} ${ADMIN}` } })).statusCode).toBe(200);
      }
      expect((await a.inject({ url: '/v1/jobs/stats', headers: { authorization: `Basic ${ADMIN}` } })).statusCode).toBe(401);
      expect((await a.inject({ url: '/v1/jobs/stats', headers: { authorization: ADMIN } })).statusCode).toBe(401);
    } finally {
      await a.close();
    }
  });

  it('never writes a token to the log, whatever carries it', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    const logger = createLogger('trace', 'hubspot-ai', sink);
    const a = await app({ logger, rateLimitPerMinute: 100 });
    const secrets = [ADMIN, READER, 'review-link-token-77', 'wrong-token-guess-99', 'refresh-abc-123456', CLIENT_SECRET];
    try {
      await a.inject({ url: `/review?token=${secrets[2]}` });
      await a.inject({ url: `/v1/jobs/stats?access_token=${ADMIN}&x=1`, headers: { authorization: `Bearer ${ADMIN}` } });
      await a.inject({ url: '/v1/jobs/stats', headers: { authorization: `bearer ${secrets[3]}` } });
      await a.inject({ url: '/v1/jobs/stats', headers: { authorization: `Bearer ${READER}` } }); // 403
      await a.inject({ method: 'POST', url: `/webhooks/hubspot?refresh_token=${secrets[4]}`, payload: '[]', headers: { 'content-type': 'application/json' } });
      logger.error(new Error(`upstream said: GET https://x.example/cb?code=abc&client_secret=${CLIENT_SECRET} failed`), 'callback failed');
      logger.warn({ url: `https://x.example/?token=${ADMIN}`, err: `Authorization: Bearer ${READER}` }, 'free text with Bearer %s', READER);
      logger.flush();
    } finally {
      await a.close();
    }
    expect(lines.length).toBeGreaterThan(8);
    const leaked = lines.filter((l) => secrets.some((s) => l.includes(s)));
    expect(leaked).toEqual([]);
    expect(lines.some((l) => l.includes('token=[redacted]'))).toBe(true);
    // The redaction is pattern-based text surgery: it keeps what is not a secret.
    expect(redactSecrets('/v1/audit?limit=5&token=abc&trace=true')).toBe('/v1/audit?limit=5&token=[redacted]&trace=true');
    expect(redactSecrets('postgres://app:pw@db:5432/x')).toBe('postgres://app:[redacted]@db:5432/x');
  });

  it('answers an oversized webhook body with 413 after reading it, not with a reset connection', async () => {
    const a = await app();
    const address = await a.listen({ port: 0, host: '127.0.0.1' });
    try {
      const { port } = new URL(address);
      // A client that writes the whole body before reading the answer (as most HTTP libraries do).
      const body = Buffer.alloc(8 * 1024 * 1024, 0x61);
      // Settles when the exchange is over: an error while sending (EPIPE, ECONNRESET) counts even after an answer.
      const answer = await new Promise<{ status: number; body: string; error?: string }>((resolve) => {
        const out: { status: number; body: string; error?: string } = { status: 0, body: '' };
        const req = http.request(
          { host: '127.0.0.1', port, path: '/webhooks/hubspot', method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': body.length } },
          (res) => {
            out.status = res.statusCode ?? 0;
            res.on('data', (d: Buffer) => (out.body += d.toString()));
          },
        );
        req.on('error', (err: NodeJS.ErrnoException) => (out.error ??= err.code));
        req.on('close', () => resolve(out));
        for (let i = 0; i < body.length; i += 64 * 1024) req.write(body.subarray(i, i + 64 * 1024));
        req.end();
      });
      expect(answer.error).toBeUndefined();
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body).error.code).toBe('PAYLOAD_TOO_LARGE');
      // A delivery within the limit still goes through on the same server.
      const ok = JSON.stringify([event({ subscriptionType: 'contact.creation', objectId: 5 })]);
      const now = Date.now();
      const r = await fetch(`${address}/webhooks/hubspot`, { method: 'POST', body: ok, headers: v3Headers('/webhooks/hubspot', ok, now, CLIENT_SECRET, 'https://hooks.example.com') });
      expect(r.status).toBe(200);
    } finally {
      await a.close();
    }
  });
});
