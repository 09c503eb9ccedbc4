import type { AgentName } from '../core/proposal.ts';
import type { RecordType } from '../core/objects.ts';

/**
 * The custom workflow actions the HubSpot app declares (hubspot/src/app/workflow-actions/*-hsmeta.json; a test
 * keeps those files and this table in step). Each runs one agent on the enrolled record and answers with output
 * fields a workflow can branch on. Output values are strings on the wire (HubSpot's callback API types them so).
 */

export const ACTION_KEYS = ['score-lead', 'summarize-call', 'draft-reply', 'enrich-company'] as const;
export type ActionKey = (typeof ACTION_KEYS)[number];

/** Written by every action: did the AI write, wait for a person, or find nothing to do. */
export const ACTION_STATUSES = ['written', 'waiting_for_review', 'nothing_to_change', 'refused', 'dry_run', 'failed'] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

export interface ActionDefinition {
  key: ActionKey;
  /** The workflow editor's name. */
  name: string;
  agent: AgentName;
  /** HubSpot's workflow object types (`CONTACT`, …) and ours. */
  objectTypes: Partial<Record<'CONTACT' | 'COMPANY' | 'DEAL' | 'TICKET', RecordType>>;
  /** Output fields besides the common `ai_status`, `ai_confidence`, `ai_review_url`. */
  outputs: string[];
}

export const ACTIONS: Record<ActionKey, ActionDefinition> = {
  'score-lead': {
    key: 'score-lead',
    name: 'AI: score this lead',
    agent: 'lead_score',
    objectTypes: { CONTACT: 'contacts', COMPANY: 'companies', DEAL: 'deals' },
    outputs: ['ai_score', 'ai_recommendation'],
  },
  'summarize-call': {
    key: 'summarize-call',
    name: 'AI: summarise the last call',
    agent: 'call_summary',
    objectTypes: { CONTACT: 'contacts', COMPANY: 'companies', DEAL: 'deals' },
    outputs: ['ai_summary', 'ai_next_steps'],
  },
  'draft-reply': {
    key: 'draft-reply',
    name: 'AI: draft a reply',
    agent: 'reply_draft',
    objectTypes: { CONTACT: 'contacts', COMPANY: 'companies', DEAL: 'deals', TICKET: 'tickets' },
    outputs: ['ai_draft'],
  },
  // Enrichment proper is a later issue; today this refreshes the account summary from the whole history.
  'enrich-company': {
    key: 'enrich-company',
    name: 'AI: enrich this company',
    agent: 'account_summary',
    objectTypes: { COMPANY: 'companies' },
    outputs: ['ai_summary'],
  },
};

export const COMMON_OUTPUTS = ['ai_status', 'ai_confidence', 'ai_review_url'] as const;
