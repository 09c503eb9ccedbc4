import { describe, expect, it } from 'vitest';
import { summarizeAccountOffline } from '../../src/agents/offline/account-summary.ts';
import { competitorsIn, summarizeCallOffline } from '../../src/agents/offline/call-summary.ts';
import { leadIntentOffline, routeForScore } from '../../src/agents/offline/lead-intent.ts';
import { draftReplyOffline } from '../../src/agents/offline/reply-draft.ts';
import { OFFLINE_LABEL } from '../../src/agents/offline/types.ts';
import { OfflineProvider } from '../../src/agents/offline-provider.ts';
import { CallSummaryOutputSchema } from '../../src/agents/schemas.ts';
import type { ReferencedChunk } from '../../src/agents/untrusted.ts';

/** The offline provider's extractors on transcripts and e-mails shaped like the sandbox's (and real CRMs'). */

const chunk = (ref: string, text: string, extra: Partial<ReferencedChunk> = {}): ReferencedChunk => ({
  id: `id-${ref}`,
  ref,
  text,
  sourceType: 'call',
  sourceId: `calls:${ref}`,
  occurredAt: '2025-03-01T10:00:00.000Z',
  ...extra,
});

const TRANSCRIPT = [
  '[00:00:00] Jane Doe (Sandbox Vendor): Thanks for making the time today. The plan is to walk through the API gateway.',
  '[00:00:18] Omar Haddad (Bytely Labs 1): The weather was great this weekend.',
  '[00:00:41] Omar Haddad (Bytely Labs 1): To be honest, one concern: the price is above the budget we set.',
  '[00:00:55] Jane Doe (Sandbox Vendor): That is fair. Let me explain how other customers handled that, and we can adapt the proposal.',
  '[00:01:44] Omar Haddad (Bytely Labs 1): We also had a demo from Zendrix last week, and their pricing looked aggressive.',
  '[00:01:56] Jane Doe (Sandbox Vendor): Understood. Compared with Zendrix, the main differences are the integration depth and the support model.',
  '[00:02:11] Omar Haddad (Bytely Labs 1): Our main goal is to get the API gateway in place without disrupting the team.',
  '[00:02:23] Jane Doe (Sandbox Vendor): Next step: I will send the SOC 2 report and the security questionnaire.',
  '[00:02:34] Omar Haddad (Bytely Labs 1): I will share our ERP integration requirements by Friday.',
  '[00:02:44] Omar Haddad (Bytely Labs 1): Sounds good, let us reconvene once that is done.',
].join('\n');

describe('offline call summary', () => {
  const out = summarizeCallOffline({
    trigger: [chunk('c1', TRANSCRIPT)],
    history: [chunk('c2', 'One hard requirement from our side: the vendor must support SCIM user provisioning.', { sourceType: 'email', sourceId: 'emails:9' })],
  });

  it('finds next steps with their owner and a stated due date', () => {
    expect(out.nextSteps.map((s) => s.text)).toEqual([
      'I will send the SOC 2 report and the security questionnaire',
      'I will share our ERP integration requirements by Friday',
    ]);
    expect(out.nextSteps[0]).toMatchObject({ owner: 'Jane Doe', dueDate: null, evidence: ['c1'] });
    expect(out.nextSteps[1]).toMatchObject({ owner: 'Omar Haddad', dueDate: 'Friday' });
  });

  it('finds objections and competitors, and turns competition into a risk', () => {
    expect(out.objections.map((o) => o.text)).toContain('The price is above the budget we set');
    expect(out.competitors).toEqual([{ name: 'Zendrix', evidence: ['c1'] }]);
    expect(out.risks.map((r) => r.text)).toContain('Competing evaluation: Zendrix');
  });

  it('carries key facts from the history, cited to the history chunk, and labels itself offline', () => {
    const fromHistory = out.keyPoints.find((k) => k.text.includes('SCIM'));
    expect(fromHistory?.evidence).toEqual(['c2']);
    expect(out.summary.startsWith(OFFLINE_LABEL)).toBe(true);
    expect(CallSummaryOutputSchema.safeParse(out).success).toBe(true);
  });

  it('ignores small talk and descriptions that are not commitments', () => {
    const texts = [...out.nextSteps, ...out.objections, ...out.keyPoints].map((i) => i.text).join(' ');
    expect(texts).not.toMatch(/weather/);
    expect(out.nextSteps.some((s) => /explain how other customers/.test(s.text))).toBe(false);
  });

  it('names competitors only after a cue or as a vendor, never pronouns, months or departments', () => {
    expect(competitorsIn('We are evaluating PipeForge and talking to Salesloop.')).toEqual(['PipeForge', 'Salesloop']);
    expect(competitorsIn('We are evaluating The options in March.')).toEqual([]);
    expect(competitorsIn('Our CFO likes the Clarivo dashboards.')).toEqual(['Clarivo']);
    expect(competitorsIn('Finance wants a quote first.')).toEqual([]);
  });
});

