import type { AgentName, ProposalSink } from '../core/proposal.ts';
import type { EnrichmentProvider } from '../enrichment/provider.ts';
import { AppError, errorMessage } from '../errors.ts';
import type { HubSpotGateway } from '../hubspot/gateway.ts';
import type { HistorySnapshots } from '../ingest/history-snapshots.ts';
import type { Embedder } from '../text/embedder.ts';
import { silentLogger, type Logger } from '../logging.ts';
import type { GeneratePayload } from '../queue/jobs.ts';
import { PermanentJobError, type JobContext, type JobHandler, type JobQueue, type JobType } from '../queue/queue.ts';
import type { VectorStore } from '../retrieval/vector-store.ts';
import type { AgentDeps, AgentResult, AgentTrigger } from '../agents/agent-types.ts';
import { AgentError } from '../agents/errors.ts';
import type { LlmProvider } from '../agents/provider.ts';
import { AGENT_DEFINITIONS } from '../agents/registry.ts';
import { runAgent } from '../agents/runner.ts';
import type { ModelValidationRecord } from '../agents/validation/record.ts';
import type { ScorerModel } from '../agents/scorer/model.ts';

/**
 * Queue handlers for `generate.*` jobs: run the agent for the trigger object and hand its proposals to the
 * write-back module (`sink.submit`). Retryable model failures (rate limit, timeout, server down) are rethrown
 * so the queue retries with back-off; the rest fail the job permanently with their code in the message, which
 * the dead-letter record keeps (`OUTPUT_PARSING_FAILURE: …`).
 *
 * One account per job, decided once. A job routed from a webhook comes from the ingest job of its event, which
 * fixed `accountId` (one job per account the trigger rolls up to) and the `contentVersion` it indexed; the agent
 * reads that indexed snapshot. A job without `accountId` (an API or CLI run) first resolves the accounts the
 * trigger rolls up to, from HubSpot's associations (hubspot/account-resolver.ts):
 *   - none: nothing to do (an orphan, or deleted meanwhile);
 *   - one: the job runs for that account;
 *   - several (a call with a partner's contact, an e-mail cc'd across companies, a contact of two companies):
 *     one job per account is enqueued, each with its account fixed in the payload, and this job ends.
 * From then on the account never changes: the agent's context holds only that account's history, its
 * proposals target only that account's records, and the write-back rejects any target outside it.
 */

/**
 * Some of a run's writes failed in a way that may pass later (HubSpot 5xx, 429, timeout). Thrown after the run's
 * other proposals were handled, so the queue runs the job again with back-off: the agent proposes the same ids,
 * what was written is recognised as written, and the failed writes are tried once more (no duplicate note).
 */
export class WritebackRetryError extends AppError {
  readonly retryable = true;
  constructor(failed: number, cause: string) {
    super('WRITEBACK_TRANSIENT', `${failed} write(s) failed transiently and will be retried with the job: ${cause}`);
  }
}

export interface GenerationHandlerDeps {
  gateway: HubSpotGateway;
  /** Where the per-account jobs of a trigger shared by several accounts go. */
  queue: Pick<JobQueue, 'enqueue'>;
  store: VectorStore;
  embedder: Embedder;
  provider: LlmProvider;
  /** The trained lead scorer, or a function returning the current one (so a retrain is picked up). */
  scorer?: ScorerModel | null | (() => ScorerModel | null | Promise<ScorerModel | null>);
  sink: ProposalSink;
  /** The indexer's snapshots: the history an agent reads is the one that was indexed. */
  snapshots?: Pick<HistorySnapshots, 'get'>;
  /** The container's owners and pipelines cache and tracing, handed to the agents. */
  lookups?: AgentDeps['lookups'];
  tracing?: AgentDeps['tracing'];
  /** The enrichment provider (AgentDeps.enrichment). */
  enrichment?: EnrichmentProvider | null;
  /**
   * Models' validation records (AgentDeps.validations), read per job (for the job's portal: its own measurements
   * and the deployment's) so a newly stored record is picked up.
   */
  validations?: readonly ModelValidationRecord[] | ((portalId: string) => Promise<readonly ModelValidationRecord[]>);
  logger?: Logger;
  tokenBudget?: number;
  /** RETRIEVAL_MODE when set to a mode; unset: the embedder kind's measured default. */
  retrievalMode?: AgentDeps['retrievalMode'];
}

function describeEvent(p: GeneratePayload): string {
  const t = p.trigger;
  return `${t.subscriptionType}${t.propertyName ? ` ${t.propertyName} → ${t.propertyValue ?? ''}` : ''} on ${p.objectType} ${p.objectId} at ${new Date(t.occurredAt).toISOString()}`;
}

