import type { PropertyDefinition } from '../hubspot/gateway.ts';
import type { RecordType } from '../core/objects.ts';
import { MAX_TEXT_LENGTH } from '../core/proposal.ts';
import { AI_FLAG_PROPERTY } from '../core/product-output.ts';

/**
 * The AI-owned properties `hubspot-ai setup` creates on companies, contacts and deals, in their own group so that
 * RevOps sees at a glance what the AI may write. Agents write only these (and labelled notes) without review.
 */

export const AI_GROUP = { name: 'ai_insights', label: 'AI insights' } as const;

export const AI_OBJECT_TYPES = ['companies', 'contacts', 'deals'] as const satisfies readonly RecordType[];

type AiProperty = Omit<PropertyDefinition, 'groupName'> & { validate?: (value: string) => string | undefined };

const isoDate = (v: string) => (v === '' || !Number.isNaN(Date.parse(v)) || /^\d{10,13}$/.test(v) ? undefined : 'must be an ISO date-time or epoch ms');

export const AI_PROPERTIES: AiProperty[] = [
  {
    name: 'ai_lead_score',
    label: 'AI lead score',
    type: 'number',
    fieldType: 'number',
    description: 'Fit/propensity score from 0 to 100 computed by hubspot-ai.',
    validate: (v) => (v === '' || (Number.isFinite(Number(v)) && Number(v) >= 0 && Number(v) <= 100) ? undefined : 'must be a number from 0 to 100'),
  },
  { name: 'ai_fit_segment', label: 'AI fit segment', type: 'string', fieldType: 'text', description: 'Segment the AI scorer placed this record in.' },
  { name: 'ai_summary', label: 'AI summary', type: 'string', fieldType: 'textarea', description: 'AI-generated summary of the account history. Review before relying on it.' },
  { name: 'ai_next_steps', label: 'AI next steps', type: 'string', fieldType: 'textarea', description: 'AI-suggested next steps.' },
  { name: 'ai_recommendation', label: 'AI recommendation', type: 'string', fieldType: 'textarea', description: 'AI recommendation with its reasons.' },
  { name: 'ai_last_run', label: 'AI last run', type: 'datetime', fieldType: 'date', description: 'When hubspot-ai last wrote to this record.', validate: isoDate },
  {
    name: 'ai_churn_risk',
    label: 'AI churn risk',
    type: 'enumeration',
    fieldType: 'select',
    description: 'Churn risk from the AI account summary (low, medium, high).',
    options: [
      { label: 'Low', value: 'low', displayOrder: 0 },
      { label: 'Medium', value: 'medium', displayOrder: 1 },
      { label: 'High', value: 'high', displayOrder: 2 },
    ],
    validate: (v) => (v === '' || ['low', 'medium', 'high'].includes(v) ? undefined : 'must be low, medium or high'),
  },
  { name: 'ai_tech_stack', label: 'AI tech stack', type: 'string', fieldType: 'text', description: 'Technologies the company uses (semicolon-separated), from its history or an enrichment provider.' },
  { name: 'ai_intent_signals', label: 'AI intent signals', type: 'string', fieldType: 'text', description: 'Buying signals (semicolon-separated), from the account history or an enrichment provider.' },
  { name: 'ai_model', label: 'AI model', type: 'string', fieldType: 'text', description: 'Model (and provider) that produced the AI values.' },
];

/**
 * The property that marks AI notes and tasks (besides the visible header). Created by setup where the portal
 * allows custom properties on engagements; the writer sets it only where it exists.
 */
export const AI_ENGAGEMENT_PROPERTY: Omit<PropertyDefinition, 'groupName'> = {
  name: AI_FLAG_PROPERTY,
  label: 'AI-generated',
  type: 'bool',
  fieldType: 'booleancheckbox',
  description: 'Set on notes and tasks written by hubspot-ai.',
  options: [
    { label: 'Yes', value: 'true', displayOrder: 0 },
    { label: 'No', value: 'false', displayOrder: 1 },
  ],
};

/** HubSpot caps string property values at 65,536 characters. */
export const MAX_VALUE_LENGTH = MAX_TEXT_LENGTH;

/** Why `value` cannot be written to `field`, or undefined when it can (unknown fields are not checked here). */
export function invalidValueReason(field: string, value: string): string | undefined {
  if (value.length > MAX_VALUE_LENGTH) return `value is ${value.length} characters; HubSpot allows ${MAX_VALUE_LENGTH}`;
  const def = AI_PROPERTIES.find((p) => p.name === field);
  return def?.validate?.(value);
}

export function aiPropertyDefinitions(): PropertyDefinition[] {
  return AI_PROPERTIES.map(({ validate: _v, ...def }) => ({ ...def, groupName: AI_GROUP.name }));
}
