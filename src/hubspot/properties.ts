import type { ObjectType } from '../core/objects.ts';
import { PRODUCT_OUTPUT_PROPERTIES } from '../core/product-output.ts';

/**
 * The properties read for each object type when assembling account histories: what the ingest turns into text,
 * dates and directions (HubSpot's engagement properties), plus what the agents and write-back need to see (owner, stage, lifecycle).
 * HubSpot returns only a small default set unless properties are named.
 */
export const HISTORY_PROPERTIES: Record<ObjectType, readonly string[]> = {
  companies: [
    'name', 'domain', 'industry', 'description', 'numberofemployees', 'annualrevenue', 'city', 'country',
    'lifecyclestage', 'hubspot_owner_id', 'createdate', 'hs_lastmodifieddate',
  ],
  contacts: [
    'firstname', 'lastname', 'email', 'jobtitle', 'phone', 'company', 'lifecyclestage', 'hs_lead_status',
    'hubspot_owner_id', 'createdate', 'lastmodifieddate',
  ],
  deals: [
    'dealname', 'amount', 'dealstage', 'pipeline', 'closedate', 'dealtype', 'description', 'hs_is_closed_won',
    'hubspot_owner_id', 'createdate', 'hs_lastmodifieddate',
  ],
  tickets: [
    'subject', 'content', 'hs_pipeline', 'hs_pipeline_stage', 'hs_ticket_priority', 'hubspot_owner_id',
    'createdate', 'hs_lastmodifieddate',
  ],
  notes: ['hs_note_body', 'hs_timestamp', 'hubspot_owner_id', 'hs_createdate', 'hs_lastmodifieddate', ...PRODUCT_OUTPUT_PROPERTIES],
  emails: [
    'hs_email_subject', 'hs_email_text', 'hs_email_html', 'hs_email_direction', 'hs_email_headers', 'hs_timestamp',
    'hubspot_owner_id', 'hs_createdate', 'hs_lastmodifieddate',
  ],
  calls: [
    'hs_call_title', 'hs_call_body', 'hs_call_direction', 'hs_call_has_transcript', 'hs_timestamp', 'hubspot_owner_id',
    'hs_createdate', 'hs_lastmodifieddate',
  ],
  meetings: [
    'hs_meeting_title', 'hs_meeting_body', 'hs_internal_meeting_notes', 'hs_meeting_start_time', 'hs_meeting_outcome',
    'hs_timestamp', 'hubspot_owner_id', 'hs_createdate', 'hs_lastmodifieddate',
  ],
  tasks: [
    'hs_task_subject', 'hs_task_body', 'hs_task_status', 'hs_timestamp', 'hubspot_owner_id', 'hs_createdate',
    'hs_lastmodifieddate', ...PRODUCT_OUTPUT_PROPERTIES,
  ],
};

/** The "last modified" property search filters and sorts on: contacts keep the pre-`hs_` name. */
export function lastModifiedProperty(type: ObjectType): string {
  return type === 'contacts' ? 'lastmodifieddate' : 'hs_lastmodifieddate';
}
