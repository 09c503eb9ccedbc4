import type { HubSpotGateway } from '../hubspot/gateway.ts';

/** Owner names and deal stages of a portal: what record facts show instead of HubSpot's internal ids. */
export interface Lookups {
  at: number;
  owners: Map<string, string>;
  stages: Map<string, { stage: string; pipeline: string; isClosed: boolean; isWon: boolean }>;
}

const LOOKUP_TTL_MS = 10 * 60_000;

export async function readLookups(gateway: HubSpotGateway): Promise<Lookups> {
  const [owners, pipelines] = await Promise.all([gateway.listOwners(), gateway.listPipelines('deals')]);
  const ownerNames = new Map(owners.map((o) => [o.id, [o.firstName, o.lastName].filter(Boolean).join(' ') || o.email]));
  const stages = new Map<string, { stage: string; pipeline: string; isClosed: boolean; isWon: boolean }>();
  for (const p of pipelines) {
    for (const s of p.stages) {
      const prob = s.metadata?.probability;
      const isClosed = s.metadata?.isClosed === 'true' || prob === '1.0' || prob === '0.0';
      stages.set(s.id, { stage: s.label, pipeline: p.label, isClosed, isWon: isClosed && prob === '1.0' });
    }
  }
  return { at: Date.now(), owners: ownerNames, stages };
}

/**
 * Owners and pipelines change rarely and every agent run needs them: one read per portal per TTL (10 minutes).
 * The container owns one cache; a portal it forgets is dropped from it, and closing the container empties it.
 */
export class LookupsCache {
  private readonly byPortal = new Map<string, Promise<Lookups>>();

  constructor(private readonly ttlMs = LOOKUP_TTL_MS) {}

  async get(portalId: string, gateway: HubSpotGateway): Promise<Lookups> {
    const cached = this.byPortal.get(portalId);
    if (cached) {
      const value = await cached.catch(() => null);
      if (value && Date.now() - value.at < this.ttlMs) return value;
    }
    const fresh = readLookups(gateway);
    this.byPortal.set(portalId, fresh);
    fresh.catch(() => {
      if (this.byPortal.get(portalId) === fresh) this.byPortal.delete(portalId);
    });
    return fresh;
  }

  /** Whether a portal's lookups are held (tests). */
  holds(portalId: string): boolean {
    return this.byPortal.has(portalId);
  }

  forget(portalId: string): void {
    this.byPortal.delete(portalId);
  }

  clear(): void {
    this.byPortal.clear();
  }
}