/** Commitment syntax on the development phrasings (src/sandbox/phrasing/dev.ts); the test style is never used here. */
describe('offline next steps from commitment syntax', () => {
  const steps = (lines: string[]) =>
    summarizeCallOffline({ trigger: [chunk('c1', lines.map((l, i) => `[00:00:${String(10 + i).padStart(2, '0')}] ${l}`).join('\n'))], history: [] }).nextSteps;
  const REP = 'Jane Doe (Sandbox Vendor)';
  const BUYER = 'Omar Haddad (Bytely Labs 1)';

  it('reads offers, let-me, named and team owners', () => {
    const out = steps([
      `${REP}: Let me send you our implementation checklist after the call.`,
      `${REP}: Lukas Müller will prepare a data migration plan for your review.`,
      `${BUYER}: Our controller will handle the sign-off on our side.`,
      `${REP}: Happy to prepare a migration plan for the historical data.`,
    ]);
    expect(out.map((s) => s.owner)).toEqual(['Jane Doe', 'Lukas', 'Omar Haddad', 'Jane Doe']);
    expect(out[0]!.text).toMatch(/implementation checklist/);
  });

  it('turns an accepted request into the acceptor\'s next step', () => {
    const out = steps([`${REP}: Can you send me the list of integrations you use today?`, `${BUYER}: Yes, I can do that.`]);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ owner: 'Omar Haddad' });
    expect(out[0]!.text).toMatch(/list of integrations/);
  });

  it('drops negated, retracted, past and hypothetical actions', () => {
    const out = steps([
      `${REP}: We will not offer a further discount on this tier.`,
      `${REP}: I will share the product roadmap.`,
      `${BUYER}: Actually, no need for the roadmap, we have seen it.`,
      `${REP}: I already created the trial account yesterday.`,
      `${BUYER}: If the board asks, we might schedule a second demo.`,
      `${BUYER}: We don't need to send the invoice details yet.`,
      `${REP}: I'm going to get internal sign-off on the budget this month.`,
    ]);
    expect(out.map((s) => s.text)).toEqual(["I'm going to get internal sign-off on the budget this month"]);
  });

  it('drops what only sounds like a commitment: doubts, conditions, named retractions, in-call acts, old plans', () => {
    // Development sentences written for this test, apart from both phrase banks.
    const dropped = [
      [`${BUYER}: No, I don't think we'll need a second workshop.`],
      [`${REP}: I'd be happy to arrange a site visit if that helps.`],
      [`${REP}: In the event legal objects, we'll revisit the terms.`],
      [`${REP}: Assuming the budget comes through, I'll send the order form.`],
      [`${REP}: I'll book the workshop for Tuesday.`, `${BUYER}: Actually, let's skip the workshop, the team is busy.`],
      [`${REP}: I'll send the deck tonight.`, `${BUYER}: On second thought, don't send the deck, we have it.`],
      [`${REP}: Let me show you the reporting dashboard.`],
      [`${REP}: Let me pull up the pricing page.`],
      [`${REP}: Noted. I will capture that in the shared plan so nothing gets lost.`],
      [`${BUYER}: We were planning to run a pilot, but the budget moved.`],
      [`${REP}: I had meant to send the case study last week.`],
      [`${BUYER}: Nobody on our side will sign before the audit.`],
      [`${BUYER}: sounds good let us reconvene once that is done`],
      [`${REP}: um let me well explain how the rollout works`],
    ];
    for (const lines of dropped) expect(steps(lines), lines.at(-1)).toEqual([]);
    const kept = [
      [`${REP}: I'll send the updated quote by Thursday.`],
      [`${REP}: Let me walk you through the admin console next week.`],
      [`${REP}: I'll check if the API supports SSO and get back to you.`],
      [`${REP}: I'll book the workshop for Tuesday.`, `${BUYER}: Let's skip the small talk then.`],
    ];
    for (const lines of kept) expect(steps(lines), lines.at(-1)).toHaveLength(1);
  });

  it('reads a line repeated by overlapping chunks once, so its retraction still holds', () => {
    const a = `[00:01:10] ${REP}: I will share the product roadmap.`;
    const b = `[00:01:20] ${BUYER}: Actually, no need for the roadmap, we have seen it.`;
    const out = summarizeCallOffline({
      trigger: [chunk('c1', `Call — header 1\n[00:01:00] ${BUYER}: Fine.\n${a}`), chunk('c2', `Call — header 2\n${a}\n${b}`, { sourceId: 'calls:c1' })],
      history: [],
    });
    expect(out.nextSteps).toEqual([]);
  });

  it('reads lower-case speech-to-text with fillers, and other languages', () => {
    expect(steps([`${REP}: um we'll run a demo for the warehouse managers next time`]).map((s) => s.text)).toEqual(["We'll run a demo for the warehouse managers next time"]);
    expect(steps([`${REP}: Ich werde Ihnen morgen die Preisliste senden.`])[0]!.text).toMatch(/Preisliste/);
    expect(steps([`${REP}: Voy a enviar el contrato mañana.`])[0]!.text).toMatch(/contrato/);
  });
});

