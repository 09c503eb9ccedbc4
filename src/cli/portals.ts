import { sql as raw, type Kysely } from 'kysely';
import type { Container } from '../runtime/container.ts';
import { forgetPurge, portalFootprint, purgePortal } from '../runtime/portal-purge.ts';
import { errorMessage } from '../errors.ts';
import { withContainer } from './context.ts';
import { CliExit, EXIT } from './exit-codes.ts';
import { printJson, printTable } from './output.ts';

/**
 * `hubspot-ai portals list|add|remove|purge`: the portals this deployment serves (the private app's, or those
 * that installed the public app) and the ones it holds data of, with what each store holds.
 */

const PORTAL_ID = /^\d{1,20}$/;

function checkId(id: string): string {
  if (!PORTAL_ID.test(id)) throw new CliExit(EXIT.USAGE, `a HubSpot portal id is digits, not "${id}"`);
  return id;
}

/** Every portal the deployment knows: served ones, installations, and any that left rows or vectors behind. */
async function knownPortals(c: Container): Promise<Map<string, { status: string; since: string | null }>> {
  const out = new Map<string, { status: string; since: string | null }>();
  const oauth = await c.oauth();
  if (oauth) {
    for (const i of await oauth.tokens.list()) out.set(i.portalId, { status: i.status, since: i.status === 'installed' ? i.installedAt : i.uninstalledAt });
  } else {
    const id = await tokenPortal(c);
    if (id) out.set(id, { status: 'served (private app)', since: null });
  }
  const db = (await c.sql()).db as unknown as Kysely<Record<string, { portal_id: string | null; requested_at: number }>>;
  for (const table of ['audit_entries', 'writeback_reviews', 'model_records']) {
    const rows = await db.selectFrom(table).select(raw<string>`distinct portal_id`.as('portal_id')).execute().catch(() => []);
    for (const r of rows) if (r.portal_id && !out.has(r.portal_id)) out.set(r.portal_id, { status: 'not served (data only)', since: null });
  }
  const purged = await db.selectFrom('portal_purges').selectAll().execute().catch(() => []);
  for (const p of purged) {
    if (!out.has(p.portal_id!) || out.get(p.portal_id!)!.status !== 'installed') out.set(p.portal_id!, { status: 'purged', since: new Date(Number(p.requested_at)).toISOString() });
  }
  return out;
}

/**
 * The private app token's portal, if HubSpot says so within the start-up check's deadline (one request, no
 * retries): the list is the store's, and an unreachable HubSpot only leaves the served portal unmarked.
 */
async function tokenPortal(c: Container): Promise<string | undefined> {
  const { PREFLIGHT_TIMEOUT_MS } = await import('../runtime/preflight.ts');
  const url = `${c.config.hubspot.baseUrl}/account-info/v3/details`;
  try {
    const res = await fetch(url, { headers: { authorization: `Bearer ${c.config.hubspot.accessToken}` }, signal: AbortSignal.timeout(PREFLIGHT_TIMEOUT_MS) });
    const body = (await res.json()) as { portalId?: unknown };
    if (!res.ok || (typeof body.portalId !== 'number' && typeof body.portalId !== 'string')) throw new Error(`it answered ${res.status}`);
    return String(body.portalId);
  } catch (err) {
    const why = (err as { cause?: { code?: string } }).cause?.code ?? errorMessage(err);
    // Worded as the start-up check's lines (80 columns with HubSpot's own URL); the list then marks no portal served.
    process.stderr.write(`hubspot-ai: HubSpot at ${c.config.hubspot.baseUrl} is unavailable: ${why}\n`);
    return undefined;
  }
}

export async function portalsListCommand(opts: { json?: boolean }): Promise<void> {
  await withContainer(async (c) => {
    const rows = [];
    for (const [portalId, info] of [...(await knownPortals(c))].sort(([a], [b]) => a.localeCompare(b))) {
      const f = await portalFootprint(c, portalId);
      rows.push({ portal: portalId, status: info.status, since: info.since, accounts: f.vectors.accounts, chunks: f.vectors.chunks, reviews: f.sql.writeback_reviews ?? 0, audit: f.sql.audit_entries ?? 0 });
    }
    if (opts.json) printJson(rows);
    else printTable(rows);
  });
}

