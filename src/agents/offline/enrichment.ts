import type { EnrichmentField, EnrichmentOutput } from '../schemas.ts';
import type { ReferencedChunk } from '../untrusted.ts';
import { sentencesOf } from './sentences.ts';

/**
 * The model-free enrichment extractor: facts a sentence of the account's history states about the company
 * itself, each with that sentence as its quote and its chunk as evidence. Patterns are about how people state
 * such facts (a copula or verb frame around a sector word, a count next to a head-count noun, a known vendor
 * after a usage verb), not about any one template; the sandbox's `test` phrasings, written apart from the ones
 * this was developed on, measure whether it generalises (`npm run bench:enrichment`).
 */

/** Sector words → HubSpot's industry value. */
const SECTORS: Array<{ value: string; words: RegExp }> = [
  { value: 'COMPUTER_SOFTWARE', words: /\b(?:software|SaaS|developer tools?|apps? developer)\b/i },
  { value: 'HOSPITAL_HEALTH_CARE', words: /\b(?:health ?care|hospitals?|clinics?|medical (?:centers?|group)|health system)\b/i },
  { value: 'MACHINERY', words: /\b(?:machinery|manufactur(?:er|ing|es?)|industrial equipment|factor(?:y|ies))\b/i },
  { value: 'RETAIL', words: /\b(?:retail(?:er|ers)?|e-?commerce|retail chain|stores? chain)\b/i },
  { value: 'FINANCIAL_SERVICES', words: /\b(?:financial services|fintech|bank(?:ing)?|lender|insurer|insurance|credit union|asset manag\w+)\b/i },
  { value: 'LOGISTICS_AND_SUPPLY_CHAIN', words: /\b(?:logistics|freight|trucking|supply chain|shipping|warehousing|3PL)\b/i },
];

