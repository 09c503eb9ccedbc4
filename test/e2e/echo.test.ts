import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoutingRule } from '../../src/events/routing.ts';
import type { ContainerMetrics } from '../../src/metrics.ts';
import type { JobType } from '../../src/queue/queue.ts';
import type { AuditEntry } from '../../src/writeback/audit-store.ts';
import { companyWithOpenDeal, startE2eStack, type E2eStack } from './e2e-stack.ts';

/**
 * The product's own writes are recognizable in webhooks so that they never trigger generation again, end to
 * end: a simulated call reaches the service as a signed webhook, the call-summary job writes its notes and ai_*
 * properties back through the write-back module, the sandbox sends those writes back as webhooks, and no
 * generation job runs because of them.
 *
 * With the default routing rules nothing the call summary writes would match a rule anyway (notes and ai_*
 * properties start no agent), so the portal here also has the rule a team would add to keep summaries fresh:
 * "re-summarize the account when anything on a deal or company changes". Without echo suppression the
 * write-back's ai_* changes would match it (and its own summary would then re-trigger itself forever).
 */
const RESUMMARIZE: RoutingRule = {
  name: 'resummarize-on-any-change',
  job: 'generate.account_summary',
  objectTypes: ['deals', 'companies'],
  actions: ['propertyChange'],
  requireValue: false,
  enabled: true,
};

/** Webhook events the events module classified as our own echo, by subscription type (the container's counter). */
async function echoes(metrics: ContainerMetrics): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const v of (await metrics.webhookEvents.get()).values) {
    if (v.labels.result === 'echo') out[String(v.labels.subscription_type)] = (out[String(v.labels.subscription_type)] ?? 0) + v.value;
  }
  return out;
}

const GENERATE: JobType[] = ['generate.call_summary', 'generate.lead_score', 'generate.reply_draft', 'generate.account_summary', 'generate.enrichment'];

describe.each<{ attribution: string; env: Record<string, string> }>([
  { attribution: 'HubSpot attributes our writes to HUBSPOT_APP_ID', env: {} },
  // Private apps and older portals may not name the app: the write-back's own record of its writes must suffice.
  { attribution: 'no app attribution (HUBSPOT_APP_ID unset)', env: { HUBSPOT_APP_ID: '' } },
])('own writes start no generation: $attribution', ({ env }) => {
  let s: E2eStack;
  let companyId: string;
  let dealId: string;
  const since = new Date().toISOString();

  beforeAll(async () => {
    s = await startE2eStack({ companies: 15, extraRules: [RESUMMARIZE], env });
    const truth = s.sandbox.groundTruth();
    companyId = companyWithOpenDeal(truth, truth.whaleAccountIds);
    // The backfill and the stack's own settle deadline (150 s) decide; on a busy machine that takes over 2 minutes.
  }, 300_000);
  afterAll(async () => s?.close());

  const completed = async () => {
    const st = await s.jobStats();
    return Object.fromEntries(GENERATE.map((t) => [t, st[t].completed])) as Record<JobType, number>;
  };
  const runsOf = (entries: AuditEntry[], agent: string) => new Set(entries.filter((e) => e.agent === agent).map((e) => e.runId));

  it('a call is summarized once; the summary note and ai_* writes come back as webhooks and trigger nothing', async () => {
    const before = await completed();
    const batchesBefore = (await s.jobStats())['webhook.batch'].completed;
    const echoesBefore = await echoes(s.container.metrics);
    const call = await s.simulate('call', { companyId });
    const callId = call.ids.calls?.[0];
    expect(callId).toBeTruthy();
    await s.settle();

    const wb = await s.container.writeback();
    const audit = await wb.audit({ since, limit: 1000 });
    const applied = audit.filter((e) => e.event === 'applied' && e.agent === 'call_summary');
    // The write-back really wrote: AI notes and ai_* properties (on the call's deal).
    expect(applied.some((e) => e.kind === 'note')).toBe(true);
    const props = applied.filter((e) => e.kind === 'property');
    expect(props.map((e) => e.field)).toEqual(expect.arrayContaining(['ai_summary']));
    expect(props.every((e) => e.field?.startsWith('ai_'))).toBe(true);
    dealId = props.find((e) => e.objectType === 'deals')?.objectId ?? '';
    expect(dealId).not.toBe('');

    // Those writes changed the deal as far as HubSpot is concerned, and their webhooks were delivered and processed.
    const [deal] = await (await s.container.gateway()).batchRead('deals', [dealId], { properties: ['ai_summary'] });
    expect(deal?.properties.ai_summary).toBeTruthy();
    expect((await s.jobStats())['webhook.batch'].completed).toBeGreaterThan(batchesBefore + 1);
    // They arrived and were recognised as ours: the deal's ai_* changes (which the rule above matches) and the
    // creation of the AI notes.
    const echoesAfter = await echoes(s.container.metrics);
    const grew = (t: string) => (echoesAfter[t] ?? 0) - (echoesBefore[t] ?? 0);
    expect(grew('deal.propertyChange')).toBeGreaterThanOrEqual(props.filter((e) => e.objectType === 'deals').length);
    expect(grew('object.creation')).toBeGreaterThanOrEqual(applied.filter((e) => e.kind === 'note').length);

    // Exactly one generation: the call summary the call asked for. The echoes of its writes started none.
    const after = await completed();
    expect(after['generate.call_summary'] - before['generate.call_summary']).toBe(1);
    expect(after['generate.account_summary']).toBe(before['generate.account_summary']);
    expect(after['generate.lead_score']).toBe(before['generate.lead_score']);
    expect(after['generate.reply_draft']).toBe(before['generate.reply_draft']);
    expect(runsOf(audit, 'call_summary').size).toBe(1);
    expect(runsOf(audit, 'account_summary').size).toBe(0);

    // Settling again changes nothing: no late echo starts a job.
    await s.settle();
    expect(await completed()).toEqual(after);
    expect((await s.jobStats()).total.dead).toBe(0);
  });

  it('a person\'s change of the same deal does trigger the rule, exactly once, and its own writes do not loop', async () => {
    const before = await completed();
    const res = await fetch(`${s.sandbox.url}/_sandbox/simulate/human-edit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ objectType: 'deals', objectId: dealId, properties: { dealname: `Renewal ${Date.now()}` } }),
    });
    expect(res.status).toBe(201);
    await s.settle();
    await s.settle();
    const after = await completed();
    expect(after['generate.account_summary'] - before['generate.account_summary']).toBe(1);
    expect(after['generate.call_summary']).toBe(before['generate.call_summary']);
    const audit = await (await s.container.writeback()).audit({ since, limit: 1000 });
    expect(runsOf(audit, 'account_summary').size).toBe(1);
    expect(runsOf(audit, 'call_summary').size).toBe(1);
    expect((await s.jobStats()).total.dead).toBe(0);
  });
});
