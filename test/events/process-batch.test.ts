import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteKv } from '../../src/cache/sqlite-kv.ts';
import { DEFAULT_ROUTING } from '../../src/events/routing.ts';
import { notImplementedGenerationHandlers } from '../../src/events/not-implemented.ts';
import { processBatch, recordOwnWrite, type BatchProcessorDeps } from '../../src/events/process-batch.ts';
import { createQueue } from '../../src/queue/create-queue.ts';
import type { IngestRecordPayload, WebhookBatchPayload } from '../../src/queue/jobs.ts';
import { generationSpecs } from '../../src/events/ingest-jobs.ts';
import type { HubSpotEvent } from '../../src/webhooks/hubspot-event.ts';
import type { JobContext, JobQueue, JobType } from '../../src/queue/queue.ts';
import { uniqueName } from '../support/services.ts';
import { tempDir } from '../support/tmp.ts';

const tmp = tempDir('hsai-events-');
afterAll(() => tmp.cleanup());
const T0 = 1_736_942_400_000;
const APP_ID = '4242';

let queue: JobQueue;
let cache: SqliteKv;
let deps: BatchProcessorDeps;
beforeEach(async () => {
  queue = await createQueue({ dataDir: tmp.dir, prefix: uniqueName('ev'), defaultMaxAttempts: 3 });
  cache = new SqliteKv({ file: `${tmp.dir}/${uniqueName('kv')}.db` });
  deps = { queue, cache, coalesceMs: 0, appId: APP_ID, rules: DEFAULT_ROUTING };
});
afterEach(async () => {
  await queue.close();
  await cache.close();
});

let eventId = 1;
const ev = (over: Partial<HubSpotEvent>): HubSpotEvent => ({ eventId: eventId++, portalId: 62515, occurredAt: T0, subscriptionType: 'contact.creation', objectId: 1, changeSource: 'CRM_UI', ...over });
const batch = (...events: HubSpotEvent[]): WebhookBatchPayload => ({ source: 'webhook', receivedAt: T0, events });

/**
 * Runs every job the processor enqueued and returns them by type. Ingest jobs are captured, not run; the
 * generations they carry are listed as `generate.*` entries (type, and the ingest payload with their trigger),
 * which is what the ingest job enqueues once it has indexed the object.
 */
