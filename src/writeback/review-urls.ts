import { OBJECT_TYPE_IDS, type RecordType } from '../core/objects.ts';

/** The record's page in HubSpot: `<app>/contacts/<portal>/record/<objectTypeId>/<id>` (all CRM objects use it). */
export function recordUrl(appUrl: string, portalId: string, type: RecordType, id: string): string | null {
  if (!portalId) return null;
  return `${appUrl}/contacts/${encodeURIComponent(portalId)}/record/${OBJECT_TYPE_IDS[type]}/${encodeURIComponent(id)}`;
}
