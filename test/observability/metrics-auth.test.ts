import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { silentLogger } from '../../src/logging.ts';
import { ContainerMetrics } from '../../src/metrics.ts';
import { createContainer } from '../../src/runtime/container.ts';
import { startWorkerListener } from '../../src/runtime/worker-listener.ts';
import { tempDir } from '../support/tmp.ts';

const TOKEN = 'metrics-scrape-token-0123456789';
const API_TOKEN = 'an-admin-api-token-0123456789';
const tmp = tempDir('hsai-metrics-auth-');
afterAll(() => tmp.cleanup());

const env = (extra: Record<string, string> = {}) => ({ DATA_DIR: tmp.dir, HUBSPOT_ACCESS_TOKEN: 'unused', REDIS_URL: '', DATABASE_URL: '', QDRANT_URL: '', ...extra });

function countJob(m: ContainerMetrics, portalId: string): void {
  m.portalJobs.inc({ portal: m.portalLabel(portalId), type: 'ingest.account', outcome: 'completed' });
}

describe('/metrics with METRICS_TOKEN', () => {
  it('answers 401 without the bearer token (and with a wrong one, or an API token), the metrics with it', async () => {
    const metrics = new ContainerMetrics({ portalLabels: { ids: true } });
    countJob(metrics, '424242');
    const app = await buildApp({ tokens: [{ token: API_TOKEN, role: 'admin', name: 'ada' }], containerMetrics: metrics, metricsToken: TOKEN });
    try {
      for (const headers of [{}, { authorization: `Bearer ${TOKEN}x` }, { authorization: `Bearer ${API_TOKEN}` }, { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` }]) {
        const r = await app.inject({ url: '/metrics', headers });
        expect(r.statusCode, JSON.stringify(headers)).toBe(401);
        expect(r.headers['www-authenticate']).toBe('Bearer realm="metrics"');
        expect(r.json().error.code).toBe('UNAUTHORIZED');
        expect(r.body).not.toContain('424242');
      }
      const ok = await app.inject({ url: '/metrics', headers: { authorization: `bearer ${TOKEN}` } });
      expect(ok.statusCode).toBe(200);
      expect(ok.body).toMatch(/hubspot_ai_portal_jobs_total\{portal="424242",type="ingest\.account",outcome="completed"\} 1/);
      // The probes stay open to the orchestrator.
      expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('the worker listener asks for the same token', async () => {
    const c = createContainer(loadConfig(env({ METRICS_TOKEN: TOKEN })), silentLogger);
    const app = await startWorkerListener(c, { port: 0, host: '127.0.0.1' });
    try {
      const { port } = app.server.address() as { port: number };
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(401);
      expect((await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    } finally {
      await app.close();
      await c.close();
    }
  });

  it('is read from METRICS_TOKEN_FILE, and a short token is a configuration error', () => {
    const file = path.join(tmp.dir, 'metrics-token');
    fs.writeFileSync(file, `${TOKEN}\n`);
    expect(loadConfig(env({ METRICS_TOKEN_FILE: file })).METRICS_TOKEN).toBe(TOKEN);
    expect(() => loadConfig(env({ METRICS_TOKEN: 'short' }))).toThrow(/METRICS_TOKEN/);
  });
});

describe('/metrics without METRICS_TOKEN', () => {
  it('stays open and names no portal: every portal counts under portal="all"', async () => {
    const open = createContainer(loadConfig(env({ METRICS_PORTALS: '424242' })), silentLogger);
    const guarded = createContainer(loadConfig(env({ METRICS_TOKEN: TOKEN, METRICS_PORTALS: '424242' })), silentLogger);
    try {
      countJob(open.metrics, '424242');
      countJob(open.metrics, '777');
      countJob(open.metrics, '');
      const app = await buildApp({ tokens: [], containerMetrics: open.metrics });
      const r = await app.inject({ url: '/metrics' });
      await app.close();
      expect(r.statusCode).toBe(200);
      expect(r.body).toMatch(/hubspot_ai_portal_jobs_total\{portal="all",type="ingest\.account",outcome="completed"\} 2/);
      expect(r.body).toMatch(/hubspot_ai_portal_jobs_total\{portal="none",type="ingest\.account",outcome="completed"\} 1/);
      expect(r.body).not.toMatch(/424242|portal="777"/);
      // With the token configured, the same settings label the allowed portal by id.
      expect([guarded.metrics.portalLabel('424242'), guarded.metrics.portalLabel('777')]).toEqual(['424242', 'other']);
    } finally {
      await open.close();
      await guarded.close();
    }
  });
});
