import type { ReplyDraftOutput } from '../schemas.ts';
import { KEY_POINT, SMALL_TALK } from './cues.ts';
import { contentWords, sentencesOf, splitSentences, type Sentence } from './sentences.ts';
import { OFFLINE_LABEL, type OfflineReplyDraftInput } from './types.ts';

/**
 * Template reply: acknowledges each question or request in the incoming e-mail and answers it only with
 * sentences copied from the account's history, each cited. What it cannot ground it promises to follow up on
 * instead of inventing an answer.
 */

const ASK = /\?\s*$|\b(?:please|can you|could you|would you|let me know|send (?:me|us|over)|share|need(?:s|ed)? (?:to|the|a)|wondering)\b/i;

function overlap(a: string[], b: Set<string>): number {
  let n = 0;
  for (const w of new Set(a)) if (b.has(w)) n++;
  return n;
}

function bestAnswer(ask: string, pool: Sentence[], used: Set<string>): Sentence | null {
  const askWords = contentWords(ask);
  let best: { s: Sentence; score: number } | null = null;
  for (const s of pool) {
    if (used.has(s.text)) continue;
    const score = overlap(askWords, new Set(contentWords(s.text)));
    if (score >= 2 && (!best || score > best.score)) best = { s, score };
  }
  return best?.s ?? null;
}

export function draftReplyOffline(input: OfflineReplyDraftInput): ReplyDraftOutput {
  const inboundRefs = input.inbound.refs;
  const asks = splitSentences(input.inbound.text.split(/\n\s*(?:--\s*$|On .{6,120} wrote:)/m)[0] ?? '')
    .map((s) => s.replace(/\s+/g, ' ').trim())
    .filter((s) => ASK.test(s) && !SMALL_TALK.test(s))
    .slice(0, 4);
  const inboundIds = new Set(inboundRefs);
  const pool = input.chunks
    .filter((c) => !inboundIds.has(c.ref))
    .flatMap(sentencesOf)
    .filter((s) => !SMALL_TALK.test(s.text) && s.text.length > 25);

  const claims: ReplyDraftOutput['claims'] = [];
  const paragraphs: string[] = [];
  const used = new Set<string>();

  for (const ask of asks) {
    const answer = bestAnswer(ask, pool, used);
    if (inboundRefs.length) claims.push({ text: `You asked: "${ask}"`, evidence: inboundRefs });
    if (answer) {
      used.add(answer.text);
      claims.push({ text: answer.text, evidence: [answer.ref] });
      paragraphs.push(`On "${ask}": from our earlier conversations, ${lowerFirst(answer.text)}`);
    } else {
      paragraphs.push(`On "${ask}": I am checking this and will come back to you shortly.`);
    }
  }

  // Context worth restating so the reply shows we remember the account (requirements, deadlines, budget).
  const context = pool.filter((s) => KEY_POINT.test(s.text) && !used.has(s.text)).slice(0, 2);
  if (context.length) {
    paragraphs.push(`To make sure we stay aligned with what you told us: ${context.map((s) => s.text).join(' ')}`);
    for (const s of context) claims.push({ text: s.text, evidence: [s.ref] });
  }
  if (paragraphs.length === 0) paragraphs.push('Thank you for the update. I will review it and follow up with next steps.');

  const first = input.inbound.fromName?.split(/\s+/)[0];
  const subject = input.inbound.subject ? (/^re:/i.test(input.inbound.subject) ? input.inbound.subject : `Re: ${input.inbound.subject}`) : 'Re: your message';
  const body = [
    first ? `Hi ${first},` : 'Hello,',
    '',
    `Thank you for your e-mail${input.inbound.subject ? ` about "${input.inbound.subject.replace(/^re:\s*/i, '')}"` : ''}.`,
    '',
    ...paragraphs.flatMap((p) => [p, '']),
    'Best regards,',
    input.repName ?? '',
    '',
    `${OFFLINE_LABEL} Template draft for the rep to review; nothing has been sent.`,
  ].join('\n');
  return { subject, body, claims };
}

function lowerFirst(s: string): string {
  return /^[A-Z][a-z]/.test(s) ? s.charAt(0).toLowerCase() + s.slice(1) : s;
}