describe('offline reply draft', () => {
  it('answers the question from a cited history sentence and says it was not sent', () => {
    const inbound = chunk('c1', 'Hi Jane,\n\nCan the loyalty engine support SKU reporting out of the box? Our team needs that answered this week.\n\nThanks,\nPriya\n\n--\nPriya Sharma', {
      sourceType: 'email',
      sourceId: 'emails:1',
    });
    const history = chunk('c2', 'The loyalty engine supports SKU reporting out of the box through the analytics module.', { sourceType: 'note', sourceId: 'notes:2' });
    const out = draftReplyOffline({
      inbound: { fromName: 'Priya Sharma', subject: 'Question about the loyalty engine', text: inbound.text, refs: ['c1'] },
      repName: 'Jane Doe',
      companyName: 'Shoply Co 4',
      chunks: [inbound, history],
    });
    expect(out.subject).toBe('Re: Question about the loyalty engine');
    expect(out.body).toMatch(/^Hi Priya,/);
    expect(out.body).toContain('supports SKU reporting');
    expect(out.body).toContain(OFFLINE_LABEL);
    expect(out.claims.find((c) => c.text.includes('analytics module'))?.evidence).toEqual(['c2']);
    expect(out.claims.every((c) => c.evidence.length > 0)).toBe(true);
  });

  it('promises a follow-up instead of inventing an answer', () => {
    const out = draftReplyOffline({
      inbound: { fromName: null, subject: '', text: 'Could you confirm the renewal discount?', refs: ['c1'] },
      repName: null,
      companyName: null,
      chunks: [chunk('c1', 'Could you confirm the renewal discount?', { sourceType: 'email' })],
    });
    expect(out.body).toContain('I am checking this and will come back to you shortly');
  });
});

describe('offline account summary and lead intent', () => {
  it('rates churn from cited risk sentences, open tickets and silence', () => {
    const out = summarizeAccountOffline({
      companyName: 'Fleetly Group 9',
      factLines: ['Company: Fleetly Group 9'],
      openTickets: 2,
      daysSinceLastActivity: 150,
      chunks: [chunk('c1', 'We are frustrated: the outage last week delayed every shipment.'), chunk('c2', 'The go-live deadline is March 31 and the board expects it.')],
    });
    expect(out.churnRisk).toBe('high');
    expect(out.churnReasons[0]?.evidence).toEqual(['c1']);
    expect(out.highlights.some((h) => h.evidence.includes('c2'))).toBe(true);
    expect(out.recommendation).toMatch(/2 open tickets/);
  });

  it('routes by the calibrated score and cites intent signals', () => {
    expect(routeForScore(80)).toBe('route_to_sdr');
    expect(routeForScore(40)).toBe('nurture');
    expect(routeForScore(10)).toBe('disqualify');
    const out = leadIntentOffline({ score: 72, chunks: [chunk('c1', 'Can you send the pricing proposal with volume tiers before our decision?')] });
    expect(out.route).toBe('route_to_sdr');
    expect(out.reasons[0]?.evidence).toEqual(['c1']);
  });

  it('without a score, disqualifies only on counter-signals, never a lead with no evidence', () => {
    const unscored = { score: null, unscored: 'No trained scorer loaded' };
    expect(leadIntentOffline({ ...unscored, chunks: [] }).route).toBe('nurture');
    const against = chunk('c1', 'We are not interested and have no budget for this at all this year.');
    const forIt = chunk('c2', 'Can you send the pricing proposal with volume tiers before our decision?');
    expect(leadIntentOffline({ ...unscored, chunks: [against] }).route).toBe('disqualify');
    expect(leadIntentOffline({ ...unscored, chunks: [forIt] }).route).toBe('nurture');
    expect(leadIntentOffline({ ...unscored, chunks: [against, forIt] }).route).toBe('nurture');
  });
});

describe('OfflineProvider', () => {
  it('validates its output with the request schema and reports zero cost', async () => {
    const provider = new OfflineProvider();
    const r = await provider.generate({
      task: 'call_summary',
      promptVersion: 'call_summary/v1',
      messages: [],
      schema: CallSummaryOutputSchema,
      schemaName: 'call_summary',
      extract: () => summarizeCallOffline({ trigger: [chunk('c1', TRANSCRIPT)], history: [] }),
    });
    expect(r.provider).toBe('offline');
    expect(r.usage).toEqual({ inputTokens: 0, outputTokens: 0, costUsd: 0 });
    expect(r.output.nextSteps.length).toBe(2);
  });

  it('fails with OUTPUT_PARSING_FAILURE when its own strategy breaks the schema (no repair: it is a bug)', async () => {
    const provider = new OfflineProvider();
    await expect(
      provider.generate({ task: 'call_summary', promptVersion: 'x', messages: [], schema: CallSummaryOutputSchema, schemaName: 'call_summary', extract: () => ({ summary: 3 }) }),
    ).rejects.toMatchObject({ code: 'OUTPUT_PARSING_FAILURE', retryable: false });
  });
});
