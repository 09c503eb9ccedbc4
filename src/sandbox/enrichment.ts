import type { AccountCtx } from './generate-records.ts';
import type { EngagementGenerator } from './generate-engagements.ts';
import { DAY, PORTAL_END } from './portal-builder.ts';
import type { TextStyle } from './phrasing/index.ts';
import type { Rng } from './prng.ts';
import type { EnrichmentTruth, EnrichmentTruthRecord, ProviderRecord, SeedObject } from './types.ts';
import { INDUSTRIES } from './vocabulary.ts';

/**
 * Enrichment ground truth, planted when the portal is generated with `enrichmentGaps` > 0 (off by default, so
 * other seeds' data stay as they were):
 *   - every company gets a true tech stack and intent signals (no CRM field holds them);
 *   - a share of companies lose `industry` and/or `numberofemployees` in the CRM (the gaps enrichment fills);
 *   - some facts are stated in the account's own history, one note each, in the portal's text style (`dev`
 *     phrasings for tuning the extractor, `test` phrasings written apart for reporting);
 *   - the sandbox's enrichment provider (`GET /_sandbox/enrichment/v1/companies?domain=`) knows most companies,
 *     and is wrong about some (a stale or mismatched record): the figures a real provider would have.
 */

export const TECH = ['Salesforce', 'Snowflake', 'AWS', 'Azure', 'Google Cloud', 'Zendesk', 'Shopify', 'SAP', 'Slack', 'Jira', 'Tableau', 'Workday', 'Oracle', 'Stripe', 'Okta'] as const;
// No 'budget approved': the generic history already talks of budgets in ways this truth does not track.
export const INTENT_SIGNALS = ['evaluating vendors', 'hiring sales staff', 'expanding to new markets', 'replacing a legacy system', 'recent funding round'] as const;

export type { EnrichmentTruth, EnrichmentTruthRecord, ProviderRecord } from './types.ts';

type Phrase = (v: string, name: string) => string;
interface Phrasings {
  industry: Record<string, Phrase[]>;
  employees: Phrase[];
  tech: Array<(items: string[]) => string>;
  intent: Record<string, Phrase[]>;
}

// Written apart: the extractor is tuned on `dev`; `test` (other frames, other words) measures whether it generalises.
const PHRASINGS: Record<TextStyle, Phrasings> = {
  dev: {
    industry: {
      COMPUTER_SOFTWARE: [(_, n) => `${n} is a software company.`, () => 'They build SaaS products for developers.'],
      HOSPITAL_HEALTH_CARE: [(_, n) => `${n} runs a network of clinics.`, () => 'They are a healthcare provider.'],
      MACHINERY: [(_, n) => `${n} is a manufacturer of industrial equipment.`, () => 'They manufacture machinery for plants.'],
      RETAIL: [(_, n) => `${n} is a retailer with stores in several cities.`, () => 'They are a retail chain.'],
      FINANCIAL_SERVICES: [(_, n) => `${n} is a financial services firm.`, () => 'They are a bank focused on small businesses.'],
      LOGISTICS_AND_SUPPLY_CHAIN: [(_, n) => `${n} is a logistics company.`, () => 'They run freight and warehousing.'],
    },
    employees: [(v) => `They have ${v} employees.`, (v, n) => `${n} has about ${v} employees today.`],
    tech: [(t) => `They use ${list(t)}.`, (t) => `Their stack is ${list(t)}.`],
    intent: {
      'evaluating vendors': [() => 'They are evaluating vendors this quarter.'],
      'hiring sales staff': [() => 'They are hiring sales reps.'],
      'expanding to new markets': [() => 'They are expanding into new markets.'],
      'replacing a legacy system': [() => 'They want to replace their legacy system.'],
      'recent funding round': [() => 'They just raised a funding round.'],
    },
  },
  test: {
    industry: {
      COMPUTER_SOFTWARE: [() => 'Their business is enterprise software; the platform ships weekly.'],
      HOSPITAL_HEALTH_CARE: [() => 'As a hospital group, patient safety comes first for them.'],
      MACHINERY: [() => 'Their plants make heavy machinery and spare parts.'],
      RETAIL: [() => 'Being a retail business, the holiday season drives their year.'],
      FINANCIAL_SERVICES: [() => 'They are a fintech lender regulated in two states.'],
      LOGISTICS_AND_SUPPLY_CHAIN: [() => 'Their core business is supply chain and trucking.'],
    },
    employees: [(v) => `Headcount is ${v} across all offices.`, (v) => `The company employs ${v} people.`, (v) => `With a staff of ${v}, they need self-serve onboarding.`],
    tech: [(t) => `Everything runs on ${list(t)} at the moment.`, (t) => `Their team relies on ${list(t)} day to day.`],
    intent: {
      'evaluating vendors': [() => 'They have shortlisted three suppliers and will compare proposals.'],
      'hiring sales staff': [() => 'They are recruiting account executives for the new team.'],
      'expanding to new markets': [() => 'They plan to open offices abroad next year.'],
      'replacing a legacy system': [() => 'The current system is end-of-life and must be replaced.'],
      'recent funding round': [() => 'They closed their Series B in the spring.'],
    },
  },
};

