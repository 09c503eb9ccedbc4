import type { LeadIntentOutput, Route } from '../schemas.ts';
import { INTENT_NEGATIVE, INTENT_POSITIVE, SMALL_TALK } from './cues.ts';
import { normalizeKey, sentencesOf } from './sentences.ts';
import { OFFLINE_LABEL, type OfflineLeadIntentInput } from './types.ts';

/** Intent reasons without a model: sentences that show (or deny) buying intent, cited; the route follows the score. */

export function routeForScore(score: number): Route {
  if (score >= 60) return 'route_to_sdr';
  if (score >= 25) return 'nurture';
  return 'disqualify';
}

export function leadIntentOffline(input: OfflineLeadIntentInput): LeadIntentOutput {
  const seen = new Set<string>();
  const positive: LeadIntentOutput['reasons'] = [];
  const negative: LeadIntentOutput['reasons'] = [];
  const sentences = input.chunks.flatMap(sentencesOf).sort((a, b) => b.occurredAt.localeCompare(a.occurredAt));
  for (const s of sentences) {
    if (SMALL_TALK.test(s.text) || s.text.length < 20) continue;
    const key = normalizeKey(s.text);
    if (seen.has(key)) continue;
    if (INTENT_NEGATIVE.test(s.text)) {
      seen.add(key);
      negative.push({ text: `Against: ${s.text}`, evidence: [s.ref] });
    } else if (INTENT_POSITIVE.test(s.text)) {
      seen.add(key);
      positive.push({ text: `For: ${s.text}`, evidence: [s.ref] });
    }
  }
  // Without a score the signals decide, and only counter-signals disqualify: a lead with no activity, or as many
  // signals for as against, is kept (nurture). A workflow that branches on the route never drops a lead on no evidence.
  const route = input.score !== null ? routeForScore(input.score) : negative.length > positive.length ? 'disqualify' : 'nurture';
  const scoreText = input.score !== null ? `Calibrated score ${input.score}/100.` : `${input.unscored ?? 'No trained scorer loaded'}.`;
  return {
    route,
    reasons: [...positive.slice(0, 4), ...negative.slice(0, 2)],
    summary: `${OFFLINE_LABEL} ${scoreText} ${positive.length} buying signal(s) and ${negative.length} counter-signal(s) in the retrieved history.`,
  };
}
