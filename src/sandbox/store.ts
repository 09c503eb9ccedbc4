import type { ObjectType } from './object-types.ts';
import { ENGAGEMENT_TYPES, OBJECT_TYPES } from './object-types.ts';
import { associationTypeId } from './association-types.ts';
import { idOf, PORTAL_END } from './portal-builder.ts';
import { READ_ONLY, defaultCatalog, type PropertyDef, type PropertyGroupDef } from './property-catalog.ts';
import type { GeneratedPortal, Owner } from './types.ts';
import { asText } from './text-value.ts';
import { checkValue } from './property-values.ts';

/**
 * The live portal: objects, property history, associations and the property schema, in memory. Every
 * mutation goes through here and is reported to listeners as a `ChangeEvent` (webhooks subscribe to them).
 */

/** Who made a change: the integration's token, or a person in the CRM UI (seeded data, simulations). */
export interface Actor {
  sourceType: 'INTEGRATION' | 'CRM_UI';
  /** `<appId>` for the integration, `userId:<id>` for a person. */
  sourceId: string;
}

export interface HistoryEntry {
  value: string;
  timestamp: number;
  sourceType: string;
  sourceId?: string;
}

export interface LiveObject {
  id: string;
  type: ObjectType;
  properties: Record<string, string | null>;
  /** Oldest first; only for properties that changed. Others are reported as one entry at `createdAt`. */
  history: Record<string, HistoryEntry[]>;
  createdAt: number;
  updatedAt: number;
  archived: boolean;
}

export type ChangeEvent =
  | { kind: 'creation'; type: ObjectType; id: string; at: number; actor: Actor }
  | { kind: 'propertyChange'; type: ObjectType; id: string; at: number; actor: Actor; propertyName: string; propertyValue: string }
  | { kind: 'deletion'; type: ObjectType; id: string; at: number; actor: Actor }
  | { kind: 'merge'; type: ObjectType; primaryId: string; mergedIds: string[]; at: number; actor: Actor; propertiesMoved: number }
  | { kind: 'associationChange'; type: ObjectType; id: string; toType: ObjectType; toId: string; removed: boolean; at: number; actor: Actor };

const ENGAGEMENT = new Set<ObjectType>(ENGAGEMENT_TYPES);

export class PropertyError extends Error {
  constructor(readonly invalid: Array<{ name: string; message: string; error: string }>) {
    super('Property values were not valid');
  }
}

export class PortalStore {
  readonly objects = {} as Record<ObjectType, Map<string, LiveObject>>;
  /** Ascending ids per type, for cursor paging without sorting on every page. */
  readonly order = {} as Record<ObjectType, string[]>;
  readonly links = new Map<string, Map<ObjectType, Set<string>>>();
  properties = {} as Record<ObjectType, Map<string, PropertyDef>>;
  groups = {} as Record<ObjectType, Map<string, PropertyGroupDef>>;
  owners: Owner[] = [];
  nextId = 1;
  private lastNow = 0;
  private readonly listeners: Array<(e: ChangeEvent) => void> = [];

  constructor(portal: GeneratedPortal) {
    this.load(portal);
  }

  onChange(fn: (e: ChangeEvent) => void): void {
    this.listeners.push(fn);
  }

  /** Live time, never earlier than the generated history, and strictly increasing so modifications order. */
  now(): number {
    this.lastNow = Math.max(Date.now(), PORTAL_END + 1, this.lastNow + 1);
    return this.lastNow;
  }

  load(portal: GeneratedPortal): void {
    const userByOwner = new Map(portal.owners.map((o) => [o.id, o.userId]));
    for (const t of OBJECT_TYPES) {
      this.objects[t] = new Map();
      this.order[t] = [];
      for (const s of portal.objects[t]) {
        const actor = `userId:${userByOwner.get(s.properties.hubspot_owner_id ?? '') ?? 70_001}`;
        const history: Record<string, HistoryEntry[]> = {};
        for (const [k, entries] of Object.entries(s.history ?? {})) history[k] = entries.map((e) => ({ ...e, sourceType: 'CRM_UI', sourceId: actor }));
        const o: LiveObject = { id: s.id, type: t, properties: { ...s.properties }, history, createdAt: s.createdAt, updatedAt: s.updatedAt, archived: false };
        derive(o);
        this.objects[t].set(s.id, o);
        this.order[t].push(s.id);
      }
    }
    this.links.clear();
    for (const [a, aId, b, bId] of portal.associations) this.link(a, aId, b, bId);
    this.properties = defaultCatalog(portal.objects);
    this.groups = Object.fromEntries(
      OBJECT_TYPES.map((t) => [t, new Map([['sandbox_information', { name: 'sandbox_information', label: 'Sandbox information', displayOrder: -1, archived: false }]])]),
    ) as Record<ObjectType, Map<string, PropertyGroupDef>>;
    this.owners = portal.owners;
    this.nextId = portal.nextId;
  }

