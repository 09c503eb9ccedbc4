import fs from 'node:fs';
import path from 'node:path';
import type { ObjectType } from './object-types.ts';
import { OBJECT_TYPES } from './object-types.ts';
import type { PropertyDef, PropertyGroupDef } from './property-catalog.ts';
import type { LiveObject, PortalStore } from './store.ts';
import type { CallTruth } from './types.ts';

/**
 * `--state FILE`: the live portal as JSON, written on close and read at start, so a sandbox keeps what the
 * product wrote across restarts. The seed and size are stored too: a file from another portal is ignored.
 */

interface Snapshot {
  /** 2: ids from `idOf` (variable length); files of version 1 are from another id scheme and are ignored. */
  version: 2;
  seed: number;
  companies: number;
  nextId: number;
  objects: Record<string, LiveObject[]>;
  links: Array<[ObjectType, string, ObjectType, string]>;
  properties: Record<string, PropertyDef[]>;
  groups: Record<string, PropertyGroupDef[]>;
  simulatedCalls: CallTruth[];
}

export function saveState(file: string, store: PortalStore, meta: { seed: number; companies: number; simulatedCalls: CallTruth[] }): void {
  const links: Snapshot['links'] = [];
  for (const [k, byType] of store.links) {
    const [type, id] = k.split(':') as [ObjectType, string];
    for (const [toType, ids] of byType) for (const toId of ids) if (type < toType || (type === toType && id < toId)) links.push([type, id, toType, toId]);
  }
  const snap: Snapshot = {
    version: 2,
    seed: meta.seed,
    companies: meta.companies,
    nextId: store.nextId,
    objects: Object.fromEntries(OBJECT_TYPES.map((t) => [t, [...store.objects[t].values()]])),
    links,
    properties: Object.fromEntries(OBJECT_TYPES.map((t) => [t, [...store.properties[t].values()]])),
    groups: Object.fromEntries(OBJECT_TYPES.map((t) => [t, [...store.groups[t].values()]])),
    simulatedCalls: meta.simulatedCalls,
  };
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  // Write then rename: a crash mid-write never leaves a truncated state file behind.
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(snap));
  fs.renameSync(tmp, file);
}

/** Restores a snapshot into the store; returns the simulated calls, or undefined when there is nothing to load. */
export function loadState(file: string, store: PortalStore, meta: { seed: number; companies: number }): CallTruth[] | undefined {
  if (!fs.existsSync(file)) return undefined;
  const snap = JSON.parse(fs.readFileSync(file, 'utf8')) as Snapshot;
  if (snap.version !== 2 || snap.seed !== meta.seed || snap.companies !== meta.companies) return undefined;
  for (const t of OBJECT_TYPES) {
    store.objects[t] = new Map((snap.objects[t] ?? []).map((o) => [o.id, o]));
    store.order[t] = [...store.objects[t].keys()].sort((a, b) => Number(a) - Number(b));
    store.properties[t] = new Map((snap.properties[t] ?? []).map((p) => [p.name, p]));
    store.groups[t] = new Map((snap.groups[t] ?? []).map((g) => [g.name, g]));
  }
  store.links.clear();
  for (const [a, aId, b, bId] of snap.links) store.restoreLink(a, aId, b, bId);
  store.nextId = snap.nextId;
  return snap.simulatedCalls;
}