/** A sentence that says what the company is or does: the frame around a sector word. */
const SELF_DESCRIPTION = [
  /\b(?:is|are|'re|as|being)\s+(?:an?|the)\s+(?:[\w-]+\s+){0,4}?$/i,
  /\b(?:business|company|industry|sector|space|firm)\s+(?:is|was)\s+(?:in\s+)?(?:[\w-]+\s+){0,2}?$/i,
  /\b(?:operates?|works?|work|specialis\w+|specializ\w+)\s+in\s+(?:the\s+)?(?:[\w-]+\s+){0,2}?$/i,
  /\b(?:they|we|plants?|factories)\s+(?:build|make|run|manufacture|produce|sell|ship)s?\s+(?:[\w-]+\s+){0,3}?$/i,
  /\b(?:runs?|operates?|owns?)\s+(?:an?|the)\s+(?:[\w-]+\s+){0,3}?$/i,
];

/** Words that put the statement on someone else (a competitor, a customer of theirs) or in doubt. */
const NOT_ABOUT_THEM = /\b(?:competitor|rival|partner|their customers?|clients? of|used to|formerly|no longer|not an?|isn't|aren't|might|maybe|unless|if they)\b/i;

/** Vendors people name when they say what they run on (a general list, not the sandbox's). */
const VENDORS = [
  'Salesforce', 'Snowflake', 'AWS', 'Amazon Web Services', 'Azure', 'Google Cloud', 'GCP', 'Zendesk', 'Shopify', 'SAP', 'Slack', 'Jira', 'Confluence',
  'Tableau', 'Looker', 'Power BI', 'Workday', 'Oracle', 'NetSuite', 'Stripe', 'Okta', 'ServiceNow', 'Marketo', 'HubSpot', 'Intercom', 'Datadog', 'GitHub',
  'GitLab', 'Microsoft Dynamics', 'Microsoft Teams', 'Zoom', 'Databricks', 'BigQuery', 'Redshift', 'MongoDB', 'PostgreSQL', 'MySQL', 'Kubernetes',
  'Twilio', 'Segment', 'Mailchimp', 'QuickBooks', 'Xero', 'Magento', 'BigCommerce', 'Epic', 'Cerner',
];
const VENDOR_ALIAS: Record<string, string> = { 'Amazon Web Services': 'AWS', GCP: 'Google Cloud' };
const USAGE = /\b(?:use|uses|using|used|run(?:s|ning)? on|rel(?:y|ies|ying) on|built on|stack (?:is|includes)|standardi[sz]ed on|moved to|migrated to|on top of|tools? (?:are|is|include))\b/i;

const HEADCOUNT = [
  /\b(\d{1,3}(?:,\d{3})+|\d{1,7})\s*\+?\s*(?:employees|staff|people|FTEs?|workers|team members)\b/i,
  /\b(?:headcount|head count|staff|workforce)\s+(?:is|of|stands at|totals?|of about|of around|is about|is around)\s+(?:about\s+|around\s+|roughly\s+|~)?(\d{1,3}(?:,\d{3})+|\d{1,7})\b/i,
];
/** A count of people that is not the company's size: seats, attendees, a team inside it, a hiring plan. */
const NOT_HEADCOUNT = /\b(?:licen[cs]es?|seats?|users?|attend\w*|webinar|hire|hiring|recruit\w*|per|out of|of their|of the|team of \d+ (?:in|on)|support team|sales team|engineering team|customers?)\b/i;
const HEADCOUNT_FRAME = /\b(?:they|we|company|business|firm|organi[sz]ation|headcount|head count|employs?|has|have|staff|workforce|across)\b/i;

const INTENT: Array<{ value: string; pattern: RegExp }> = [
  { value: 'evaluating vendors', pattern: /\b(?:evaluat\w+|compar\w+|shortlist\w*|assess\w+)\b.{0,40}\b(?:vendors?|suppliers?|proposals?|providers?|solutions)\b|\bRFP\b|\brequest for proposals?\b/i },
  { value: 'hiring sales staff', pattern: /\b(?:hiring|recruiting|recruit|hire|adding|building out)\b.{0,40}\b(?:sales|account executives?|SDRs?|BDRs?|sales reps?)\b/i },
  { value: 'expanding to new markets', pattern: /\b(?:expand\w*|open\w*|launch\w*|enter\w*)\b.{0,40}\b(?:new markets?|abroad|overseas|internationally|new regions?|new countries|offices? in)\b/i },
  { value: 'replacing a legacy system', pattern: /\b(?:replac\w+|sunset\w*|retir\w+|migrat\w+ (?:off|away from))\b.{0,40}\b(?:legacy|system|platform|tool)\b|\b(?:end[- ]of[- ]life|legacy system)\b.{0,40}\b(?:replac\w+|must go|retire\w*)\b/i },
  { value: 'recent funding round', pattern: /\b(?:raised|closed|secured|announced)\b.{0,30}\b(?:funding|round|Series [A-F]|seed round|investment)\b/i },
];

export interface ExtractedFact {
  field: EnrichmentField;
  value: string;
  quote: string;
  ref: string;
}

function industryOf(sentence: string): string | null {
  if (NOT_ABOUT_THEM.test(sentence)) return null;
  const found = new Set<string>();
  for (const s of SECTORS) {
    const m = s.words.exec(sentence);
    if (!m) continue;
    const before = sentence.slice(0, m.index);
    if (SELF_DESCRIPTION.some((frame) => frame.test(before))) found.add(s.value);
  }
  // Two sectors in one description ("a software company for hospitals") say nothing certain.
  return found.size === 1 ? [...found][0]! : null;
}

function headcountOf(sentence: string): string | null {
  if (NOT_HEADCOUNT.test(sentence) || NOT_ABOUT_THEM.test(sentence) || !HEADCOUNT_FRAME.test(sentence)) return null;
  for (const re of HEADCOUNT) {
    const m = re.exec(sentence);
    const n = m ? Number(m[1]!.replace(/,/g, '')) : NaN;
    if (Number.isInteger(n) && n > 0 && n < 5_000_000) return String(n);
  }
  return null;
}

/**
 * Where the object of a usage verb ends: a clause break, or a conjunction or preposition that starts a new phrase
 * ("and need help with …", "but", "because") rather than continuing a list of names ("and Salesforce").
 */
const OBJECT_END = /[.;:!?()]|\s(?:-|–|—)\s|\b(?:and|or|but|so|because|while|which|that|who|to|for|with|since|after|before|until|when|where)\s+(?=[a-z])/;

function vendorsOf(sentence: string): string[] {
  if (NOT_ABOUT_THEM.test(sentence)) return [];
  // Only the names in the object of a usage verb ("they use X, Y and Z"), never a name elsewhere in the sentence
  // ("they use the API gateway and need help with Kubernetes" says nothing of what they run).
  const found = new Set<string>();
  const usage = new RegExp(USAGE.source, 'gi');
  for (let m = usage.exec(sentence); m; m = usage.exec(sentence)) {
    const rest = sentence.slice(m.index + m[0].length);
    const end = OBJECT_END.exec(rest);
    const object = end ? rest.slice(0, end.index) : rest;
    for (const v of VENDORS) if (new RegExp(`\\b${v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`).test(object)) found.add(VENDOR_ALIAS[v] ?? v);
  }
  return [...found];
}

/** Every fact the history states, for the fields asked, in the order found. */
export function extractFacts(chunks: readonly ReferencedChunk[], fields: ReadonlySet<EnrichmentField>): ExtractedFact[] {
  const out: ExtractedFact[] = [];
  for (const chunk of chunks) {
    for (const s of sentencesOf(chunk)) {
      const quote = s.text;
      if (fields.has('industry')) {
        const v = industryOf(quote);
        if (v) out.push({ field: 'industry', value: v, quote, ref: s.ref });
      }
      if (fields.has('numberofemployees')) {
        const v = headcountOf(quote);
        if (v) out.push({ field: 'numberofemployees', value: v, quote, ref: s.ref });
      }
      if (fields.has('ai_tech_stack')) for (const v of vendorsOf(quote)) out.push({ field: 'ai_tech_stack', value: v, quote, ref: s.ref });
      if (fields.has('ai_intent_signals') && !NOT_ABOUT_THEM.test(quote)) {
        for (const i of INTENT) if (i.pattern.test(quote)) out.push({ field: 'ai_intent_signals', value: i.value, quote, ref: s.ref });
      }
    }
  }
  return out;
}

/** The extractor's answer in the agent's output schema (the same shape a model returns). */
export function enrichmentOffline(chunks: readonly ReferencedChunk[], fields: ReadonlySet<EnrichmentField>): EnrichmentOutput {
  return { facts: extractFacts(chunks, fields).map((f) => ({ field: f.field, value: f.value, quote: f.quote, evidence: [f.ref] })) };
}
