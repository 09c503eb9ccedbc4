import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leadScoreProposals, type LeadScoreProposalInput } from '../../src/agents/lead-score.ts';
import { driverLabel, topDrivers } from '../../src/agents/scorer/drivers.ts';
import type { Observation } from '../../src/agents/scorer/features.ts';
import { scoreObservation, sigmoid, type ScorerModel } from '../../src/agents/scorer/model.ts';
import { trainScorer } from '../../src/agents/scorer/train.ts';
import { buildApp } from '../../src/api/app.ts';
import { reviewRoutes } from '../../src/api/routes/reviews.ts';
import { accountOf, firstIds, startHarness, trace, type Harness } from '../writeback/harness.ts';

/**
 * Every lead score carries its top drivers: the scorer's per-feature contributions, signed and in words, in the
 * written score's companion note (read back from the sandbox portal over HTTP) and in every review item derived
 * from the score (read through the reviews API).
 */

const base: Observation = { industry: 'RETAIL', sizeBand: 'smb', seniorBuyer: 0, meetings: 0, inboundEmails: 0, outboundEmails: 1, calls: 0, notes: 1, staleMonths: 3, competitorMentioned: 0 };

/** A scorer where meetings and a senior buyer win deals and staleness loses them. */
function scorer(): ScorerModel {
  const examples = Array.from({ length: 120 }, (_, i) => {
    const o: Observation = { ...base, industry: i % 3 ? 'RETAIL' : 'COMPUTER_SOFTWARE', sizeBand: i % 2 ? 'smb' : 'enterprise', seniorBuyer: i % 4 === 0 ? 1 : 0, meetings: i % 6, staleMonths: (i % 5) * 1.5 };
    return { observation: o, won: o.meetings + 2 * o.seniorBuyer - o.staleMonths / 2 > 1.5, groupId: String(i) };
  });
  return trainScorer(examples, { folds: 3, numSteps: 400 }).model;
}

/** The same model with the figures of a validated one, so its note and score are applied automatically. */
function validated(m: ScorerModel): ScorerModel {
  return { ...m, validation: { trainedAt: '2026-11-01T00:00:00.000Z', closedDeals: 600, won: 200, folds: 5, auc: 0.8, aucInterval: [0.75, 0.85], ece: 0.03, brier: 0.15, features: m.featureNames, confidenceBound: 0.97 } };
}

const model = scorer();

describe('score drivers', () => {
  const hot: Observation = { ...base, industry: 'COMPUTER_SOFTWARE', seniorBuyer: 1, meetings: 5, staleMonths: 0 };

  it('are the signed contributions that make up the logit, largest first, with readable names', () => {
    const score = scoreObservation(model, hot);
    const logit = model.intercept + score.contributions.reduce((s, c) => s + c.contribution, 0);
    expect(sigmoid(logit)).toBeCloseTo(score.probability, 9);
    const top = topDrivers(score);
    expect(top).toHaveLength(5);
    const sizes = top.map((d) => Math.abs(d.contribution));
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
    // What the scorer learned shows through: meetings and a senior buyer raise this score.
    expect(top.find((d) => d.feature === 'meetings')!.contribution).toBeGreaterThan(0);
    expect(top.find((d) => d.feature === 'seniorBuyer')?.contribution ?? 1).toBeGreaterThan(0);
    for (const d of top) expect(d.label).not.toMatch(/=|[a-z][A-Z]/);
    expect(driverLabel('meetings', 5)).toBe('Meetings held: 5');
    expect(driverLabel('staleMonths', 2.345)).toBe('Months since the last activity: 2.3');
    expect(driverLabel('industry=COMPUTER_SOFTWARE', 1)).toBe('Industry: Computer software');
    expect(driverLabel('size=enterprise', 0)).toBe('Company size is not enterprise');
    expect(driverLabel('seniorBuyer', 0)).toBe('No senior buyer involved');
  });

  it('go with every score-derived proposal and into a companion note only when the score changes', () => {
    const score = scoreObservation(model, hot);
    const input: LeadScoreProposalInput = {
      intent: { route: 'route_to_sdr', summary: 'Ready to buy.', reasons: [] }, score, observation: hot, scorer: model,
      base: { portalId: '1', accountId: '100', runId: 'r', agent: 'lead_score', promptVersion: 'lead_score@v1', model: 'offline', createdAt: '2026-11-30T00:00:00.000Z' },
      target: { objectType: 'companies', objectId: '100' }, current: { lifecyclestage: 'lead' }, cited: [], contacts: [],
    };
    const proposals = leadScoreProposals(input);
    const derived = proposals.filter((p) => p.field !== 'ai_last_run' && p.field !== 'ai_model');
    expect(derived.map((p) => p.field ?? p.kind).sort()).toEqual(['ai_fit_segment', 'ai_lead_score', 'ai_recommendation', 'lifecyclestage', 'note']);
    for (const p of derived) expect(p.drivers).toEqual(topDrivers(score));
    const note = proposals.find((p) => p.kind === 'note')!;
    // This scorer (120 deals) is not validated: its number is named an estimate, never a bare "N/100".
    expect(note.title).toBe(`AI lead score estimate: ${score.score} (scorer not validated)`);
    for (const d of topDrivers(score)) expect(note.value).toContain(d.label);
    expect(note.value).toMatch(/^[+−]\d\.\d\d {2}.+ — (raises|lowers) the score$/m);
    const unchanged = leadScoreProposals({ ...input, current: { ...input.current, ai_lead_score: String(score.score) } });
    expect(unchanged.some((p) => p.kind === 'note')).toBe(false);
  });
});

