import type { Facet } from '../retrieval/facet-search.ts';
import { isActionItem } from './offline/action-items.ts';
import { AMOUNT_SIGN_AFTER, FOREIGN, FOREIGN_CARRY, FOREIGN_DATE, FOREIGN_PERSON, FOREIGN_QUERIES, words } from './deal-facet-words.ts';

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
  String.raw`(?:[$€£¥]\s?\d|\b\d[\d,.' ]*\s?(?:k|m|mm|bn|K|M)\b|\b\d[\d,.]*\s*(?:thousand|million|grand|usd|eur|gbp|chf|dollars?|euros?|pounds?|francs?)\b|\b(?:usd|eur|gbp|chf)\s?\d|${AMOUNT_SIGN_AFTER})`,
  'iu',
);

/**
 * A point in time: a month, a quarter, a weekday, a numeric date, the end or start of a period, a holiday. Not a
 * weekday inside a named day ("Black Friday"), not a version or a rating ("2.1", "4.5"), not "24/7".
 */
export const DATE = new RegExp(
  String.raw`(?:\b(?:${MONTHS})\b\.?\s*\d{0,2}|${MAY}|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:${MONTHS})\b|\bq[1-4]\b|\b(?:first|second|third|fourth|last)\s+quarter\b|(?<!\b(?:black|cyber|good|easter)\s+)\b(?:${WEEKDAYS})\b|\b(?:by|before|until|till|ahead of|in time for|no later than)\s+(?:the\s+)?(?:${NAMED_DAYS})\b|(?<![\d.,/])\b(?!24/7\b)(?:0?[1-9]|[12]\d|3[01])/(?:0?[1-9]|1[0-2])(?:/\d{2,4})?\b(?![.,/]\d)|\b\d{1,2}[.-]\d{1,2}[.-](?:\d{4}|\d{2})\b|\b(?:end|start|beginning|middle)\s+of\s+(?:the\s+)?(?:month|quarter|year|fiscal|q[1-4]|${MONTHS}|may)|\bholidays?\b|\b(?:by|before|until|till|in|this|next|early|late|mid)\s+(?:the\s+)?(?:spring|summer|autumn|fall|winter)\b(?!\s+(?:collection|catalog(?:ue)?|range|line|campaign|sale|sales))|\b(?:summer|winter|spring|autumn|fall|christmas|easter|year[- ]end|peak)\s+(?:break|freeze|shutdown|season|holidays|close)\b|\bfiscal year\b|\b20\d\d\b(?!\s*(?:users|seats|people|employees|units|licen[cs]es|records|rows))|\b\d{4}-\d{2}-\d{2}\b|\bweek\s+\d{1,2}\b|${FOREIGN_DATE})`,
  'iu',
);

/** The amount itself, whole ("$65,000", "70 thousand dollars", "EUR 12000"): the value a budget statement states. */
export const AMOUNT = new RegExp(
  String.raw`(?:[$€£¥]\s?\d[\d,.']*\s?(?:k|m|mm|bn|thousand|million)?\b|\b\d[\d,.']*\s?(?:k|m|mm|bn|thousand|million|grand)\b(?:\s(?:usd|eur|gbp|chf|dollars?|euros?|pounds?|francs?))?|\b\d[\d,.']*\s?(?:usd|eur|gbp|chf|dollars?|euros?|pounds?|francs?)\b|\b(?:usd|eur|gbp|chf)\s?\d[\d,.']*|${AMOUNT_SIGN_AFTER})`,
  'giu',
);

/** A person as a decision is attributed to them: a titled name ("Ms. Reyes", "dr adeyemi") or a role ("the CFO"). */
export const PERSON = new RegExp(
  String.raw`(?:\b(?:mr|ms|mrs|dr|prof)\.?\s+[\p{L}][\p{L}'-]+|\b(?:ceo|cfo|coo|cto|cio|ciso|cro|cmo|general counsel|chief \w+ officer|(?:vp|head|director) of \w+|controller|procurement lead|head of purchasing)\b|${FOREIGN_PERSON})`,
  'giu',
);

/** A sentence cue: English words (`source`) and, when given, the same cue's words in other languages. */
const cue = (source: string, weight: number, foreign: readonly string[] = []) => ({
  pattern: new RegExp(foreign.length > 0 ? `(?:${source})|${words(foreign)}` : source, 'iu'),
  weight,
});

/**
 * An action item ("Next step: I will introduce us to the CFO for budget approval", "Aisha will prepare the migration
 * plan by Friday") speaks of a deal question without answering it: a step less for every facet. Found by commitment
 * syntax (the offline next-step extractor's), not by any writer's words.
 */
const ACTION_ITEM = { pattern: { test: isActionItem }, weight: -1 };

