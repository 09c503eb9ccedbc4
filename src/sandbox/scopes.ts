import type { ObjectType } from './object-types.ts';
import { objectType } from './context.ts';

/**
 * The scopes a private app needs for each call the sandbox serves, as HubSpot names them. A token granted fewer
 * (`scopedTokens`) gets 403 MISSING_SCOPES naming the missing ones in `errors[].context.requiredGranularScopes`.
 * Engagements (notes, e-mails, calls, meetings, tasks) go with the contact scopes, tickets with `tickets`.
 */

const OBJECT_SCOPE: Record<ObjectType, string> = {
  companies: 'crm.objects.companies',
  contacts: 'crm.objects.contacts',
  deals: 'crm.objects.deals',
  tickets: 'tickets',
  notes: 'crm.objects.contacts',
  emails: 'crm.objects.contacts',
  calls: 'crm.objects.contacts',
  meetings: 'crm.objects.contacts',
  tasks: 'crm.objects.contacts',
};

function objectScope(type: ObjectType, access: 'read' | 'write'): string {
  const base = OBJECT_SCOPE[type];
  return base === 'tickets' ? base : `${base}.${access}`;
}

function schemaScope(type: ObjectType, access: 'read' | 'write'): string {
  return type === 'companies' || type === 'contacts' || type === 'deals' ? `crm.schemas.${type}.${access}` : objectScope(type, access);
}

function typeOf(segment: string | undefined): ObjectType | undefined {
  try {
    return segment ? objectType(segment) : undefined;
  } catch {
    return undefined;
  }
}

/** Every scope the call needs (all of them); [] when none (or the route is unknown: it answers 404 anyway). */
export function requiredScopes(method: string, path: string): string[] {
  const parts = path.split('?')[0]!.split('/').filter(Boolean);
  const read = method === 'GET' || /\/(search|batch\/read)$/.test(path.split('?')[0]!);
  const access = read ? 'read' : 'write';
  if (parts[0] === 'crm' && parts[1] === 'v3' && parts[2] === 'objects') {
    const t = typeOf(parts[3]);
    return t ? [objectScope(t, access)] : [];
  }
  if (parts[0] === 'crm' && parts[1] === 'v4' && (parts[2] === 'associations' || parts[2] === 'objects')) {
    const from = typeOf(parts[3]);
    const to = typeOf(parts[2] === 'associations' ? parts[4] : parts[parts.length - (parts.includes('default') ? 2 : 1)]);
    const assocRead = method === 'GET' || path.includes('/batch/read');
    return [...new Set([from, to].filter((t): t is ObjectType => t !== undefined).map((t) => objectScope(t, assocRead ? 'read' : 'write')))];
  }
  if (parts[0] === 'crm' && parts[1] === 'v3' && parts[2] === 'properties') {
    const t = typeOf(parts[3]);
    return t ? [schemaScope(t, method === 'GET' ? 'read' : 'write')] : [];
  }
  if (parts[0] === 'crm' && parts[2] === 'owners') return ['crm.objects.owners.read'];
  if (parts[0] === 'crm' && parts[2] === 'pipelines') return [parts[3] === 'tickets' ? 'tickets' : 'crm.objects.deals.read'];
  if (parts[0] === 'automation') return ['automation'];
  return [];
}
