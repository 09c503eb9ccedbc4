/**
 * Cue phrases the extractive summarizer looks for. Plain regular expressions on purpose: the offline provider
 * must be deterministic, dependency-free and explainable ("picked because it says 'next step'").
 */

/** Explicit markers that what follows is an agreed action. */
export const NEXT_STEP_MARKERS = /\b(?:next steps?|action items?|to-?dos?|follow[- ]ups?)\s*[:\-–]\s*/i;

/** "I will send…", "we'll schedule…", "Priya will share…": a commitment to a concrete action. */
export const COMMITMENT =
  /\b(?:I|we|I'll|we'll|you'll|(?:[A-Z][\p{L}'-]+))\s*(?:will|'ll|are going to|am going to|is going to|can|shall)?\s*(?:send|share|schedule|set up|setup|draft|introduce|book|prepare|follow up|circle back|loop in|review|provide|get back|arrange|organi[sz]e|confirm|deliver|run|start|kick off|sign)\b/iu;

/** Starts of sentences that are commitments rather than descriptions. */
export const COMMITMENT_START = /^(?:next steps?:\s*)?(?:I|we)\s*(?:will|'ll|are going to|am going to|shall)\b|^(?:let(?:'s| us))\s+(?:schedule|set up|book|plan|meet|reconvene)/i;

export const OBJECTION =
  /\b(?:concerns?|worr(?:y|ied|ies)|too expensive|expensive|price is|pricing is|above (?:the |our )?budget|budget freeze|hesitant|not convinced|blocker|objection|push ?back|legal wants|needs? to review|stretched|integration effort|data residency|liability)\b/i;

export const RISK =
  /\b(?:freeze|delay(?:ed)?|postpone|on hold|pause[d]?|cancel(?:lation)?|churn|stretched|slip(?:ping)?|at risk|no budget|escalat(?:e|ion)|frustrat(?:ed|ion)|unhappy|outage|refund|downgrade|not renew)\b/i;

/** Words that put a competitor's name right after them. The name is the capitalized phrase that follows. */
export const COMPETITOR_CUES =
  /\b(?:demo from|evaluating|evaluate|compared (?:with|to)|comparing (?:with|to)?|looking at|talking to|in talks with|switch(?:ing)? (?:from|to)|moving to|alternatives? (?:like|such as)|versus|vs\.?|offer from|quote from|proposal from)\s+((?:[A-Z][\p{L}\p{N}-]+)(?:\s+[A-Z][\p{L}\p{N}-]+)?)/gu;

/** Capitalized words that follow those cues without being a vendor. */
export const NOT_A_COMPANY = new Set([
  'The', 'This', 'That', 'These', 'Those', 'Our', 'We', 'You', 'Your', 'It', 'They', 'Their', 'A', 'An', 'Q1', 'Q2', 'Q3', 'Q4',
  'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday', 'January', 'February', 'March', 'April', 'May',
  'June', 'July', 'August', 'September', 'October', 'November', 'December', 'Next', 'Last', 'Both', 'Each', 'Other', 'Options',
  'I', 'Pricing', 'Security', 'Legal', 'IT', 'Finance', 'Procurement', 'All', 'Some', 'Any', 'Several', 'Two', 'Three',
]);

/** A stated due date: weekday, relative period, month + day, or ISO date, usually after by/on/before. */
export const DUE_DATE =
  /\b(?:(?:by|on|before|until|no later than|due)\s+)?((?:next\s+|this\s+)?(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)|tomorrow|end of (?:the )?(?:day|week|month|quarter|year)|(?:next|this) (?:week|month|quarter)|EOD|EOW|\d{4}-\d{2}-\d{2}|(?:January|February|March|April|May|June|July|August|September|October|November|December)\s+\d{1,2}(?:st|nd|rd|th)?|\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:January|February|March|April|May|June|July|August|September|October|November|December))\b/i;

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