export const REQUIREMENT: Facet = {
  name: 'requirement',
  queries: ['hard requirement the vendor must support', 'mandatory must have feature needed before we can buy', 'security compliance condition we cannot sign without', 'a must for us, no exceptions, or we say no', FOREIGN_QUERIES.requirement],
  cues: [
    // Necessity that admits no alternative.
    cue(String.raw`\b(?:must|mandatory|required?|requirements?|requires|non[- ]negotiable|must[- ]have|essential|prerequisite|deal[- ]?breaker|showstopper|no[- ]go|blocker|table stakes|key criteri(?:on|a)|critical|insist\w*|only (?:go ahead|proceed|buy|sign|move forward|consider)\w* if|unless|cannot|can'?t|won'?t|full stop|hard (?:stop|line|rule|requirement)|condition|no exceptions?|non[- ]?starter|or (?:it'?s a )?bust|(?:is|are) out|ruled out|disqualif\w*|knock[- ]?out)\b`, 2, FOREIGN.requirement.necessity),
    // Plain necessity ("we need", "has to").
    cue(String.raw`\b(?:needs?|needed|has to|have to|got to|expects?)\b`, 1, FOREIGN.requirement.need),
    // A capability a product has or lacks.
    cue(String.raw`\b(?:support\w*|provide|offer|include|comply|complian\w*|certified|certification|host\w*|deploy\w*|login|log in|sign-on|sso|saml|scim|mfa|2fa|two-factor|authenticat\w*|encrypt\w*|residency|data (?:stays|must stay|resides)|on-?prem\w*|permissions?|access|role-based|provisioning|integrat\w*|api|connector|talk to|sync\w*|audit\w*|pen ?test\w*|security|gdpr|hipaa|soc ?2|iso ?27001|run in|aws|azure|gcp|region|export|backup|uptime|sla|infosec)\b`, 1, FOREIGN.requirement.capability),
    // What happens without it: the purchase is blocked.
    cue(String.raw`\b(?:without (?:it|that|this)|if (?:that|it) is missing|otherwise|block\w*|veto|reject\w*|buy|purchase|sign(?:ed|ing)?|contract|go ahead|move forward|proceed|(?:security|legal|it|compliance|infosec) (?:team|board|review|department)|say no|says no)\b`, 1, FOREIGN.requirement.consequence),
    ACTION_ITEM,
  ],
  // "… must support SSO. Without that our board will not sign.": the consequence belongs to the condition before it.
  carry: {
    pattern: new RegExp(String.raw`\b(?:without (?:it|that|this|those|them)|otherwise|if (?:that|it|this) is (?:missing|not there|not possible)|if not)\b|${words(FOREIGN_CARRY)}`, 'iu'),
    weight: 1,
  },
  minCue: 3,
};

export const BUDGET: Facet = {
  name: 'budget',
  queries: ['approved budget for the project', 'how much money finance allocated to spend', 'funding amount available for this purchase', 'how much we can spend on this all in', FOREIGN_QUERIES.budget],
  cues: [
    { pattern: MONEY, weight: 2 },
    // Money words; not "purchase" or "buy": "Mr. Kowalski approves this purchase" names a signer, not a budget.
    cue(String.raw`\b(?:budget\w*|fund\w*|financ\w*|money|spend\w*|allocat\w*|reserv\w*|aside|afford|capex|opex|cap\b|ceiling|limit|earmark\w*|ring[- ]?fenc\w*|pot|envelope|cost|investment|go up to)\b`, 1, FOREIGN.budget.money),
    cue(String.raw`\b(?:approv\w*|sign(?:ed)?[- ]off|signed off|confirm\w*|clear(?:ed)?|green light|go[- ]ahead|ok(?:ay)?ed|released|authori[sz]\w*|secured|committed|granted|revised|can spend|to spend|all in)\b`, 1, FOREIGN.budget.approval),
    // An approval still to come ("I'm going to get sign-off on the budget") is not an approved budget.
    cue(String.raw`\b(?:going to|will|need to|needs to|have to|has to|hope to|hoping to|try to|trying to|waiting (?:for|on)|pending|not yet)\s+(?:get\s+|be\s+|obtain\s+|secure\s+|seek\s+)?(?:(?:the|an?|our|internal|final)\s+)*(?:sign[- ]?off|approv\w*|green light|go[- ]ahead|confirm\w*)`, -1),
    ACTION_ITEM,
  ],
  minCue: 2,
  quota: 2,
  supersede: true,
  value: AMOUNT,
};

