import os from 'node:os';
import { createProgressReporter } from '../ingest/progress.ts';
import { withContainer } from './context.ts';
import { storedPortal } from './stored-portal.ts';
import { CliExit, EXIT } from './exit-codes.ts';
import { printJson, printTable } from './output.ts';

/** `hubspot-ai backfill`: the whole portal (or `--since`) into the index, resumable, with progress. */
export async function backfillCommand(opts: { since?: string; concurrency: number; restart?: boolean; reindex?: boolean; json?: boolean; nice: number }): Promise<number> {
  lowerPriority(opts.nice);
  if (opts.since !== undefined && Number.isNaN(Date.parse(opts.since))) {
    throw new CliExit(EXIT.USAGE, `--since must be an ISO date or time, e.g. 2026-01-31 or 2026-01-31T08:00:00Z (got "${opts.since}")`);
  }
  if (opts.reindex && opts.since) throw new CliExit(EXIT.USAGE, '--reindex rebuilds everything: it cannot be combined with --since');
  return withContainer(async (c) => {
    if (opts.reindex) {
      await c.dropVectorIndex();
      const e = await c.embedder();
      c.logger.warn({ model: e.model, dimensions: e.dimensions }, 'vector index dropped: rebuilding it from HubSpot');
    }
    const { runBackfill, BackfillStoppedError } = await import('../ingest/backfill.ts');
    const [gateway, indexer, store, checkpoints] = await Promise.all([c.gateway(), c.indexer(), c.store(), c.checkpoints()]);
    const progress = createProgressReporter({ logger: c.logger.child({ module: 'backfill' }), tty: opts.json ? false : undefined });
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const summary = await runBackfill(
        { gateway, indexer, store, checkpoints, logger: c.logger.child({ module: 'backfill' }), progress },
        { since: opts.since, concurrency: opts.concurrency, restart: opts.restart || opts.reindex, signal: controller.signal },
      );
      if (opts.json) printJson(summary);
      else printTable([summary as unknown as Record<string, unknown>]);
      return EXIT.OK;
    } catch (err) {
      if (err instanceof BackfillStoppedError) {
        if (opts.json) printJson({ stopped: err.reason, message: err.message, ...err.summary });
        process.stderr.write(`hubspot-ai: ${err.message}\n`);
        return err.reason === 'failed' ? EXIT.FAILURE : EXIT.RESUMABLE;
      }
      throw err;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  });
}

// No HubSpot portal has id 0: a store that holds no portal's data counts zero of everything.
const NO_PORTAL = '0';

/** `hubspot-ai index stats`: what the vector store holds of one portal. */
export async function indexStatsCommand(opts: { json?: boolean; portal?: string }): Promise<void> {
  await withContainer(async (c) => {
    const { indexStats } = await import('../ingest/index-stats.ts');
    // From the store alone, never HubSpot (stored-portal.ts); a store with no portal's data counts nothing.
    const portal = await storedPortal(c, opts.portal);
    const stats = await indexStats(await c.store(), portal ?? NO_PORTAL);
    if (opts.json) printJson(stats);
    else {
      process.stdout.write(`accounts ${stats.accounts}, chunks ${stats.chunks}\n`);
      printTable(Object.entries(stats.chunksBySourceType).map(([sourceType, chunks]) => ({ sourceType, chunks })));
    }
  });
}

/**
 * Lowers this process's CPU priority by `nice` (`--nice`, default 15: below `serve`'s worker process at nice 10, see
 * runtime/worker-process.ts), so on a shared host a portal's webhook jobs get the cores before another portal's
 * backfill; idle cores are still the backfill's, nice only orders who runs when both want to. On Linux it applies to
 * the calling thread and every thread started after it (the chunking threads go 5 lower again), which is why it runs
 * before the container starts any. A host that refuses it only loses the ordering.
 */
function lowerPriority(nice: number): void {
  if (nice <= 0) return;
  try {
    os.setPriority(Math.min(19, os.getPriority() + nice));
  } catch {
    // lowering one's own priority is always allowed on Linux; elsewhere, run as is
  }
}