describe('score drivers on the portal and in review (sandbox over HTTP)', () => {
  let h: Harness;
  let app: FastifyInstance;
  const TOKEN = 'drivers-reader-token-1';

  beforeAll(async () => {
    h = await startHarness();
    app = await buildApp({ tokens: [{ token: TOKEN, role: 'reader', name: 'rita' }], routes: [{ name: 'reviews', plugin: reviewRoutes, opts: { writeback: h.writeback } }] });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await h?.close();
  });

  async function submit(m: ScorerModel, companyId: string, runId: string) {
    const accountId = await accountOf(h, 'companies', companyId);
    const observation: Observation = { ...base, seniorBuyer: 1, meetings: 4, staleMonths: 0.5 };
    const proposals = leadScoreProposals({
      intent: { route: 'route_to_sdr', summary: 'Engaged.', reasons: [] }, score: scoreObservation(m, observation), observation, scorer: m,
      base: { portalId: await h.gateway.portalId(), accountId, runId, agent: 'lead_score', promptVersion: 'lead_score@v1', model: 'offline', createdAt: new Date().toISOString() },
      target: { objectType: 'companies', objectId: companyId }, current: {}, cited: [], contacts: [],
    });
    const results = await h.writeback.submit(proposals, trace(runId, 'lead_score'));
    return { proposals, results };
  }

  it('a validated score is written with its companion note holding the drivers', async () => {
    const [company] = await firstIds(h, 'companies', 1);
    const m = validated(model);
    const { proposals, results } = await submit(m, company!, 'run-drivers-apply');
    const byField = new Map(results.map((r) => [r.proposal.field ?? r.proposal.kind, r]));
    expect(byField.get('ai_lead_score')!.status).toBe('applied');
    const note = byField.get('note')!;
    expect(note.status).toBe('applied');
    const noteId = note.detail!.split(' ')[1]!;
    const [written] = await h.gateway.batchRead('notes', [noteId], { properties: ['hs_note_body'] });
    const body = written!.properties.hs_note_body ?? '';
    const drivers = proposals.find((p) => p.field === 'ai_lead_score')!.drivers!;
    expect(drivers.length).toBeGreaterThan(0);
    for (const d of drivers) expect(body).toContain(d.label!.replace(/&/g, '&amp;'));
    expect(body).toMatch(/[+−]\d\.\d\d/);
  });

  it('an unvalidated score waits in review, and the review item shows its signed, named drivers', async () => {
    const [, company] = await firstIds(h, 'companies', 2);
    const { proposals, results } = await submit(model, company!, 'run-drivers-review');
    const expected = proposals.find((p) => p.field === 'ai_lead_score')!.drivers!;
    const pending = results.filter((r) => r.status === 'pending_review');
    expect(pending.map((r) => r.proposal.field ?? r.proposal.kind).sort()).toEqual(['ai_fit_segment', 'ai_lead_score', 'ai_recommendation', 'note']);
    const res = await app.inject({ method: 'GET', url: `/v1/reviews?objectType=companies&objectId=${company}&agent=lead_score`, headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.statusCode).toBe(200);
    const reviews = res.json().reviews as Array<{ field: string | null; kind: string; reasons: string[]; drivers?: Array<{ label: string; contribution: number }> }>;
    expect(reviews).toHaveLength(4);
    for (const r of reviews) {
      expect(r.reasons.some((x) => x.startsWith('model_unvalidated'))).toBe(true);
      expect(r.drivers).toEqual(expected);
      for (const d of r.drivers!) expect(d.label).toMatch(/^[A-Z]/);
    }
  });
});
