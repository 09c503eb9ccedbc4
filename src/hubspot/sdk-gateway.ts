import { AssociationSpecAssociationCategoryEnum } from '@hubspot/api-client/lib/codegen/crm/objects/index.js';
import { PropertyCreateFieldTypeEnum, PropertyCreateTypeEnum } from '@hubspot/api-client/lib/codegen/crm/properties/index.js';
import { RECORD_TYPES, type AccountHistory, type AssociationSet, type Engagement, type EngagementType, type HubSpotObject, type ObjectType } from '../core/objects.ts';
import { isProductOutput } from '../core/product-output.ts';
import { HISTORY_PROPERTIES } from './properties.ts';
import { accountsOf } from './account-resolver.ts';
import { Coalescer } from './coalescing.ts';
import { readAccountHistories, readEngagementsById } from './account-histories.ts';
import {
  ASSOCIATION_BATCH_SIZE,
  BATCH_READ_SIZE,
  BATCH_READ_WITH_HISTORY_SIZE,
  BATCH_WRITE_SIZE,
  CALL_CONCURRENCY,
  chunk,
  mapLimit,
  unique,
} from './batching.ts';
import { HubSpotInvalidRequestError, HubSpotNotFoundError } from './errors.ts';
import type { GatewayStats, HubSpotGateway, ListedObject, NewAssociation, Page, PropertyDefinition, PropertySummary } from './gateway.ts';
import { modifiedSince, type SearchQuery } from './modified-since.ts';
import { currentExchange, exchangeAuthHeaders } from './request-context.ts';
import type { CallSpec, RequestExecutor } from './request-executor.ts';
import { callOptions, toHubSpotObject, type Sdk } from './sdk-client.ts';

const LIST_PAGE_MAX = 100;

/**
 * HubSpotGateway over `@hubspot/api-client`. Every call goes through the RequestExecutor (rate limit, timeout,
 * retries, typed errors); this class only shapes requests and answers. Built by create-gateway.ts.
 */
export class SdkHubSpotGateway implements HubSpotGateway {
  private portal: Promise<string> | undefined;
  /** `accountHistories` calls (GatewayStats.historyReads). */
  private historyReads = 0;
  /** Concurrent jobs' association reads of one kind (`from`, `to`), merged into shared requests. */
  private readonly associationReads = new Coalescer<string[]>((group, ids) => {
    const [from, to] = group.split('\n') as [ObjectType, ObjectType];
    return this.readAssociations(from, to, ids);
  });
  /** Concurrent jobs' batch reads of one type with the same properties, merged likewise. */
  private readonly objectReads = new Coalescer<HubSpotObject>(async (group, ids) => {
    const { type, properties, propertiesWithHistory } = JSON.parse(group) as { type: ObjectType; properties: string[]; propertiesWithHistory: string[] };
    return new Map((await this.readObjects(type, ids, { properties, propertiesWithHistory })).map((o) => [o.id, o]));
  });

  constructor(
    private readonly sdk: Sdk,
    private readonly executor: RequestExecutor,
    private readonly opts: { appId?: string; coalesce?: boolean } = {},
  ) {}

  portalId(): Promise<string> {
    this.portal ??= this.call({
      operation: 'accountInfo.details',
      // No typed API for account info in the SDK: its generic apiRequest is the documented way.
      send: async () => String((await this.getJson<{ portalId: number | string }>('/account-info/v3/details')).portalId),
    });
    // A failure is not cached: the next caller tries again.
    this.portal.catch(() => (this.portal = undefined));
    return this.portal;
  }

  async listObjects(type: ObjectType, opts: { after?: string; limit?: number; properties?: string[] }): Promise<Page<HubSpotObject>> {
    const limit = Math.min(Math.max(1, opts.limit ?? LIST_PAGE_MAX), LIST_PAGE_MAX);
    const res = await this.call({
      operation: 'objects.list',
      send: () => this.sdk.objects.basicApi.getPage(type, limit, opts.after, opts.properties, undefined, undefined, false, callOptions),
    });
    return { results: res.results.map(toHubSpotObject), after: res.paging?.next?.after };
  }

