import type { HubSpotObject, RecordType } from '../core/objects.ts';

/**
 * How people name a record in HubSpot: the properties to read and how to turn them into one line. Used so that
 * reviewers and owners see "Acme Corp" or "Dana Reyes", never "companies / 100001".
 */
export const NAME_PROPERTIES: Record<RecordType, string[]> = {
  companies: ['name', 'domain'],
  contacts: ['firstname', 'lastname', 'email'],
  deals: ['dealname'],
  tickets: ['subject'],
};

const SINGULAR_LABEL: Record<RecordType, string> = { companies: 'Company', contacts: 'Contact', deals: 'Deal', tickets: 'Ticket' };

export function recordName(type: RecordType, record: Pick<HubSpotObject, 'id' | 'properties'> | undefined): string | null {
  const p = record?.properties ?? {};
  const clean = (v: string | null | undefined) => (v ?? '').trim();
  let name = '';
  switch (type) {
    case 'companies':
      name = clean(p.name) || clean(p.domain);
      break;
    case 'contacts':
      name = [clean(p.firstname), clean(p.lastname)].filter(Boolean).join(' ') || clean(p.email);
      break;
    case 'deals':
      name = clean(p.dealname);
      break;
    case 'tickets':
      name = clean(p.subject);
      break;
  }
  return name || null;
}

/** "Company 100001" when a record has no name at all. */
export function recordLabel(type: RecordType, id: string, name: string | null): string {
  return name ?? `${SINGULAR_LABEL[type]} ${id}`;
}
