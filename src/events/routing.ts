import fs from 'node:fs';
import { z } from 'zod';
import YAML from 'yaml';
import { OBJECT_TYPES, type ObjectType } from '../core/objects.ts';
import { AppError } from '../errors.ts';
import { formatIssues } from '../webhooks/event-schema.ts';
import type { JobType } from '../queue/queue.ts';
import { EVENT_ACTIONS, type ClassifiedEvent } from './classify-event.ts';

/**
 * Routing rules: which events start which jobs. Every event about an indexed object type starts an
 * `ingest.record` job (coalesced per record); generation jobs start only when a rule matches, and never for the
 * product's own writes (echo suppression happens before rules are consulted). A generation is enqueued by the
 * ingest job of its event once that content is indexed, for each account the object rolls up to.
 *
 * `ROUTING_FILE` (JSON or YAML) replaces the defaults below; omitted keys keep their defaults:
 *
 *   ingest: { objectTypes: [companies, contacts, deals, tickets, notes, emails, calls, meetings, tasks] }
 *   rules:
 *     - { name: call-summary, job: generate.call_summary, objectTypes: [calls, meetings], actions: [creation] }
 *     - { name: call-summary-content, job: generate.call_summary, objectTypes: [calls, meetings],
 *         actions: [propertyChange], properties: [hs_call_body, hs_meeting_body, hs_internal_meeting_notes],
 *         requireValue: true }
 *     - { name: lead-score, job: generate.lead_score, objectTypes: [contacts, companies], actions: [creation] }
 *     - { name: enrichment, job: generate.enrichment, objectTypes: [companies], actions: [creation] }
 *     - { name: reply-draft, job: generate.reply_draft, objectTypes: [emails], actions: [creation] }
 *     - { name: reply-draft-incoming, job: generate.reply_draft, objectTypes: [emails], actions: [propertyChange],
 *         properties: [hs_email_direction], values: [INCOMING_EMAIL] }
 *     - { name: account-summary, job: generate.account_summary, objectTypes: [deals], actions: [propertyChange],
 *         properties: [dealstage] }
 *
 * Creation events carry no content, so "a call with content" and "an incoming e-mail" are checked by the agent,
 * which ends the job cleanly when the call is empty or the e-mail outgoing.
 */
export const GENERATION_JOBS = ['generate.call_summary', 'generate.lead_score', 'generate.reply_draft', 'generate.account_summary', 'generate.enrichment'] as const;
export type GenerationJobType = (typeof GENERATION_JOBS)[number] & JobType;

export const routingRuleSchema = z.strictObject({
  name: z.string().min(1),
  job: z.enum(GENERATION_JOBS),
  objectTypes: z.array(z.enum(OBJECT_TYPES)).min(1, 'list at least one object type'),
  actions: z.array(z.enum(EVENT_ACTIONS)).min(1, 'list at least one action'),
  /** propertyChange only: the property must be one of these. */
  properties: z.array(z.string().min(1)).min(1).optional(),
  /** propertyChange only: the new value must be one of these. */
  values: z.array(z.string()).min(1).optional(),
  /** propertyChange only: an emptied property does not match. */
  requireValue: z.boolean().default(false),
  enabled: z.boolean().default(true),
});
export type RoutingRule = z.infer<typeof routingRuleSchema>;

export const DEFAULT_RULES: RoutingRule[] = [
  { name: 'call-summary', job: 'generate.call_summary', objectTypes: ['calls', 'meetings'], actions: ['creation'], requireValue: false, enabled: true },
  {
    name: 'call-summary-content',
    job: 'generate.call_summary',
    objectTypes: ['calls', 'meetings'],
    actions: ['propertyChange'],
    properties: ['hs_call_body', 'hs_meeting_body', 'hs_internal_meeting_notes'],
    requireValue: true,
    enabled: true,
  },
  { name: 'lead-score', job: 'generate.lead_score', objectTypes: ['contacts', 'companies'], actions: ['creation'], requireValue: false, enabled: true },
  { name: 'enrichment', job: 'generate.enrichment', objectTypes: ['companies'], actions: ['creation'], requireValue: false, enabled: true },
  { name: 'reply-draft', job: 'generate.reply_draft', objectTypes: ['emails'], actions: ['creation'], requireValue: false, enabled: true },
  {
    name: 'reply-draft-incoming',
    job: 'generate.reply_draft',
    objectTypes: ['emails'],
    actions: ['propertyChange'],
    properties: ['hs_email_direction'],
    values: ['INCOMING_EMAIL'],
    requireValue: true,
    enabled: true,
  },
  {
    name: 'account-summary',
    job: 'generate.account_summary',
    objectTypes: ['deals'],
    actions: ['propertyChange'],
    properties: ['dealstage'],
    requireValue: true,
    enabled: true,
  },
];

export const routingSchema = z.strictObject({
  ingest: z.strictObject({ objectTypes: z.array(z.enum(OBJECT_TYPES)).default([...OBJECT_TYPES]) }).default({ objectTypes: [...OBJECT_TYPES] }),
  rules: z.array(routingRuleSchema).default(DEFAULT_RULES),
});
export type RoutingConfig = z.infer<typeof routingSchema>;

export const DEFAULT_ROUTING: RoutingConfig = routingSchema.parse({});

export class RoutingConfigError extends AppError {
  constructor(message: string) {
    super('ROUTING_INVALID', message);
  }
}

/** Validates a routing document (already parsed from JSON/YAML). */
export function parseRouting(doc: unknown, source = 'routing rules'): RoutingConfig {
  const parsed = routingSchema.safeParse(doc ?? {});
  if (!parsed.success) throw new RoutingConfigError(`${source}: ${formatIssues(parsed.error.issues, 10)}`);
  return parsed.data;
}

/** Loads `ROUTING_FILE` (JSON or YAML); no file means the documented defaults. */
export function loadRoutingRules(file: string | undefined): RoutingConfig {
  if (!file) return DEFAULT_ROUTING;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new RoutingConfigError(`ROUTING_FILE ${file}: cannot read it (${(err as Error).message})`);
  }
  let doc: unknown;
  try {
    doc = /\.json$/i.test(file) ? JSON.parse(text) : YAML.parse(text);
  } catch (err) {
    throw new RoutingConfigError(`ROUTING_FILE ${file}: not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'} (${(err as Error).message})`);
  }
  return parseRouting(doc, `ROUTING_FILE ${file}`);
}

export function shouldIngest(routing: RoutingConfig, objectType: ObjectType): boolean {
  return routing.ingest.objectTypes.includes(objectType);
}

/** Generation jobs an event starts, each once, in rule order. */
export function generationJobsFor(
  routing: RoutingConfig,
  event: ClassifiedEvent & { propertyName?: string; propertyValue?: string },
): GenerationJobType[] {
  const out = new Set<GenerationJobType>();
  for (const rule of routing.rules) {
    if (!rule.enabled || !rule.objectTypes.includes(event.objectType) || !rule.actions.includes(event.action)) continue;
    if (event.action === 'propertyChange') {
      if (rule.properties && !(event.propertyName && rule.properties.includes(event.propertyName))) continue;
      if (rule.values && !(event.propertyValue !== undefined && rule.values.includes(event.propertyValue))) continue;
      if (rule.requireValue && !event.propertyValue) continue;
    }
    out.add(rule.job);
  }
  return [...out];
}