  async listWithAssociations(
    type: ObjectType,
    opts: { after?: string; properties?: string[]; associations: ObjectType[] },
  ): Promise<Page<ListedObject>> {
    const res = await this.call({
      operation: 'objects.list',
      send: () =>
        this.sdk.objects.basicApi.getPage(type, LIST_PAGE_MAX, opts.after, opts.properties, undefined, opts.associations, false, callOptions),
    });
    const truncated = new Map<ObjectType, string[]>();
    const results = res.results.map((o) => {
      const associations: Partial<Record<ObjectType, string[]>> = {};
      for (const [key, list] of Object.entries(o.associations ?? {})) {
        const to = opts.associations.find((t) => associationKeyMatches(key, t));
        if (!to) continue;
        associations[to] = sortIds([...(associations[to] ?? []), ...list.results.map((r) => String(r.id))]);
        if (list.paging?.next?.after) truncated.set(to, [...(truncated.get(to) ?? []), String(o.id)]);
      }
      for (const to of opts.associations) associations[to] ??= [];
      return { object: toHubSpotObject(o), associations };
    });
    // HubSpot returns at most 100 associations of a type per listed object: complete the longer lists, together.
    for (const [to, ids] of truncated) {
      const complete = await this.batchAssociations(type, to, ids);
      for (const r of results) if (complete.has(r.object.id)) r.associations[to] = complete.get(r.object.id);
    }
    return { results, after: res.paging?.next?.after };
  }

  async readWithAssociations(type: ObjectType, id: string, opts: { properties?: string[]; associations: ObjectType[] }): Promise<ListedObject | null> {
    let o;
    try {
      o = await this.call({
        operation: 'objects.get',
        send: () => this.sdk.objects.basicApi.getById(type, id, opts.properties, undefined, opts.associations, false, undefined, callOptions),
      });
    } catch (err) {
      if (err instanceof HubSpotNotFoundError) return null;
      throw err;
    }
    const associations: Partial<Record<ObjectType, string[]>> = {};
    const truncated: ObjectType[] = [];
    for (const [key, list] of Object.entries(o.associations ?? {})) {
      const to = opts.associations.find((t) => associationKeyMatches(key, t));
      if (!to) continue;
      associations[to] = sortIds([...(associations[to] ?? []), ...list.results.map((r) => String(r.id))]);
      if (list.paging?.next?.after) truncated.push(to);
    }
    for (const to of opts.associations) associations[to] ??= [];
    // HubSpot embeds at most 100 associations of a type: complete the longer lists.
    await Promise.all(truncated.map(async (to) => (associations[to] = (await this.batchAssociations(type, to, [id])).get(id) ?? [])));
    return { object: toHubSpotObject(o), associations };
  }

  async batchRead(type: ObjectType, ids: string[], opts: { properties?: string[]; propertiesWithHistory?: string[] } = {}): Promise<HubSpotObject[]> {
    const wanted = unique(ids);
    const group = JSON.stringify({ type, properties: opts.properties ?? [], propertiesWithHistory: opts.propertiesWithHistory ?? [] });
    const found = this.opts.coalesce === false ? await this.objectReads.readNow(group, wanted) : await this.objectReads.load(group, wanted);
    return wanted.map((id) => found.get(id)).filter((o): o is HubSpotObject => o !== undefined);
  }

