import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import { RECORD_TYPES, type RecordType } from '../core/objects.ts';

/**
 * The write-back policy (`POLICY_FILE`, YAML or JSON). It says, per object type and field, whether an agent's
 * proposal may be applied automatically (`auto`), must wait for a human (`review`) or is refused (`deny`).
 *
 * Defaults (used for every key the file leaves out):
 *   - AI-owned `ai_*` properties on companies, contacts and deals: `auto` at confidence ≥ 0.6;
 *   - core fields (lifecyclestage, hs_lead_status, dealstage, pipeline, hubspot_owner_id, amount, closedate): `review`;
 *   - AI-labelled notes: `auto` at confidence ≥ 0.5; tasks: `deny`;
 *   - every other field: `deny`;
 *   - a human-set, non-empty value is never overwritten automatically (the proposal goes to review);
 *   - breaker: at most 120 automatic writes a minute and 20 % of an object type's records an hour;
 *   - kill switch off (KILL_SWITCH=true also stops automatic writes);
 *   - negative recommendations (`ai_recommendation` = disqualify or nurture) need confidence ≥ 0.85;
 *   - fill-empty fields (enrichment): a company's `industry` and `numberofemployees` may be written automatically at
 *     confidence ≥ 0.9 only while they are empty when the proposal is decided; a value already there (a person's,
 *     an import's) is never replaced: a different proposal goes to review showing both.
 *
 * Two guardrails cannot be loosened by a file: core (protected) fields and non-`ai_*` fields are never `auto`.
 * A file that tries is refused at load time, and `decide` enforces it again.
 */

export const MODES = ['auto', 'review', 'deny'] as const;
export type Mode = (typeof MODES)[number];

/** Fields that always need a human, whatever the file says. The file may add more (`protectedFields`). */
export const CORE_FIELDS = ['lifecyclestage', 'hs_lead_status', 'dealstage', 'pipeline', 'hubspot_owner_id', 'amount', 'closedate'] as const;

/** The namespace of properties the AI owns (created by `hubspot-ai setup`). */
export const AI_PREFIX = 'ai_';

const threshold = z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');

const FieldRuleSchema = z.strictObject({
  mode: z.enum(MODES),
  confidenceThreshold: threshold.optional(),
  /** May an automatic write replace a non-empty value a human set? Default: the policy-wide setting. */
  overwriteHumanValues: z.boolean().optional(),
});
export type FieldRule = z.infer<typeof FieldRuleSchema>;

const EngagementRuleSchema = z.strictObject({
  mode: z.enum(MODES),
  confidenceThreshold: threshold.default(0.5),
});

/** `fields` keys are property names or prefixes ending in `*` (`ai_*`); the longest match wins, exact first. */
const ObjectRulesSchema = z.strictObject({
  fields: z.record(z.string().regex(/^[a-z0-9_]+\*?$|^\*$/, 'must be a property name, a prefix ending in *, or *'), FieldRuleSchema).default({}),
});

