import { redactUrl, type Config } from '../config/config.ts';
import { errorMessage } from '../errors.ts';
import { OBJECT_TYPES } from '../core/objects.ts';
import { cliContext } from './context.ts';
import { EXIT } from './exit-codes.ts';
import { printJson } from './output.ts';
import type { Container } from '../runtime/container.ts';
import { withDeadline } from '../core/deadline.ts';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do about it, when not ok. */
  fix?: string;
  /** Not needed by this configuration (e.g. Redis when REDIS_URL is unset). */
  skipped?: boolean;
}

/** `hubspot-ai doctor`: checks a configuration before the first backfill. Exit 0 only when all is there. */
export async function doctorCommand(opts: { json?: boolean }): Promise<number> {
  const { config, container } = cliContext({ LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' });
  try {
    const checks = await runDoctor(config, container);
    if (opts.json) printJson({ ok: checks.every((c) => c.ok), checks });
    else {
      for (const c of checks) {
        const mark = c.skipped ? '-' : c.ok ? '✔' : '✖';
        process.stdout.write(`${mark} ${c.name}: ${c.detail}\n`);
        if (!c.ok && c.fix) process.stdout.write(`    → ${c.fix}\n`);
      }
      const bad = checks.filter((c) => !c.ok).length;
      process.stdout.write(bad === 0 ? '\nAll checks passed.\n' : `\n${bad} problem${bad > 1 ? 's' : ''} found.\n`);
    }
    return checks.every((c) => c.ok) ? EXIT.OK : EXIT.CHECK_FAILED;
  } finally {
    await container.close();
  }
}

export async function runDoctor(config: Config, c: Container): Promise<Check[]> {
  const checks: Check[] = [];
  const hub = config.oauth ? await checkPortals(config, c) : await checkHubSpot(config);
  checks.push(...hub);

  checks.push(
    config.HUBSPOT_CLIENT_SECRET
      ? { name: 'webhook secret', ok: true, detail: 'HUBSPOT_CLIENT_SECRET is set' }
      : {
          name: 'webhook secret',
          ok: false,
          detail: 'HUBSPOT_CLIENT_SECRET is not set: webhook signatures cannot be verified, so every webhook would be rejected',
          fix: "set HUBSPOT_CLIENT_SECRET to your app's client secret (app settings → Auth)",
        },
  );

  checks.push(await probe('embeddings', config.embeddings.provider === 'openai', async () => {
    const e = await c.embedder();
    await e.ping();
    return `${e.provider} ${e.model} (${e.dimensions} dims) answers`;
  }, config.embeddings.provider === 'offline' ? 'offline hashing embedder (lexical, not semantic)' : undefined,
  'check OPENAI_API_KEY / OPENAI_BASE_URL and that EMBEDDING_MODEL exists on that server'));

  checks.push(await probe('chat model', config.llm.provider !== 'offline', async () => {
    const p = await c.provider();
    await p.ping();
    return `${p.provider} ${p.model} answers`;
  }, config.llm.provider === 'offline' ? 'offline provider (extractive, labelled as offline)' : undefined,
  'check the provider\'s credentials (OPENAI_API_KEY / OPENAI_BASE_URL, AZURE_OPENAI_*, or the provider package\'s own) and that CHAT_MODEL exists there'));

  checks.push(await probe('qdrant', Boolean(config.QDRANT_URL), async () => {
    await (await c.store()).ping();
    return `${config.QDRANT_URL} answers`;
  }, 'not configured (embedded SQLite vector store)', 'start Qdrant or fix QDRANT_URL / QDRANT_API_KEY'));

  checks.push(await probe('redis', Boolean(config.REDIS_URL), async () => {
    const r = await c.redis();
    await r?.ping();
    return `${redactUrl(config.REDIS_URL ?? '')} answers`;
  }, 'not configured (embedded queue and cache)', 'start Redis or fix REDIS_URL'));

  // The embedded journal (DATA_DIR/hubspot-queue.db): readable and writable by this user, and what it holds now.
  checks.push(await probe('queue journal', !config.REDIS_URL, async () => {
    const q = await c.queue();
    await q.ping();
    const { total } = await q.stats();
    const { queuePath } = await import('../db/sqlite.ts');
    return `${queuePath(config.dataDir)}: ${total.waiting} waiting, ${total.delayed} delayed, ${total.active} running, ${total.dead} dead`;
  }, 'BullMQ on Redis', `check that ${config.dataDir} exists and is writable by this user`));

  checks.push(await probe('postgres', Boolean(config.DATABASE_URL), async () => {
    const h = await c.sql();
    await h.db.selectNoFrom((eb) => eb.val(1).as('one')).execute();
    return `${redactUrl(config.DATABASE_URL ?? '')} answers`;
  }, 'not configured (audit and reviews in the SQLite file)', 'start PostgreSQL or fix DATABASE_URL'));

  return checks;
}

async function checkHubSpot(config: Config): Promise<Check[]> {
  const out: Check[] = [];
  let portalId: string;
  // Its own gateway without the Redis-shared limiter: a down Redis is reported by its own check, not as a
  // HubSpot problem.
  const { createHubSpotGateway, hubSpotGatewayOptions } = await import('../hubspot/create-gateway.ts');
  const g = createHubSpotGateway({ ...hubSpotGatewayOptions(config), maxRetries: 1, timeoutMs: 10_000 });
  try {
    portalId = await inTime(g.portalId(), 15_000);
    out.push({ name: 'hubspot token', ok: true, detail: `${config.hubspot.baseUrl} accepts the token (portal ${portalId})` });
  } catch (err) {
    const msg = errorMessage(err);
    const { HubSpotAuthError } = await import('../hubspot/errors.ts');
    const auth = err instanceof HubSpotAuthError;
    out.push({
      name: 'hubspot token',
      ok: false,
      detail: `${config.hubspot.baseUrl}: ${msg}`,
      fix: auth
        ? 'set HUBSPOT_ACCESS_TOKEN to a valid private app token (Settings → Integrations → Private apps)'
        : 'check HUBSPOT_BASE_URL and the network (for the sandbox: run `hubspot-ai sandbox`)',
    });
    await g.close();
    return out;
  }
  const missing: string[] = [];
  for (const type of OBJECT_TYPES) {
    try {
      await g.listObjects(type, { limit: 1 });
    } catch (err) {
      missing.push(`crm.objects.${type}.read (${errorMessage(err)})`);
    }
  }
  out.push(
    missing.length === 0
      ? { name: 'hubspot scopes', ok: true, detail: 'every object type the product reads is readable' }
      : { name: 'hubspot scopes', ok: false, detail: `missing: ${missing.join('; ')}`, fix: 'add those scopes to the private app and copy the new token' },
  );
  try {
    const { AI_OBJECT_TYPES, AI_PROPERTIES } = await import('../writeback/ai-properties.ts');
    const absent: string[] = [];
    for (const type of AI_OBJECT_TYPES) {
      const names = new Set((await g.listProperties(type)).map((p) => p.name));
      for (const { name: n } of AI_PROPERTIES) if (!names.has(n)) absent.push(`${type}.${n}`);
    }
    out.push(
      absent.length === 0
        ? { name: 'ai_* properties', ok: true, detail: 'present on companies, contacts and deals' }
        : { name: 'ai_* properties', ok: false, detail: `${absent.length} missing (e.g. ${absent.slice(0, 3).join(', ')})`, fix: 'run `hubspot-ai setup`' },
    );
  } catch (err) {
    out.push({ name: 'ai_* properties', ok: false, detail: errorMessage(err), fix: 'grant crm.schemas.*.read and run `hubspot-ai setup`' });
  }
  await g.close();
  return out;
}

/**
 * OAuth mode: every installed portal on its own (its token valid or refreshable, the scopes the product reads,
 * its rate-limit headroom as HubSpot reports it); uninstalled portals are listed and skipped.
 */
async function checkPortals(config: Config, c: Container): Promise<Check[]> {
  const o = await c.oauth();
  if (!o) return [];
  const all = await o.tokens.list();
  if (all.length === 0) {
    return [{ name: 'portals', ok: false, detail: 'no portal has installed the app yet', fix: 'open /oauth/install on the running service to install it' }];
  }
  const out: Check[] = [];
  for (const inst of all) {
    const id = inst.portalId;
    if (inst.status !== 'installed') {
      out.push({ name: `portal ${id}`, ok: true, skipped: true, detail: `uninstalled (${inst.uninstallReason ?? 'no reason recorded'}): no work runs for it` });
      continue;
    }
    let token: string;
    try {
      token = await inTime(o.tokens.accessToken(id), 15_000);
      out.push({ name: `portal ${id} token`, ok: true, detail: 'access token valid (refreshed when due)' });
    } catch (err) {
      out.push({ name: `portal ${id} token`, ok: false, detail: errorMessage(err), fix: `install the app again on portal ${id} (/oauth/install?portal_id=${id})` });
      continue;
    }
    try {
      const scope = await c.portal(id);
      const missing: string[] = [];
      for (const type of OBJECT_TYPES) {
        await inTime(scope.gateway.listObjects(type, { limit: 1 }), 15_000).catch((err: unknown) => missing.push(`crm.objects.${type}.read (${errorMessage(err)})`));
      }
      out.push(
        missing.length === 0
          ? { name: `portal ${id} scopes`, ok: true, detail: 'every object type the product reads is readable' }
          : { name: `portal ${id} scopes`, ok: false, detail: `missing: ${missing.join('; ')}`, fix: 'add those scopes to the app and have the portal install it again' },
      );
    } catch (err) {
      out.push({ name: `portal ${id} scopes`, ok: false, detail: errorMessage(err) });
    }
    try {
      const res = await fetch(`${config.hubspot.baseUrl}/crm/v3/objects/companies?limit=1`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
      await res.arrayBuffer();
      const max = Number(res.headers.get('x-hubspot-ratelimit-max'));
      const remaining = Number(res.headers.get('x-hubspot-ratelimit-remaining'));
      if (!res.headers.has('x-hubspot-ratelimit-max') || !Number.isFinite(max) || !Number.isFinite(remaining) || max <= 0) {
        out.push({ name: `portal ${id} rate limit`, ok: res.ok, detail: res.ok ? 'HubSpot sent no rate-limit headers' : `HubSpot answered ${res.status}` });
      } else {
        const share = remaining / max;
        out.push({
          name: `portal ${id} rate limit`,
          ok: share >= 0.1,
          detail: `${remaining} of ${max} requests left in the current window (${Math.round(share * 100)} %)`,
          ...(share < 0.1 ? { fix: 'another integration (or a backfill) is using this portal\'s budget; lower HUBSPOT_RATE_LIMIT or wait' } : {}),
        });
      }
    } catch (err) {
      out.push({ name: `portal ${id} rate limit`, ok: false, detail: errorMessage(err) });
    }
  }
  return out;
}

async function probe(name: string, configured: boolean, fn: () => Promise<string>, notConfigured: string | undefined, fix: string): Promise<Check> {
  if (!configured) return { name, ok: true, skipped: true, detail: notConfigured ?? 'not configured' };
  try {
    return { name, ok: true, detail: await inTime(fn(), 10_000) };
  } catch (err) {
    return { name, ok: false, detail: errorMessage(err), fix };
  }
}

const inTime = <T>(p: Promise<T>, ms: number): Promise<T> => withDeadline(p, ms, `no answer within ${ms / 1000} s`);
