import type { GenerationTrace, Proposal } from '../core/proposal.ts';
import type { AccountHistory, ObjectType } from '../core/objects.ts';
import type { HubSpotGateway } from '../hubspot/gateway.ts';
import type { Embedder } from '../text/embedder.ts';
import type { Logger } from '../logging.ts';
import type { RetrievalMode } from '../retrieval/hybrid-search.ts';
import type { LookupsCache } from '../retrieval/reference-lookups.ts';
import type { VectorStore } from '../retrieval/vector-store.ts';
import type { Tracing } from '../tracing.ts';
import type { EnrichmentProvider } from '../enrichment/provider.ts';
import type { ModelValidationRecord } from './judgment-validation.ts';
import type { LlmProvider } from './provider.ts';
import type { ScorerModel } from './scorer/model.ts';

/** What every agent needs. Agents read (gateway, store) and generate; they never write to HubSpot. */
export interface AgentDeps {
  gateway: HubSpotGateway;
  store: VectorStore;
  embedder: Embedder;
  provider: LlmProvider;
  /** The trained lead scorer; the lead-score agent proposes no score without it. */
  scorer?: ScorerModel | null;
  /** The enrichment provider (a vendor API or the sandbox's); without one, enrichment uses the history alone. */
  enrichment?: EnrichmentProvider | null;
  logger?: Logger;
  /** Tokens of retrieved context per prompt. Default 6,000. */
  tokenBudget?: number;
  retrievalMode?: RetrievalMode;
  /**
   * Reads an account's history; default `gateway.accountHistories`. The eval passes a memoized reader (its
   * portal does not change between runs); the worker must not, or it would summarize stale data.
   */
  readHistory?: (accountId: string) => Promise<AccountHistory | undefined>;
  /** Held-out validation records of generating models; default the ones shipped (`VALIDATION_RECORDS`). */
  validations?: readonly ModelValidationRecord[];
  /** Clock for `ai_last_run`, staleness and recency (tests pin it). */
  now?: () => Date;
  /** The container's owners and pipelines cache; without it each run reads them. */
  lookups?: LookupsCache;
  /** The container's tracing (a span around the model call). */
  tracing?: Tracing;
}

/** The object that triggered a run, and the run it belongs to. */
export interface AgentTrigger {
  portalId: string;
  /** The job id: proposals of one run share it (undo works per run) and their ids derive from it. */
  runId: string;
  objectType: ObjectType;
  objectId: string;
  /**
   * The account the run works for, fixed when the job was routed (handlers.ts): every proposal targets a record
   * of this account and the context holds only its history.
   */
  accountId: string;
  /** What happened, for the prompt (`deal.propertyChange dealstage → closedlost`). */
  event?: string;
  /** The job's abort signal (shutdown, job timeout): cancels the model call. */
  signal?: AbortSignal;
}

export interface AgentResult {
  proposals: Proposal[];
  trace: GenerationTrace;
}