export function createGenerationHandlers(deps: GenerationHandlerDeps): Partial<Record<JobType, JobHandler<GeneratePayload>>> {
  const logger = deps.logger ?? silentLogger;
  const scorer = async (): Promise<ScorerModel | null> => (typeof deps.scorer === 'function' ? deps.scorer() : (deps.scorer ?? null));

  const handlerFor = (agent: AgentName): JobHandler<GeneratePayload> =>
    async (job: JobContext<GeneratePayload>) => {
      const p = job.payload;
      const log = logger.child({ jobId: job.id, agent, objectType: p.objectType, objectId: p.objectId, accountId: p.accountId, attempt: job.attempt });
      const def = AGENT_DEFINITIONS[agent];
      if (!def.triggers.includes(p.objectType)) {
        throw new PermanentJobError(`${agent} cannot run on a ${p.objectType} trigger`);
      }
      let accountId = p.accountId;
      if (!accountId) {
        const accounts = await deps.gateway.accountsOf(p.objectType, p.objectId);
        if (accounts.length === 0) {
          log.info({ code: 'NO_ACCOUNT' }, `${p.objectType} ${p.objectId} belongs to no account (orphan, or deleted meanwhile): nothing to generate`);
          return;
        }
        if (accounts.length > 1) {
          const type = `generate.${agent}` as const;
          await deps.queue.enqueue(
            accounts.map((a) => ({ type, payload: { ...p, accountId: a }, key: `${type}:${p.portalId}:${p.objectType}:${p.objectId}:${a}` })),
          );
          log.info({ accounts }, `${p.objectType} ${p.objectId} belongs to ${accounts.length} accounts: one job each`);
          return;
        }
        accountId = accounts[0]!;
      }
      // The account as the ingest job that enqueued this run indexed it (or as a later ingest did: the snapshot
      // always matches the index). Without one (an API or CLI run, an expired snapshot) the agent reads HubSpot.
      const snapshot = deps.snapshots ? await deps.snapshots.get(p.portalId, accountId) : null;
      if (p.contentVersion && snapshot && snapshot.version !== p.contentVersion) {
        log.debug({ asked: p.contentVersion, indexed: snapshot.version }, 'the account was re-indexed since this run was enqueued: reading the newer snapshot');
      }
      const fixed = accountId;
      const agentDeps: AgentDeps = {
        ...(snapshot ? { readHistory: async (a: string) => (a === fixed ? snapshot.history : undefined) } : {}),
        gateway: deps.gateway,
        store: deps.store,
        embedder: deps.embedder,
        provider: deps.provider,
        scorer: await scorer(),
        enrichment: deps.enrichment ?? null,
        ...(deps.validations ? { validations: typeof deps.validations === 'function' ? await deps.validations(p.portalId) : deps.validations } : {}),
        logger: log,
        ...(deps.tokenBudget ? { tokenBudget: deps.tokenBudget } : {}),
        ...(deps.retrievalMode ? { retrievalMode: deps.retrievalMode } : {}),
        ...(deps.lookups ? { lookups: deps.lookups } : {}),
        ...(deps.tracing ? { tracing: deps.tracing } : {}),
      };
      const trigger: AgentTrigger = {
        portalId: p.portalId,
        runId: job.id,
        objectType: p.objectType,
        objectId: p.objectId,
        accountId,
        event: describeEvent(p),
        signal: job.signal,
      };
      let result: AgentResult;
      try {
        result = await runAgent(def, agentDeps, trigger);
      } catch (err) {
        if (err instanceof AgentError) {
          log.error({ code: err.code, retryable: err.retryable, details: err.details }, `generation failed: ${err.message}`);
          if (err.retryable) throw err;
          throw new PermanentJobError(`${err.code}: ${err.message}`, { cause: err });
        }
        if (err instanceof AppError && err.code === 'TRIGGER_NOT_FOUND') {
          // Deleted or orphaned before we ran: nothing to generate, and retrying will not change that.
          log.info({ code: err.code }, errorMessage(err));
          return;
        }
        throw err;
      }
      if (result.proposals.length === 0) {
        log.info({ reason: result.trace.response }, 'no proposals');
        return;
      }
      const submitted = await deps.sink.submit(result.proposals, result.trace, {
        ...(p.dryRun ? { dryRun: true } : {}),
        actor: `agent:${agent}`,
        // No retry follows the last attempt: a write that fails transiently then goes to review, not to a lost intent.
        finalAttempt: job.attempt >= job.maxAttempts,
      });
      const byStatus: Record<string, number> = {};
      for (const s of submitted) byStatus[s.status] = (byStatus[s.status] ?? 0) + 1;
      log.info({ proposals: result.proposals.length, byStatus, model: result.trace.model, usage: result.trace.usage }, 'proposals submitted');
      const transient = submitted.filter((s) => s.status === 'failed' && s.retryable);
      if (transient.length > 0) throw new WritebackRetryError(transient.length, transient[0]!.detail ?? 'HubSpot did not answer');
    };

  return Object.fromEntries((Object.keys(AGENT_DEFINITIONS) as AgentName[]).map((agent) => [`generate.${agent}`, handlerFor(agent)]));
}
