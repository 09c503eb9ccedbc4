/** HubSpot object vocabulary shared by every module. */

export const RECORD_TYPES = ['companies', 'contacts', 'deals', 'tickets'] as const;
export const ENGAGEMENT_TYPES = ['notes', 'emails', 'calls', 'meetings', 'tasks'] as const;
export const OBJECT_TYPES = [...RECORD_TYPES, ...ENGAGEMENT_TYPES] as const;

export type RecordType = (typeof RECORD_TYPES)[number];
export type EngagementType = (typeof ENGAGEMENT_TYPES)[number];
export type ObjectType = (typeof OBJECT_TYPES)[number];

/**
 * What a chunk came from. `record` is the company/contact/deal itself (its properties as text); `ai_output` is a
 * note or task the product wrote itself, indexed apart and never used as evidence (core/product-output.ts).
 */
export type SourceType = 'note' | 'email' | 'call' | 'meeting' | 'task' | 'ticket' | 'record' | 'ai_output';
export const SOURCE_TYPES: readonly SourceType[] = ['note', 'email', 'call', 'meeting', 'task', 'ticket', 'record', 'ai_output'];
/** Source types agents may cite: everything people wrote, nothing the product wrote. */
export const EVIDENCE_SOURCE_TYPES: readonly SourceType[] = SOURCE_TYPES.filter((t) => t !== 'ai_output');

export const ENGAGEMENT_SOURCE: Record<EngagementType, SourceType> = {
  notes: 'note',
  emails: 'email',
  calls: 'call',
  meetings: 'meeting',
  tasks: 'task',
};

/** HubSpot object type ids, as used by generic `object.*` webhook events (`objectTypeId`). */
export const OBJECT_TYPE_IDS: Record<ObjectType, string> = {
  contacts: '0-1',
  companies: '0-2',
  deals: '0-3',
  tickets: '0-5',
  notes: '0-46',
  emails: '0-49',
  calls: '0-48',
  meetings: '0-47',
  tasks: '0-27',
};

export const OBJECT_TYPE_BY_ID: Record<string, ObjectType> = Object.fromEntries(
  Object.entries(OBJECT_TYPE_IDS).map(([k, v]) => [v, k]),
) as Record<string, ObjectType>;

/** Singular names used in webhook subscription types (`contact.creation`) and association labels. */
export const SINGULAR: Record<ObjectType, string> = {
  companies: 'company',
  contacts: 'contact',
  deals: 'deal',
  tickets: 'ticket',
  notes: 'note',
  emails: 'email',
  calls: 'call',
  meetings: 'meeting',
  tasks: 'task',
};

const TYPE_BY_SINGULAR: Record<string, ObjectType> = Object.fromEntries(OBJECT_TYPES.map((t) => [SINGULAR[t], t]));

/** `contact` → `contacts`: the object type a webhook subscription type or a workflow's object names. */
export function objectTypeOfSingular(name: string): ObjectType | undefined {
  return TYPE_BY_SINGULAR[name.toLowerCase()];
}

/** A CRM object as the v3 API returns it. Property values are strings or null, as in HubSpot. */
export interface HubSpotObject {
  id: string;
  properties: Record<string, string | null>;
  createdAt?: string;
  updatedAt?: string;
  archived?: boolean;
  propertiesWithHistory?: Record<string, PropertyHistoryEntry[]>;
}

export interface PropertyHistoryEntry {
  value: string;
  timestamp: string;
  sourceType: string; // CRM_UI, INTEGRATION, API, WORKFLOW, ...
  sourceId?: string;
  updatedByUserId?: number;
}

/** Ids of what an engagement is associated with. */
export interface AssociationSet {
  companies: string[];
  contacts: string[];
  deals: string[];
  tickets: string[];
}

export interface Engagement {
  type: EngagementType;
  object: HubSpotObject;
  associations: AssociationSet;
  /** The product wrote it (an AI note or task): set when the history is read (core/product-output.ts). */
  productOutput?: boolean;
}

/**
 * An account: a company, or a contact with no company (`contact:<id>`). Its history is everything associated
 * with the company or with any of its contacts, deals and tickets, de-duplicated.
 */
export interface AccountHistory {
  portalId: string;
  accountId: string;
  company?: HubSpotObject;
  contacts: HubSpotObject[];
  deals: HubSpotObject[];
  tickets: HubSpotObject[];
  engagements: Engagement[];
}

export function contactAccountId(contactId: string): string {
  return `contact:${contactId}`;
}

export function parseAccountId(accountId: string): { type: 'companies' | 'contacts'; id: string } {
  if (accountId.startsWith('contact:')) return { type: 'contacts', id: accountId.slice('contact:'.length) };
  return { type: 'companies', id: accountId };
}

/** HUBSPOT_DEFINED association type ids for engagement → record (notes, tasks use these when we create them). */
export const ASSOCIATION_TYPE_IDS = {
  notes: { contacts: 202, companies: 190, deals: 214, tickets: 228 },
  tasks: { contacts: 204, companies: 192, deals: 216, tickets: 230 },
} as const;
