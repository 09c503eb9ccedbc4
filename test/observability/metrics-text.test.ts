import client from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ContainerMetrics, metricsText } from '../../src/metrics.ts';

// One sample line of the Prometheus text format: a name, optional labels, a value Prometheus parses.
const SAMPLE_LINE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)( \d+)?$/;

describe('/metrics text', () => {
  it('writes a NaN sample as NaN (prom-client writes `Nan`, which Prometheus rejects), and every line parses', async () => {
    const metrics = new ContainerMetrics();
    new client.Gauge({ name: 'hubspot_ai_test_not_a_number', help: 'A gauge without a value yet.', registers: [metrics.registry] }).set(Number.NaN);
    const { body } = await metricsText(metrics);
    expect(body).toMatch(/^hubspot_ai_test_not_a_number NaN$/m);
    expect(body).not.toMatch(/ Nan$/m);
    const samples = body.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(samples.length).toBeGreaterThan(10);
    for (const l of samples) expect(l).toMatch(SAMPLE_LINE);
    metrics.close();
  });
});