export async function portalsAddCommand(id: string, opts: { json?: boolean }): Promise<void> {
  const portalId = checkId(id);
  await withContainer(async (c) => {
    const oauth = await c.oauth();
    if (!oauth) {
      // Only HubSpot knows the token's portal: an unreachable HubSpot ends this within seconds (exit code 4).
      const { preflight } = await import('../runtime/preflight.ts');
      await preflight(c.config, ['hubspot']);
      const served = await c.portalId().catch((err: unknown) => {
        throw new CliExit(EXIT.DEPENDENCY, `cannot ask HubSpot which portal the private-app token belongs to: ${errorMessage(err)}`);
      });
      if (served !== portalId) {
        throw new CliExit(EXIT.USAGE, `a private-app deployment serves the token's portal (${served}) only: set HUBSPOT_AUTH=oauth to serve many portals`);
      }
    }
    await forgetPurge(await c.sql(), portalId);
    const installed = oauth ? await oauth.tokens.isInstalled(portalId) : true;
    const base = c.config.WEBHOOK_PUBLIC_URL?.replace(/\/+$/, '');
    const link = oauth && !installed ? `${base ?? `http://${c.config.HOST}:${c.config.PORT}`}/oauth/install?portal_id=${portalId}` : null;
    const result = { portalId, installed, installLink: link };
    if (opts.json) printJson(result);
    else if (installed) process.stdout.write(`portal ${portalId} is served\n`);
    else process.stdout.write(`portal ${portalId}: a super admin of it opens this link to install the app:\n  ${link}\n`);
  });
}

export async function portalsRemoveCommand(id: string, opts: { purge?: boolean; json?: boolean }): Promise<void> {
  const portalId = checkId(id);
  await withContainer(async (c) => {
    const oauth = await c.oauth();
    if (!oauth && !opts.purge) throw new CliExit(EXIT.USAGE, 'a private-app deployment serves its token\'s portal: remove the token, or purge the data with --purge');
    const removed = oauth ? await oauth.tokens.uninstall(portalId, 'removed by the operator (portals remove)') : false;
    await c.forgetPortal(portalId);
    const report = opts.purge ? await purgePortal(c, portalId, { actor: 'cli:portals remove --purge', onStep: (s) => process.stderr.write(`  ${s}\n`) }) : null;
    if (opts.json) printJson({ portalId, removed, purge: report });
    else process.stdout.write(`portal ${portalId}: ${removed ? 'removed (its tokens erased, its webhooks dropped)' : 'was not installed'}${report ? '; its data purged' : ''}\n`);
  });
}

export async function portalsPurgeCommand(id: string, opts: { yes?: boolean; json?: boolean }): Promise<void> {
  const portalId = checkId(id);
  if (!opts.yes) throw new CliExit(EXIT.USAGE, `purging deletes every review, audit row, vector and job of portal ${portalId} for good: add --yes`);
  await withContainer(async (c) => {
    const report = await purgePortal(c, portalId, { actor: 'cli:portals purge', onStep: (s) => process.stderr.write(`  ${s}\n`) });
    const left = await portalFootprint(c, portalId);
    const remaining = left.vectors.chunks + left.vectors.accounts + Object.values(left.sql).reduce((a, b) => a + b, 0);
    if (opts.json) printJson({ removed: report, remaining: left });
    else {
      process.stdout.write(`portal ${portalId} purged: ${report.vectors.accounts} accounts (${report.vectors.chunks} chunks), ${report.jobs} jobs, ${report.cacheKeys} cache keys\n`);
      printTable(Object.entries(report.sql).map(([table, rows]) => ({ table, deleted: rows, left: left.sql[table] ?? 0 })));
    }
    if (remaining > 0) throw new CliExit(EXIT.FAILURE, `portal ${portalId}: ${remaining} items are still there after the purge`);
  });
}
