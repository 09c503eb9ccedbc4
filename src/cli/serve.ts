import { errorMessage } from '../errors.ts';
import { buildServiceApp } from '../runtime/http.ts';
import { startWorkers } from '../runtime/workers.ts';
import type { WorkerHandle } from '../queue/queue.ts';
import { cliContext } from './context.ts';
import { CliExit, EXIT } from './exit-codes.ts';

/** Waits for SIGINT/SIGTERM. */
function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string) => () => resolve(sig);
    process.once('SIGINT', on('SIGINT'));
    process.once('SIGTERM', on('SIGTERM'));
  });
}

/** `hubspot-ai serve`: the API, plus in-process workers with the embedded queue (or when asked). */
export async function serveCommand(opts: { workers: boolean }): Promise<void> {
  const { config, logger, container } = cliContext();
  let workers: WorkerHandle | undefined;
  const app = await buildServiceApp(container);
  try {
    await app.listen({ port: config.PORT, host: config.HOST });
  } catch (err) {
    await container.close();
    throw new CliExit(EXIT.FAILURE, `cannot listen on ${config.HOST}:${config.PORT}: ${errorMessage(err)}`);
  }
  const runWorkers = opts.workers && config.serveWorkers;
  if (runWorkers) workers = await startWorkers(container);
  logger.info(
    { port: (app.server.address() as { port?: number } | null)?.port, workers: runWorkers, backends: config.backends, dryRun: config.DRY_RUN },
    'hubspot-ai is serving',
  );
  const sig = await untilSignal();
  logger.info({ signal: sig }, 'shutting down: no new requests, finishing in-flight jobs');
  await app.close();
  await workers?.close(25_000);
  await container.close();
}

/** `hubspot-ai worker`: workers only (production, with REDIS_URL). */
export async function workerCommand(): Promise<void> {
  const { config, logger, container } = cliContext();
  if (config.backends.queue === 'embedded') {
    logger.warn('REDIS_URL is not set: this worker serves the embedded queue in this DATA_DIR only (normally `serve` runs workers itself)');
  }
  const workers = await startWorkers(container);
  logger.info({ concurrency: config.QUEUE_CONCURRENCY, backends: config.backends }, 'workers running');
  const sig = await untilSignal();
  logger.info({ signal: sig }, 'shutting down workers: finishing or returning in-flight jobs');
  await workers.close(25_000);
  await container.close();
}