export const TIMELINE: Facet = {
  name: 'timeline',
  queries: ['deadline go-live timeline', 'date the rollout has to be finished', 'target launch date in production', 'we have to be live by then or it slips', FOREIGN_QUERIES.timeline],
  cues: [
    { pattern: DATE, weight: 2 },
    cue(String.raw`\b(?:deadline|go[- ]?live|live|launch\w*|rollout|roll out|cut-?over|cut over|switch\w* over|migrat\w*|due|target|hard date|in production|running|up and running|in place|operational|finished|done|complete[d]?|ready|deliver\w*|timeline|schedul\w*|slated|planned|kick-?off|start using|slips?|slipping)\b`, 1, FOREIGN.timeline.milestone),
    cue(String.raw`\b(?:by|before|until|no later than|at the latest|latest|ahead of|in time for|in (?:early|mid|late)|for the)\b`, 1, FOREIGN.timeline.by),
    ACTION_ITEM,
  ],
  minCue: 3,
  supersede: true,
  value: DATE,
};

export const COMPETITION: Facet = {
  name: 'competition',
  queries: ['also evaluating a competitor in parallel', 'comparing another vendor offer', 'alternative provider pitched proposal', 'another vendor did a demo and quoted us lower', FOREIGN_QUERIES.competition],
  cues: [
    cue(String.raw`\b(?:evaluat\w*|compar\w*|alternatives?|competitors?|competing|competition|competitive|shortlist\w*|in the running|in the mix|incumbent|benchmark\w*|other (?:vendors?|suppliers?|providers?|tools?|offers?|options?|solutions?|bids?|quotes?|proposals?)|another (?:vendor|supplier|provider|tool|offer|option|solution|bid|quote|proposal)|versus|vs\.?|pitch\w*|bake-?off|rfp|tender|side by side|in parallel|looking at|talking to|speaking (?:to|with)|in talks with|considering|(?:quote|offer|proposal|bid) from|switch\w* from|currently us(?:e|ing))\b`, 2, FOREIGN.competition.evaluating),
    cue(String.raw`\b(?:offer\w*|quotes?|quoted|proposals?|demo|pricing|prices?|cheaper|discount\w*|for less|dashboards?|against)\b`, 1, FOREIGN.competition.offer),
    // A named vendor: a capitalised word after "from", "with", "evaluating"… (or their German, French, Spanish,
    // Portuguese, Italian and Dutch words), before "too"/"as well", a name that did what vendors do ("Vantora
    // did a demo", "Acme quoted us"; not "We pitched"), or a web name.
    {
      pattern:
        /\b(?:from|with|at|to|and|against|use|using|evaluating|considering|trialling|trialing|mit|von|avec|de|con|com|van|di|da)\s+[A-Z][a-z]+[A-Z]?\w*|\b[A-Z][a-z]+\w*\s+(?:too|as well|also|is also|are also)\b|\b(?!(?:They|We|He|She|It|You|I|Our|Their|This|That|Someone|Nobody)\b)[A-Z][a-z]+\w*\s+(?:did a demo|demoed|ran a demo|pitched|presented|quoted us|quoted|sent (?:us )?(?:a |their )?(?:quote|offer|proposal))\b|\b[A-Z]\w+\.(?:com|io|ai)\b/,
      weight: 1,
    },
    ACTION_ITEM,
  ],
  minCue: 2,
  quota: 1,
};

export const DECISION: Facet = {
  name: 'decision',
  queries: ['final sign-off authority decision maker', 'who approves and signs the contract', 'executive who has to agree before purchase', 'who makes the final call, nothing moves without them', FOREIGN_QUERIES.decision],
  cues: [
    cue(String.raw`\b(?:mr|ms|mrs|dr|prof)\.?\s+[a-z]|\b(?:ceo|cfo|coo|cto|cio|ciso|cro|cmo|chief \w+ officer|vp|vice president|director|head of|general counsel|counsel|legal|procurement|board|controller|owner|founder|president|manager|committee)\b|${FOREIGN_PERSON}`, 2, FOREIGN.decision.role),
    cue(String.raw`\b(?:sign\w*|signature|approv\w*|approver|authori\w*|decid\w*|decision|veto|final|sign-off|last word|final (?:say|call|word)|call the shots|rests with|sits with|goes to|economic buyer|budget holder|sponsor|loop(?:ed)? in|copy|in the loop|took over|replac\w*|left the company|responsible|owns|makes the (?:final )?call|nothing (?:moves|happens|gets signed) without|on (?:leave|sabbatical|parental leave)|in the meantime|(?:his|her|their) (?:call|decision))\b`, 1, FOREIGN.decision.authority),
    ACTION_ITEM,
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
  // A lead score weighs every deal's budget and competing vendor: two slots each, given to two deals' answers
  // before a deal's second answer (account-wide statements count as one more "deal").
  lead_score: [{ ...BUDGET, perDeal: true }, { ...COMPETITION, quota: 2, perDeal: true }, { ...DECISION, quota: 1 }, TIMELINE, REQUIREMENT],
};
