import { ACCEPTANCE, CANCELLATION, DUE_DATE, FILLERS, HYPOTHETICAL, IN_CALL_NOTE, IN_CALL_PRESENTING, NAMED_CANCELLATION, NEGATION, NEXT_STEP_MARKERS, NOT_AN_ACTION, PAST_INTENT, REQUEST, SMALL_TALK, STATIVE_VERBS, TEMPORAL_CLAUSE, WEAK_OBJECT } from './cues.ts';
import type { Sentence } from './sentences.ts';

/**
 * Next steps from commitment syntax, not from a list of the actions a generator happens to use:
 *
 *   owner      first person (I, we, let me, let's), a named person or a team ("Priya will…", "our legal team
 *              will…"), or whoever accepts a request ("Could you send…?" — "Sure, will do.");
 *   modality   future or volition: will, 'll, going to, gonna, shall, can, need to, happy to, let me / let's;
 *   action     a verb that is not stative (be, think, like…) followed by an object with content;
 *   due date   optional ("by Friday", "early next week").
 *
 * and filters that remove what only sounds like one: negated ("I will not send…", "we don't need a…"),
 * hypothetical ("if legal pushes back we could…", "might"), past intentions ("I was going to…"), questions, and
 * commitments retracted later in the call ("scratch that", "no need, we already have it").
 */

export interface Commitment {
  text: string;
  owner: string | null;
  dueDate: string | null;
  /** The sentences it was read from (the acceptance of a request cites both turns). */
  sources: Sentence[];
}

const MODAL = String.raw`(?:'ll|\s+will|\s+shall|(?:\s+(?:am|are)|'m|'re)\s+going\s+to|(?:\s+(?:am|are)|'m|'re)\s+gonna|\s+(?:need|have|got)\s+to|\s+(?:will|'ll)\s+make\s+sure\s+(?:to|that|you(?:\s+have)?)?)`;
/** "I'll …", "we are going to …", "I need to …", "I can …" (the verb follows). */
const FIRST_PERSON = new RegExp(String.raw`(?:^|[\s,;:—–-])(i|we)(${MODAL})\s+(?:also\s+|just\s+|then\s+|quickly\s+|definitely\s+)?([a-z][a-z'-]*)(.*)$`, 'iu');
/** "let me …", "let's …", "let us …", "happy to …", "glad to …". */
const LET = /(?:^|[\s,;:—–-])(let me|let's|let us|happy to|glad to|more than happy to)\s+(?:also\s+|just\s+|quickly\s+)?([a-z][a-z'-]*)(.*)$/iu;
/** "Priya will …", "Tom from our solutions team is going to …", "our legal team will …". */
const THIRD_PERSON = /(?:^|[\s,;:—–-])((?:[A-Z][\p{L}'-]+(?:\s+[A-Z][\p{L}'-]+)?)(?:\s+(?:from|on|in)\s+(?:our|the|their|your)\s+[\p{L}\s-]{1,30}?)?|(?:[Oo]ur|[Tt]he|[Mm]y)\s+(?:[\p{L}-]+\s+){0,2}(?:team|folks|people|controller|counsel|department|lead|manager|colleague|engineer|engineers))\s+(?:will|'ll|is going to|are going to|is gonna|are gonna|shall)\s+(?:also\s+|then\s+)?([a-z][a-z'-]*)(.*)$/u;

const FOREIGN_FUTURE = /(?:^|[\s,])(ich werde|wir werden|voy a|vamos a|je vais|nous allons|on va)\s+(.+)$/iu;

