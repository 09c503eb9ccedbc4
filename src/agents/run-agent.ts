import type { ModelValidationRecord } from './validation/record.ts';
import crypto from 'node:crypto';
import type { ObjectType } from '../core/objects.ts';
import { parseAccountId } from '../core/objects.ts';
import type { AgentName, ProposalSink } from '../core/proposal.ts';
import { AppError } from '../errors.ts';
import type { HubSpotGateway } from '../hubspot/gateway.ts';
import type { Embedder } from '../text/embedder.ts';
import type { Logger } from '../logging.ts';
import type { VectorStore } from '../retrieval/vector-store.ts';
import type { AgentDeps, AgentResult, AgentTrigger } from './agent-types.ts';
import type { AnyAgentDefinition } from './definition.ts';
import type { LlmProvider } from './provider.ts';
import { AGENT_DEFINITIONS } from './registry.ts';
import { runAgent } from './runner.ts';
import type { ScorerModel } from './scorer/model.ts';
import type { EnrichmentProvider } from '../enrichment/provider.ts';

/**
 * Runs an agent on demand for an account (API `POST /v1/accounts/:id/generate/:agent`, CLI `generate`) and
 * hands its proposals to the write-back module, like a generation job does. The trigger is the account
 * itself, or its latest call (call summary) or latest incoming e-mail (reply draft), found in the index.
 */
export interface RunAgentDeps {
  store: VectorStore;
  embedder: Embedder;
  gateway: HubSpotGateway;
  provider: LlmProvider;
  sink: ProposalSink;
  scorer?: ScorerModel | null;
  enrichment?: EnrichmentProvider | null;
  /** Models' validation records (AgentDeps.validations); the ones committed with the code when absent. */
  validations?: readonly ModelValidationRecord[];
  logger?: Logger;
  /** RETRIEVAL_MODE when set to a mode; unset: the embedder kind's measured default. */
  retrievalMode?: AgentDeps['retrievalMode'];
  /** The container's owners and pipelines cache and tracing (AgentDeps). */
  lookups?: AgentDeps['lookups'];
  tracing?: AgentDeps['tracing'];
}

export interface RunAgentRequest {
  portalId: string;
  accountId: string;
  agent: AgentName;
  dryRun: boolean;
  actor: string;
  /** Fixed by callers that may run the same request twice (a workflow action retried by HubSpot). */
  runId?: string;
}

export class NothingToRunOnError extends AppError {
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}

export async function runAgentForAccount(deps: RunAgentDeps, req: RunAgentRequest) {
  const runId = req.runId ?? `manual-${req.agent}-${crypto.randomUUID()}`;
  const def = AGENT_DEFINITIONS[req.agent];
  const trigger = await triggerFor(deps.store, def, req);
  const agentDeps: AgentDeps = { gateway: deps.gateway, store: deps.store, embedder: deps.embedder, provider: deps.provider, scorer: deps.scorer ?? null, enrichment: deps.enrichment ?? null, ...(deps.validations ? { validations: deps.validations } : {}), logger: deps.logger, ...(deps.lookups ? { lookups: deps.lookups } : {}), ...(deps.tracing ? { tracing: deps.tracing } : {}), ...(deps.retrievalMode ? { retrievalMode: deps.retrievalMode } : {}) };
  const t: AgentTrigger = { portalId: req.portalId, runId, objectType: trigger.objectType, objectId: trigger.objectId, accountId: req.accountId, event: `manual run by ${req.actor}` };
  const result: AgentResult = await runAgent(def, agentDeps, t);
  const submitted = result.proposals.length === 0 ? [] : await deps.sink.submit(result.proposals, result.trace, { dryRun: req.dryRun, actor: req.actor });
  return {
    agent: req.agent,
    accountId: req.accountId,
    runId,
    dryRun: req.dryRun,
    results: submitted.map((s) => ({
      proposalId: s.proposal.id,
      target: s.proposal.target,
      kind: s.proposal.kind,
      field: s.proposal.field,
      value: s.proposal.value,
      confidence: s.proposal.confidence,
      evidence: s.proposal.evidence,
      decision: s.decision.outcome,
      reasons: s.decision.reasons,
      status: s.status,
    })),
  };
}

async function triggerFor(store: VectorStore, def: AnyAgentDefinition, req: RunAgentRequest): Promise<{ objectType: ObjectType; objectId: string }> {
  const account = parseAccountId(req.accountId);
  const on = def.onDemand;
  if (on.kind === 'account') return { objectType: account.type, objectId: account.id };
  const wanted = `${on.sourceType}:`;
  const keys = (await store.listChunkKeys(req.portalId, req.accountId)).filter((k) => k.sourceId.startsWith(wanted));
  // One chunk per source is enough to know its time and direction.
  const firstChunks = new Map<string, string>();
  for (const k of keys) if (!firstChunks.has(k.sourceId)) firstChunks.set(k.sourceId, k.id);
  const chunks = await store.getChunks(req.portalId, [...firstChunks.values()]);
  const candidates = chunks
    .filter((c) => !on.inboundOnly || c.direction === 'inbound')
    .sort((a, b) => b.occurredAt.localeCompare(a.occurredAt));
  const latest = candidates[0];
  if (!latest) {
    throw new NothingToRunOnError(
      `Account ${req.accountId} has no ${on.sourceType === 'calls' ? 'call' : on.inboundOnly ? 'incoming e-mail' : 'e-mail'} in its indexed history`,
    );
  }
  const [type, id] = latest.sourceId.split(':') as [ObjectType, string];
  return { objectType: type, objectId: id };
}