export const PolicySchema = z
  .strictObject({
    version: z.literal(1).default(1),
    /** Threshold for fields whose rule gives none. */
    defaultConfidenceThreshold: threshold.default(0.7),
    overwriteHumanValues: z.boolean().default(false),
    /** What happens to an automatic write that would replace a human-set value the policy protects. */
    humanValueAction: z.enum(['review', 'reject']).default('review'),
    protectedFields: z.array(z.string().min(1)).default([]),
    objects: z.partialRecord(z.enum(RECORD_TYPES), ObjectRulesSchema).default({}),
    notes: EngagementRuleSchema.default({ mode: 'auto', confidenceThreshold: 0.5 }),
    tasks: EngagementRuleSchema.default({ mode: 'deny', confidenceThreshold: 0.5 }),
    breaker: z
      .strictObject({
        maxAutoWritesPerMinute: z.number().int().min(0).default(120),
        /** Share of an object type's records that may be written automatically within an hour. */
        maxObjectFractionPerHour: z.number().min(0).max(1).default(0.2),
        /** Below this many records the fraction rule is not applied (a 5-record portal would trip at once). */
        fractionMinRecords: z.number().int().min(0).default(50),
      })
      .default({ maxAutoWritesPerMinute: 120, maxObjectFractionPerHour: 0.2, fractionMinRecords: 50 }),
    killSwitch: z.boolean().default(false),
    /**
     * Negative recommendations (a lead to disqualify or to nurture) cost a lost deal when wrong, so they need a
     * stricter bar than positive ones: a proposal for one of `fields` whose value starts with one of `values` is
     * applied only at confidence ≥ the higher of its field threshold and this one.
     */
    negativeRecommendations: z
      .strictObject({
        fields: z.array(z.string().regex(/^[a-z0-9_]+$/)).default(['ai_recommendation']),
        values: z.array(z.string().min(1)).default(['disqualify', 'nurture']),
        confidenceThreshold: threshold.default(0.85),
      })
      .default({ fields: ['ai_recommendation'], values: ['disqualify', 'nurture'], confidenceThreshold: 0.85 }),
    /**
     * Firmographic fields enrichment may fill while they are empty (never core fields, never `ai_*`, which their
     * own rules cover). A file's `objects.<type>.fields` rule for the same field wins (e.g. `review`). These are
     * the portal's own fields, not the AI's: a value is written only when the proposal carries a held-out
     * validation of the model that produced it (for that field and value class) whose 95 % lower bound is at
     * least `minValidatedPrecision`; with none, or a weaker one, a person decides (`model_unvalidated`).
     */
    fillEmpty: z
      .strictObject({
        fields: z.partialRecord(z.enum(RECORD_TYPES), z.array(z.string().regex(/^[a-z0-9_]+$/))).default({ companies: ['industry', 'numberofemployees'] }),
        confidenceThreshold: threshold.default(0.9),
        minValidatedPrecision: threshold.default(0.9),
      })
      .default({ fields: { companies: ['industry', 'numberofemployees'] }, confidenceThreshold: 0.9, minValidatedPrecision: 0.9 }),
    /**
     * This portal's model quota (a per-portal policy file): overrides MODEL_QUOTA_TOKENS, MODEL_QUOTA_COST_USD and
     * MODEL_QUOTA_PERIOD field by field. Once spent, its generations are refused until the period ends.
     */
    modelQuota: z
      .strictObject({
        tokens: z.number().int().min(0).optional(),
        costUsd: z.number().min(0).optional(),
        period: z.enum(['day', 'month']).optional(),
      })
      .optional(),
  });

export type Policy = z.output<typeof PolicySchema>;
export type PolicyInput = z.input<typeof PolicySchema>;

/** `auto` on a protected or non-`ai_*` field: read from the raw input, so it works even when other keys are invalid. */
function guardrailIssues(input: unknown): string[] {
  const raw = (input ?? {}) as { protectedFields?: unknown; objects?: unknown; fillEmpty?: { fields?: unknown } };
  const extra = Array.isArray(raw.protectedFields) ? raw.protectedFields.filter((f): f is string => typeof f === 'string') : [];
  const protectedSet = new Set<string>([...CORE_FIELDS, ...extra]);
  const issues: string[] = [];
  const fill = raw.fillEmpty?.fields && typeof raw.fillEmpty.fields === 'object' ? (raw.fillEmpty.fields as Record<string, unknown>) : {};
  for (const [objectType, list] of Object.entries(fill)) {
    for (const f of Array.isArray(list) ? list : []) {
      if (typeof f !== 'string') continue;
      if (protectedSet.has(f)) issues.push(`fillEmpty.fields.${objectType}: "${f}" is a protected field: a person approves every change`);
      else if (f.startsWith(AI_PREFIX)) issues.push(`fillEmpty.fields.${objectType}: "${f}" is AI-owned: give it an objects.${objectType}.fields rule instead`);
    }
  }
  const objects = raw.objects && typeof raw.objects === 'object' ? (raw.objects as Record<string, unknown>) : {};
  for (const [objectType, rules] of Object.entries(objects)) {
    const fields = (rules as { fields?: unknown } | null)?.fields;
    if (!fields || typeof fields !== 'object') continue;
    for (const [key, rule] of Object.entries(fields as Record<string, unknown>)) {
      if ((rule as { mode?: unknown } | null)?.mode !== 'auto') continue;
      const where = `objects.${objectType}.fields.${key}.mode`;
      if (protectedSet.has(key)) issues.push(`${where}: "${key}" is a protected field: it can be "review" or "deny", never "auto"`);
      else if (!key.startsWith(AI_PREFIX)) issues.push(`${where}: only AI-owned ${AI_PREFIX}* properties can be "auto" (got "${key}")`);
    }
  }
  return issues;
}

