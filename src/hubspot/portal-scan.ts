import {
  contactAccountId,
  ENGAGEMENT_TYPES,
  RECORD_TYPES,
  type AccountHistory,
  type AssociationSet,
  type EngagementType,
  type HubSpotObject,
  type ObjectType,
  type RecordType,
} from '../core/objects.ts';
import { readAccountHistories, type HistoryReader } from './account-histories.ts';
import type { HubSpotGateway } from './gateway.ts';
import { HISTORY_PROPERTIES } from './properties.ts';

/**
 * A full backfill's view of the portal: every CRM record (companies, contacts, deals, tickets) listed once with its
 * history properties and all its associations, 100 records a request. That is the portal's whole structure: which
 * accounts exist, what rolls up to each, and which engagements hang off every record. Engagements are then read
 * by batch (100 a request) per account batch, and their associations are the inverse of the records' ones, so
 * assembling an account's history costs no association request at all.
 *
 * Account histories come from the same `readAccountHistories` the gateway uses, over this reader: the roll-up
 * rule, the order of everything and so every chunk are exactly those of the per-account path (tested).
 *
 * Memory: the records and the association graph stay in memory for the run (roughly 1–2 KB per record; the
 * engagements themselves are not held).
 */
/** The scan stopped because its signal was aborted (the backfill reports that as a resumable stop). */
export class ScanAbortedError extends Error {
  constructor() {
    super('portal scan aborted');
    this.name = 'ScanAbortedError';
  }
}

export type PortalReader = Pick<HubSpotGateway, 'portalId' | 'listWithAssociations' | 'batchRead'>;

/** What each record type is listed with: the roll-up rule's associations and every engagement type. */
const LISTED_ASSOCIATIONS: Record<RecordType, ObjectType[]> = {
  companies: ['contacts', 'deals', 'tickets', ...ENGAGEMENT_TYPES],
  contacts: ['companies', 'deals', 'tickets', ...ENGAGEMENT_TYPES],
  deals: ['companies', ...ENGAGEMENT_TYPES],
  tickets: ['companies', ...ENGAGEMENT_TYPES],
};

export interface ScanOptions {
  signal?: AbortSignal;
  /** Called after every listed page (for progress). */
  onPage?: (type: RecordType, listed: number) => void;
}

type Links = Map<string, string[]>;

export class PortalScan implements HistoryReader {
  /** Company ids, then company-less contacts as `contact:<id>`, each in listing (id) order. */
  readonly accountIds: string[];
  /** CRM requests the scan made. */
  readonly requests: number;
  private readonly inverse = new Map<EngagementType, Map<string, AssociationSet>>();

  private constructor(
    private readonly gateway: PortalReader,
    private readonly records: Record<RecordType, Map<string, HubSpotObject>>,
    private readonly links: Record<RecordType, Partial<Record<ObjectType, Links>>>,
    requests: number,
  ) {
    this.requests = requests;
    const companyless = [...records.contacts.keys()].filter((id) => (links.contacts.companies?.get(id) ?? []).length === 0);
    this.accountIds = [...records.companies.keys(), ...companyless.map(contactAccountId)];
    for (const type of ENGAGEMENT_TYPES) this.inverse.set(type, new Map());
    // Engagement → records, from the records' side (associations are symmetric); ids ascend like the API's.
    for (const from of RECORD_TYPES) {
      for (const type of ENGAGEMENT_TYPES) {
        const byEngagement = this.inverse.get(type)!;
        for (const [recordId, engagementIds] of links[from][type] ?? new Map<string, string[]>()) {
          for (const e of engagementIds) {
            let set = byEngagement.get(e);
            if (!set) byEngagement.set(e, (set = { companies: [], contacts: [], deals: [], tickets: [] }));
            set[from].push(recordId);
          }
        }
      }
    }
    for (const byEngagement of this.inverse.values()) {
      for (const set of byEngagement.values()) for (const t of RECORD_TYPES) set[t].sort(byNumericId);
    }
  }

