import type { HubSpotGateway } from '../hubspot/gateway.ts';

export interface Owner {
  id: string;
  name: string;
  email: string;
}

/**
 * HubSpot owners by id (one paged read, cached for five minutes): reviewers see "Maya Chen", not "owner 50005",
 * and owner tasks know whom they are for. A failed read is not cached.
 */
export class OwnerDirectory {
  private cached: { at: number; owners: Promise<Map<string, Owner>> } | undefined;

  constructor(
    private readonly gateway: HubSpotGateway,
    private readonly now: () => number = Date.now,
    private readonly ttlMs = 5 * 60_000,
  ) {}

  all(): Promise<Map<string, Owner>> {
    if (this.cached && this.now() - this.cached.at < this.ttlMs) return this.cached.owners;
    const owners = this.gateway.listOwners().then(
      (list) =>
        new Map(
          list.map((o) => {
            const name = [o.firstName, o.lastName].filter((x) => x && x.trim()).join(' ') || o.email;
            return [String(o.id), { id: String(o.id), name, email: o.email }];
          }),
        ),
    );
    this.cached = { at: this.now(), owners };
    owners.catch(() => (this.cached = undefined));
    return owners;
  }

  async get(id: string | null | undefined): Promise<Owner | null> {
    if (!id) return null;
    return (await this.all()).get(id) ?? null;
  }
}
