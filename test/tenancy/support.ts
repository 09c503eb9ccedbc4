import { randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { loadConfig, type Config } from '../../src/config/config.ts';
import type { GenerationTrace, Proposal } from '../../src/core/proposal.ts';
import { createLogger, type Logger } from '../../src/logging.ts';
import { STATE_COOKIE } from '../../src/oauth/routes.ts';
import { createContainer, type Container } from '../../src/runtime/container.ts';
import { buildServiceApp } from '../../src/runtime/http.ts';
import { startSandboxPortals, type PortalsHandle } from '../../src/sandbox/portals.ts';
import { tempDir } from '../support/tmp.ts';

export const PUBLIC_URL = 'http://127.0.0.1:39998';

/**
 * One deployment serving several sandbox portals in OAuth mode: each installed through the product's own install
 * link and callback, over HTTP with the real @hubspot/api-client. Nothing of ours is mocked. Shared by the tenancy
 * and OAuth suites.
 */
export interface TenantStack {
  sb: PortalsHandle;
  config: Config;
  container: Container;
  app: FastifyInstance;
  portals: string[];
  /** The deployment's data directory (SQLite files). */
  dataDir: string;
  /** The browser's walk through an install, step by step, without judging the answer. */
  installFlow(portalId: number): Promise<InstallFlow>;
  /** Installs a portal; throws unless the callback answered 200. */
  install(portalId: number): Promise<void>;
  close(): Promise<void>;
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

export async function startTenantStack(opts: {
  portals: Array<{ portalId: number; companies: number; seed?: number }>;
  env?: Record<string, string>;
  /** The default portal (HUBSPOT_PORTAL_ID): the first one unless null (the only one installed). */
  defaultPortal?: number | null;
  logger?: Logger;
}): Promise<TenantStack> {
  const sb = await startSandboxPortals({
    portals: opts.portals,
    oauth: { clientId: 'tenancy-client-id', clientSecret: 'tenancy-client-secret-0123', redirectUris: [`${PUBLIC_URL}/oauth/callback`] },
    rateLimit: 0,
  });
  const tmp = tempDir('hsai-tenancy-');
  const defaultPortal = opts.defaultPortal === undefined ? opts.portals[0]!.portalId : opts.defaultPortal;
  const config = loadConfig({
    DATA_DIR: tmp.dir,
    HUBSPOT_AUTH: 'oauth',
    HUBSPOT_BASE_URL: sb.url,
    HUBSPOT_CLIENT_ID: sb.clientId,
    HUBSPOT_CLIENT_SECRET: sb.clientSecret,
    HUBSPOT_APP_ID: sb.appId,
    ...(defaultPortal === null ? {} : { HUBSPOT_PORTAL_ID: String(defaultPortal) }),
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    WEBHOOK_PUBLIC_URL: PUBLIC_URL,
    HUBSPOT_MAX_RETRIES: '0',
    OWNER_TASKS: 'false',
    LOG_LEVEL: 'silent',
    ...opts.env,
  });
  const container = createContainer(config, opts.logger ?? createLogger('silent', 'tenancy-test'));
  const app = await buildServiceApp(container);
  const installFlow = async (portalId: number): Promise<InstallFlow> => {
    const start = await app.inject({ method: 'GET', url: `/oauth/install?portal_id=${portalId}` });
    const cookie = start.cookies.find((c) => c.name === STATE_COOKIE)!;
    const authorize = new URL(start.headers.location as string);
    const hop = await fetch(authorize, { redirect: 'manual' });
    const back = new URL(hop.headers.get('location')!);
    const callback = await app.inject({ method: 'GET', url: `/oauth/callback${back.search}`, cookies: { [STATE_COOKIE]: cookie.value } });
    return { start, cookie, authorize, callback, callbackSearch: back.search };
  };
  const install = async (portalId: number) => {
    const { callback } = await installFlow(portalId);
    if (callback.statusCode !== 200) throw new Error(`install of ${portalId} failed: ${callback.statusCode} ${callback.body}`);
  };
  return {
    sb,
    config,
    container,
    app,
    portals: opts.portals.map((p) => String(p.portalId)),
    dataDir: tmp.dir,
    installFlow,
    install,
    close: async () => {
      await app.close();
      await container.close();
      await sb.close();
      tmp.cleanup();
    },
  };
}

let seq = 0;

/** A proposal for a core field: it always waits for a person (a review item of its portal). */
export function reviewProposal(portalId: string, companyId: string, value: string): Proposal {
  seq += 1;
  const runId = `run-${portalId}-${seq}`;
  return {
    id: `${runId}:lead_score:companies/${companyId}:lifecyclestage`,
    portalId,
    accountId: companyId,
    runId,
    target: { objectType: 'companies', objectId: companyId },
    kind: 'property',
    field: 'lifecyclestage',
    value,
    confidence: 0.95,
    evidence: ['chunk-1'],
    agent: 'lead_score',
    promptVersion: 'v1',
    model: 'offline-extractive-v1',
    createdAt: new Date().toISOString(),
  };
}

export function trace(runId: string): GenerationTrace {
  return {
    agent: 'lead_score',
    runId,
    provider: 'offline',
    model: 'offline-extractive-v1',
    promptVersion: 'v1',
    prompt: 'Score the lead.',
    response: '{}',
    usage: { inputTokens: 10, outputTokens: 2, costUsd: 0 },
    inputs: { recordIds: [], chunkIds: [] },
    startedAt: new Date().toISOString(),
    finishedAt: new Date().toISOString(),
  };
}
