import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrichmentAgent, enrichmentProposals } from '../../src/agents/enrichment.ts';
import { judgmentRater } from '../../src/agents/judgment-validation.ts';
import { OfflineProvider } from '../../src/agents/offline-provider.ts';
import { enrichmentOffline } from '../../src/agents/offline/enrichment.ts';
import { runAgent } from '../../src/agents/runner.ts';
import type { ModelValidationRecord } from '../../src/agents/judgment-validation.ts';
import { OFFLINE_EXTRACTIVE_V1 } from '../../src/agents/validation/offline-extractive-v1.ts';
import { ENRICHMENT_FIELDS } from '../../src/agents/schemas.ts';
import type { ReferencedChunk } from '../../src/agents/untrusted.ts';
import { createSql, type SqlHandle } from '../../src/db/sql.ts';
import { sandboxEnrichmentProvider } from '../../src/enrichment/create-provider.ts';
import { HttpEnrichmentProvider } from '../../src/enrichment/http-provider.ts';
import { runBackfill } from '../../src/ingest/backfill.ts';
import { generatePortal, startSandbox, type GroundTruth, type SandboxHandle } from '../../src/sandbox/index.ts';
import { createWriteback, type WritebackService } from '../../src/writeback/create-writeback.ts';
import { reasonCodes } from '../../src/writeback/decide.ts';
import { defaultPolicy } from '../../src/writeback/policy.ts';
import { openIngestStack, type IngestStack } from '../fixtures/backfill-stack.ts';
import { tempDir } from '../support/tmp.ts';

/**
 * The enrichment agent on a sandbox portal generated with empty firmographics and enrichment ground truth, over
 * HTTP with the real client, the real backfill and the real write-back (default policy): it fills empty fields
 * from the history (the sentence as evidence) and the sandbox's provider, never replaces a value a person set
 * (that conflict waits in review with both values and their sources), and fails clearly on a refused key.
 */

let sandbox: SandboxHandle;
let stack: IngestStack;
let sql: SqlHandle;
let writeback: WritebackService;
let truth: GroundTruth;
const tmp = tempDir('hsai-enrich-');

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, seed: 5, companies: 14, enrichmentGaps: 0.7, style: 'dev', rateLimit: 0, whales: 0 });
  stack = await openIngestStack({ baseUrl: sandbox.url, accessToken: sandbox.token, dataDir: tmp.dir, rateLimitPer10s: 10_000 });
  await runBackfill({ gateway: stack.gateway, indexer: stack.indexer, store: stack.store, checkpoints: stack.checkpoints }, { concurrency: 4 });
  sql = await createSql({ dataDir: tmp.dir });
  writeback = await createWriteback({ gateway: stack.gateway, sql, policy: defaultPolicy(), dryRun: false, killSwitch: false, appId: sandbox.appId });
  await writeback.setup();
  truth = sandbox.groundTruth();
}, 180_000);

afterAll(async () => {
  await writeback?.close();
  await sql?.close();
  await stack?.close();
  await sandbox?.close();
  tmp.cleanup();
});

const deps = (enrichment = sandboxEnrichmentProvider(sandbox.url, sandbox.token)) => ({ gateway: stack.gateway, store: stack.store, embedder: stack.embedder, provider: new OfflineProvider(), enrichment });
/** A validation record as `npm run calibrate` writes one, here with enrichment figures made up for the test. */
const measured = (right: number, n: number) => ({ n, right });
const MEASURED: ModelValidationRecord = {
  ...OFFLINE_EXTRACTIVE_V1,
  data: 'figures made up for this test',
  fields: {
    ...OFFLINE_EXTRACTIVE_V1.fields,
    ...Object.fromEntries(ENRICHMENT_FIELDS.map((f) => [`enrichment.${f}`, { ...measured(588, 600), byValue: { agreed: measured(588, 600), stated: measured(588, 600), providerStrong: measured(588, 600), conflict: measured(300, 600) } }])),
  },
};
const run = (companyId: string, runId: string, d: Parameters<typeof runAgent>[1] = { ...deps(), validations: [MEASURED] }) => runAgent(enrichmentAgent, d, { portalId: truth.portalId, runId, objectType: 'companies', objectId: companyId, accountId: companyId });
const read = async (id: string) => (await stack.gateway.batchRead('companies', [id], { properties: [...ENRICHMENT_FIELDS] }))[0]!.properties;

