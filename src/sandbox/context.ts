import type { ObjectType } from './object-types.ts';
import { OBJECT_TYPES, OBJECT_TYPE_BY_ID } from './object-types.ts';
import type { Logger } from './logger.ts';
import { validationError } from './hubspot-errors.ts';
import type { Rng } from './prng.ts';
import type { SearchRequest } from './search.ts';
import type { Actor, LiveObject, PortalStore } from './store.ts';
import type { GeneratedPortal, GroundTruth } from './types.ts';

/** What every route plugin gets: the live store and the settings that shape answers. */
export interface SandboxContext {
  store: PortalStore;
  portal: GeneratedPortal;
  truth: () => GroundTruth;
  portalId: number;
  appId: number;
  token: string;
  logger: Logger;
  /** Writes made with the token come from the integration, as HubSpot reports them. */
  integration: Actor;
  /** Draws for simulations (seeded; re-seeded on reset so a run of simulations is reproducible). */
  simRng: () => Rng;
  counters: { requests: number; http429: number; byRoute: Record<string, number> };
  /** The CRM search API over the (lagging) search index. */
  search: (type: ObjectType, req: SearchRequest) => { total: number; page: LiveObject[]; next?: string };
}

const BY_NAME: Record<string, ObjectType> = Object.fromEntries([
  ...OBJECT_TYPES.map((t) => [t, t]),
  ...OBJECT_TYPES.map((t) => [t.replace(/ies$/, 'y').replace(/s$/, ''), t]),
  ...Object.entries(OBJECT_TYPE_BY_ID),
]);

/** Object type from a path segment: plural, singular or type id (`0-2`), as HubSpot accepts. */
export function objectType(raw: string): ObjectType {
  const t = BY_NAME[raw.toLowerCase()];
  if (!t) throw validationError(`Unable to infer object type from: ${raw}`);
  return t;
}

export function humanActor(userId: number): Actor {
  return { sourceType: 'CRM_UI', sourceId: `userId:${userId}` };
}
