import type { AccountSummaryOutput } from '../schemas.ts';
import { competitorsIn } from './call-summary.ts';
import { KEY_POINT, OBJECTION, RISK, SMALL_TALK } from './cues.ts';
import { normalizeKey, sentencesOf, type Sentence } from './sentences.ts';
import { OFFLINE_LABEL, type OfflineAccountSummaryInput } from './types.ts';

/**
 * Account summary and churn risk without a model: resolved record facts, the history's key sentences (newest
 * first) and a transparent churn heuristic whose every input is listed in the output.
 */

function unique(sentences: Sentence[], limit: number): Sentence[] {
  const seen = new Set<string>();
  const out: Sentence[] = [];
  for (const s of sentences) {
    const k = normalizeKey(s.text);
    if (!k || seen.has(k)) continue;
    seen.add(k);
    out.push(s);
    if (out.length >= limit) break;
  }
  return out;
}

export function summarizeAccountOffline(input: OfflineAccountSummaryInput): AccountSummaryOutput {
  const sentences = input.chunks
    .flatMap(sentencesOf)
    .filter((s) => !SMALL_TALK.test(s.text) && s.text.length > 20)
    .sort((a, b) => b.occurredAt.localeCompare(a.occurredAt));
  const highlights = unique(sentences.filter((s) => KEY_POINT.test(s.text)), 6);
  const riskSentences = unique(sentences.filter((s) => RISK.test(s.text) || OBJECTION.test(s.text)), 5);
  const competitorSentences = unique(sentences.filter((s) => competitorsIn(s.text).length > 0), 2);

  // Points, not probabilities: this heuristic is explained, not calibrated (the lead scorer is the calibrated one).
  let points = 0;
  const notes: string[] = [];
  points += Math.min(2, riskSentences.length * 0.5);
  if (input.openTickets > 0) {
    points += Math.min(1.5, input.openTickets * 0.5);
    notes.push(`${input.openTickets} open ticket${input.openTickets > 1 ? 's' : ''}`);
  }
  if (input.daysSinceLastActivity !== null && input.daysSinceLastActivity > 60) {
    points += input.daysSinceLastActivity > 120 ? 2 : 1;
    notes.push(`no activity for ${input.daysSinceLastActivity} days`);
  }
  if (competitorSentences.length) points += 1;
  const churnRisk = points >= 3 ? 'high' : points >= 1.5 ? 'medium' : 'low';

  const name = input.companyName ?? 'This account';
  const recommendation =
    churnRisk === 'high'
      ? `Escalate: have the owner contact ${name} this week and address the cited risks${notes.length ? ` (${notes.join(', ')})` : ''}.`
      : churnRisk === 'medium'
        ? `Check in with ${name} and resolve the open concerns before the next milestone${notes.length ? ` (${notes.join(', ')})` : ''}.`
        : `Keep the regular cadence with ${name}; no strong churn signal in the retrieved history.`;

  return {
    summary: [OFFLINE_LABEL, ...input.factLines].join('\n'),
    highlights: highlights.map((s) => ({ text: s.text, evidence: [s.ref] })),
    churnRisk,
    churnReasons: [...riskSentences, ...competitorSentences].map((s) => ({ text: s.text, evidence: [s.ref] })),
    recommendation,
  };
}
