import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OFFLINE_EXTRACTIVE_V1 } from '../../src/agents/validation/offline-extractive-v1.ts';
import { startServiceStack, type ServiceStack } from '../support/service-stack.ts';

/**
 * The validation routes on the whole service (embedded default, sandbox portal): the records that cap the portal's
 * judgments, and a live validation of churn ratings and next steps against what happened after them.
 */
let s: ServiceStack;
beforeAll(async () => {
  s = await startServiceStack({ companies: 6 });
}, 180_000);
afterAll(async () => s?.close());

describe('validation routes', () => {
  it("lists the records that serve the portal (the committed one, for the deployment)", async () => {
    const res = await s.app.inject({ method: 'GET', url: '/v1/validations', headers: s.auth('admin') });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ portalId: string; records: Array<{ portalId: string; record: { model: string; codeVersion?: string } }> }>();
    expect(body.records).toContainEqual(expect.objectContaining({ portalId: '', record: expect.objectContaining({ model: OFFLINE_EXTRACTIVE_V1.model, codeVersion: OFFLINE_EXTRACTIVE_V1.codeVersion }) }));
    expect((await s.app.inject({ method: 'GET', url: '/v1/validations', headers: s.auth('reader') })).statusCode).toBe(403);
    expect((await s.app.inject({ method: 'GET', url: '/v1/validations?portalId=999999', headers: s.auth('admin') })).statusCode).toBe(404);
  });

  it('validates the churn ratings proposed so far against later outcomes; with none yet, nothing is stored and the run is kept', async () => {
    const company = s.sandbox.groundTruth().companies[0]!.id;
    const gen = await s.app.inject({ method: 'POST', url: `/v1/accounts/${company}/generate/account_summary`, headers: s.auth('admin'), payload: {} });
    expect(gen.statusCode).toBe(200);
    const res = await s.app.inject({ method: 'POST', url: '/v1/validations/judgments?write=true', headers: s.auth('admin') });
    expect(res.statusCode).toBe(200);
    const report = res.json<{ stored: boolean; churn: Array<{ valueClass: string | null; n: number }>; advice: string[]; model: string }>();
    // The rating was made after every deal of the sandbox closed: no outcome to grade it by yet.
    expect(report).toMatchObject({ stored: false, model: OFFLINE_EXTRACTIVE_V1.model });
    expect(report.churn.find((c) => c.valueClass === null)?.n).toBe(0);
    expect(report.advice.join(' ')).toMatch(/need 30/);
    const portalId = await s.container.portalId();
    const kept = await (await s.container.modelRecords()).latest('judgment_report', portalId);
    expect(kept?.figures).toMatchObject({ churn_outcomes: 0, recalibrate: 0 });
  }, 120_000);
});
