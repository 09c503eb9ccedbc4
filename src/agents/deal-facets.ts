import type { Facet } from '../retrieval/facet-search.ts';

/**
 * The standing questions of a B2B deal (the MEDDIC/BANT checklist), as facets: several short queries each, in
 * the words a seller and a buyer use for the same thing, and sentence cues that recognise an answer by its shape
 * (an amount of money, a date, a title). Written from what each question needs, not from any portal's wording;
 * `npm run eval -- --style dev` is where they were tuned, and `--style test` only reports.
 */

// "may" is a month only where a date is meant (see MAY below): as a verb ("we may need") it is the commonest false date.
const MONTHS = 'jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?';
/** May the month: with a day or a year beside it, or after a word that introduces a date ("by May", "early may"). */
const MAY = String.raw`\bmay\s+\d{1,2}(?:st|nd|rd|th)?\b|\bmay\s+20\d\d\b|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?may\b|\b(?:in|by|before|until|till|since|from|through|during|early|mid|late|end of|start of|beginning of|middle of|of)\s+may\b|\b(?:next|last|this)\s+may\b(?!\s+[a-z])`;
const WEEKDAYS = 'monday|tuesday|wednesday|thursday|friday';
/**
 * Named days of the retail and holiday calendar. They name a season people talk about ("stock-outs during Black
 * Friday") far more often than a date something is due, so they count as a date only after a word that sets a
 * deadline ("live before Black Friday").
 */
const NAMED_DAYS = String.raw`black\s+friday|cyber\s+monday|good\s+friday|easter\s+monday|christmas|thanksgiving|new\s+year'?s?(?:\s+eve)?`;

/** An amount of money: a currency sign or code, or a number with a thousands/millions word or suffix. */
export const MONEY = new RegExp(
  String.raw`(?:[$€£¥]\s?\d|\b\d[\d,.' ]*\s?(?:k|m|mm|bn|K|M)\b|\b\d[\d,.]*\s*(?:thousand|million|grand|usd|eur|gbp|chf|dollars?|euros?|pounds?|francs?)\b|\b(?:usd|eur|gbp|chf)\s?\d)`,
  'i',
);

/**
 * A point in time: a month, a quarter, a weekday, a numeric date, the end or start of a period, a holiday. Not a
 * weekday inside a named day ("Black Friday"), not a version or a rating ("2.1", "4.5"), not "24/7".
 */
export const DATE = new RegExp(
  String.raw`(?:\b(?:${MONTHS})\b\.?\s*\d{0,2}|${MAY}|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:${MONTHS})\b|\bq[1-4]\b|\b(?:first|second|third|fourth|last)\s+quarter\b|(?<!\b(?:black|cyber|good|easter)\s+)\b(?:${WEEKDAYS})\b|\b(?:by|before|until|till|ahead of|in time for|no later than)\s+(?:the\s+)?(?:${NAMED_DAYS})\b|(?<![\d.,/])\b(?!24/7\b)(?:0?[1-9]|[12]\d|3[01])/(?:0?[1-9]|1[0-2])(?:/\d{2,4})?\b(?![.,/]\d)|\b\d{1,2}[.-]\d{1,2}[.-](?:\d{4}|\d{2})\b|\b(?:end|start|beginning|middle)\s+of\s+(?:the\s+)?(?:month|quarter|year|fiscal|q[1-4]|${MONTHS}|may)|\bholidays?\b|\bfiscal year\b|\b20\d\d\b(?!\s*(?:users|seats|people|employees|units|licen[cs]es|records|rows))|\b\d{4}-\d{2}-\d{2}\b)`,
  'i',
);

/** The amount itself, whole ("$65,000", "70 thousand dollars", "EUR 12000"): the value a budget statement states. */
export const AMOUNT = new RegExp(
  String.raw`(?:[$€£¥]\s?\d[\d,.']*\s?(?:k|m|mm|bn|thousand|million)?\b|\b\d[\d,.']*\s?(?:k|m|mm|bn|thousand|million|grand)\b(?:\s(?:usd|eur|gbp|chf|dollars?|euros?|pounds?|francs?))?|\b\d[\d,.']*\s?(?:usd|eur|gbp|chf|dollars?|euros?|pounds?|francs?)\b|\b(?:usd|eur|gbp|chf)\s?\d[\d,.']*)`,
  'gi',
);

/** A person as a decision is attributed to them: a titled name ("Ms. Reyes", "dr adeyemi") or a role ("the CFO"). */
export const PERSON = new RegExp(
  String.raw`(?:\b(?:mr|ms|mrs|dr|prof)\.?\s+[\p{L}][\p{L}'-]+|\b(?:ceo|cfo|coo|cto|cio|ciso|cro|cmo|general counsel|chief \w+ officer|(?:vp|head|director) of \w+|controller|procurement lead)\b)`,
  'giu',
);

const cue = (source: string, weight: number) => ({ pattern: new RegExp(source, 'i'), weight });

