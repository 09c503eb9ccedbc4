import type { FastifyRequest } from 'fastify';
import type { WritebackService } from '../writeback/create-writeback.ts';
import { apiError } from './errors.ts';
import './route-options.ts';

/**
 * Which portal an API request works on, and whether its caller may see it. A request names a portal with the
 * `X-HubSpot-Portal-Id` header or a `portalId` query parameter; without one it works on the caller's only portal,
 * or else on the deployment's default portal. A token scoped to other portals gets 403; everything the request
 * then reads or writes goes through that portal's services, so another portal's ids are simply not found (404).
 */

/** A deployment serving many portals: one write-back service per portal. */
export interface PortalWritebacks {
  /**
   * The portal's write-back service and a hold on the portal: until `release()`, the portal is not purged in this
   * process (a purge waits for it). PortalNotServedError (code PORTAL_NOT_SERVED) when the portal is not served.
   */
  lease(portalId: string): Promise<{ writeback: WritebackService; release: () => void }>;
  /** The portal a request works on when it names none (and its caller is not limited to exactly one). */
  defaultPortal(): Promise<string>;
}

/** Routes take either one write-back service (one portal, tests) or a per-portal resolver (`serve`). */
export type WritebackSource = WritebackService | PortalWritebacks;

const PORTAL_ID = /^\d{1,20}$/;

export function requestedPortal(req: FastifyRequest): string | undefined {
  const header = req.headers['x-hubspot-portal-id'];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  // From the raw URL: a route's query schema drops parameters it does not declare.
  const fromQuery = new URLSearchParams((req.raw.url ?? '').split('?')[1] ?? '').get('portalId');
  const raw = fromHeader ?? fromQuery ?? undefined;
  if (raw === undefined || raw === '') return undefined;
  if (!PORTAL_ID.test(raw)) throw apiError('BAD_REQUEST', 'a portal id is digits (X-HubSpot-Portal-Id header or portalId parameter)');
  return raw;
}

/** Whether the request's caller may see a portal (a token without a portal list sees all). */
export function mayAccess(req: FastifyRequest, portalId: string): boolean {
  const allowed = req.principal?.portals;
  return allowed === undefined || allowed.includes(portalId);
}

function forbidden(portalId: string) {
  return apiError('FORBIDDEN', `this token is not allowed to see HubSpot portal ${portalId}`);
}

/** The portal a request works on, checked against its caller's token. */
export async function portalOf(req: FastifyRequest, defaultPortal: () => Promise<string>): Promise<string> {
  const named = requestedPortal(req);
  const allowed = req.principal?.portals;
  const portal = named ?? (allowed?.length === 1 ? allowed[0]! : await defaultPortal());
  if (!mayAccess(req, portal)) {
    if (named === undefined && allowed) {
      throw apiError('BAD_REQUEST', `name a portal (X-HubSpot-Portal-Id header or portalId parameter): this token covers ${allowed.join(', ')}`);
    }
    throw forbidden(portal);
  }
  return portal;
}

/**
 * Keeps a hold on a portal until the request has answered: released when its handler's answer is sent (or the
 * request ends otherwise), so a purge of the portal never interleaves with a request working on it.
 */
export function holdUntilAnswered(req: FastifyRequest, release: () => void): void {
  (req.portalHolds ??= []).push(release);
}

/** Releases a request's holds (the app's onSend and onResponse hooks; twice is harmless). */
export function releaseHolds(req: FastifyRequest): void {
  const holds = req.portalHolds;
  if (!holds) return;
  req.portalHolds = undefined;
  for (const release of holds) release();
}

/** The write-back service of a portal, held for the request (PortalNotServedError passes through). */
export async function heldWriteback(source: PortalWritebacks, req: FastifyRequest, portalId: string): Promise<WritebackService> {
  const { writeback, release } = await source.lease(portalId);
  holdUntilAnswered(req, release);
  return writeback;
}

/** The write-back service of the request's portal, held until the request has answered. */
export async function writebackOf(source: WritebackSource, req: FastifyRequest): Promise<WritebackService> {
  if (!('lease' in source)) {
    const portal = await source.portalId();
    const named = requestedPortal(req);
    if (named !== undefined && named !== portal) throw apiError('NOT_FOUND', `this service does not serve HubSpot portal ${named}`);
    if (!mayAccess(req, portal)) throw forbidden(portal);
    return source;
  }
  const portal = await portalOf(req, () => source.defaultPortal());
  try {
    return await heldWriteback(source, req, portal);
  } catch (err) {
    if ((err as { code?: unknown }).code === 'PORTAL_NOT_SERVED') throw apiError('NOT_FOUND', `this service does not serve HubSpot portal ${portal}`);
    throw err;
  }
}