describe('enrichment agent (sandbox over HTTP)', () => {
  it('fills an empty field from a sentence of the history, citing it, and the write-back applies it', async () => {
    const r = truth.enrichment!.records.find((x) => x.stated.some((s) => s.field === 'numberofemployees'))!;
    expect(r).toBeDefined();
    expect((await read(r.companyId)).numberofemployees ?? '').toBe('');
    const result = await run(r.companyId, 'enrich-fill');
    const p = result.proposals.find((x) => x.field === 'numberofemployees')!;
    expect(Number(p.value)).toBeCloseTo(r.numberofemployees, -1);
    expect(p.target).toEqual({ objectType: 'companies', objectId: r.companyId });
    const stated = r.stated.find((s) => s.field === 'numberofemployees')!;
    expect(p.evidence.length).toBeGreaterThan(0);
    const chunks = await stack.store.getChunks(truth.portalId, p.evidence);
    expect(chunks.some((c) => c.sourceId.split(':').at(-1) === stated.noteId && c.text.includes(String(r.numberofemployees)))).toBe(true);
    expect(p.rationale).toMatch(/account history “[^”]*\d+[^”]*”/);
    const submitted = await writeback.submit(result.proposals, result.trace);
    const status = submitted.find((s) => s.proposal.field === 'numberofemployees')!;
    // Never above what the model showed on held-out data for this field and basis.
    expect(p.modelValidation).toMatchObject({ validated: true });
    expect(p.confidence).toBeLessThanOrEqual(p.modelValidation!.confidenceBound);
    if (p.confidence >= 0.9) {
      expect(status.status).toBe('applied');
      expect(Number((await read(r.companyId)).numberofemployees)).toBe(Number(p.value));
    } else {
      expect(status.status).toBe('pending_review');
    }
  });

  it('without a held-out measurement of its enrichment, a model writes nothing: a person decides (model_unvalidated)', async () => {
    const r = truth.enrichment!.records.filter((x) => x.stated.some((s) => s.field === 'numberofemployees')).at(-1)!;
    const result = await run(r.companyId, 'enrich-unvalidated', { ...deps(), validations: [OFFLINE_EXTRACTIVE_V1] });
    const props = result.proposals.filter((x) => (ENRICHMENT_FIELDS as readonly string[]).includes(x.field ?? ''));
    expect(props.length).toBeGreaterThan(0);
    for (const x of props) {
      expect(x.confidence).toBe(0);
      expect(x.modelValidation).toMatchObject({ validated: false });
      expect(x.rationale).toContain('no held-out validation for enrichment.');
    }
    const submitted = await writeback.submit(result.proposals, result.trace);
    for (const s of submitted.filter((x) => props.includes(x.proposal))) {
      expect(s.status).toBe('pending_review');
      expect(reasonCodes(s.decision)).toContain('model_unvalidated');
    }
  });

  it('a value a person set is never replaced: the other value waits in review with both values and their sources', async () => {
    // A company whose provider record is right and whose industry a person then sets to something else.
    const r = truth.enrichment!.records.find((x) => !x.gaps.includes('industry') && truth.enrichment!.provider[x.domain]?.industry === x.industry && (truth.enrichment!.provider[x.domain]?.matchScore ?? 0) >= 0.9)!;
    expect(r).toBeDefined();
    const human = r.industry === 'RETAIL' ? 'MACHINERY' : 'RETAIL';
    const res = await fetch(`${sandbox.url}/_sandbox/simulate/human-edit`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ objectType: 'companies', objectId: r.companyId, properties: { industry: human } }) });
    expect(res.ok).toBe(true);
    const result = await run(r.companyId, 'enrich-conflict');
    const p = result.proposals.find((x) => x.field === 'industry')!;
    expect(p.value).toBe(r.industry);
    expect(p.rationale).toContain(`HubSpot now holds "${human}" (set by CRM_UI`);
    expect(p.rationale).toMatch(/provider sandbox \(match 0\.\d\d\): /);
    const [submitted] = (await writeback.submit(result.proposals, result.trace)).filter((s) => s.proposal.field === 'industry');
    expect(submitted!.status).toBe('pending_review');
    expect(reasonCodes(submitted!.decision)).toContain('fills_empty_only');
    expect((await read(r.companyId)).industry).toBe(human);
    const [review] = await writeback.listReviews({ status: 'pending', objectType: 'companies', objectId: r.companyId });
    expect(review).toMatchObject({ observedValue: human });
    expect(review!.proposal.value).toBe(r.industry);
  });

  it('writes nothing over a value already there, on any company of the portal', async () => {
    const records = truth.enrichment!.records;
    const before = new Map((await stack.gateway.batchRead('companies', records.map((r) => r.companyId), { properties: [...ENRICHMENT_FIELDS] })).map((o) => [o.id, o.properties]));
    for (const r of records) {
      const result = await run(r.companyId, `enrich-all-${r.companyId}`);
      // Every proposal targets the job's own company.
      expect(result.proposals.every((p) => p.target.objectType === 'companies' && p.target.objectId === r.companyId)).toBe(true);
      if (result.proposals.length) await writeback.submit(result.proposals, result.trace);
    }
    const after = await stack.gateway.batchRead('companies', records.map((r) => r.companyId), { properties: [...ENRICHMENT_FIELDS] });
    for (const o of after) {
      for (const f of ENRICHMENT_FIELDS) {
        const was = before.get(o.id)?.[f] ?? '';
        if (was !== '') expect(o.properties[f]).toBe(was);
      }
    }
  });

  it('fails with a clear, permanent error when the provider refuses the key', async () => {
    const bad = new HttpEnrichmentProvider({ url: `${sandbox.url}/_sandbox/enrichment`, apiKey: 'not-the-sandbox-token' });
    const r = truth.enrichment!.records[0]!;
    await expect(run(r.companyId, 'enrich-bad-key', deps(bad))).rejects.toMatchObject({ code: 'ENRICHMENT_AUTH', retryable: false });
  });
});

