import { randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { STATE_COOKIE } from '../oauth/routes.ts';

/**
 * A deployment in OAuth public-app mode against the sandbox's portals, as the tests and benches start it: the app
 * registration both sides agree on, the deployment's settings, and a browser's walk through an install (the
 * product's install link, the sandbox's authorize page over HTTP, the product's callback). One definition for the
 * tenancy and OAuth suites, bench:portals and bench:fairness.
 */

/** The app as registered with the sandbox (its `oauth` option): where HubSpot may send the browser back. */
export interface SandboxOAuthApp {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
}

export function sandboxOAuthApp(name: string, publicUrl: string): SandboxOAuthApp {
  return { clientId: `${name}-client-id`, clientSecret: `${name}-client-secret-0123`, redirectUris: [`${publicUrl}/oauth/callback`] };
}

/** What a running sandbox reports about the app (PortalsHandle, or the bench's portals process). */
export interface SandboxAppHandle {
  url: string;
  appId: string;
  clientId: string;
  clientSecret: string;
}

/**
 * The settings of a deployment serving the sandbox's portals through OAuth: a fresh token-encryption key, owner
 * tasks off (the sandbox has no owners to assign). Callers add their own (LOG_LEVEL, rate limits, …).
 */
export function oauthDeploymentEnv(sb: SandboxAppHandle, opts: { dataDir: string; publicUrl: string }): Record<string, string> {
  return {
    DATA_DIR: opts.dataDir,
    HUBSPOT_AUTH: 'oauth',
    HUBSPOT_BASE_URL: sb.url,
    HUBSPOT_CLIENT_ID: sb.clientId,
    HUBSPOT_CLIENT_SECRET: sb.clientSecret,
    HUBSPOT_APP_ID: sb.appId,
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    WEBHOOK_PUBLIC_URL: opts.publicUrl,
    OWNER_TASKS: 'false',
  };
}

export interface InstallFlow {
  /** The install link's answer (302 to HubSpot's authorize page, with the state cookie). */
  start: LightMyRequestResponse;
  cookie: { name: string; value: string; httpOnly?: boolean; sameSite?: string };
  authorize: URL;
  /** The callback's answer to the redirect HubSpot's authorize page made. */
  callback: LightMyRequestResponse;
  /** The callback's query string, to replay it. */
  callbackSearch: string;
}

/** The browser's walk through an install, step by step, without judging the answer. */
export async function walkInstall(app: Pick<FastifyInstance, 'inject'>, portalId: number | string): Promise<InstallFlow> {
  const start = await app.inject({ method: 'GET', url: `/oauth/install?portal_id=${portalId}` });
  const cookie = start.cookies.find((c) => c.name === STATE_COOKIE);
  if (!cookie || typeof start.headers.location !== 'string') throw new Error(`the install link answered ${start.statusCode} without a redirect and state cookie: ${start.body}`);
  const authorize = new URL(start.headers.location);
  const hop = await fetch(authorize, { redirect: 'manual' });
  const location = hop.headers.get('location');
  if (!location) throw new Error(`HubSpot's authorize page answered ${hop.status} without a redirect: ${await hop.text()}`);
  const back = new URL(location);
  const callback = await app.inject({ method: 'GET', url: `/oauth/callback${back.search}`, cookies: { [STATE_COOKIE]: cookie.value } });
  return { start, cookie, authorize, callback, callbackSearch: back.search };
}

/** Installs a portal; throws unless the callback answered 200. */
export async function installPortal(app: Pick<FastifyInstance, 'inject'>, portalId: number | string): Promise<void> {
  const { callback } = await walkInstall(app, portalId);
  if (callback.statusCode !== 200) throw new Error(`install of ${portalId} failed: ${callback.statusCode} ${callback.body}`);
}