  get(type: ObjectType, id: string, includeArchived = false): LiveObject | undefined {
    const o = this.objects[type].get(id);
    return o && (includeArchived || !o.archived) ? o : undefined;
  }

  /**
   * Rejects unknown and read-only properties and values their type refuses (see property-values.ts), the way
   * HubSpot does: the whole request fails, every problem listed.
   */
  validate(type: ObjectType, props: Record<string, unknown>): void {
    const invalid: Array<{ name: string; message: string; error: string }> = [];
    for (const [name, raw] of Object.entries(props)) {
      const def = this.properties[type].get(name);
      if (!def) invalid.push({ name, message: `Property "${name}" does not exist`, error: 'PROPERTY_DOESNT_EXIST' });
      else if (READ_ONLY.has(name)) invalid.push({ name, message: `"${name}" is a read only property; its value cannot be set.`, error: 'READ_ONLY_VALUE' });
      else if (raw !== null && raw !== undefined) {
        const check = checkValue(def, raw);
        if (!check.ok) invalid.push({ name, message: check.message, error: check.error });
      }
    }
    if (invalid.length > 0) throw new PropertyError(invalid);
  }

  /** A validated value as stored (normalised datetimes, dates and booleans). */
  private stored(type: ObjectType, name: string, raw: unknown): string {
    const def = this.properties[type].get(name);
    const check = def ? checkValue(def, raw) : undefined;
    return check?.ok ? check.value : asText(raw);
  }

  create(type: ObjectType, props: Record<string, unknown>, actor: Actor): LiveObject {
    this.validate(type, props);
    const at = this.now();
    const id = idOf(this.nextId++);
    const properties: Record<string, string | null> = {};
    for (const [k, v] of Object.entries(props)) properties[k] = v === null || v === undefined ? null : this.stored(type, k, v);
    Object.assign(properties, {
      hs_object_id: id, createdate: new Date(at).toISOString(), hs_lastmodifieddate: new Date(at).toISOString(),
      hs_object_source: actor.sourceType, hs_object_source_id: actor.sourceId,
    });
    const history: Record<string, HistoryEntry[]> = {};
    for (const [k, v] of Object.entries(properties)) if (v !== null && !READ_ONLY.has(k)) history[k] = [{ value: v, timestamp: at, ...actor }];
    const o: LiveObject = { id, type, properties, history, createdAt: at, updatedAt: at, archived: false };
    derive(o);
    this.objects[type].set(id, o);
    this.order[type].push(id);
    this.emit({ kind: 'creation', type, id, at, actor });
    return o;
  }

  update(type: ObjectType, id: string, props: Record<string, unknown>, actor: Actor): LiveObject | undefined {
    const o = this.get(type, id);
    if (!o) return undefined;
    this.validate(type, props);
    const at = this.now();
    const changed: Array<[string, string]> = [];
    for (const [k, raw] of Object.entries(props)) {
      const v = this.stored(type, k, raw);
      if ((o.properties[k] ?? '') === v) continue;
      const h = (o.history[k] ??= o.properties[k] ? [{ value: o.properties[k], timestamp: o.createdAt, sourceType: 'CRM_UI' }] : []);
      h.push({ value: v, timestamp: at, ...actor });
      o.properties[k] = v;
      changed.push([k, v]);
    }
    if (changed.length > 0) {
      o.updatedAt = at;
      derive(o);
      for (const [propertyName, propertyValue] of changed) this.emit({ kind: 'propertyChange', type, id, at, actor, propertyName, propertyValue });
    }
    return o;
  }

  archive(type: ObjectType, id: string, actor: Actor): boolean {
    const o = this.get(type, id);
    if (!o) return false;
    o.archived = true;
    o.updatedAt = this.now();
    this.emit({ kind: 'deletion', type, id, at: o.updatedAt, actor });
    return true;
  }