function list(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function sample<T>(rng: Rng, from: readonly T[], n: number): T[] {
  const pool = [...from];
  const out: T[] = [];
  while (out.length < n && pool.length) out.push(pool.splice(rng.int(0, pool.length - 1), 1)[0]!);
  return out;
}

/** Plants the enrichment truth into a generated portal (after every other draw, from its own stream). */
export function plantEnrichment(
  gen: EngagementGenerator,
  companies: Array<{ ctx: AccountCtx; record: SeedObject }>,
  rng: Rng,
  style: TextStyle,
  gapRate: number,
): EnrichmentTruth {
  const phr = PHRASINGS[style];
  const records: EnrichmentTruthRecord[] = [];
  const provider: Record<string, ProviderRecord> = {};
  for (const { ctx, record } of companies) {
    const p = record.properties;
    const domain = p.domain ?? '';
    const truth: EnrichmentTruthRecord = {
      companyId: record.id, domain, industry: ctx.industry.hubspotValue, numberofemployees: Number(p.numberofemployees),
      techStack: sample(rng, TECH, rng.int(2, 3)), intentSignals: sample(rng, INTENT_SIGNALS, rng.int(1, 2)), gaps: [], stated: [],
    };
    if (rng.chance(gapRate)) {
      const which = rng.int(0, 2);
      if (which !== 1) truth.gaps.push('industry');
      if (which !== 0) truth.gaps.push('numberofemployees');
      for (const g of truth.gaps) p[g] = '';
      // The description would give the industry away; an emptied record keeps no trace of it.
      if (truth.gaps.includes('industry')) p.description = `${ctx.name} is a company based in ${ctx.city}.`;
    }
    const state = (field: string, value: string, sentence: string) => {
      const ts = PORTAL_END - rng.int(5, 200) * DAY;
      const noteId = gen.note(ctx, { companies: [record.id] }, ts, `Notes from the discovery call with ${ctx.name}.\n\n${sentence}`);
      truth.stated.push({ field, value, noteId });
    };
    if (truth.gaps.includes('industry') && rng.chance(0.6)) state('industry', truth.industry, rng.pick(phr.industry[truth.industry] ?? [])(truth.industry, ctx.name));
    if (truth.gaps.includes('numberofemployees') && rng.chance(0.6)) state('numberofemployees', String(truth.numberofemployees), rng.pick(phr.employees)(String(truth.numberofemployees), ctx.name));
    if (rng.chance(0.4)) state('ai_tech_stack', truth.techStack.join(';'), rng.pick(phr.tech)(truth.techStack));
    if (rng.chance(0.4)) {
      const signal = truth.intentSignals[0]!;
      state('ai_intent_signals', signal, rng.pick(phr.intent[signal] ?? [])(signal, ctx.name));
    }
    records.push(truth);

    // The provider: knows 85% of domains; 7% of what it knows is a stale or mismatched record.
    if (rng.chance(0.85)) {
      const wrong = rng.chance(0.07);
      const otherIndustry = rng.pick(INDUSTRIES.filter((i) => i.hubspotValue !== truth.industry)).hubspotValue;
      provider[domain] = {
        domain,
        industry: wrong ? otherIndustry : truth.industry,
        numberofemployees: wrong ? Math.max(1, Math.round(truth.numberofemployees * (rng.chance(0.5) ? 4 : 0.2))) : truth.numberofemployees,
        techStack: wrong ? sample(rng, TECH, 2) : truth.techStack,
        intentSignals: wrong ? sample(rng, INTENT_SIGNALS, 1) : truth.intentSignals,
        // Informative but overlapping: wrong records score lower on average, not always.
        matchScore: Math.round((wrong ? 0.55 + rng.next() * 0.4 : 0.75 + rng.next() * 0.25) * 100) / 100,
      };
    }
  }
  return { records, provider };
}
