import type { ObjectType } from './object-types.ts';
import { OBJECT_TYPES } from './object-types.ts';
import type { SeedAssociation, SeedHistoryEntry, SeedObject } from './types.ts';

/** Generated data spans the two years before this fixed instant (never the wall clock: output must be stable). */
export const PORTAL_END = Date.UTC(2026, 0, 1);
export const PORTAL_START = PORTAL_END - 2 * 365 * 86_400_000;
export const DAY = 86_400_000;
/** The first sequence number; ids come from `idOf(sequence)`. */
export const FIRST_ID = 0;

/**
 * The id of the object created `seq`-th. HubSpot ids vary in length (contacts from 1 digit, engagements with 11);
 * so do ours: increasing (cursor paging relies on it), unique across types, from 1 digit up to 7 at 10,000
 * objects and 10 at 400,000, so code that compares ids as strings or assumes a width meets the difference here.
 */
export function idOf(seq: number): string {
  return String(1 + seq + Math.floor((seq * seq) / 37));
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Accumulates seeded objects and associations; ids are unique across types, as increasing numeric strings. */
export class PortalBuilder {
  /** Sequence number of the next object (see `idOf`). */
  nextId = FIRST_ID;
  readonly objects = Object.fromEntries(OBJECT_TYPES.map((t) => [t, [] as SeedObject[]])) as Record<ObjectType, SeedObject[]>;
  readonly associations: SeedAssociation[] = [];

  add(
    type: ObjectType,
    properties: Record<string, string>,
    createdAt: number,
    opts: { updatedAt?: number; history?: Record<string, SeedHistoryEntry[]> } = {},
  ): SeedObject {
    const id = idOf(this.nextId++);
    const updatedAt = Math.max(createdAt, opts.updatedAt ?? createdAt);
    const obj: SeedObject = {
      id,
      properties: { ...properties, hs_object_id: id, createdate: iso(createdAt), hs_lastmodifieddate: iso(updatedAt) },
      createdAt,
      updatedAt,
    };
    if (opts.history) obj.history = opts.history;
    this.objects[type].push(obj);
    return obj;
  }

  associate(fromType: ObjectType, fromId: string, toType: ObjectType, toId: string): void {
    this.associations.push([fromType, fromId, toType, toId]);
  }

  /** Associates an engagement with every record it concerns. */
  link(type: ObjectType, id: string, to: { companies?: string[]; contacts?: string[]; deals?: string[]; tickets?: string[] }): void {
    for (const [toType, ids] of Object.entries(to) as Array<[ObjectType, string[] | undefined]>) {
      for (const toId of ids ?? []) this.associate(type, id, toType, toId);
    }
  }
}
