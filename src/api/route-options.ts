import "fastify";
import type { Role } from '../config/config.ts';

/**
 * Per-route options read by the app's auth hook. Every route declares who may call it:
 *   app.get('/v1/reviews', { config: { auth: 'reviewer' }, schema: {...} }, handler)
 * `auth: 'public'` for health and webhook routes (webhooks authenticate by signature instead).
 * Roles are ordered: reader < reviewer < admin.
 */
export type RouteAuth = Role | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
  interface FastifyInstance {
    /** Every route this app serves (method, URL pattern, who may call it), in registration order. */
    routeTable: RouteEntry[];
  }
  interface FastifyRequest {
    /** Set by the auth hook: who is calling (token name) and with which role. */
    principal?: { name: string; role: Role; portals?: string[] };
    /** Holds on portals the request works on (api/tenancy.ts), released once it has answered. */
    portalHolds?: Array<() => void>;
  }
}

export interface RouteEntry {
  method: string;
  url: string;
  auth: RouteAuth;
  /** Left out of the OpenAPI document (HubSpot-signed card and action calls, the review page, metrics). */
  hidden: boolean;
}

export interface ApiToken {
  token: string;
  role: Role;
  name: string;
  /** The HubSpot portals this token may see; undefined: every portal the deployment serves. */
  portals?: string[];
}

export const ROLE_RANK: Record<Role, number> = { reader: 1, reviewer: 2, admin: 3 };
