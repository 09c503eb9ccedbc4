/**
 * A phrase bank: every sentence the generator can say about next steps, objections, competitors, buried facts and
 * an account's needs, in one text style. Two banks exist and are kept in separate files on purpose:
 * `dev.ts` (the generator's original phrasing plus harder phrasings written for tuning) and `test.ts` (written
 * apart, for reporting only). Cue lists and prompts are tuned on `dev` only; see src/sandbox/README.md.
 */

export type TextStyle = 'dev' | 'test';
export const TEXT_STYLES: readonly TextStyle[] = ['dev', 'test'];

/** Who says a line of a call: the vendor's rep, one of the buyer's attendees. */
export type Voice = 'rep' | 'buyer';

export interface Line {
  who: Voice;
  text: string;
}

/** Names a surface can use: the rep's and the buyer's first names, a colleague of the rep who is not on the call. */
export interface Cast {
  rep: string;
  buyer: string;
  colleague: string;
  /** A due-date phrase ("by Friday") or '' when none is stated. */
  due: string;
}

/** Who owns an action: the speaker, the other side, or a named colleague of the rep. */
export type OwnerRole = 'rep' | 'buyer' | 'colleague';

/**
 * An agreed action. `gist` is what a summary should say; `terms` are words that any faithful rendering of this
 * action keeps (the grader's key terms, lower case; a term matches a whole word or word prefix).
 */
export interface ActionIntent {
  gist: string;
  terms: string[];
  /** Ways to say it on a call. Each returns one or more lines; the owner is fixed per surface. */
  surfaces: Array<{ owner: OwnerRole; lines: (c: Cast) => Line[]; kind: string }>;
}

/** Something that sounds like an action but is not one to follow up: negated, cancelled, already done, or hypothetical. */
export interface DistractorIntent {
  gist: string;
  terms: string[];
  kind: 'negated' | 'cancelled' | 'past' | 'hypothetical';
  lines: (c: Cast) => Line[];
}

export interface ObjectionIntent {
  gist: string;
  terms: string[];
  /** Buyer lines. */
  surfaces: string[];
}

/** A fact planted in an old e-mail or note that a later summary, draft or score needs. */
export interface BuriedFactTemplate {
  kind: 'requirement' | 'budget' | 'competitor' | 'deadline' | 'stakeholder';
  /** The sentence(s) in the e-mail or note. */
  text: (v: string) => string;
  /** The fact in plain words (ground truth). */
  fact: (v: string) => string;
  values: string[];
}

/** A statement that replaces an earlier one (a revised budget, a new signer): the earlier one is a near-duplicate distractor. */
export interface RevisionTemplate {
  kind: 'budget' | 'stakeholder';
  before: (v: string) => string;
  after: (v: string, old: string) => string;
  fact: (v: string) => string;
  values: string[];
}

/** A question a customer e-mails, and the earlier note that answers it. */
export interface AnswerTemplate {
  question: (product: string, need: string) => string;
  answer: (product: string, need: string) => string;
}

/** Languages other than English a whole call can be held in. */
export interface ForeignCall {
  lang: string;
  opening: string;
  commitments: Array<{ gist: string; terms: string[]; owner: OwnerRole; line: string }>;
  objections: Array<{ gist: string; terms: string[]; line: string }>;
  closing: string;
}

export interface PhraseBank {
  style: TextStyle;
  /** Rep lines that open a call; `{topic}` is the product discussed. */
  openings: string[];
  /** Rep lines after an objection. */
  acknowledgements: string[];
  /** Buyer line stating the goal of the call; `{topic}`. */
  goals: string[];
  actions: ActionIntent[];
  distractors: DistractorIntent[];
  objections: ObjectionIntent[];
  competitorNames: string[];
  /** Buyer lines naming a competitor; `{c}` is the name. */
  competitorMentions: string[];
  /** Rep lines answering a competitor mention; `{c}`. */
  competitorReplies: string[];
  closings: Line[][];
  buriedFacts: BuriedFactTemplate[];
  revisions: RevisionTemplate[];
  answers: AnswerTemplate[];
  /** Sentences per hidden need cluster (`{product}`, `{term}` slots): how an account's needs show in its history. */
  needThemes: Record<NeedCluster, string[]>;
  /** E-mail sentences a buyer writes when the budget is confirmed (a win driver the CRM does not show). */
  budgetConfirmed: string[];
  foreign: ForeignCall[];
  /** Share of calls with speech-to-text noise (lower case, no punctuation, fillers, a wrong speaker label). */
  sttNoise: number;
  /** Share of calls held in another language. */
  foreignShare: number;
  fillers: string[];
  dueDates: string[];
}

/**
 * Hidden need clusters: what an account is really trying to achieve. Never a CRM field; it shapes the history
 * text and, through the lead model, the outcome of the account's deals.
 */
export const NEED_CLUSTERS = ['compliance', 'scale', 'cost', 'integration', 'adoption', 'expansion'] as const;
export type NeedCluster = (typeof NEED_CLUSTERS)[number];
