import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.ts';
import { hubspotRoutes } from '../../src/api/routes/hubspot.ts';
import { startE2eStack, type E2eStack } from './e2e-stack.ts';

/**
 * Custom workflow actions end to end: the sandbox plays HubSpot's workflow engine (a signed execution request to
 * the action URL, a blocked enrolment, the callback completion API) and the product runs the agent, writes
 * through the write-back guardrails and completes the execution with output fields a workflow can branch on.
 */

interface Execution {
  callbackId: string;
  state: string;
  httpStatus: number;
  outputFields: Record<string, string>;
  completedVia: 'response' | 'callback' | null;
  error: string | null;
}

describe('workflow actions from the sandbox', () => {
  let s: E2eStack;
  let company: string;

  const execute = async (action: string, body: Record<string, unknown>): Promise<Execution> => {
    const res = await fetch(`${s.sandbox.url}/_sandbox/workflows/execute`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ actionUrl: `${s.url}/hubspot/actions/${action}`, ...body }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as Execution;
  };
  const execution = async (callbackId: string): Promise<Execution> => (await (await fetch(`${s.sandbox.url}/_sandbox/workflows/executions/${callbackId}`)).json()) as Execution;
  const until = async (callbackId: string, done: (e: Execution) => boolean): Promise<Execution> => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const e = await execution(callbackId);
      if (done(e) || Date.now() > deadline) return e;
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  beforeAll(async () => {
    // 0 ms of waiting: every execution answers BLOCK at once and completes through the callback API.
    s = await startE2eStack({ companies: 18, trainScorer: true, env: { WORKFLOW_ACTION_WAIT_MS: '0' } });
    const truth = s.sandbox.groundTruth();
    company = truth.companies.find((c) => !truth.whaleAccountIds.includes(c.id) && truth.deals.some((d) => d.companyId === c.id && d.outcome === 'open'))?.id ?? truth.companies[0]!.id;
  });
  afterAll(async () => s?.close());

  it('scores a lead: a signed request, BLOCK, then the callback completes it with the score and route', async () => {
    const started = await execute('score-lead', { objectType: 'COMPANY', objectId: company, workflowId: 777 });
    expect(started.httpStatus).toBe(200);
    expect(started.state).toBe('BLOCKED');
    const done = await until(started.callbackId, (e) => e.state !== 'BLOCKED');
    expect(done).toMatchObject({ state: 'SUCCESS', completedVia: 'callback' });
    expect(done.outputFields.hs_execution_state).toBe('SUCCESS');
    expect(Number(done.outputFields.ai_score)).toBeGreaterThanOrEqual(0);
    expect(done.outputFields.ai_score).toMatch(/^\d{1,3}$/);
    expect(['route_to_sdr', 'nurture', 'disqualify']).toContain(done.outputFields.ai_recommendation);
    expect(['written', 'waiting_for_review', 'nothing_to_change']).toContain(done.outputFields.ai_status);
    // Confidence is capped at what the scorer showed on held-out deals: a 15-company portal shows little.
    expect(Number(done.outputFields.ai_confidence)).toBeGreaterThanOrEqual(0);

    // The write went through the guardrails, audited with the workflow as the actor.
    const wb = await s.container.writeback();
    const audit = await wb.audit({ runId: `action-${started.callbackId}`, limit: 200 });
    expect(audit.some((e) => e.event === 'decided' && e.actor === 'workflow:777')).toBe(true);
    if (done.outputFields.ai_status === 'written') {
      const [record] = await (await s.container.gateway()).batchRead('companies', [company], { properties: ['ai_lead_score'] });
      expect(record?.properties.ai_lead_score).toBe(done.outputFields.ai_score);
    }
  });

  it('summarises the last call of a contact into output fields', async () => {
    const call = await s.simulate('call', { companyId: company });
    await s.settle();
    const contactId = call.truth?.contactIds && (call.truth.contactIds as string[])[0];
    expect(contactId).toBeTruthy();
    const started = await execute('summarize-call', { objectType: 'CONTACT', objectId: contactId });
    const done = await until(started.callbackId, (e) => e.state !== 'BLOCKED');
    expect(done.state).toBe('SUCCESS');
    expect(done.outputFields.ai_summary?.length).toBeGreaterThan(20);
    expect(done.outputFields.ai_status).not.toBe('failed');
  });

  it('refuses a contact of two companies instead of guessing whose account it is (nothing written)', async () => {
    const truth = s.sandbox.groundTruth();
    const contacts = (await (await s.hubspot('GET', `/crm/v4/objects/companies/${company}/associations/contacts`)).json()) as { results: Array<{ toObjectId: number | string }> };
    const contactId = String(contacts.results[0]!.toObjectId);
    const other = truth.companies.find((c) => c.id !== company && !truth.whaleAccountIds.includes(c.id))!.id;
    const linked = await s.hubspot('PUT', `/crm/v4/objects/contacts/${contactId}/associations/default/companies/${other}`);
    expect(linked.status, await linked.clone().text()).toBe(200);
    const started = await execute('score-lead', { objectType: 'CONTACT', objectId: contactId, workflowId: 778 });
    const done = await until(started.callbackId, (e) => e.state !== 'BLOCKED');
    expect(done.outputFields).toMatchObject({ hs_execution_state: 'FAIL_CONTINUE', ai_status: 'failed' });
    expect(done.outputFields.ai_error).toContain('belongs to 2 companies');
    expect(done.outputFields.ai_error).toContain(other);
    const wb = await s.container.writeback();
    expect(await wb.audit({ runId: `action-${started.callbackId}`, limit: 10 })).toEqual([]);
  });

  it('answers in the request itself when the result is ready in time', async () => {
    // The same service, with a budget long enough for the job: the workers hand the outputs to the request.
    const { config } = s.container;
    const app = await buildApp({
      tokens: [],
      routes: [{
        name: 'hubspot',
        plugin: hubspotRoutes,
        opts: {
          queue: await s.container.queue(),
          writeback: await s.container.writeback(),
          waiters: s.container.actionWaiters,
          clientSecret: config.HUBSPOT_CLIENT_SECRET,
          acceptV2ForActions: false,
          actionWaitMs: 30_000,
          maxBodyBytes: 1_048_576,
        },
      }],
    });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const res = await fetch(`${s.sandbox.url}/_sandbox/workflows/execute`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ actionUrl: `${url}/hubspot/actions/enrich-company`, objectType: 'COMPANY', objectId: company }),
      });
      const e = (await res.json()) as Execution;
      expect(e).toMatchObject({ state: 'SUCCESS', completedVia: 'response' });
      expect(e.outputFields.ai_summary?.length).toBeGreaterThan(20);
    } finally {
      await app.close();
    }
  });

  it('refuses forged and unsigned action requests with 401, and runs nothing', async () => {
    const wb = await s.container.writeback();
    const before = (await wb.audit({ limit: 1000 })).length;
    const jobsBefore = (await s.jobStats())['action.execute'];
    for (const signature of ['forged', 'none'] as const) {
      const e = await execute('score-lead', { objectType: 'COMPANY', objectId: company, signature });
      expect(e.httpStatus).toBe(401);
      expect(e.state).toBe('FAILED');
      expect(e.error).toContain('INVALID_SIGNATURE');
    }
    expect((await s.jobStats())['action.execute']).toEqual(jobsBefore);
    expect((await wb.audit({ limit: 1000 })).length).toBe(before);
  });

  it('refuses malformed requests and unsupported record types with a clear error', async () => {
    const wrongType = await execute('enrich-company', { objectType: 'CONTACT', objectId: '1' });
    expect(wrongType.httpStatus).toBe(400);
    expect(wrongType.error).toContain('runs on COMPANY records, not CONTACT');
    const unknown = await execute('make-coffee', { objectType: 'COMPANY', objectId: company });
    expect(unknown.httpStatus).toBe(404);
  });

  it('the callback API refuses to complete an unknown or already completed execution', async () => {
    const done = (await (await fetch(`${s.sandbox.url}/_sandbox/workflows/executions`)).json()) as { results: Execution[] };
    const completed = done.results.find((e) => e.state === 'SUCCESS')!;
    const post = (body: unknown) =>
      s.hubspot('POST', '/automation/v4/actions/callbacks/complete', body);
    expect((await post({ inputs: [{ callbackId: completed.callbackId, outputFields: { hs_execution_state: 'SUCCESS' } }] })).status).toBe(400);
    expect((await post({ inputs: [{ callbackId: 'ap-1-2-3', outputFields: {} }] })).status).toBe(404);
  });
});
