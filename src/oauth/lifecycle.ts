import type { HubSpotEvent } from '../queue/jobs.ts';
import type { PortalTokens } from './portal-tokens.ts';

/** HubSpot's app-lifecycle event types (webhooks journal, subscription type APP_LIFECYCLE_EVENT). */
export const APP_LIFECYCLE_EVENT = 'APP_LIFECYCLE_EVENT';
export const APP_UNINSTALL_EVENT_TYPE_ID = '4-1916193';

export function isAppUninstall(e: HubSpotEvent): boolean {
  return e.subscriptionType === APP_LIFECYCLE_EVENT && (e as unknown as { eventTypeId?: unknown }).eventTypeId === APP_UNINSTALL_EVENT_TYPE_ID;
}

/**
 * Runs on every verified webhook delivery in OAuth mode, before anything is journaled: an app-uninstall event
 * marks its portal uninstalled (its tokens erased, its work stopped), and events of portals that do not have the
 * app installed are dropped, so an uninstalled portal starts no new work. Returns the events to keep and how
 * many were dropped.
 */
export async function applyAppLifecycle(tokens: PortalTokens, events: HubSpotEvent[]): Promise<{ keep: HubSpotEvent[]; dropped: number; uninstalled: string[] }> {
  const uninstalled: string[] = [];
  for (const e of events) {
    if (!isAppUninstall(e)) continue;
    const portalId = String(e.portalId);
    if (await tokens.uninstall(portalId, 'app uninstalled in HubSpot')) uninstalled.push(portalId);
  }
  const active = new Map<string, boolean>();
  const keep: HubSpotEvent[] = [];
  for (const e of events) {
    if (isAppUninstall(e)) continue;
    const portalId = String(e.portalId);
    let ok = active.get(portalId);
    if (ok === undefined) {
      ok = await tokens.isInstalled(portalId);
      active.set(portalId, ok);
    }
    if (ok) keep.push(e);
  }
  return { keep, dropped: events.length - keep.length, uninstalled };
}
