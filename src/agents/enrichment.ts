import { parseAccountId, type HubSpotObject } from '../core/objects.ts';
import type { Proposal } from '../core/proposal.ts';
import type { ProviderFacts } from '../enrichment/provider.ts';
import { accountTarget, agentContext, recordIdsOf, TriggerNotFoundError, valuesOf } from './agent-support.ts';
import type { AgentDefinition } from './definition.ts';
import type { JudgmentRater } from './judgment-validation.ts';
import { enrichmentOffline } from './offline/enrichment.ts';
import { fenceChunks, referenceChunks, renderFacts } from './prompt-context.ts';
import { makeProposal, runMetadataProposals, type ProposalBase, type Target } from './proposals.ts';
import { ENRICHMENT_FIELDS, EnrichmentOutputSchema, type EnrichmentField, type EnrichmentOutput } from './schemas.ts';
import type { ReferencedChunk } from './untrusted.ts';

/**
 * Enrichment: values for a company's empty firmographic and qualification fields (industry, number of
 * employees, tech stack, intent signals) from two sources, each named with every value:
 *   - the account's own history: a sentence that states the fact (its quote is the evidence, and a quote the
 *     cited chunk does not contain is dropped, whoever produced it);
 *   - the enrichment provider (AgentDeps.enrichment), looked up by the company's domain.
 * Agreement between the sources raises confidence; disagreement sends the value to a person with both. Only
 * empty fields are filled: a field that holds a different value gets a proposal the write-back sends to review
 * (`fills_empty_only`), showing the value there, who set it, and the sources of ours. Targets are the job's own
 * company record, always.
 */

/**
 * A ceiling on confidence by how a value is supported (its basis). The confidence a proposal carries is this
 * ceiling capped by the producing model's held-out precision for that field and basis (judgment-validation.ts):
 * with no such measurement, a person decides (`model_unvalidated`). The enrichment bench measures the bounds on
 * the development style and reports the test style under them.
 */
export const ENRICHMENT_CONFIDENCE = {
  /** History and provider say the same. */
  agreed: 0.97,
  /** One value, stated in the account's own history. */
  stated: 0.9,
  /** The provider alone, with a strong match: its value is believed up to this. */
  providerStrong: 0.9,
  /** Sources disagree: a person chooses. */
  conflict: 0.5,
} as const;

/** How a value is supported: the class its held-out precision is kept by. */
export type EnrichmentBasis = keyof typeof ENRICHMENT_CONFIDENCE;

interface Decision {
  value: string;
  confidence: number;
  basis: EnrichmentBasis;
  sources: Source[];
  note: string;
}

const level = (basis: EnrichmentBasis) => ({ confidence: ENRICHMENT_CONFIDENCE[basis], basis });

/** Below this vendor match score, a provider-only value is not trusted to apply on its own. */
export const STRONG_MATCH = 0.9;

interface Source {
  kind: 'history' | 'provider';
  value: string;
  /** The sentence (history) or the provider's name and match score. */
  detail: string;
  evidence: string[];
}

interface EnrichmentState {
  company: HubSpotObject;
  provider: { name: string; facts: ProviderFacts | null } | null;
}

/** The fields whose current values go with the proposals (the write-back compares them before it writes). */
const CURRENT = [...ENRICHMENT_FIELDS, 'ai_last_run', 'ai_model'];
/** The company is read once per run: what the prompt needs, who set each firmographic, and the current values. */
const READ = ['name', 'domain', 'website', ...CURRENT];

export const enrichmentAgent: AgentDefinition<EnrichmentState, EnrichmentOutput> = {
  name: 'enrichment',
  triggers: ['companies'],
  onDemand: { kind: 'account' },
  prompt: 'enrichment',
  schema: EnrichmentOutputSchema,
  schemaName: 'enrichment',

  async prepare({ deps, trigger, now }) {
    const { type, id } = parseAccountId(trigger.accountId);
    if (type !== 'companies') return { skip: 'enrichment works on company accounts; this account is a contact without a company' };
    const [company] = await deps.gateway.batchRead('companies', [id], { properties: READ, propertiesWithHistory: ['industry', 'numberofemployees'] });
    if (!company) throw new TriggerNotFoundError('companies', id);
    const context = await agentContext(deps, trigger, trigger.accountId, 'enrichment', { now });
    const refs = referenceChunks(context.chunks).all;
    const domain = domainOf(company);
    const provider = deps.enrichment && domain ? { name: deps.enrichment.name, facts: await deps.enrichment.lookup({ domain, name: company.properties.name ?? null }, trigger.signal) } : null;
    return {
      context,
      refs,
      recordIds: recordIdsOf(context),
      slots: { facts: renderFacts(context.facts), fields: ENRICHMENT_FIELDS.join(', '), chunks: fenceChunks(refs) },
      state: { company, provider },
    };
  },

  extract: ({ refs }) => enrichmentOffline(refs, new Set(ENRICHMENT_FIELDS)),

  async propose({ output, prepared, base, run, judge }) {
    const target = accountTarget(run.trigger.accountId);
    const current = valuesOf(prepared.state.company, CURRENT);
    const proposals = enrichmentProposals({ output, refs: prepared.refs, provider: prepared.state.provider, current, currentSources: setBy(prepared.state.company), target, base, judge });
    return proposals.length ? [...proposals, ...runMetadataProposals(base, target, current)] : [];
  },
};

