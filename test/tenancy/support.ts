import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../../src/config/config.ts';
import type { GenerationTrace, Proposal } from '../../src/core/proposal.ts';
import { createLogger, type Logger } from '../../src/logging.ts';
import { createContainer, type Container } from '../../src/runtime/container.ts';
import { buildServiceApp } from '../../src/runtime/http.ts';
import { startSandboxPortals, type PortalsHandle } from '../../src/sandbox/portals.ts';
import { installPortal, oauthDeploymentEnv, sandboxOAuthApp, walkInstall, type InstallFlow } from '../../src/testing/oauth-install.ts';
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

export type { InstallFlow };

export async function startTenantStack(opts: {
  portals: Array<{ portalId: number; companies: number; seed?: number }>;
  env?: Record<string, string>;
  /** The default portal (HUBSPOT_PORTAL_ID): the first one unless null (the only one installed). */
  defaultPortal?: number | null;
  logger?: Logger;
}): Promise<TenantStack> {
  const sb = await startSandboxPortals({
    portals: opts.portals,
    oauth: sandboxOAuthApp('tenancy', PUBLIC_URL),
    rateLimit: 0,
  });
  const tmp = tempDir('hsai-tenancy-');
  const defaultPortal = opts.defaultPortal === undefined ? opts.portals[0]!.portalId : opts.defaultPortal;
  const config = loadConfig({
    ...oauthDeploymentEnv(sb, { dataDir: tmp.dir, publicUrl: PUBLIC_URL }),
    ...(defaultPortal === null ? {} : { HUBSPOT_PORTAL_ID: String(defaultPortal) }),
    HUBSPOT_MAX_RETRIES: '0',
    LOG_LEVEL: 'silent',
    ...opts.env,
  });
  const container = createContainer(config, opts.logger ?? createLogger('silent', 'tenancy-test'));
  const app = await buildServiceApp(container);
  return {
    sb,
    config,
    container,
    app,
    portals: opts.portals.map((p) => String(p.portalId)),
    dataDir: tmp.dir,
    installFlow: (portalId) => walkInstall(app, portalId),
    install: (portalId) => installPortal(app, portalId),
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