function clean(text: string): string {
  return text
    .replace(/[’‘]/g, "'")
    .replace(FILLERS, ' ')
    // "let me well explain", "i will well send": a hesitation between the modal and its verb.
    .replace(/\b(let me|let's|let us|will|'ll|going to|gonna|happy to)\s+(?:well|like|so)\s+/giu, '$1 ')
    .replace(/\s+/g, ' ')
    .trim();
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function contentCount(object: string): number {
  return (object.toLowerCase().match(/[\p{L}\p{N}]{3,}/gu) ?? []).filter((w) => !WEAK_OBJECT.has(w)).length;
}

function isQuestion(text: string): boolean {
  return /\?\s*$/.test(text) || /^(?:can|could|would|will|should|shall|do|does|did|is|are|any chance|what|when|how|why|who|where)\b/i.test(text.trim());
}

interface Found {
  owner: string | null;
  action: string;
  /** The clause from the subject on: what a rep reads as the next step. */
  clause: string;
  weakObject: boolean;
}

/** A commitment stated in one sentence, or null. `speaker` owns first-person commitments. */
export function commitmentIn(sentence: string, speaker: string | null): Found | null {
  const text = clean(sentence);
  if (isQuestion(text) || NEGATION.test(text) || HYPOTHETICAL.test(text) || PAST_INTENT.test(text)) return null;
  const tries: Array<() => Found | null> = [
    () => {
      const m = FIRST_PERSON.exec(text);
      if (!m) return null;
      return build(speaker, m[3]!, m[4]!, text.slice(m.index).replace(/^[\s,;:—–-]+/, ''));
    },
    () => {
      const m = LET.exec(text);
      if (!m) return null;
      return build(speaker, m[2]!, m[3]!, text.slice(m.index).replace(/^[\s,;:—–-]+/, ''));
    },
    () => {
      const m = THIRD_PERSON.exec(text);
      if (!m) return null;
      const who = m[1]!.trim();
      const named = /^[A-Z]/.test(who) && !NOT_AN_ACTION.has(who.split(/\s+/)[0]!.toLowerCase());
      const team = /^(?:our|the|my)\s/i.test(who) && !/^(?:our|the|my)\s+[A-Z]/.test(who);
      if (!named && !team) return null;
      // A team speaks through the speaker; a named person owns it.
      return build(team ? speaker : who.split(/\s+/)[0]!, m[2]!, m[3]!, text.slice(m.index).replace(/^[\s,;:—–-]+/, ''));
    },
  ];
  tries.push(() => {
    // Other languages: the future constructions ("ich werde…", "voy a…", "je vais…").
    const m = FOREIGN_FUTURE.exec(text);
    return m && contentCount(m[2]!) > 0 ? { owner: speaker, action: m[1]!.toLowerCase(), clause: text.slice(m.index).trim().replace(/[.!]+$/, ''), weakObject: false } : null;
  });
  for (const t of tries) {
    const f = t();
    if (f) return f;
  }
  return null;
}

function build(owner: string | null, verb: string, rest: string, clause: string): Found | null {
  const v = verb.toLowerCase();
  if (STATIVE_VERBS.has(v) || NOT_AN_ACTION.has(v)) return null;
  // "I will capture that in the shared plan", "let me note that down": the call's own note-taking, not a follow-up.
  if (IN_CALL_NOTE.test(`${v}${rest}`)) return null;
  if (IN_CALL_PRESENTING.test(`${v}${rest}`) && !DUE_DATE.test(rest)) return null;
  // The object is what the verb acts on: "reconvene once that is done" has none, "send the deck when legal
  // approves" has "the deck".
  const object = rest.replace(/[.!;]+.*$/, '').replace(TEMPORAL_CLAUSE, '');
  const weakObject = contentCount(object) === 0;
  return { owner, action: v, clause: clause.replace(/[.!]+$/, ''), weakObject };
}

/** Every next step of a call's sentences, in order, with retracted ones removed. */
export function extractCommitments(sentences: Sentence[]): Commitment[] {
  const out: Array<Commitment & { at: number; retracted?: boolean }> = [];
  sentences.forEach((s, i) => {
    const text = clean(s.text);
    // A retraction cancels the newest commitment before it that it names, or the newest one at all.
    const byName = !CANCELLATION.test(text) && NAMED_CANCELLATION.test(text);
    if (CANCELLATION.test(text) || byName) {
      const words = new Set((text.toLowerCase().match(/[\p{L}]{4,}/gu) ?? []).filter((w) => !WEAK_OBJECT.has(w)));
      const open = out.filter((c) => !c.retracted && i - c.at <= 3);
      const named = open.filter((c) => (c.text.toLowerCase().match(/[\p{L}]{4,}/gu) ?? []).some((w) => words.has(w)));
      const target = (named.length || byName ? named : open).at(-1);
      if (target) target.retracted = true;
      // "I'll send the deck — actually, scratch that": the same sentence made and retracted it.
      return;
    }
    const marked = NEXT_STEP_MARKERS.test(text);
    const body = text.replace(NEXT_STEP_MARKERS, '');
    // Pleasantries ("Sounds good, let us reconvene") are no action of their own, but may accept a request.
    const found = SMALL_TALK.test(body) ? null : commitmentIn(body, s.speaker);
    // "Next step: send the order form" states an action without a subject: the speaker owns it.
    if (!found && marked && contentCount(body) >= 2 && !NEGATION.test(body)) {
      out.push({ text: capitalize(body.replace(/[.!]+$/, '')), owner: s.speaker, dueDate: dueOf(body), sources: [s], at: i });
      return;
    }
    const prev = sentences[i - 1];
    const requested = prev && prev.speaker !== s.speaker && REQUEST.test(clean(prev.text)) ? requestAction(prev.text) : null;
    if (found) {
      if (requested && (found.weakObject || contentCount(found.clause) < 4)) {
        out.push({ text: capitalize(`${requested} (${found.clause})`), owner: found.owner, dueDate: dueOf(`${prev!.text} ${s.text}`), sources: [prev!, s], at: i });
      } else if (!found.weakObject) {
        out.push({ text: capitalize(found.clause), owner: found.owner, dueDate: dueOf(found.clause), sources: [s], at: i });
      }
      return;
    }
    // "Could you send the checklist?" — "Sure, will do.": the acceptance makes the request a commitment.
    if (requested && ACCEPTANCE.test(text) && !NEGATION.test(text)) {
      out.push({ text: capitalize(requested), owner: s.speaker, dueDate: dueOf(`${prev!.text} ${s.text}`), sources: [prev!, s], at: i });
    }
  });
  return out.filter((c) => !c.retracted).map(({ text, owner, dueDate, sources }) => ({ text, owner, dueDate, sources }));
}

/** "Could you rework the quote with the smaller seat count?" → "rework the quote with the smaller seat count". */
export function requestAction(text: string): string {
  const t = clean(text).replace(/[?.!]+$/, '');
  const m = REQUEST.exec(t);
  return (m ? t.slice(m.index + m[0].length) : t).trim();
}

function dueOf(text: string): string | null {
  const m = DUE_DATE.exec(text);
  return m ? (m[1] ?? null) : null;
}