/** Who set each firmographic value now there, from HubSpot's property history (`CRM_UI on 2026-03-01`). */
function setBy(company: HubSpotObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, entries] of Object.entries(company.propertiesWithHistory ?? {})) {
    const latest = [...entries].sort((a, b) => String(b.timestamp).localeCompare(String(a.timestamp)))[0];
    if (latest) out[field] = `${latest.sourceType}${latest.sourceId ? ` ${latest.sourceId}` : ''} on ${String(latest.timestamp).slice(0, 10)}`;
  }
  return out;
}

function domainOf(company: HubSpotObject): string | null {
  const raw = company.properties.domain || company.properties.website || '';
  const host = raw.replace(/^https?:\/\//i, '').replace(/^www\./i, '').split(/[/?#]/)[0]!.trim().toLowerCase();
  return /^[a-z0-9.-]+\.[a-z]{2,}$/.test(host) ? host : null;
}

const INDUSTRY_VALUE = /^[A-Z0-9_]{2,60}$/;

/** A value in the field's canonical form, or null when it is not a value of that field. */
export function normalizeValue(field: EnrichmentField, raw: string): string | null {
  const v = raw.trim();
  if (field === 'industry') return INDUSTRY_VALUE.test(v) ? v : null;
  if (field === 'numberofemployees') {
    const n = Number(v.replace(/,/g, ''));
    return Number.isInteger(n) && n > 0 && n < 5_000_000 ? String(n) : null;
  }
  return v.length > 0 && v.length <= 100 && !v.includes(';') ? v : null;
}

function sameValue(field: EnrichmentField, a: string, b: string): boolean {
  if (field === 'numberofemployees') {
    // Head counts drift; a stated 240 and a vendor's 250 are the same company size.
    const x = Number(a);
    const y = Number(b);
    return Math.abs(x - y) <= 0.1 * Math.max(x, y);
  }
  return a.toLowerCase() === b.toLowerCase();
}

export interface EnrichmentProposalInput {
  output: EnrichmentOutput;
  refs: readonly ReferencedChunk[];
  provider: EnrichmentState['provider'];
  current: Record<string, string | null>;
  /** Who set the values there now (HubSpot's property history), shown beside ours when they differ. */
  currentSources?: Record<string, string>;
  target: Target;
  base: ProposalBase;
  /** Caps each value's confidence at the producing model's held-out precision for its field and basis. */
  judge?: JudgmentRater;
}

/** The history's facts whose quote really is in the cited chunk (model output is checked like the extractor's). */
function groundedFacts(output: EnrichmentOutput, refs: readonly ReferencedChunk[]): Map<EnrichmentField, Source[]> {
  const byId = new Map(refs.map((r) => [r.id, r]));
  const squash = (s: string) => s.replace(/\s+/g, ' ').trim().toLowerCase();
  const out = new Map<EnrichmentField, Source[]>();
  for (const f of output.facts) {
    const value = normalizeValue(f.field, f.value);
    const quote = squash(f.quote);
    if (!value || quote.length < 8) continue;
    const cited = f.evidence.filter((id) => squash(byId.get(id)?.text ?? '').includes(quote));
    if (cited.length === 0) continue;
    const list = out.get(f.field) ?? [];
    list.push({ kind: 'history', value, detail: `“${f.quote.trim()}”`, evidence: cited });
    out.set(f.field, list);
  }
  return out;
}

function providerSources(provider: EnrichmentState['provider']): Map<EnrichmentField, Source[]> {
  const out = new Map<EnrichmentField, Source[]>();
  const facts = provider?.facts;
  if (!provider || !facts) return out;
  const match = facts.matchScore === null ? 'no match score' : `match ${facts.matchScore.toFixed(2)}`;
  const add = (field: EnrichmentField, raw: string | number | null) => {
    const value = raw === null ? null : normalizeValue(field, String(raw));
    if (value) out.set(field, [...(out.get(field) ?? []), { kind: 'provider', value, detail: `${provider.name} (${match})`, evidence: [] }]);
  };
  add('industry', facts.industry);
  add('numberofemployees', facts.numberofemployees);
  for (const t of facts.techStack) add('ai_tech_stack', t);
  for (const s of facts.intentSignals) add('ai_intent_signals', s);
  return out;
}

function describeSources(sources: readonly Source[]): string {
  return sources.map((s) => `${s.kind === 'history' ? 'account history' : 'provider'} ${s.detail}: ${s.value}`).join('; ');
}

/** One value for a single-valued field, with its confidence, from every source's say. */
function decideSingle(field: EnrichmentField, history: Source[], provider: Source[], strong: boolean): Decision | null {
  const stated = history.map((h) => h.value).filter((v, i, all) => all.findIndex((w) => sameValue(field, v, w)) === i);
  const vendor = provider[0] ?? null;
  if (stated.length > 1) {
    return { value: stated[0]!, ...level('conflict'), sources: [...history, ...provider], note: 'the history states different values' };
  }
  if (stated.length === 1) {
    const value = stated[0]!;
    if (!vendor) return { value, ...level('stated'), sources: history, note: 'stated in the account history' };
    if (sameValue(field, value, vendor.value)) return { value, ...level('agreed'), sources: [...history, vendor], note: 'the history and the provider agree' };
    return { value, ...level('conflict'), sources: [...history, vendor], note: 'the history and the provider disagree' };
  }
  if (!vendor) return null;
  return { value: vendor.value, ...level(strong ? 'providerStrong' : 'conflict'), sources: [vendor], note: strong ? 'from the provider alone' : 'from the provider alone, with a weak match' };
}

/** A list field (tech stack, intent signals): every item the history states, plus the provider's when it is trusted. */
function decideList(field: EnrichmentField, history: Source[], provider: Source[], strong: boolean): Decision | null {
  const items = (ss: Source[]) => [...new Map(ss.map((s) => [s.value.toLowerCase(), s.value])).values()];
  const stated = items(history);
  const vendor = items(provider);
  // The provider agrees when it lists every item the history states; sharing one item by chance (a stale or
  // mismatched vendor record) is no agreement, and its other items would then be wrong.
  const agree = stated.length > 0 && stated.every((s) => vendor.some((v) => sameValue(field, s, v)));
  if (stated.length) {
    // The provider's items join the stated ones only when it confirms all of them.
    const value = agree ? items([...history, ...provider]) : stated;
    return { value: value.sort().join(';'), ...level(agree ? 'agreed' : 'stated'), sources: agree ? [...history, ...provider] : history, note: agree ? 'the history and the provider agree' : 'stated in the account history' };
  }
  if (!vendor.length) return null;
  return { value: vendor.sort().join(';'), ...level(strong ? 'providerStrong' : 'conflict'), sources: provider, note: strong ? 'from the provider alone' : 'from the provider alone, with a weak match' };
}

/**
 * The enrichment proposals, a pure function of the sources and the record's current values: one per field with
 * something to say, on the job's company. A field that already holds the same value gets none; an `ai_*` field
 * that holds any value gets none (AI-owned values are replaced by the agent that wrote them, not by enrichment);
 * a core firmographic field holding a different value gets one that the write-back sends to review.
 */
export function enrichmentProposals(input: EnrichmentProposalInput): Proposal[] {
  const history = groundedFacts(input.output, input.refs);
  const provided = providerSources(input.provider);
  const strong = (input.provider?.facts?.matchScore ?? 0) >= STRONG_MATCH;
  const proposals: Proposal[] = [];
  for (const field of ENRICHMENT_FIELDS) {
    const h = history.get(field) ?? [];
    const p = provided.get(field) ?? [];
    const single = field === 'industry' || field === 'numberofemployees';
    const d = single ? decideSingle(field, h, p, strong) : decideList(field, h, p, strong);
    if (!d) continue;
    const now = (input.current[field] ?? '').trim();
    if (now !== '' && (field.startsWith('ai_') || (single ? sameValue(field, now, d.value) : now === d.value))) continue;
    const who = input.currentSources?.[field];
    const there = now === '' ? '' : `HubSpot now holds ${JSON.stringify(now)} (set by ${who ?? 'an unknown source'}); enrichment fills empty fields only. `;
    const rated = input.judge?.rate(field, d.basis, d.confidence);
    const proposal = makeProposal(input.base, {
      target: input.target, kind: 'property', field, value: d.value, confidence: rated ? rated.confidence : d.confidence,
      evidence: d.sources.flatMap((s) => s.evidence), observedValue: input.current[field] ?? null,
      rationale: `${there}Proposed ${JSON.stringify(d.value)}: ${d.note}. Sources: ${describeSources(d.sources)}${rated ? `. ${rated.modelValidation.summary}` : ''}`,
    });
    proposals.push(rated ? { ...proposal, modelValidation: rated.modelValidation } : proposal);
  }
  return proposals;
}
