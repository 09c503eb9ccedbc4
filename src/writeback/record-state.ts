import type { HubSpotObject, PropertyHistoryEntry, RecordType } from '../core/objects.ts';
import type { HubSpotGateway } from '../hubspot/gateway.ts';
import { samePropertyValue } from '../core/property-value.ts';
import type { SetBy } from './decide.ts';
import { NAME_PROPERTIES } from './record-names.ts';

/**
 * Reads what the target records look like now: each field's value and who set it (from HubSpot's property
 * history), plus the owner (for the review queue's owner filter). One batch read per object type.
 */

/** History sources that are a person acting in HubSpot. Anything else not proven ours also counts as human. */
const PERSON_SOURCES = new Set(['CRM_UI', 'MOBILE_IOS', 'MOBILE_ANDROID', 'IMPORT', 'SALES', 'EMAIL', 'FORM', 'CONTACTS', 'CRM_UI_BULK_ACTION', 'BATCH_UPDATE']);

export interface FieldState {
  exists: boolean;
  value: string | null;
  setBy: SetBy;
  ownerId: string | null;
  /** The newest history entry, shown to reviewers ("set by CRM_UI at ..."). */
  lastChange?: PropertyHistoryEntry;
}

export interface OwnWriteHint {
  /** Our app id: HubSpot records integration writes with `sourceId` naming the app. */
  appId?: string;
  /** The value we last wrote to this field (from the write log), if any. */
  ourLastValue?: string | null;
  /**
   * The field's HubSpot type (`comparisonType`): HubSpot sends our value back in its own form (`1000.5` for our
   * `1000.50`, a multi-select's options in its order), which is still ours. Undefined: compared exactly.
   */
  type: string | undefined;
}

/**
 * Who set `value`. Conservative by design: `ai` only when the history proves the write was ours (our app id,
 * or our own last value written by an integration), `none` when empty, otherwise `human`.
 */
export function whoSet(value: string | null | undefined, history: PropertyHistoryEntry[] | undefined, hint: OwnWriteHint): SetBy {
  if (value === null || value === undefined || value === '') return 'none';
  const latest = newest(history);
  const ours = (v: string | null | undefined) => samePropertyValue(hint.ourLastValue, v, hint.type);
  if (!latest) return hint.ourLastValue !== undefined && ours(value) ? 'ai' : 'human';
  if (PERSON_SOURCES.has(latest.sourceType)) return 'human';
  if (hint.appId && latest.sourceId && sourceIdNamesApp(latest.sourceId, hint.appId)) return 'ai';
  if (hint.ourLastValue !== undefined && ours(value) && ours(latest.value)) return 'ai';
  return 'human';
}

function sourceIdNamesApp(sourceId: string, appId: string): boolean {
  return sourceId === appId || sourceId.split(/[:\s]/).includes(appId);
}

export function newest(history: PropertyHistoryEntry[] | undefined): PropertyHistoryEntry | undefined {
  if (!history?.length) return undefined;
  return history.reduce((a, b) => (Date.parse(b.timestamp) > Date.parse(a.timestamp) ? b : a));
}

/**
 * Batch-reads records with the given fields (and their history) per type, plus the owner and the properties
 * that name the record (for reviewers); missing ids are absent.
 */
export async function readRecords(
  gateway: HubSpotGateway,
  wanted: Array<{ objectType: RecordType; objectId: string; field: string | null }>,
): Promise<Map<string, HubSpotObject>> {
  const byType = new Map<RecordType, { ids: Set<string>; fields: Set<string> }>();
  for (const w of wanted) {
    const entry = byType.get(w.objectType) ?? { ids: new Set(), fields: new Set(['hubspot_owner_id']) };
    entry.ids.add(w.objectId);
    if (w.field) entry.fields.add(w.field);
    byType.set(w.objectType, entry);
  }
  const out = new Map<string, HubSpotObject>();
  for (const [type, { ids, fields }] of byType) {
    const withHistory = [...fields].filter((f) => f !== 'hubspot_owner_id');
    const properties = [...new Set([...fields, ...NAME_PROPERTIES[type]])];
    const records = await gateway.batchRead(type, [...ids], { properties, propertiesWithHistory: withHistory });
    for (const r of records) out.set(recordKey(type, r.id), r);
  }
  return out;
}

export function recordKey(objectType: string, objectId: string): string {
  return `${objectType}/${objectId}`;
}

export function fieldState(record: HubSpotObject | undefined, field: string | null, hint: OwnWriteHint): FieldState {
  if (!record) return { exists: false, value: null, setBy: 'none', ownerId: null };
  const ownerId = record.properties.hubspot_owner_id ?? null;
  if (!field) return { exists: true, value: null, setBy: 'none', ownerId };
  const value = record.properties[field] ?? null;
  const history = record.propertiesWithHistory?.[field];
  return { exists: true, value, setBy: whoSet(value, history, hint), ownerId, lastChange: newest(history) };
}
