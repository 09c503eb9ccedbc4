import os from 'node:os';
import type { Kysely } from 'kysely';
import type { SqlHandle } from '../db/sql.ts';
import { AuditStore, type AuditEntry, type AuditFilter } from '../writeback/audit-store.ts';
import { migrateWriteback, type WritebackDb } from '../writeback/sql-schema.ts';
import { withContainer } from './context.ts';
import { storedPortal } from './stored-portal.ts';
import { CliExit, EXIT } from './exit-codes.ts';
import { printJson, printTable } from './output.ts';

const actor = () => `cli:${os.userInfo().username}`;

/** `hubspot-ai setup`: the ai_* property group and properties, idempotently. */
export async function setupCommand(opts: { json?: boolean }): Promise<number> {
  return withContainer(async (c) => {
    const report = await (await c.writeback()).setup();
    if (opts.json) printJson(report);
    else {
      process.stdout.write(`setup: ${report.created} created, ${report.existing} already there, ${report.failed} failed\n`);
      for (const s of report.steps.filter((x) => x.result === 'failed')) process.stdout.write(`  ✖ ${JSON.stringify(s)}\n`);
    }
    return report.failed > 0 ? EXIT.FAILURE : EXIT.OK;
  });
}

/**
 * `hubspot-ai audit`: the audit log as the store holds it. It reads the SQL store only (never HubSpot, so it works
 * while HubSpot is down); the portal comes from --portal, HUBSPOT_PORTAL_ID or the store (stored-portal.ts).
 */
export async function auditCommand(opts: { json?: boolean; portal?: string; object?: string; agent?: string; decision?: string; since?: string; limit: number }): Promise<void> {
  let objectType: string | undefined;
  let objectId: string | undefined;
  if (opts.object) {
    const m = /^([a-z_]+):(\d+)$/.exec(opts.object);
    if (!m) throw new CliExit(EXIT.USAGE, `--object must look like companies:42 (got "${opts.object}")`);
    [, objectType, objectId] = m;
  }
  if (opts.decision && !['apply', 'review', 'reject'].includes(opts.decision)) {
    throw new CliExit(EXIT.USAGE, `--decision must be apply, review or reject (got "${opts.decision}")`);
  }
  if (opts.since && Number.isNaN(Date.parse(opts.since))) throw new CliExit(EXIT.USAGE, `--since must be an ISO time (got "${opts.since}")`);
  await withContainer(async (c) => {
    const portal = await storedPortal(c, opts.portal);
    const filter = { objectType, objectId, agent: opts.agent, decision: opts.decision, since: opts.since, limit: opts.limit };
    const entries = portal === undefined ? [] : await storedAudit(await c.sql(), portal, filter);
    if (opts.json) printJson(entries);
    else
      printTable(
        entries.map((e) => {
          const x = e as unknown as Record<string, unknown>;
          return { id: x.id, at: x.at, event: x.event, agent: x.agent, object: `${String(x.objectType)}:${String(x.objectId)}`, field: x.field, decision: x.decision, status: x.status, actor: x.actor };
        }),
      );
  });
}

export async function shadowReportCommand(opts: { since?: string; json?: boolean }): Promise<void> {
  await withContainer(async (c) => {
    const report = await (await c.writeback()).dryRunReport({ since: opts.since });
    if (opts.json) printJson(report);
    else {
      process.stdout.write(
        `dry-run decisions: ${report.total} (apply ${report.byDecision.apply}, review ${report.byDecision.review}, reject ${report.byDecision.reject}); ` +
          `notes/tasks ${report.engagements}; humans changed ${report.humanChanged} of those fields, agreeing ${report.humanAgreed}` +
          `${report.agreementRate === null ? '' : ` (${Math.round(report.agreementRate * 100)}%)`}\n`,
      );
      printTable(report.items.slice(0, 50).map((i) => ({ ...(i as unknown as Record<string, unknown>) })));
    }
  });
}

export async function undoCommand(opts: { job?: string; since?: string; dryRun?: boolean; json?: boolean }): Promise<number> {
  if (!opts.job && !opts.since) throw new CliExit(EXIT.USAGE, 'undo needs --job <id> or --since <iso>');
  if (opts.since && Number.isNaN(Date.parse(opts.since))) throw new CliExit(EXIT.USAGE, `--since must be an ISO time (got "${opts.since}")`);
  return withContainer(async (c) => {
    const report = await (await c.writeback()).undo({ runId: opts.job, since: opts.since, dryRun: Boolean(opts.dryRun), actor: actor() });
    if (opts.json) printJson(report);
    else {
      process.stdout.write(
        `${report.dryRun ? '[dry-run] would restore' : 'restored'} ${report.restored}, archived ${report.archived}, left alone ${report.skipped}, failed ${report.failed}\n`,
      );
      printTable(report.items.map((i) => ({ ...(i as unknown as Record<string, unknown>) })));
    }
    return report.failed > 0 ? EXIT.FAILURE : EXIT.OK;
  });
}

/** The portal's audit entries straight from the SQL store: no write-back service, so no HubSpot gateway. */
async function storedAudit(handle: SqlHandle, portal: string, filter: AuditFilter): Promise<AuditEntry[]> {
  await migrateWriteback(handle);
  const store = new AuditStore(handle.db as Kysely<WritebackDb>, { redactPrompts: false, now: Date.now, portal: async () => portal });
  return store.list(filter);
}
