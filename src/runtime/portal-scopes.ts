import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/config.ts';
import type { HubSpotGateway } from '../hubspot/gateway.ts';
import type { Indexer } from '../ingest/indexer.ts';
import type { ScorerModel } from '../agents/scorer/model.ts';
import type { WritebackService } from '../writeback/create-writeback.ts';
import { AppError } from '../errors.ts';

/**
 * Everything that works for one HubSpot portal: its gateway (its own token and its own rate limiter, since
 * HubSpot's limits are per app and portal), its write-back service (every review, audit row, write and trace it
 * touches is that portal's), its indexer and its lead scorer. One deployment serves many portals; a job, a
 * webhook event or an API request picks its scope by portal id and never reaches another portal's.
 */
export interface PortalScope {
  portalId: string;
  gateway: HubSpotGateway;
  writeback: WritebackService;
  indexer: Indexer;
  /** The portal's current trained scorer (re-read when a new one is trained), or null. */
  scorer: () => Promise<ScorerModel | null>;
}

/** A portal this deployment does not serve: not the private app's, or not installed (OAuth), or removed. */
export class PortalNotServedError extends AppError {
  readonly retryable = false;
  constructor(readonly portalId: string, reason: string) {
    super('PORTAL_NOT_SERVED', `HubSpot portal ${portalId} is not served by this deployment: ${reason}`);
  }
}

/** Error codes that mean "this portal's work can never succeed now": its jobs fail at once, without retries. */
export const PORTAL_GONE_CODES = new Set(['PORTAL_UNINSTALLED', 'PORTAL_NOT_INSTALLED', 'PORTAL_NOT_SERVED']);

export function isPortalGone(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof AppError && PORTAL_GONE_CODES.has(e.code)) return true;
  }
  return false;
}

/**
 * The policy file of a portal: `PORTAL_POLICY_DIR/<portalId>.yaml` (or `.yml`) when it exists, else POLICY_FILE
 * (else the built-in default). Portal ids are digits, so the name cannot leave the directory.
 */
export function policyFileFor(config: Pick<Config, 'POLICY_FILE' | 'PORTAL_POLICY_DIR'>, portalId: string): string | undefined {
  if (config.PORTAL_POLICY_DIR && /^\d+$/.test(portalId)) {
    for (const ext of ['yaml', 'yml']) {
      const file = path.join(config.PORTAL_POLICY_DIR, `${portalId}.${ext}`);
      if (fs.existsSync(file)) return file;
    }
  }
  return config.POLICY_FILE;
}

/** Builds each portal's scope once and keeps it; a scope that failed to build is tried again next time. */
export class PortalScopes {
  private readonly scopes = new Map<string, Promise<PortalScope>>();

  constructor(private readonly build: (portalId: string) => Promise<PortalScope>) {}

  get(portalId: string): Promise<PortalScope> {
    let s = this.scopes.get(portalId);
    if (!s) {
      s = this.build(portalId);
      this.scopes.set(portalId, s);
      s.catch(() => this.scopes.delete(portalId));
    }
    return s;
  }

  /** Drops a portal's scope (removed, uninstalled or purged) and closes what it owns. */
  async forget(portalId: string, close: (s: PortalScope) => Promise<void>): Promise<void> {
    const s = this.scopes.get(portalId);
    this.scopes.delete(portalId);
    if (s) await close(await s).catch(() => undefined);
  }

  /** Portals with a scope built in this process (bounded by the portals served). */
  built(): string[] {
    return [...this.scopes.keys()];
  }

  async closeAll(close: (s: PortalScope) => Promise<void>): Promise<void> {
    const all = [...this.scopes.values()];
    this.scopes.clear();
    for (const s of all) await s.then(close).catch(() => undefined);
  }
}
