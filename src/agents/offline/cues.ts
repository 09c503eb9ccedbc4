/**
 * Cue phrases the extractive summarizer looks for. Plain regular expressions on purpose: the offline provider
 * must be deterministic, dependency-free and explainable ("picked because it says 'next step'").
 */

/** Explicit markers that what follows is an agreed action. */
export const NEXT_STEP_MARKERS = /\b(?:next steps?|action items?|to-?dos?|follow[- ]ups?)\s*[:\-–]\s*/i;

/** Speech-to-text fillers, removed before any pattern runs. */
export const FILLERS = /(?:^|(?<=[\s,]))(?:um+|uh+|erm|hmm+|you know|i mean|so yeah|kind of|sort of)(?=[\s,.!?]|$)[,]?/giu;

/** A commitment negated where it is made ("I will not send…", "we won't need…", "no need to…"). */
export const NEGATION =
  /\b(?:won't|will not|not going to|not gonna|no need to|don't need to|do not need to|never going to|can't|cannot|(?:don't|do not|didn't) (?:think|expect|plan|intend)|(?:i|we) doubt|not sure|rather not|no longer|nobody|no one|none of us|neither)\b/i;

/** Conditions and possibilities, not commitments: "if the board asks we might…", "maybe at some point…". */
export const HYPOTHETICAL =
  /^\s*(?:if|unless|in case|should)\b|\b(?:might|could|would|may)\s+(?:always\s+|also\s+|then\s+)?(?:be able to\s+)?[a-z]+|\b(?:maybe|perhaps|possibly|at some point|down the road|some day)\b|\b(?:i|we|you|they|he|she)'d\b|(?<!\b(?:check|see|find out|confirm|ask|verify|know|wonder|wondering|sure|whether)\s)\b(?:if|unless|in case|provided (?:that )?|assuming|in the event|as long as)\b/i;

/** Intentions in the past ("I was going to…"): no longer on the table. */
export const PAST_INTENT = /\b(?:was|were|had) (?:going to|gonna|planning to|about to|supposed to|meant to|intended to|planned to)\b|\b(?:meant to|intended to|had planned)\b|\balready\b/i;

/**
 * Retractions that name what they retract ("let's skip the workshop", "forget the NDA", "on second thought, no
 * deck"): they cancel only a recent commitment sharing a word with them, never the newest one by default.
 */
export const NAMED_CANCELLATION =
  /\b(?:skip|drop|scrap|cancel|call off|forget(?: about)?|hold off on|park|shelve|no need for|don't bother with|do without)\s+(?:the|that|this|our|your|a|an|on|with)\s+[\p{L}]{3,}|\bon second thought\b|\blet's not\b|\blet us not\b|\b(?:don't|do not) (?:send|share|book|schedule|set up|bother)\b/iu;

/** Retractions of a commitment made just before. */
export const CANCELLATION =
  /\b(?:scratch that|never ?mind|no need\b|not needed|don't bother|hold off|forget (?:about )?(?:it|that|those|them)|skip (?:it|that|those|this|them)|cancel (?:that|it)|(?:we|i)(?:'ve| have)? (?:already )?(?:got|seen|read) (?:it|that|those|them))/i;

/** A request to the other side: with an acceptance in the next turn it becomes the acceptor's next step. */
export const REQUEST = /\b(?:(?:could|can|would|will) you(?: please)?(?: mind)?|would you mind|any chance (?:you|we) (?:can|could)|(?:can|could) we|please)\s+/i;

/** Accepting a request: "Sure, will do", "Yes, I can do that". */
export const ACCEPTANCE =
  /^(?:sure|yes|yep|yeah|absolutely|of course|definitely|certainly|no problem|ok(?:ay)?|will do|can do|consider it done|on it|done)\b|\b(?:i'll|i will|i can|we'll|we will|we can) (?:do|handle|take care of|sort|get|send) (?:that|it|this|those|them)\b/i;

/** Verbs after "I will…" / "let's…" that describe a state or the conversation itself, not an action to follow up. */
export const STATIVE_VERBS = new Set([
  'be', 'is', 'am', 'are', 'think', 'know', 'see', 'like', 'love', 'want', 'hope', 'guess', 'feel', 'mean', 'wonder', 'talk', 'discuss',
  'go', 'move', 'continue', 'focus', 'jump', 'dive', 'recap', 'start', 'begin', 'keep', 'stay', 'remember', 'agree', 'assume', 'admit',
]);

/**
 * Presenting inside the call ("let me show you the dashboard", "I'll walk you through the setup", "let me pull up
 * the deck"): a next step only with a time after the call ("next week", "on Friday").
 */
export const IN_CALL_PRESENTING =
  /^(?:show|walk\s+(?:you\s+|everyone\s+|the team\s+)?through|run\s+(?:you\s+)?through|pull up|bring up|share (?:my|the) screen|screen ?share|flip|scroll|zoom|click)\b/iu;

/** Words that can follow a subject without making an action (negations, speech acts inside the call). */
export const NOT_AN_ACTION = new Set(['not', 'never', 'explain', 'say', 'tell', 'describe', 'clarify', 'summarize', 'summarise', 'answer', 'pause', 'stop', 'interrupt', 'the', 'this', 'that', 'next', 'also']);

/** Recording what was just said, during the call: "capture that in the plan", "note that down", "make a note of it". */
export const IN_CALL_NOTE =
  /^(?:(?:capture|note|jot|log|record|make a note of|take a note of|take note of)\s+(?:that|this|it|those|these)\b(?!\s+(?:report|document|doc|deck|file|list|plan|proposal|quote|contract))|write (?:that|this|it) down\b)/iu;

/** A clause that says when, not what: cut before counting an action's object ("once that is done", "when you're back"). */
export const TEMPORAL_CLAUSE = /(?:^|\s)(?:once|when|whenever|as soon as|after|before|until|till)\s.*$/iu;

/** Words that carry no object: "I'll do that", "will do today". */
export const WEAK_OBJECT = new Set([
  'that', 'this', 'those', 'these', 'them', 'it', 'done', 'today', 'tomorrow', 'will', "i'll", "we'll", 'going', 'gonna', 'shall', 'need',
  'have', 'make', 'sure', 'also', 'just', 'then', 'now', 'later', 'soon', 'shortly', 'asap', 'you', 'your', 'our', 'the', 'and', 'for',
  'can', 'get', 'take', 'care', 'sort', 'handle', 'thing', 'things', 'yes', 'sure', 'yeah', 'absolutely',
]);

/** Concerns a buyer raises: price and budget, authority and approval, timing, risk and trust, security, legal, fit, resources. */
export const OBJECTION =
  /\b(?:concerns?|concerned|worr(?:y|ied|ies|ying)|hesitant|hesitation|nervous|skeptic(?:al)?|not (?:convinced|sure|sold)|blockers?|objections?|push ?back|sticking points?|deal ?breakers?|hard sell|problem|issue|risk(?:y)?|expensive|pricey|costly|too (?:high|much|long|slow|complex|complicated)|(?:above|over|beyond|exceeds?) (?:the |our )?budget|budget (?:freeze|is frozen|cuts?)|frozen|can't afford|no budget|price is|pricing is|legal (?:wants|needs|team)|security (?:needs|wants|review|team)|data residency|liability|integration effort|stretched|bandwidth|capacity|non[- ]?negotiable|can't go ahead|won't (?:approve|sign|move|touch)|hold (?:us|things) up|burned|problema?|problème|preocupa\w*|demasiado|zu teuer|trop cher)\b/i;

/** Sentences that deny a concern ("no problem", "not an issue"). */
export const NOT_AN_OBJECTION = /\b(?:no (?:problem|issue|concern|risk)s?|not (?:a|an) (?:problem|issue|concern)|problem solved|issue is resolved)\b/i;

export const RISK =
  /\b(?:freeze|delay(?:ed)?|postpone|on hold|pause[d]?|cancel(?:lation)?|churn|stretched|slip(?:ping)?|at risk|no budget|escalat(?:e|ion)|frustrat(?:ed|ion)|unhappy|outage|refund|downgrade|not renew)\b/i;

/** Words that put a competitor's name right after them. The name is the capitalized phrase that follows. */
export const COMPETITOR_CUES =
  /\b(?:demo from|evaluating|evaluate|compared (?:with|to)|comparing (?:with|to)?|looking at|talking to|in talks with|switch(?:ing)? (?:from|to)|moving to|alternatives? (?:like|such as)|versus|vs\.?|offer from|quote from|proposal from|pitch from|heard from|tires on|trial (?:of|with))\s+((?:[A-Z][\p{L}\p{N}-]+)(?:\s+[A-Z][\p{L}\p{N}-]+)?)/gu;

/** A capitalized name doing what vendors do: "Zendrix quoted us…", "Clarivo's dashboards", "the Clarivo pricing". */
export const COMPETITOR_SUBJECT =
  /(?:^|[\s,(])([A-Z]\p{Ll}[\p{L}\p{N}-]*)\s+(?:quoted|offered|pitched|demoed|came in|is coming in|reached out)\b|(?:^|[\s,(])([A-Z]\p{Ll}[\p{L}\p{N}-]*)'s\s+(?:dashboards?|pricing|price|reporting|offer|quote|proposal|platform|product|demo)\b|\bthe\s+([A-Z]\p{Ll}[\p{L}\p{N}-]*)\s+(?:dashboards?|pricing|reporting|offer|quote|platform|demo)\b/gu;

/** Lower-case speech-to-text: the word after a strong vendor cue ("a demo from salesloop", "evaluating zendrix too"). */
export const COMPETITOR_CUES_LOWER = /\b(?:demo from|evaluating|talking to|in talks with|offer from|quote from|proposal from|pitch from|switching to|moving to)\s+([a-z][a-z0-9-]{3,})\b/g;

/** Words after those cues that are not names. */
export const NOT_A_VENDOR_WORD = new Set([
  'the', 'our', 'your', 'their', 'them', 'this', 'that', 'these', 'those', 'some', 'several', 'other', 'another', 'options', 'option',
  'vendors', 'vendor', 'tools', 'tool', 'alternatives', 'different', 'new', 'both', 'each', 'others', 'solutions', 'providers', 'partners',
  'team', 'teams', 'current', 'existing', 'same', 'whole', 'sales', 'finance', 'legal', 'security', 'product', 'public', 'standard', 'final',
]);

/** Capitalized words that follow those cues without being a vendor. */
export const NOT_A_COMPANY = new Set([
  'The', 'This', 'That', 'These', 'Those', 'Our', 'We', 'You', 'Your', 'It', 'They', 'Their', 'A', 'An', 'Q1', 'Q2', 'Q3', 'Q4',
  'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday', 'January', 'February', 'March', 'April', 'May',
  'June', 'July', 'August', 'September', 'October', 'November', 'December', 'Next', 'Last', 'Both', 'Each', 'Other', 'Options',
  'I', 'Pricing', 'Security', 'Legal', 'IT', 'Finance', 'Procurement', 'All', 'Some', 'Any', 'Several', 'Two', 'Three', 'My', 'His', 'Her',
  'HR', 'Sales', 'Marketing', 'Engineering', 'Operations', 'Support', 'CEO', 'CFO', 'CIO', 'CTO', 'COO', 'CISO', 'VP', 'Head', 'Team',
  'Honestly', 'Actually', 'Also', 'And', 'But', 'So', 'Yes', 'No', 'Okay', 'Ok', 'Sure', 'Good', 'Great', 'Thanks', 'Well', 'Just',
  'If', 'When', 'What', 'How', 'Why', 'Who', 'Where', 'Which', 'There', 'Here', 'Then', 'Now', 'Today', 'Tomorrow', 'Excel', 'Microsoft',
]);

/** A stated due date: weekday, relative period, month + day, or ISO date, usually after by/on/before. */
export const DUE_DATE =
  /\b(?:(?:by|on|before|until|no later than|due|within)\s+)?((?:early |late |mid-?)?(?:next\s+|this\s+)?(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)|tomorrow(?: morning| afternoon)?|today|end of (?:the )?(?:day|week|month|quarter|year)|the end of (?:the )?(?:day|week|month|quarter|year)|(?:early |late |mid-?)?(?:next|this) (?:week|month|quarter)|EOD|EOW|\d{4}-\d{2}-\d{2}|the \d{1,2}(?:st|nd|rd|th)|(?:January|February|March|April|May|June|July|August|September|October|November|December)\s+\d{1,2}(?:st|nd|rd|th)?|\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:January|February|March|April|May|June|July|August|September|October|November|December)|(?:in )?the next (?:day|few days|week)(?: or so)?)\b/i;

/** Sentences worth surfacing as key points: goals, requirements, money, time, people with authority. */
export const KEY_POINT =
  /\b(?:goal|need(?:s|ed)?|requirement|must|budget|deadline|go-live|priority|sign-off|authority|decision|approved|timeline|pilot|rollout|evaluating|in parallel|pain|problem|looking for|plan is)\b/i;

/** Pleasantries that never carry content. */
export const SMALL_TALK =
  /^(?:thanks|thank you|great|sounds good|hi|hello|hey|talk soon|cheers|best|regards|kind regards|ok|okay|sure|perfect)\b[\s\S]{0,40}$/i;

/** Buying intent for the lead-score reasons. */
export const INTENT_POSITIVE =
  /\b(?:pricing|price|quote|proposal|demo|pilot|trial|budget (?:is )?approved|approved budget|timeline|go-live|deadline|order form|contract|evaluate|evaluating|decision|sign-off|requirements?|rollout)\b/i;
export const INTENT_NEGATIVE =
  /\b(?:not interested|no budget|budget freeze|unsubscribe|not a priority|on hold|postpone|went with|chose another|too expensive|no longer)\b/i;