  private async readObjects(type: ObjectType, ids: string[], opts: { properties: string[]; propertiesWithHistory: string[] }): Promise<HubSpotObject[]> {
    const withHistory = opts.propertiesWithHistory.length > 0;
    const batches = chunk(unique(ids), withHistory ? BATCH_READ_WITH_HISTORY_SIZE : BATCH_READ_SIZE);
    const pages = await mapLimit(batches, CALL_CONCURRENCY, (batch) =>
      this.call({
        operation: 'objects.batchRead',
        send: () =>
          this.sdk.objects.batchApi.read(
            type,
            { inputs: batch.map((id) => ({ id })), properties: opts.properties, propertiesWithHistory: opts.propertiesWithHistory },
            false,
            callOptions,
          ),
      }),
    );
    // Ids that no longer exist come back as per-input errors (207): they are simply absent here.
    return pages.flatMap((p) => p.results.map(toHubSpotObject));
  }

  async modifiedSince(type: ObjectType, sinceMs: number, opts: { properties?: string[]; after?: string } = {}): Promise<Page<HubSpotObject>> {
    return modifiedSince(
      async (t: ObjectType, query: SearchQuery) => {
        const res = await this.call({
          operation: 'objects.search',
          kind: 'search',
          // The SDK types `sorts` as strings; HubSpot (and the SDK's serializer, which passes it through) take
          // the documented `{ propertyName, direction }` objects.
          send: () =>
            this.sdk.objects.searchApi.doSearch(t, query as unknown as Parameters<Sdk['objects']['searchApi']['doSearch']>[1], callOptions),
        });
        return { results: res.results.map(toHubSpotObject), hasMore: Boolean(res.paging?.next?.after) };
      },
      type,
      sinceMs,
      opts,
    );
  }

  async batchAssociations(fromType: ObjectType, toType: ObjectType, ids: string[]): Promise<Map<string, string[]>> {
    const wanted = unique(ids);
    const group = `${fromType}\n${toType}`;
    const found = this.opts.coalesce === false ? await this.associationReads.readNow(group, wanted) : await this.associationReads.load(group, wanted);
    return new Map(wanted.map((id) => [id, found.get(id) ?? []]));
  }

  private async readAssociations(fromType: ObjectType, toType: ObjectType, ids: string[]): Promise<Map<string, string[]>> {
    const found = new Map<string, Set<string>>(unique(ids).map((id) => [id, new Set()]));
    let pending: Array<{ id: string; after?: string }> = [...found.keys()].map((id) => ({ id }));
    // HubSpot pages per input id: ids with more associations come back with `paging.next.after`, and are asked
    // again (together) with that cursor until none has more.
    while (pending.length > 0) {
      const more: Array<{ id: string; after: string }> = [];
      await mapLimit(chunk(pending, ASSOCIATION_BATCH_SIZE), CALL_CONCURRENCY, async (inputs) => {
        const res = await this.call({
          operation: 'associations.batchRead',
          send: () => this.sdk.associations.getPage(fromType, toType, { inputs }, callOptions),
        });
        for (const r of res.results) {
          const id = String(r._from.id);
          const set = found.get(id) ?? new Set<string>();
          found.set(id, set);
          for (const to of r.to) set.add(String(to.toObjectId));
          const after = r.paging?.next?.after;
          if (after) more.push({ id, after });
        }
      });
      pending = more;
    }
    // Sorted: the same record's associations read through another endpoint come out in the same order.
    return new Map([...found].map(([id, set]) => [id, sortIds(set)]));
  }

  async engagementAssociations(type: ObjectType, ids: string[]): Promise<Map<string, AssociationSet>> {
    const [companies, contacts, deals, tickets] = await Promise.all([
      this.batchAssociations(type, 'companies', ids),
      this.batchAssociations(type, 'contacts', ids),
      this.batchAssociations(type, 'deals', ids),
      this.batchAssociations(type, 'tickets', ids),
    ]);
    return new Map(
      unique(ids).map((id) => [
        id,
        { companies: companies.get(id) ?? [], contacts: contacts.get(id) ?? [], deals: deals.get(id) ?? [], tickets: tickets.get(id) ?? [] },
      ]),
    );
  }