export const REQUIREMENT: Facet = {
  name: 'requirement',
  queries: ['hard requirement the vendor must support', 'mandatory must have feature needed before we can buy', 'security compliance condition we cannot sign without'],
  cues: [
    cue(String.raw`\b(?:must|mandatory|required?|requirements?|requires|non[- ]negotiable|must[- ]have|essential|prerequisite|deal[- ]?breaker|showstopper|cannot (?:buy|sign|proceed)|won'?t (?:buy|sign|proceed)|hard (?:stop|line|rule))\b`, 2),
    cue(String.raw`\b(?:support|provide|offer|include|comply|compliant|certified|hosting|hosted|deployment|deploy|login|sign-on|sso|saml|scim|encrypt\w*|residency|on-?prem\w*|permissions?|provisioning)\b`, 1),
    cue(String.raw`\b(?:without (?:it|that|this)|if (?:that|it) is missing|otherwise|block|veto|reject\w*)\b`, 1),
  ],
  minCue: 3,
};

export const BUDGET: Facet = {
  name: 'budget',
  queries: ['approved budget for the project', 'how much money finance allocated to spend', 'funding amount available for this purchase'],
  cues: [
    { pattern: MONEY, weight: 2 },
    cue(String.raw`\b(?:budget\w*|fund\w*|financ\w*|money|spend\w*|allocat\w*|reserv\w*|aside|afford|purchase|buy|capex|opex|cap\b|ceiling|limit)\b`, 1),
    cue(String.raw`\b(?:approv\w*|sign(?:ed)?[- ]off|confirm\w*|clear(?:ed)?|green light|authori[sz]\w*|secured|committed|granted|revised|now|update)\b`, 1),
  ],
  minCue: 2,
  quota: 2,
  supersede: true,
  value: AMOUNT,
};

export const TIMELINE: Facet = {
  name: 'timeline',
  queries: ['deadline go-live timeline', 'date the rollout has to be finished', 'target launch date in production'],
  cues: [
    { pattern: DATE, weight: 2 },
    cue(String.raw`\b(?:deadline|go[- ]?live|launch\w*|rollout|roll out|cut-?over|due|target|in production|running|finished|complete[d]?|ready|deliver\w*|timeline|schedule|kick-?off)\b`, 1),
    cue(String.raw`\b(?:by|before|until|no later than|at the latest|latest)\b`, 1),
  ],
  minCue: 3,
  supersede: true,
  value: DATE,
};

export const COMPETITION: Facet = {
  name: 'competition',
  queries: ['also evaluating a competitor in parallel', 'comparing another vendor offer', 'alternative provider pitched proposal'],
  cues: [
    cue(String.raw`\b(?:evaluat\w*|compar\w*|alternatives?|competitors?|competing|competition|shortlist\w*|in the running|other vendors?|another vendor|other (?:offer|provider|option|solution)s?|versus|vs\.?|pitch\w*|bake-?off|rfp|side by side|in parallel|looking at|talking to|considering)\b`, 2),
    cue(String.raw`\b(?:offer|quote|proposal|demo|pricing|price|cheaper|dashboards?)\b`, 1),
    // A named vendor: a capitalised word after "from", "with", "to" or before "too"/"as well".
    { pattern: /\b(?:from|with|at|to|and)\s+[A-Z][a-z]+[A-Z]?\w*|\b[A-Z][a-z]+\w*\s+(?:too|as well|also)\b/, weight: 1 },
  ],
  minCue: 2,
  quota: 1,
};

export const DECISION: Facet = {
  name: 'decision',
  queries: ['final sign-off authority decision maker', 'who approves and signs the contract', 'executive who has to agree before purchase'],
  cues: [
    cue(String.raw`\b(?:mr|ms|mrs|dr)\.?\s+[a-z]|\b(?:ceo|cfo|coo|cto|cio|ciso|cro|vp|vice president|director|head of|general counsel|counsel|legal|procurement|board|controller|owner|founder|president|manager)\b`, 2),
    cue(String.raw`\b(?:sign\w*|signature|approv\w*|authori\w*|decid\w*|decision|veto|final|sign-off|loop(?:ed)? in|copy|in the loop|took over|replac\w*|left the company|responsible|owns)\b`, 1),
  ],
  minCue: 3,
  quota: 2,
  supersede: true,
  value: PERSON,
};

export const ESCALATION: Facet = {
  name: 'escalation',
  queries: ['issue escalation problem not working', 'complaint outage unhappy with the service'],
  cues: [cue(String.raw`\b(?:escalat\w*|outage|broken|not working|bug|incident|complain\w*|frustrat\w*|unhappy|churn|cancel\w*|downtime|error)\b`, 2)],
  minCue: 2,
};

export const TASK_DEAL_FACETS: Record<string, Facet[]> = {
  call_summary: [REQUIREMENT, BUDGET, TIMELINE, COMPETITION, DECISION],
  account_summary: [BUDGET, DECISION, REQUIREMENT, TIMELINE, COMPETITION, ESCALATION],
  // A lead score weighs every open deal's budget and competing vendor: one slot each was one deal's worth.
  lead_score: [BUDGET, { ...COMPETITION, quota: 2 }, { ...DECISION, quota: 1 }, TIMELINE, REQUIREMENT],
};