  /** Lists every record type with its properties and associations. */
  static async read(gateway: PortalReader, opts: ScanOptions = {}): Promise<PortalScan> {
    const records = {} as Record<RecordType, Map<string, HubSpotObject>>;
    const links = {} as Record<RecordType, Partial<Record<ObjectType, Links>>>;
    let requests = 0;
    // The four listings are independent: run them side by side so that requests are always in flight.
    await Promise.all(
      RECORD_TYPES.map(async (type) => {
        const objects = new Map<string, HubSpotObject>();
        const byType: Partial<Record<ObjectType, Links>> = {};
        for (const to of LISTED_ASSOCIATIONS[type]) byType[to] = new Map();
        let after: string | undefined;
        do {
          if (opts.signal?.aborted) throw new ScanAbortedError();
          const page = await gateway.listWithAssociations(type, { after, properties: [...HISTORY_PROPERTIES[type]], associations: LISTED_ASSOCIATIONS[type] });
          requests += 1;
          for (const { object, associations } of page.results) {
            objects.set(object.id, object);
            for (const to of LISTED_ASSOCIATIONS[type]) {
              const ids = associations[to] ?? [];
              if (ids.length > 0) byType[to]!.set(object.id, ids);
            }
          }
          opts.onPage?.(type, objects.size);
          after = page.after;
        } while (after);
        records[type] = objects;
        links[type] = byType;
      }),
    );
    return new PortalScan(gateway, records, links, requests);
  }

  portalId(): Promise<string> {
    return this.gateway.portalId();
  }

  /** Every account's history, exactly as `HubSpotGateway.accountHistories` builds it, reading only engagements. */
  accountHistories(accountIds: string[]): Promise<AccountHistory[]> {
    return readAccountHistories(this, accountIds);
  }

  async batchAssociations(fromType: ObjectType, toType: ObjectType, ids: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (isRecordType(fromType)) {
      const links = this.links[fromType][toType];
      if (!links) throw new Error(`the portal scan did not list ${fromType} → ${toType} associations`);
      for (const id of ids) out.set(id, links.get(id) ?? []);
      return out;
    }
    if (!isRecordType(toType)) throw new Error(`the portal scan has no ${fromType} → ${toType} associations`);
    const inverse = this.inverse.get(fromType)!;
    for (const id of ids) out.set(id, inverse.get(id)?.[toType] ?? []);
    return out;
  }

  async engagementAssociations(type: ObjectType, ids: string[]): Promise<Map<string, AssociationSet>> {
    const inverse = isRecordType(type) ? undefined : this.inverse.get(type);
    if (!inverse) throw new Error(`engagementAssociations of ${type}: not an engagement type`);
    const empty = (): AssociationSet => ({ companies: [], contacts: [], deals: [], tickets: [] });
    return new Map(ids.map((id) => [id, inverse.get(id) ?? empty()]));
  }

  /**
   * Records come from the scan when asked with the properties they were listed with (or only for their ids);
   * engagements, and anything else, are read from HubSpot.
   */
  async batchRead(type: ObjectType, ids: string[], opts: { properties?: string[]; propertiesWithHistory?: string[] } = {}): Promise<HubSpotObject[]> {
    if (isRecordType(type) && !opts.propertiesWithHistory?.length && listedWith(type, opts.properties)) {
      const held = this.records[type];
      return [...new Set(ids)].map((id) => held.get(id)).filter((o): o is HubSpotObject => o !== undefined);
    }
    return this.gateway.batchRead(type, ids, opts);
  }
}

function listedWith(type: RecordType, properties: string[] | undefined): boolean {
  const wanted = new Set(properties ?? []);
  if (wanted.size === 1 && wanted.has('hs_object_id')) return true;
  const listed = HISTORY_PROPERTIES[type];
  return wanted.size === listed.length && listed.every((p) => wanted.has(p));
}

function isRecordType(t: ObjectType): t is RecordType {
  return (RECORD_TYPES as readonly string[]).includes(t);
}

function byNumericId(a: string, b: string): number {
  return Number(a) - Number(b) || a.localeCompare(b);
}