  async engagements(type: EngagementType, ids: string[]): Promise<Engagement[]> {
    const wanted = unique(ids);
    // A few ids: each read with its associations in one request (a batch read and four association reads cost five).
    if (wanted.length === 0 || wanted.length >= ENGAGEMENT_BATCH_MIN) return readEngagementsById(this, type, wanted, this.opts.appId);
    const read = await Promise.all(
      wanted.map((id) => this.readWithAssociations(type, id, { properties: [...HISTORY_PROPERTIES[type]], associations: [...RECORD_TYPES] })),
    );
    return read
      .filter((r): r is ListedObject => r !== null)
      .map(({ object, associations: a }) => ({
        type,
        object,
        associations: { companies: a.companies ?? [], contacts: a.contacts ?? [], deals: a.deals ?? [], tickets: a.tickets ?? [] },
        productOutput: isProductOutput(type, object, this.opts.appId),
      }));
  }

  accountHistories(accountIds: string[]): Promise<AccountHistory[]> {
    this.historyReads += 1;
    return readAccountHistories(this, accountIds, this.opts);
  }

  accountsOf(type: ObjectType, id: string): Promise<string[]> {
    return accountsOf(this, type, id);
  }

  async batchUpdate(type: ObjectType, inputs: Array<{ id: string; properties: Record<string, string> }>): Promise<HubSpotObject[]> {
    const pages = await mapLimit(chunk(inputs, BATCH_WRITE_SIZE), CALL_CONCURRENCY, (batch) =>
      this.call({ operation: 'objects.batchUpdate', send: () => this.sdk.objects.batchApi.update(type, { inputs: batch }, callOptions) }),
    );
    return pages.flatMap((p) => p.results.map(toHubSpotObject));
  }

  async create(type: ObjectType, properties: Record<string, string>, associations: NewAssociation[] = []): Promise<HubSpotObject> {
    const created = await this.call({
      operation: 'objects.create',
      idempotent: false,
      send: () =>
        this.sdk.objects.basicApi.create(type, {
          properties,
          associations: associations.map((a) => ({
            to: { id: a.toObjectId },
            types: [{ associationCategory: AssociationSpecAssociationCategoryEnum.HubspotDefined, associationTypeId: a.associationTypeId }],
          })),
        }, callOptions),
    });
    return toHubSpotObject(created);
  }

  async archive(type: ObjectType, id: string): Promise<void> {
    try {
      await this.call({ operation: 'objects.archive', send: () => this.sdk.objects.basicApi.archive(type, id, callOptions) });
    } catch (err) {
      // Already gone is the state we asked for (an undo or a retried job archiving twice).
      if (!(err instanceof HubSpotNotFoundError)) throw err;
    }
  }

  async listProperties(type: ObjectType): Promise<PropertySummary[]> {
    const res = await this.call({ operation: 'properties.list', send: () => this.sdk.properties.getAll(type, false, undefined, callOptions) });
    return res.results.map((p) => ({
      name: p.name,
      groupName: p.groupName,
      type: p.type,
      fieldType: p.fieldType,
      options: (p.options ?? []).filter((o) => !o.hidden).map((o) => ({ label: o.label, value: o.value })),
    }));
  }

  async createPropertyGroup(type: ObjectType, group: { name: string; label: string }): Promise<void> {
    await this.alreadyExistsIsFine(() =>
      this.call({ operation: 'properties.createGroup', send: () => this.sdk.propertyGroups.create(type, { name: group.name, label: group.label }, callOptions) }),
    );
  }

  async createProperty(type: ObjectType, def: PropertyDefinition): Promise<void> {
    await this.alreadyExistsIsFine(() =>
      this.call({
        operation: 'properties.create',
        send: () =>
          this.sdk.properties.create(type, {
            name: def.name,
            label: def.label,
            groupName: def.groupName,
            description: def.description,
            // Our PropertyDefinition uses HubSpot's wire values; the SDK's enums are those same strings.
            type: def.type as PropertyCreateTypeEnum,
            fieldType: def.fieldType as PropertyCreateFieldTypeEnum,
            options: def.options?.map((o, i) => ({ label: o.label, value: o.value, displayOrder: o.displayOrder ?? i, hidden: false })),
          }, callOptions),
      }),
    );
  }

