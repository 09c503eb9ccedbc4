import fs from 'node:fs';
import path from 'node:path';
import { trainScorerCommand } from '../../src/agents/scorer/train-command.ts';
import type { RoutingRule } from '../../src/events/routing.ts';
import type { JobStats, JobType, WorkerHandle } from '../../src/queue/queue.ts';
import { startWorkers } from '../../src/runtime/workers.ts';
import { startServiceStack, type ServiceStack } from '../support/service-stack.ts';
import { tempDir } from '../support/tmp.ts';

/**
 * The product end to end, as `serve` + `worker` run it: the real container and app listening on loopback, the
 * sandbox delivering signed webhooks to it, `hubspot-ai setup` done, the index backfilled and the workers
 * running. Activity is simulated through the sandbox's harness endpoints, like a sales team working in HubSpot.
 */
export interface E2eStack extends ServiceStack {
  url: string;
  portalId: string;
  workers: WorkerHandle;
  /** `POST /_sandbox/simulate/<what>` (a person's activity in the portal). */
  simulate(what: string, body: Record<string, unknown>): Promise<SimulationAnswer>;
  /** A call to the sandbox's HubSpot API with the product's token (an integration write when it writes). */
  hubspot(method: string, apiPath: string, body?: unknown): Promise<Response>;
  /** Until every webhook was delivered and the queue is empty, twice in a row (demo.ts `settle`). */
  settle(): Promise<void>;
  jobStats(): Promise<Record<JobType, JobStats> & { total: JobStats }>;
}

export interface SimulationAnswer {
  accountId: string;
  ids: Record<string, string[] | undefined>;
  truth?: Record<string, unknown>;
}

export async function startE2eStack(opts: {
  companies?: number;
  /** Extra routing rules, added to the documented defaults (written to a ROUTING_FILE). */
  extraRules?: RoutingRule[];
  trainScorer?: boolean;
  env?: Record<string, string>;
} = {}): Promise<E2eStack> {
  const { DEFAULT_RULES } = await import('../../src/events/routing.ts');
  const tmp = tempDir('hsai-e2e-');
  const routingFile = path.join(tmp.dir, 'routing.json');
  fs.writeFileSync(routingFile, JSON.stringify({ rules: [...DEFAULT_RULES, ...(opts.extraRules ?? [])] }));
  let stack: ServiceStack;
  try {
    stack = await startServiceStack({
      companies: opts.companies ?? 15,
      listen: true,
      // The sandbox's rate limit is off; the gateway's own limiter (190 per 10 s by default) would only add waiting.
      env: { WEBHOOK_COALESCE_MS: '100', ROUTING_FILE: routingFile, QUEUE_CONCURRENCY: '4', HUBSPOT_RATE_LIMIT: '5000', ...opts.env },
    });
  } catch (err) {
    tmp.cleanup();
    throw err;
  }
  const { container, sandbox } = stack;
  let workers: WorkerHandle | undefined;
  try {
    await (await container.writeback()).setup();
    if (opts.trainScorer) await trainScorerCommand({ gateway: await container.gateway(), store: await container.scorers(), print: () => undefined });
    workers = await startWorkers(container);
    const portalId = await container.portalId();
    const queue = await container.queue();
    // Whatever setup and the backfill caused is delivered and handled before a test starts.
    const settle = async () => {
      const deadline = Date.now() + 150_000;
      let quiet = 0;
      while (quiet < 2) {
        if (Date.now() > deadline) throw new Error(`the pipeline did not settle: ${JSON.stringify((await queue.stats()).total)}`);
        await sandbox.flushWebhooks();
        await queue.drain(Math.max(1_000, deadline - Date.now()));
        const s = await queue.stats();
        quiet = s.total.waiting + s.total.active + s.total.delayed === 0 ? quiet + 1 : 0;
        await new Promise((r) => setTimeout(r, 150));
      }
    };
    await settle();
    const w = workers;
    return {
      ...stack,
      url: stack.url!,
      portalId,
      workers: w,
      settle,
      jobStats: () => queue.stats(),
      async simulate(what, body) {
        const res = await fetch(`${sandbox.url}/_sandbox/simulate/${what}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        if (res.status !== 201) throw new Error(`simulate/${what} answered ${res.status}: ${await res.text()}`);
        return (await res.json()) as SimulationAnswer;
      },
      hubspot(method, apiPath, body) {
        return fetch(`${sandbox.url}${apiPath}`, {
          method,
          headers: { authorization: `Bearer ${sandbox.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      },
      async close() {
        await w.close(10_000);
        await stack.close();
        tmp.cleanup();
      },
    };
  } catch (err) {
    await workers?.close(5_000);
    await stack.close();
    tmp.cleanup();
    throw err;
  }
}

/** A company with an open deal and contacts (simulated calls land on its open deal). */
export function companyWithOpenDeal(truth: { deals: Array<{ companyId: string | null; outcome: string }>; companies: Array<{ id: string }> }, skip: string[] = []): string {
  const deal = truth.deals.find((d) => d.outcome === 'open' && d.companyId && !skip.includes(d.companyId));
  const id = deal?.companyId ?? truth.companies.find((c) => !skip.includes(c.id))?.id;
  if (!id) throw new Error('the sandbox has no company to simulate on');
  return id;
}