type Captured = { type: JobType; payload: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any -- assertions read payload fields of several job types
async function runJobs(): Promise<Captured[]> {
  const seen: Captured[] = [];
  const capture = async (job: JobContext) => {
    const p = job.payload as IngestRecordPayload;
    seen.push({ type: job.type, payload: p });
    for (const g of p.generate ?? []) seen.push({ type: g.type, payload: { portalId: p.portalId, objectType: p.objectType, objectId: p.objectId, trigger: g.trigger } });
  };
  const w = queue.work({ 'ingest.record': capture });
  await queue.drain();
  await w.close();
  return seen;
}

/** Starts a worker that takes one job of `type` and holds it (active) until `release`. */
async function claimOne(type: JobType): Promise<{ release: () => Promise<void> }> {
  let started!: () => void;
  let finish!: () => void;
  const running = new Promise<void>((r) => (started = r));
  const gate = new Promise<void>((r) => (finish = r));
  const w = queue.work({
    [type]: async () => {
      started();
      await gate;
    },
  });
  await running;
  return {
    release: async () => {
      finish();
      await w.close();
    },
  };
}

describe('webhook.batch processing', () => {
  it('routes events to ingest and generation jobs per the default rules', async () => {
    const out = await processBatch(
      deps,
      batch(
        ev({ subscriptionType: 'contact.creation', objectId: 1 }),
        ev({ subscriptionType: 'company.creation', objectId: 2 }),
        ev({ subscriptionType: 'object.creation', objectTypeId: '0-48', objectId: 3 }),
        ev({ subscriptionType: 'object.creation', objectTypeId: '0-49', objectId: 4 }),
        ev({ subscriptionType: 'deal.propertyChange', objectId: 5, propertyName: 'dealstage', propertyValue: 'closedwon' }),
        ev({ subscriptionType: 'deal.propertyChange', objectId: 6, propertyName: 'amount', propertyValue: '100' }),
        ev({ subscriptionType: 'object.propertyChange', objectTypeId: '0-47', objectId: 7, propertyName: 'hs_meeting_body', propertyValue: 'We agreed…' }),
        ev({ subscriptionType: 'object.creation', objectTypeId: '0-46', objectId: 8 }),
      ),
      'job-1',
    );
    expect(out).toMatchObject({ processed: 8, duplicate: 0, echo: 0, ignored: 0 });
    const jobs = await runJobs();
    const ingested = jobs.filter((j) => j.type === 'ingest.record').map((j) => `${j.payload.objectType}/${j.payload.objectId}`);
    expect(ingested.sort()).toEqual(['calls/3', 'companies/2', 'contacts/1', 'deals/5', 'deals/6', 'emails/4', 'meetings/7', 'notes/8']);
    const generated = jobs.filter((j) => j.type !== 'ingest.record').map((j) => `${j.type} ${j.payload.objectType}/${j.payload.objectId}`);
    expect(generated.sort()).toEqual([
      'generate.account_summary deals/5',
      'generate.call_summary calls/3',
      'generate.call_summary meetings/7',
      'generate.enrichment companies/2',
      'generate.lead_score companies/2',
      'generate.lead_score contacts/1',
      'generate.reply_draft emails/4',
    ]);
    const summary = jobs.find((j) => j.type === 'generate.account_summary')!;
    expect(summary.payload).toEqual({
      portalId: '62515',
      objectType: 'deals',
      objectId: '5',
      trigger: expect.objectContaining({ subscriptionType: 'deal.propertyChange', propertyName: 'dealstage', propertyValue: 'closedwon', occurredAt: T0 }),
    });
  });

  it('processes the same batch delivered twice once', async () => {
    const events = [ev({ subscriptionType: 'contact.creation', objectId: 1 }), ev({ subscriptionType: 'contact.propertyChange', objectId: 1, propertyName: 'email', propertyValue: 'a@b.c' })];
    const redelivered = events.map((e) => ({ ...e, attemptNumber: 1 }));
    expect(await processBatch(deps, batch(...events), 'job-1')).toMatchObject({ processed: 2 });
    expect(await processBatch(deps, batch(...redelivered), 'job-2')).toMatchObject({ processed: 0, duplicate: 2, jobs: 0 });
    const jobs = await runJobs();
    // The creation asks for a lead score, the change does not: they coalesce separately (the plain sync would
    // not carry the generation), and each is processed once.
    expect(jobs.filter((j) => j.type === 'ingest.record')).toHaveLength(2);
    expect(jobs.filter((j) => j.type === 'generate.lead_score')).toHaveLength(1);
  });

  it('processes an event repeated inside one delivery once', async () => {
    const e = ev({ subscriptionType: 'contact.creation', objectId: 1 });
    expect(await processBatch(deps, batch(e, { ...e }), 'job-1')).toMatchObject({ processed: 1, duplicate: 1 });
  });

  it('re-processes its own events when the same job runs again after a crash', async () => {
    const b = batch(ev({ subscriptionType: 'contact.creation', objectId: 1 }));
    await processBatch(deps, b, 'job-1');
    await runJobs();
    expect(await processBatch(deps, b, 'job-1')).toMatchObject({ processed: 1, duplicate: 0 });
  });

  it('coalesces a burst for one record into one ingest job and one generation job', async () => {
    deps.coalesceMs = 200;
    const changes = (from: number) =>
      Array.from({ length: 5 }, (_, i) => ev({ subscriptionType: 'deal.propertyChange', objectId: 9, occurredAt: T0 + from + i, propertyName: 'dealstage', propertyValue: `stage${from + i}` }));
    await processBatch(deps, batch(...changes(0)), 'job-1');
    await processBatch(deps, batch(...changes(5)), 'job-2');
    // The first change asks for a summary: its ingest starts at once (no window to wait out), and the changes
    // behind it join that waiting job.
    expect((await queue.stats())['ingest.record']).toMatchObject({ waiting: 1, delayed: 0 });
    const jobs = await runJobs();
    expect(jobs.filter((j) => j.type === 'ingest.record')).toHaveLength(1);
    expect(jobs.filter((j) => j.type === 'generate.account_summary')).toHaveLength(1);
  });

  it('delays the changes that arrive while the leading ingest runs into one trailing job', async () => {
    deps.coalesceMs = 60_000;
    const change = (i: number) =>
      ev({ subscriptionType: 'deal.propertyChange', objectId: 9, occurredAt: T0 + i, propertyName: 'dealstage', propertyValue: `stage${i}` });
    await processBatch(deps, batch(change(0)), 'job-1');
    expect((await queue.stats())['ingest.record']).toMatchObject({ waiting: 1, delayed: 0 });
    // The leading job taken by a worker, as if running: what follows waits out the window, in one job.
    const claimed = await claimOne('ingest.record');
    await processBatch(deps, batch(change(1)), 'job-2');
    await processBatch(deps, batch(change(2), change(3)), 'job-3');
    expect((await queue.stats())['ingest.record']).toMatchObject({ active: 1, delayed: 1 });
    await claimed.release();
    // A plain sync (no generation asked) never takes the leading edge.
    const amount = ev({ subscriptionType: 'deal.propertyChange', objectId: 10, occurredAt: T0, propertyName: 'amount', propertyValue: '5' });
    await processBatch(deps, batch(amount), 'job-4');
    expect((await queue.stats())['ingest.record']).toMatchObject({ delayed: 2 });
  });

  it('drops an event older than the newest one processed for that record and property', async () => {
    await processBatch(deps, batch(ev({ subscriptionType: 'deal.propertyChange', objectId: 5, occurredAt: T0 + 2000, propertyName: 'dealstage', propertyValue: 'closedwon' })), 'job-1');
    await runJobs();
    const late = await processBatch(
      deps,
      batch(
        ev({ subscriptionType: 'deal.propertyChange', objectId: 5, occurredAt: T0 + 1000, propertyName: 'dealstage', propertyValue: 'negotiation' }),
        // A different property of the same record is not shadowed by the newer dealstage change.
        ev({ subscriptionType: 'deal.propertyChange', objectId: 5, occurredAt: T0 + 1000, propertyName: 'amount', propertyValue: '5' }),
      ),
      'job-2',
    );
    expect(late).toMatchObject({ stale: 1, processed: 1 });
    const jobs = await runJobs();
    expect(jobs.filter((j) => j.type === 'generate.account_summary')).toHaveLength(0);
  });

  it('orders events inside one batch, so the newest state wins', async () => {
    const out = await processBatch(
      deps,
      batch(
        ev({ subscriptionType: 'deal.propertyChange', objectId: 5, occurredAt: T0 + 2000, propertyName: 'dealstage', propertyValue: 'closedwon' }),
        ev({ subscriptionType: 'deal.propertyChange', objectId: 5, occurredAt: T0 + 1000, propertyName: 'dealstage', propertyValue: 'negotiation' }),
      ),
      'job-1',
    );
    expect(out.processed).toBe(2);
    const summaries = (await runJobs()).filter((j) => j.type === 'generate.account_summary');
    expect(summaries).toHaveLength(1);
    // The first (oldest) change created the waiting job; the record is re-read at run time anyway.
    expect(summaries[0]!.payload.objectId).toBe('5');
  });

  it('never starts generation for the product’s own writes, but still ingests them', async () => {
    await recordOwnWrite(cache, { portalId: 62515, objectType: 'deals', objectId: 5, property: 'dealstage', value: 'closedwon' });
    await recordOwnWrite(cache, { portalId: '62515', objectType: 'notes', objectId: '77' });
    const out = await processBatch(
      deps,
      batch(
        ev({ subscriptionType: 'contact.creation', objectId: 1, changeSource: 'INTEGRATION', sourceId: APP_ID }),
        ev({ subscriptionType: 'deal.propertyChange', objectId: 5, propertyName: 'dealstage', propertyValue: 'closedwon', changeSource: 'API' }),
        ev({ subscriptionType: 'object.creation', objectTypeId: '0-46', objectId: 77 }),
        // Same property, another value: a human changed it after us.
        ev({ subscriptionType: 'deal.propertyChange', objectId: 6, propertyName: 'dealstage', propertyValue: 'closedlost' }),
        // Another app's integration is not us.
        ev({ subscriptionType: 'company.creation', objectId: 2, changeSource: 'INTEGRATION', sourceId: '999' }),
      ),
      'job-1',
    );
    expect(out).toMatchObject({ echo: 3, processed: 2 });
    const jobs = await runJobs();
    expect(jobs.filter((j) => j.type === 'ingest.record')).toHaveLength(5);
    expect(jobs.filter((j) => j.type !== 'ingest.record').map((j) => `${j.type} ${j.payload.objectId}`).sort()).toEqual([
      'generate.account_summary 6',
      'generate.enrichment 2',
      'generate.lead_score 2',
    ]);
  });

  it('recognises an echo of an earlier value written to a property we wrote twice', async () => {
    await recordOwnWrite(cache, { portalId: 1, objectType: 'deals', objectId: 5, property: 'ai_summary', value: 'v1' });
    await recordOwnWrite(cache, { portalId: 1, objectType: 'deals', objectId: 5, property: 'ai_summary', value: 'v2' });
    const rules = { ingest: { objectTypes: ['deals' as const] }, rules: [{ name: 'x', job: 'generate.account_summary' as const, objectTypes: ['deals' as const], actions: ['propertyChange' as const], requireValue: false, enabled: true }] };
    const out = await processBatch({ ...deps, rules }, batch(ev({ portalId: 1, subscriptionType: 'deal.propertyChange', objectId: 5, propertyName: 'ai_summary', propertyValue: 'v1' })), 'job-1');
    expect(out.echo).toBe(1);
  });

  it('recognises an echo that HubSpot sends back in its own form (a datetime, a number) and not a person\'s other value', async () => {
    // A run at a whole second wrote `...:00.000Z`: HubSpot answers `...:00Z` or epoch milliseconds.
    await recordOwnWrite(cache, { portalId: 1, objectType: 'companies', objectId: 9, property: 'ai_last_run', value: '2026-11-30T23:40:00.000Z', type: 'datetime' });
    await recordOwnWrite(cache, { portalId: 1, objectType: 'companies', objectId: 9, property: 'ai_lead_score', value: '64.50', type: 'number' });
    const rules = { ingest: { objectTypes: ['companies' as const] }, rules: [{ name: 'x', job: 'generate.account_summary' as const, objectTypes: ['companies' as const], actions: ['propertyChange' as const], requireValue: false, enabled: true }] };
    const change = (propertyName: string, propertyValue: string, at: number) =>
      ev({ portalId: 1, subscriptionType: 'company.propertyChange', objectId: 9, propertyName, propertyValue, occurredAt: at });
    const t = Date.now();
    const echoes = await processBatch({ ...deps, rules }, batch(change('ai_last_run', '2026-11-30T23:40:00Z', t), change('ai_lead_score', '64.5', t)), 'job-1');
    expect(echoes).toMatchObject({ echo: 2, processed: 0 });
    expect((await processBatch({ ...deps, rules }, batch(change('ai_last_run', String(Date.parse('2026-11-30T23:40:00Z')), t + 1)), 'job-2')).echo).toBe(1);
    // A person set another instant: not ours, the rule runs.
    const human = await processBatch({ ...deps, rules }, batch(change('ai_last_run', '2026-11-30T23:40:01Z', t + 2)), 'job-3');
    expect(human).toMatchObject({ echo: 0, processed: 1 });
    expect((await runJobs()).filter((j) => j.type === 'generate.account_summary')).toHaveLength(1);
  });

  it('recognises an echo recorded by a version that hashed values by their shape, with no type (within the TTL of an upgrade)', async () => {
    const sha = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);
    // What that version stored for ai_lead_score = 64.50: a bare array of hashes of the value read as a number.
    await cache.set('events:own:1:companies:9:ai_lead_score', Buffer.from(JSON.stringify([sha('#64.5')])), 60);
    const rules = { ingest: { objectTypes: ['companies' as const] }, rules: [{ name: 'x', job: 'generate.account_summary' as const, objectTypes: ['companies' as const], actions: ['propertyChange' as const], requireValue: false, enabled: true }] };
    const change = (propertyValue: string, at: number) => ev({ portalId: 1, subscriptionType: 'company.propertyChange', objectId: 9, propertyName: 'ai_lead_score', propertyValue, occurredAt: at });
    expect((await processBatch({ ...deps, rules }, batch(change('64.5', Date.now())), 'job-1')).echo).toBe(1);
    expect((await processBatch({ ...deps, rules }, batch(change('65', Date.now() + 1)), 'job-2')).echo).toBe(0);
  });

  it('maps merges and association changes to the records they touch', async () => {
    await processBatch(
      deps,
      batch(
        ev({ subscriptionType: 'contact.merge', objectId: 10, primaryObjectId: 10, mergedObjectIds: [11, 12], newObjectId: 10 }),
        ev({ subscriptionType: 'contact.associationChange', objectId: undefined, fromObjectId: 20, toObjectId: 30, associationType: 'CONTACT_TO_COMPANY', associationRemoved: true }),
        ev({ subscriptionType: 'company.associationChange', objectId: undefined, fromObjectId: 40, toObjectId: 41, associationType: 'PARENT_COMPANY_TO_CHILD_COMPANY', associationRemoved: false }),
      ),
      'job-1',
    );
    const ingest = (await runJobs()).filter((j) => j.type === 'ingest.record').map((j) => j.payload);
    expect(ingest).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ objectType: 'contacts', objectId: '10', reason: 'merge', mergedObjectIds: ['11', '12'] }),
        expect.objectContaining({ objectType: 'contacts', objectId: '20', reason: 'associationChange', related: [{ objectType: 'companies', objectId: '30' }] }),
        expect.objectContaining({ objectType: 'companies', objectId: '30', reason: 'associationChange', related: [{ objectType: 'contacts', objectId: '20' }] }),
        // A parent and a child company: both sides named, so the ingest knows the pair moves nothing.
        expect.objectContaining({ objectType: 'companies', objectId: '40', reason: 'associationChange', related: [{ objectType: 'companies', objectId: '41' }] }),
        expect.objectContaining({ objectType: 'companies', objectId: '41', reason: 'associationChange', related: [{ objectType: 'companies', objectId: '40' }] }),
      ]),
    );
    expect(ingest).toHaveLength(5);
  });

  it('ignores events about objects it does not index', async () => {
    const out = await processBatch(deps, batch(ev({ subscriptionType: 'line_item.creation', objectId: 1 }), ev({ subscriptionType: 'object.creation', objectTypeId: '0-18', objectId: 2 })), 'job-1');
    expect(out).toMatchObject({ ignored: 2, jobs: 0 });
  });

  it('generation jobs say they are not implemented yet and go to the dead-letter list', async () => {
    await processBatch(deps, batch(ev({ subscriptionType: 'contact.creation', objectId: 1 })), 'job-1');
    // The ingest job hands on what it carries once it has indexed the contact (here: its own account, version v1).
    const ingest = async (job: JobContext<IngestRecordPayload>) =>
      void (await queue.enqueue(generationSpecs(job.payload, { current: ['contact:1'], versions: new Map([['contact:1', 'v1']]) })));
    const w = queue.work({ 'ingest.record': ingest, ...notImplementedGenerationHandlers() });
    await queue.drain();
    await w.close();
    const dead = await queue.listDead();
    expect(dead).toEqual([expect.objectContaining({ type: 'generate.lead_score', attempts: 1, error: 'agent lead_score is not implemented yet' })]);
  });
});