  async listOwners(): Promise<Array<{ id: string; email: string; firstName?: string; lastName?: string }>> {
    const owners: Array<{ id: string; email: string; firstName?: string; lastName?: string }> = [];
    let after: string | undefined;
    do {
      const res = await this.call({ operation: 'owners.list', send: () => this.sdk.owners.getPage(undefined, after, LIST_PAGE_MAX, false, callOptions) });
      for (const o of res.results) owners.push({ id: String(o.id), email: o.email ?? '', firstName: o.firstName, lastName: o.lastName });
      after = res.paging?.next?.after;
    } while (after);
    return owners;
  }

  async listPipelines(type: 'deals' | 'tickets'): Promise<Array<{ id: string; label: string; stages: Array<{ id: string; label: string; metadata?: Record<string, string> }> }>> {
    const res = await this.call({ operation: 'pipelines.list', send: () => this.sdk.pipelines.getAll(type, callOptions) });
    return res.results.map((p) => ({
      id: p.id,
      label: p.label,
      stages: p.stages.map((s) => ({ id: s.id, label: s.label, ...(s.metadata ? { metadata: s.metadata } : {}) })),
    }));
  }

  stats(): GatewayStats {
    return { ...this.executor.stats(), historyReads: this.historyReads };
  }

  async close(): Promise<void> {
    await this.executor.close();
  }

  async completeActionCallbacks(inputs: Array<{ callbackId: string; outputFields: Record<string, string> }>): Promise<void> {
    // Completing twice is harmless for HubSpot's workflow (the second is refused), so retries are safe.
    for (const batch of chunk(inputs, BATCH_WRITE_SIZE)) {
      await this.call({ operation: 'actions.completeCallbacks', send: () => this.sdk.actionCallbacks.completeBatch({ inputs: batch }, callOptions) });
    }
  }

  private call<T>(spec: CallSpec<T>): Promise<T> {
    return this.executor.call(spec);
  }

  /** Setup runs again and again: a 409 for a property or group that already exists means it is done. */
  private async alreadyExistsIsFine(fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      if (!(err instanceof HubSpotInvalidRequestError && err.status === 409)) throw err;
    }
  }

  /** GET through the SDK's generic `apiRequest`, recording the answer in the current Exchange like the typed APIs. */
  private async getJson<T>(path: string): Promise<T> {
    const res = await this.sdk.client.apiRequest({ method: 'GET', path, ...exchangeAuthHeaders() });
    const exchange = currentExchange();
    const headers: Record<string, string> = {};
    res.headers.forEach((value, name) => (headers[name] = value));
    const text = await res.text();
    if (exchange) {
      exchange.status = res.status;
      exchange.headers = headers;
      if (!res.ok) exchange.errorBody = text;
    }
    if (!res.ok) throw new Error(`HubSpot answered ${res.status} to GET ${path}`);
    return JSON.parse(text) as T;
  }
}

/** Numeric ids in ascending order, without duplicates (HubSpot lists a labelled association once per label). */
/** From this many engagement ids on, one batch read and four association reads (five requests) cost less than one read each. */
const ENGAGEMENT_BATCH_MIN = 5;

function sortIds(ids: Iterable<string>): string[] {
  return [...new Set(ids)].sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
}

/** HubSpot keys a listed object's associations by type name, plural or singular (`contacts`, `contact`). */
function associationKeyMatches(key: string, type: ObjectType): boolean {
  const k = key.toLowerCase();
  return k === type || k === type.replace(/ies$/, 'y').replace(/s$/, '');
}
