/**
 * HubSpot's CRM object types, as the sandbox portal serves them. The sandbox is an independent stand-in for
 * HubSpot and imports nothing of the product (the boundary rules check it), so it keeps its own copy of these
 * facts about HubSpot's API: if the product's vocabulary drifts from them, the tests against the sandbox show it.
 */
export const RECORD_TYPES = ['companies', 'contacts', 'deals', 'tickets'] as const;
export const ENGAGEMENT_TYPES = ['notes', 'emails', 'calls', 'meetings', 'tasks'] as const;
export const OBJECT_TYPES = [...RECORD_TYPES, ...ENGAGEMENT_TYPES] as const;
export type ObjectType = (typeof OBJECT_TYPES)[number];

/** Object type ids, as `object.*` webhook events and the v4 association API name them. */
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

/** Singular names, as in webhook subscription types (`contact.creation`) and association labels. */
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