describe('enrichment extractor', () => {
  /** Every fact a portal's notes state, as chunks (one per note). */
  function statedChunks(style: 'dev' | 'test') {
    const portal = generatePortal({ seed: 31, companies: 60, enrichmentGaps: 0.8, style, whales: 0 });
    const notes = new Map(portal.objects.notes.map((n) => [n.id, n.properties.hs_note_body ?? '']));
    const stated = portal.groundTruth.enrichment!.records.flatMap((r) => r.stated);
    const chunks: ReferencedChunk[] = stated.map((s, i) => ({ id: `n${s.noteId}`, ref: `c${i + 1}`, text: (notes.get(s.noteId) ?? '').replace(/<[^>]+>/g, '\n'), sourceType: 'note', sourceId: s.noteId, occurredAt: '2026-01-01T00:00:00.000Z' }));
    return { stated, chunks };
  }

  it('finds the facts stated in phrasings written apart from the ones it was developed on, and nothing false', () => {
    for (const style of ['dev', 'test'] as const) {
      const { stated, chunks } = statedChunks(style);
      const facts = enrichmentOffline(chunks, new Set(ENRICHMENT_FIELDS)).facts;
      let found = 0;
      stated.forEach((s, i) => {
        const mine = facts.filter((f) => f.evidence[0] === `c${i + 1}` && f.field === s.field);
        const values = s.field === 'ai_tech_stack' ? s.value.split(';') : [s.value];
        if (mine.length && values.every((v) => mine.some((f) => f.value === v))) found++;
        // Nothing it finds in a note contradicts what the note states.
        for (const f of mine) expect(values).toContain(f.value);
      });
      expect(found / stated.length, `${style}: ${found}/${stated.length}`).toBeGreaterThanOrEqual(0.9);
    }
  });

  it('does not take other people\'s facts or counts that are not head counts', () => {
    const chunk = (text: string): ReferencedChunk => ({ id: 'x', ref: 'c1', text, sourceType: 'note', sourceId: '1', occurredAt: '2026-01-01T00:00:00.000Z' });
    const none = [
      'Their competitor is a software company with 900 employees.',
      'We need licenses for 250 employees in the first phase.',
      'The webinar had 300 people attending.',
      'They used to run on Oracle before the merger.',
      'The support team of 12 people handles the tickets.',
      'Patients complain about the clinic wait times.',
      // A name outside the object of the usage verb says nothing of what they run.
      'They use the API gateway and need help with Kubernetes.',
    ];
    for (const t of none) expect(enrichmentOffline([chunk(t)], new Set(ENRICHMENT_FIELDS)).facts, t).toEqual([]);
    expect(enrichmentOffline([chunk('Acme is a logistics company with 420 employees.')], new Set(ENRICHMENT_FIELDS)).facts.map((f) => [f.field, f.value])).toEqual([
      ['industry', 'LOGISTICS_AND_SUPPLY_CHAIN'],
      ['numberofemployees', '420'],
    ]);
  });
});

describe('enrichment of list fields', () => {
  const base = { portalId: '1', accountId: '7', runId: 'r1', agent: 'enrichment' as const, promptVersion: 'v1', model: 'offline-extractive-v1', createdAt: '2026-01-01T00:00:00.000Z' };
  const refs: ReferencedChunk[] = [{ id: 'n1', ref: 'c1', text: 'They use SAP and Okta.', sourceType: 'note', sourceId: '1', occurredAt: '2026-01-01T00:00:00.000Z' }];
  const output = { facts: [{ field: 'ai_tech_stack' as const, value: 'SAP', quote: 'They use SAP and Okta.', evidence: ['n1'] }, { field: 'ai_tech_stack' as const, value: 'Okta', quote: 'They use SAP and Okta.', evidence: ['n1'] }] };
  const proposalsWith = (techStack: string[]) =>
    enrichmentProposals({
      output, refs, current: {}, target: { objectType: 'companies', objectId: '7' }, base,
      provider: { name: 'sandbox', facts: { industry: null, numberofemployees: null, techStack, intentSignals: [], matchScore: 0.95 } },
      judge: judgmentRater([MEASURED], 'offline', 'offline-extractive-v1', 'enrichment'),
    }).find((p) => p.field === 'ai_tech_stack')!;

  it('joins the provider\'s items only when it lists every stated one, and carries the value class it was rated by', () => {
    const agreed = proposalsWith(['Okta', 'SAP', 'Slack']);
    expect(agreed.value).toBe('Okta;SAP;Slack');
    expect(agreed.modelValidation).toMatchObject({ key: 'enrichment.ai_tech_stack', valueClass: 'agreed' });
    // One shared item by chance (a stale vendor record) is no agreement: its other items stay out.
    const partial = proposalsWith(['Okta', 'Stripe']);
    expect(partial.value).toBe('Okta;SAP');
    expect(partial.modelValidation).toMatchObject({ valueClass: 'stated' });
  });
});