/** Rules merged under every file: the documented defaults. A file's own rule for the same key replaces these. */
function defaultObjectRules(objectType: RecordType): Record<string, FieldRule> {
  const rules: Record<string, FieldRule> = {};
  if (objectType !== 'tickets') rules[`${AI_PREFIX}*`] = { mode: 'auto', confidenceThreshold: 0.6 };
  if (objectType === 'companies') {
    // Enrichment's list values (a tech stack, intent signals) are facts about the company, held to the same bar as
    // the firmographics it fills (fillEmpty, 0.9). On the development run of bench:enrichment a tech stack from
    // the provider alone was right 74/80 (lower bound 0.85): at 0.6 it applied and pulled precision under 0.95;
    // every class with a lower bound ≥ 0.9 was right ≥ 0.97 of the time.
    for (const f of ENRICHMENT_LIST_FIELDS) rules[f] = { mode: 'auto', confidenceThreshold: 0.9 };
  }
  for (const f of CORE_FIELDS) rules[f] = { mode: 'review' };
  return rules;
}

/** Parses a policy object, filling the defaults. Throws PolicyError listing every problem. */
export function parsePolicy(input: unknown, source = 'policy'): Policy {
  const parsed = PolicySchema.safeParse(input ?? {});
  // Guardrail problems are reported together with schema problems, so one edit fixes the whole file.
  const issues = [...(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)), ...guardrailIssues(input)];
  if (!parsed.success || issues.length > 0) {
    throw new PolicyError(`Invalid write-back policy in ${source}:\n${issues.map((i) => `  - ${i}`).join('\n')}`, issues);
  }
  const p = parsed.data;
  const objects: Policy['objects'] = {};
  for (const t of RECORD_TYPES) {
    objects[t] = { fields: { ...defaultObjectRules(t), ...(p.objects[t]?.fields ?? {}) } };
  }
  return { ...p, objects };
}

export function defaultPolicy(): Policy {
  return parsePolicy({}, 'defaults');
}

/**
 * Loads `file` (YAML when it ends in .yml/.yaml, JSON otherwise; YAML also parses JSON), or the defaults when no
 * file is given. Errors name the file and every invalid key.
 */
export function loadPolicy(file?: string): Policy {
  if (!file) return defaultPolicy();
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new PolicyError(`Cannot read POLICY_FILE ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, [], err);
  }
  let raw: unknown;
  try {
    raw = path.extname(file).toLowerCase() === '.json' ? JSON.parse(text) : YAML.parse(text);
  } catch (err) {
    throw new PolicyError(`POLICY_FILE ${file} is not valid ${path.extname(file) === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message}`, [], err);
  }
  return parsePolicy(raw, file);
}

export class PolicyError extends AppError {
  readonly issues: string[];
  constructor(message: string, issues: string[], cause?: unknown) {
    super('POLICY_INVALID', message, cause === undefined ? undefined : { cause });
    this.issues = issues;
  }
}

/** The fill-empty threshold for this field, or null when the policy does not let enrichment fill it. */
/** Enrichment's AI-owned list fields on companies (their default threshold is the fill-empty bar). */
export const ENRICHMENT_LIST_FIELDS = ['ai_tech_stack', 'ai_intent_signals'] as const;

export function fillEmptyThreshold(policy: Policy, objectType: RecordType, field: string): number | null {
  if (isProtectedField(policy, field) || field.startsWith(AI_PREFIX)) return null;
  return policy.fillEmpty.fields[objectType]?.includes(field) ? policy.fillEmpty.confidenceThreshold : null;
}

export function isProtectedField(policy: Policy, field: string): boolean {
  return (CORE_FIELDS as readonly string[]).includes(field) || policy.protectedFields.includes(field);
}

/** The rule for one field: exact key first, then the longest matching `prefix*`, then `*`; none means deny. */
export function fieldRule(policy: Policy, objectType: RecordType, field: string): FieldRule | undefined {
  const rules = policy.objects[objectType]?.fields ?? {};
  if (Object.hasOwn(rules, field)) return rules[field];
  let best: { len: number; rule: FieldRule } | undefined;
  for (const [key, rule] of Object.entries(rules)) {
    if (!key.endsWith('*')) continue;
    const prefix = key.slice(0, -1);
    if (field.startsWith(prefix) && (!best || prefix.length > best.len)) best = { len: prefix.length, rule };
  }
  return best?.rule;
}

/** The first word of a recommendation value (`disqualify\nReason…` → `disqualify`), lower-cased. */
export function recommendationOf(value: string): string {
  return (value.trim().split(/\s/, 1)[0] ?? '').toLowerCase();
}

/** The stricter bar for a negative recommendation, or null when the proposal is not one. */
export function negativeRecommendationThreshold(policy: Policy, field: string, value: string): number | null {
  const rule = policy.negativeRecommendations;
  if (!rule.fields.includes(field)) return null;
  const first = recommendationOf(value);
  return rule.values.some((v) => v.toLowerCase() === first) ? rule.confidenceThreshold : null;
}
