import type { ObjectType } from './object-types.ts';
import { OBJECT_TYPES } from './object-types.ts';
import type { SeedObject } from './types.ts';

/** Property definitions as the Properties v3 API returns them. */
export interface PropertyDef {
  name: string;
  label: string;
  type: string;
  fieldType: string;
  groupName: string;
  description: string;
  options: Array<{ label: string; value: string; displayOrder?: number; hidden?: boolean }>;
  displayOrder: number;
  hidden: boolean;
  formField: boolean;
  calculated: boolean;
  externalOptions: boolean;
  hasUniqueValue: boolean;
  hubspotDefined?: boolean;
  modificationMetadata: { archivable: boolean; readOnlyDefinition: boolean; readOnlyValue: boolean };
  createdAt: string;
  updatedAt: string;
  archived: boolean;
}

export interface PropertyGroupDef {
  name: string;
  label: string;
  displayOrder: number;
  archived: boolean;
}

/** HubSpot sets these itself; `hs_object_source(_id)` say who created a record (an integration: its app id). */
export const READ_ONLY = new Set(['hs_object_id', 'createdate', 'hs_lastmodifieddate', 'hs_object_source', 'hs_object_source_id']);
const NUMBER = new Set(['amount', 'numberofemployees', 'annualrevenue', 'hs_call_duration', 'hs_object_id']);
const BOOL = new Set(['hs_call_has_transcript']);
const DATETIME = /(^createdate$|date$|^hs_timestamp$|_time$)/;
const ENUMS: Record<string, string[]> = {
  lifecyclestage: ['subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer', 'evangelist', 'other'],
  dealstage: ['appointmentscheduled', 'qualifiedtobuy', 'presentationscheduled', 'decisionmakerboughtin', 'contractsent', 'closedwon', 'closedlost'],
  hs_email_direction: ['EMAIL', 'INCOMING_EMAIL', 'FORWARDED_EMAIL'],
  hs_task_status: ['NOT_STARTED', 'IN_PROGRESS', 'WAITING', 'COMPLETED', 'DEFERRED'],
  // HubSpot's default lead statuses; portals often edit them (PATCH /crm/v3/properties/contacts/hs_lead_status).
  hs_lead_status: ['NEW', 'OPEN', 'IN_PROGRESS', 'OPEN_DEAL', 'UNQUALIFIED', 'ATTEMPTED_TO_CONTACT', 'CONNECTED', 'BAD_TIMING'],
};

/** Properties every object has, beside those the generator writes. */
const ALWAYS: Record<ObjectType, string[]> = {
  companies: ['name', 'domain', 'industry', 'phone', 'website'],
  contacts: ['firstname', 'lastname', 'email', 'associatedcompanyid'],
  deals: ['dealname', 'amount', 'dealstage', 'pipeline', 'closedate'],
  tickets: ['subject', 'content', 'hs_pipeline', 'hs_pipeline_stage'],
  notes: ['hs_note_body', 'hs_timestamp', 'hs_attachment_ids'],
  emails: ['hs_email_subject', 'hs_email_text', 'hs_email_html', 'hs_email_direction', 'hs_timestamp'],
  calls: ['hs_call_title', 'hs_call_body', 'hs_call_direction', 'hs_timestamp', 'hs_call_recording_url'],
  meetings: ['hs_meeting_title', 'hs_meeting_body', 'hs_internal_meeting_notes', 'hs_meeting_start_time', 'hs_meeting_outcome', 'hs_timestamp'],
  tasks: ['hs_task_subject', 'hs_task_body', 'hs_task_status', 'hs_timestamp'],
};

export const DEFAULT_LIST_PROPERTIES: Record<ObjectType, string[]> = {
  companies: ['name', 'domain', 'createdate', 'hs_lastmodifieddate', 'hs_object_id'],
  contacts: ['firstname', 'lastname', 'email', 'createdate', 'lastmodifieddate', 'hs_object_id'],
  deals: ['dealname', 'amount', 'dealstage', 'pipeline', 'closedate', 'createdate', 'hs_lastmodifieddate', 'hs_object_id'],
  tickets: ['subject', 'content', 'hs_pipeline', 'hs_pipeline_stage', 'hs_ticket_priority', 'createdate', 'hs_lastmodifieddate', 'hs_object_id'],
  notes: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
  emails: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
  calls: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
  meetings: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
  tasks: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
};

export function makePropertyDef(name: string, overrides: Partial<PropertyDef> = {}, at = '2024-01-01T00:00:00.000Z'): PropertyDef {
  const type = NUMBER.has(name) ? 'number' : BOOL.has(name) ? 'bool' : DATETIME.test(name) ? 'datetime' : ENUMS[name] ? 'enumeration' : 'string';
  const fieldType =
    type === 'number' ? 'number' : type === 'bool' ? 'booleancheckbox' : type === 'datetime' ? 'date' : type === 'enumeration' ? 'select' : name.endsWith('body') || name.endsWith('html') ? 'textarea' : 'text';
  return {
    name,
    label: name.replace(/^hs_/, '').replace(/_/g, ' ').replace(/^\w/, (c) => c.toUpperCase()),
    type,
    fieldType,
    groupName: 'sandbox_information',
    description: '',
    options:
      type === 'bool'
        ? [{ label: 'Yes', value: 'true', displayOrder: 0, hidden: false }, { label: 'No', value: 'false', displayOrder: 1, hidden: false }]
        : (ENUMS[name] ?? []).map((value, i) => ({ label: value, value, displayOrder: i, hidden: false })),
    displayOrder: -1,
    hidden: false,
    formField: false,
    calculated: false,
    externalOptions: false,
    hasUniqueValue: name === 'hs_object_id',
    hubspotDefined: true,
    modificationMetadata: { archivable: !READ_ONLY.has(name), readOnlyDefinition: true, readOnlyValue: READ_ONLY.has(name) },
    createdAt: at,
    updatedAt: at,
    archived: false,
    ...overrides,
  };
}

/** The built-in catalogue: everything the seeded objects use plus HubSpot's usual properties. */
export function defaultCatalog(objects: Record<ObjectType, SeedObject[]>): Record<ObjectType, Map<string, PropertyDef>> {
  const out = {} as Record<ObjectType, Map<string, PropertyDef>>;
  for (const t of OBJECT_TYPES) {
    const names = new Set([...ALWAYS[t], ...DEFAULT_LIST_PROPERTIES[t], 'hubspot_owner_id', 'hs_createdate', 'lastmodifieddate', 'hs_object_source', 'hs_object_source_id']);
    for (const o of objects[t].slice(0, 50)) for (const k of Object.keys(o.properties)) names.add(k);
    out[t] = new Map([...names].sort().map((n) => [n, makePropertyDef(n)]));
  }
  return out;
}
