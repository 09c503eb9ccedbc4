import crypto from 'node:crypto';
import { freePort } from '../../src/runtime/free-port.ts';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config/config.ts';
import { runBackfill } from '../../src/ingest/backfill.ts';
import { SqlCheckpointStore } from '../../src/ingest/checkpoint-store.ts';
import { silentLogger } from '../../src/logging.ts';
import { createContainer, type Container } from '../../src/runtime/container.ts';
import { buildServiceApp } from '../../src/runtime/http.ts';
import { startSandbox, type SandboxHandle, type SandboxOptions } from '../../src/sandbox/index.ts';
import { tempDir } from './tmp.ts';

export const TOKENS = {
  reader: 'reader-token-0001',
  reviewer: 'reviewer-token-01',
  admin: 'admin-token-00001',
} as const;

export interface ServiceStack {
  sandbox: SandboxHandle;
  container: Container;
  app: FastifyInstance;
  dataDir: string;
  clientSecret: string;
  /** With `listen: true`: the app's base URL on loopback (the sandbox's webhook target is `${url}/webhooks/hubspot`). */
  url?: string;
  auth(role: keyof typeof TOKENS): { authorization: string };
  close(): Promise<void>;
}

/**
 * The whole service as `serve` builds it (real container, embedded default) over a seeded sandbox portal,
 * indexed by a backfill. Nothing is mocked; the app is exercised with `app.inject`.
 *
 * `listen: true` also serves the app on a loopback port and points the sandbox's signed webhooks at it
 * (`webhookTarget` + the stack's client secret), as `serve` behind HubSpot would be.
 */
export async function startServiceStack(
  opts: { companies?: number; sandbox?: SandboxOptions; env?: Record<string, string>; backfill?: boolean; listen?: boolean } = {},
): Promise<ServiceStack> {
  const { dir, cleanup } = tempDir('hsai-api-');
  const clientSecret = crypto.randomBytes(8).toString('hex');
  // The sandbox is started first (the config needs its URL), so the app's port is chosen before it listens.
  const port = opts.listen ? await freePort() : undefined;
  const url = port === undefined ? undefined : `http://127.0.0.1:${port}`;
  const sandbox = await startSandbox({
    port: 0,
    seed: 7,
    companies: opts.companies ?? 20,
    rateLimit: 0,
    ...(url ? { webhookTarget: `${url}/webhooks/hubspot`, clientSecret, webhookBatchMs: 50 } : {}),
    ...opts.sandbox,
  });
  const config = loadConfig({
    DATA_DIR: dir,
    LOG_LEVEL: 'silent',
    HUBSPOT_BASE_URL: sandbox.url,
    HUBSPOT_ACCESS_TOKEN: sandbox.token,
    HUBSPOT_CLIENT_SECRET: clientSecret,
    HUBSPOT_APP_ID: sandbox.appId,
    API_TOKENS: `${TOKENS.reader}:reader,${TOKENS.reviewer}:reviewer,${TOKENS.admin}:admin`,
    ...opts.env,
  });
  const container = createContainer(config, silentLogger);
  if (opts.backfill !== false) {
    const [gateway, indexer, store, sql] = await Promise.all([container.gateway(), container.indexer(), container.store(), container.sql()]);
    const checkpoints = new SqlCheckpointStore(sql, false);
    await checkpoints.init();
    await runBackfill({ gateway, indexer, store, checkpoints }, { concurrency: 2 });
  }
  const app = await buildServiceApp(container);
  if (port === undefined) await app.ready();
  else await app.listen({ port, host: '127.0.0.1' });
  return {
    sandbox,
    container,
    app,
    dataDir: dir,
    clientSecret,
    ...(url ? { url } : {}),
    auth: (role) => ({ authorization: `Bearer ${TOKENS[role]}` }),
    async close() {
      await app.close();
      await container.close();
      await sandbox.close();
      cleanup();
    },
  };
}