  /** HubSpot's merge: the primary keeps its id and gains the other's associations; the other is archived. */
  merge(type: ObjectType, primaryId: string, mergedId: string, actor: Actor): LiveObject | undefined {
    const primary = this.get(type, primaryId);
    const merged = this.get(type, mergedId);
    if (!primary || !merged || primaryId === mergedId) return undefined;
    let moved = 0;
    for (const [k, v] of Object.entries(merged.properties)) {
      if (v && !primary.properties[k] && !READ_ONLY.has(k)) {
        primary.properties[k] = v;
        moved++;
      }
    }
    for (const [toType, ids] of this.links.get(key(type, mergedId)) ?? []) {
      for (const toId of [...ids]) {
        this.unlink(type, mergedId, toType, toId);
        if (!(toType === type && toId === primaryId)) this.link(type, primaryId, toType, toId);
      }
    }
    merged.archived = true;
    const at = this.now();
    primary.updatedAt = at;
    derive(primary);
    this.emit({ kind: 'merge', type, primaryId, mergedIds: [mergedId], at, actor, propertiesMoved: moved });
    return primary;
  }

  associated(type: ObjectType, id: string, toType: ObjectType): string[] {
    const ids = this.links.get(key(type, id))?.get(toType);
    if (!ids) return [];
    return [...ids].filter((x) => this.get(toType, x)).sort((a, b) => Number(a) - Number(b));
  }

  /** Creates an association (both directions); returns false when either end is missing or the pair is unknown. */
  associate(from: ObjectType, fromId: string, to: ObjectType, toId: string, actor: Actor): boolean {
    if (!this.get(from, fromId) || !this.get(to, toId) || associationTypeId(from, to) === undefined) return false;
    if (this.links.get(key(from, fromId))?.get(to)?.has(toId)) return true;
    this.link(from, fromId, to, toId);
    this.emitAssociation(from, fromId, to, toId, false, actor);
    return true;
  }

  dissociate(from: ObjectType, fromId: string, to: ObjectType, toId: string, actor: Actor): void {
    if (!this.links.get(key(from, fromId))?.get(to)?.has(toId)) return;
    this.unlink(from, fromId, to, toId);
    this.emitAssociation(from, fromId, to, toId, true, actor);
  }

  private emitAssociation(from: ObjectType, fromId: string, to: ObjectType, toId: string, removed: boolean, actor: Actor): void {
    const at = this.now();
    // HubSpot reports association changes between CRM records, once from each side.
    if (ENGAGEMENT.has(from) || ENGAGEMENT.has(to)) return;
    this.emit({ kind: 'associationChange', type: from, id: fromId, toType: to, toId, removed, at, actor });
    this.emit({ kind: 'associationChange', type: to, id: toId, toType: from, toId: fromId, removed, at, actor });
  }

  /** Re-creates a stored association without events (state restore). */
  restoreLink(a: ObjectType, aId: string, b: ObjectType, bId: string): void {
    this.link(a, aId, b, bId);
  }

  private link(a: ObjectType, aId: string, b: ObjectType, bId: string): void {
    side(this.links, a, aId, b).add(bId);
    side(this.links, b, bId, a).add(aId);
  }

  private unlink(a: ObjectType, aId: string, b: ObjectType, bId: string): void {
    this.links.get(key(a, aId))?.get(b)?.delete(bId);
    this.links.get(key(b, bId))?.get(a)?.delete(aId);
  }

  private emit(e: ChangeEvent): void {
    for (const l of this.listeners) l(e);
  }
}

function key(type: ObjectType, id: string): string {
  return `${type}:${id}`;
}

function side(links: Map<string, Map<ObjectType, Set<string>>>, a: ObjectType, aId: string, b: ObjectType): Set<string> {
  let m = links.get(key(a, aId));
  if (!m) links.set(key(a, aId), (m = new Map()));
  let s = m.get(b);
  if (!s) m.set(b, (s = new Set()));
  return s;
}

/** Properties HubSpot maintains itself, recomputed after every write. */
function derive(o: LiveObject): void {
  const modified = new Date(o.updatedAt).toISOString();
  o.properties.hs_lastmodifieddate = modified;
  o.properties.hs_object_id = o.id;
  if (o.type === 'contacts') o.properties.lastmodifieddate = modified;
  if (ENGAGEMENT.has(o.type)) o.properties.hs_createdate = o.properties.createdate ?? new Date(o.createdAt).toISOString();
}
