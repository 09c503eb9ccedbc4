import type { FastifyInstance } from 'fastify';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../logging.ts';
import { settlesWithin, ShutdownBudget, untilSignal } from '../runtime/lifecycle.ts';
import { buildServiceApp } from '../runtime/http.ts';
import { startWorkers } from '../runtime/workers.ts';
import { parentGone, reportReady, SERVE_CHILD_ENV, spawnWorkerProcess } from '../runtime/worker-process.ts';
import { startWorkerListener } from '../runtime/worker-listener.ts';
import type { Container } from '../runtime/container.ts';
import type { WorkerHandle } from '../queue/queue.ts';
import { cliContext } from './context.ts';
import { CliExit, EXIT } from './exit-codes.ts';

/**
 * Opens the embedder and the vector store before anything is served: the model server's vector size is read
 * and checked against the stored index now, so a changed model stops the start (naming both sizes and
 * `backfill --reindex`) instead of failing every job later. Then the embedded store starts warming in the
 * background (statements, the file's pages: VECTOR_PREWARM), so the first queries are not disk reads.
 */
async function openStore(container: Container): Promise<void> {
  try {
    await container.store();
    await container.warmStore();
  } catch (err) {
    await container.close();
    throw err;
  }
}

/**
 * `hubspot-ai serve`: the API, plus workers with the embedded queue (or when asked), in a child process
 * (runtime/worker-process.ts) so that no job ever runs on the event loop that acknowledges webhooks.
 * Shutdown (SIGTERM/SIGINT): stop taking requests and finish those in flight, let running jobs finish, and hand
 * back to the queue whatever is still running when SHUTDOWN_GRACE_MS is over; then close every backend.
 */
export async function serveCommand(opts: { workers: boolean }): Promise<void> {
  const { config, logger, container } = cliContext(undefined, 'serve');
  // Listen for signals from the start: one that arrives while starting up ends the process cleanly after it.
  const stopped = untilSignal(logger);
  await container.tracing(); // first, so that it is closed (and its spans flushed) last
  let workers: WorkerHandle | undefined;
  await openStore(container);
  await container.scorers(); // so that this process's /metrics shows the lead scorer's figures from the start
  const app = await buildServiceApp(container);
  try {
    await app.listen({ port: config.PORT, host: config.HOST });
  } catch (err) {
    await container.close();
    throw new CliExit(EXIT.FAILURE, `cannot listen on ${config.HOST}:${config.PORT}: ${errorMessage(err)}`);
  }
  const runWorkers = opts.workers && config.serveWorkers;
  let workerPid: number | undefined;
  if (runWorkers) {
    // The child's /metrics listener: WORKER_PORT when set, else any free port (logged), so that two `serve`
    // processes on one host do not collide on the default.
    const child = spawnWorkerProcess({ logger, env: process.env.WORKER_PORT ? {} : { WORKER_PORT: '0' } });
    workers = child;
    try {
      workerPid = await child.ready();
    } catch (err) {
      await app.close();
      await container.close();
      throw new CliExit(EXIT.FAILURE, `${errorMessage(err)}; its error is above`);
    }
  }
  logger.info(
    { port: (app.server.address() as { port?: number } | null)?.port, workers: runWorkers, workerPid, backends: config.backends, dryRun: config.DRY_RUN },
    'hubspot-ai is serving',
  );
  const signal = await stopped;
  logger.info({ signal, graceMs: config.SHUTDOWN_GRACE_MS }, 'shutting down: no new requests, finishing in-flight requests and jobs');
  await stop({ logger, container, graceMs: config.SHUTDOWN_GRACE_MS, app, workers });
}

/** `hubspot-ai worker`: workers only (production, with REDIS_URL), with their own /metrics, /healthz and /readyz. */
export async function workerCommand(): Promise<void> {
  const { config, logger, container } = cliContext(undefined, 'worker');
  const child = process.env[SERVE_CHILD_ENV] === '1';
  // A worker started by `serve` also stops when `serve` is gone (even after a kill -9), instead of lingering.
  const stopped = Promise.race([untilSignal(logger), parentGone().then(() => 'SIGTERM' as const)]);
  await container.tracing(); // first, so that it is closed (and its spans flushed) last
  await openStore(container);
  if (config.backends.queue === 'embedded' && !child) {
    logger.warn('REDIS_URL is not set: this worker serves the embedded queue in this DATA_DIR only (normally `serve` runs workers itself)');
  }
  let listener: FastifyInstance;
  try {
    listener = await startWorkerListener(container, { port: config.WORKER_PORT, host: config.HOST });
  } catch (err) {
    await container.close();
    throw new CliExit(EXIT.FAILURE, `cannot listen on ${config.HOST}:${config.WORKER_PORT} (WORKER_PORT): ${errorMessage(err)}`);
  }
  const workers = await startWorkers(container);
  reportReady();
  logger.info(
    { concurrency: config.QUEUE_CONCURRENCY, backends: config.backends, port: (listener.server.address() as { port?: number } | null)?.port, pid: process.pid },
    'workers running',
  );
  const signal = await stopped;
  logger.info({ signal, graceMs: config.SHUTDOWN_GRACE_MS }, 'shutting down workers: finishing in-flight jobs, then handing the rest back');
  await stop({ logger, container, graceMs: config.SHUTDOWN_GRACE_MS, workers, listener });
}

async function stop(s: {
  logger: Logger;
  container: Container;
  graceMs: number;
  app?: FastifyInstance;
  workers?: WorkerHandle;
  listener?: FastifyInstance;
}): Promise<void> {
  const budget = new ShutdownBudget(s.graceMs, s.logger);
  if (s.app) {
    const app = s.app;
    // In-flight requests get the grace period; connections still busy after it are cut.
    if (!(await settlesWithin(app.close(), budget.remaining()))) {
      s.logger.warn('requests still in flight at the end of the grace period: closing their connections');
      app.server.closeAllConnections();
    }
  }
  // Jobs still running when the budget is spent go back to the queue (their leases are released).
  await s.workers?.close(budget.remaining());
  await s.listener?.close();
  // Last the container, which flushes the spans still in memory (bounded: tracing.ts).
  await s.container.close();
  budget.done();
  s.logger.info({ shutdownMs: budget.elapsed() }, 'shut down');
  s.logger.flush();
}
