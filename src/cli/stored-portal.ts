import type { Container } from '../runtime/container.ts';
import { portalsWithRows } from '../runtime/portal-purge.ts';
import { CliExit, EXIT } from './exit-codes.ts';

/**
 * The portal a command that only reads our own store works on (`audit`, `index stats`), found without HubSpot:
 * asking HubSpot whose token it is would make an unreachable HubSpot stop a command that never needs it.
 *   1. `--portal <id>`;
 *   2. HUBSPOT_PORTAL_ID (the portal an OAuth deployment serves);
 *   3. the one portal the store holds data of (rows, backfill checkpoints, term statistics, installations).
 * With data of several portals and none chosen, the command stops with a usage error naming them: guessing could
 * show one portal's audit to the operator of another. With none, there is nothing to read: `undefined`.
 */
const PORTAL_ID = /^\d{1,20}$/;

export async function storedPortal(c: Container, chosen: string | undefined): Promise<string | undefined> {
  if (chosen !== undefined) {
    if (!PORTAL_ID.test(chosen)) throw new CliExit(EXIT.USAGE, `--portal takes a HubSpot portal id (digits), not "${chosen}"`);
    return chosen;
  }
  if (c.config.oauth?.portalId) return c.config.oauth.portalId;
  const held = await portalsWithRows(await c.sql());
  if (held.length <= 1) return held[0];
  const named = held.length > 6 ? `${held.slice(0, 6).join(', ')} and ${held.length - 6} more` : held.join(', ');
  throw new CliExit(EXIT.USAGE, `the store holds data of ${held.length} portals (${named}): choose one with --portal <id>`);
}
