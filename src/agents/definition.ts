import type { z } from 'zod';
import type { ObjectType } from '../core/objects.ts';
import type { AgentName, Proposal } from '../core/proposal.ts';
import type { AgentContext } from '../retrieval/context-builder.ts';
import type { AgentDeps, AgentTrigger } from './agent-types.ts';
import type { EvidenceCheck } from './evidence-check.ts';
import type { JudgmentRater } from './judgment-validation.ts';
import type { ProposalBase } from './proposals.ts';
import type { ReferencedChunk } from './untrusted.ts';

/**
 * An agent, declared once: what triggers it, how its context is gathered, which prompt and output schema it uses,
 * its model-free (extractive) strategy, and how its output becomes proposals. `runAgent` (runner.ts) runs every
 * definition the same way for queue jobs, the API, the CLI and workflow actions; nothing in a definition knows
 * which model (or none) produced the output.
 */

export interface AgentRun {
  deps: AgentDeps;
  trigger: AgentTrigger;
  /** The run's clock (pinned by tests through `deps.now`). */
  now: Date;
}

/** What `prepare` gathered: the context shown to the model, the prompt's slots, and the agent's own state. */
export interface Prepared<S> {
  context: AgentContext;
  /** Every chunk the prompt shows, with its `c<N>` reference: citations resolve against these and nothing else. */
  refs: ReferencedChunk[];
  /** Values for the prompt template's `{{slots}}`. */
  slots: Record<string, string>;
  /** Records the run read (for the audit trace), e.g. `calls:123`. */
  recordIds: string[];
  state: S;
}

export type PrepareResult<S> = Prepared<S> | { skip: string };

export interface ProposeInput<S, O> {
  /** The validated output, its `evidence` references already mapped to chunk ids (unknown ones dropped). */
  output: O;
  prepared: Prepared<S>;
  base: ProposalBase;
  run: AgentRun;
  /** Checks statements against the chunks they cite: the source of text proposals' confidence. */
  evidence: EvidenceCheck;
  /**
   * Confidence of a judgment (a churn rating, a recommendation, next steps): its grounding capped at what the model
   * that produced `output` showed on labelled held-out data (judgment-validation.ts). Free text keeps grounding.
   */
  judge: JudgmentRater;
}

/** When run on demand for an account (API, CLI, workflow action): the account itself, or its latest call or e-mail. */
export type OnDemandTrigger = { kind: 'account' } | { kind: 'latest'; sourceType: 'calls' | 'emails'; inboundOnly: boolean };

export interface AgentDefinition<S, O> {
  readonly name: AgentName;
  /** Object types whose events start this agent (a job on another type fails permanently). */
  readonly triggers: readonly ObjectType[];
  readonly onDemand: OnDemandTrigger;
  /** Prompt name under `prompts/` (the newest version is used and recorded). */
  readonly prompt: string;
  readonly schema: z.ZodType<O>;
  readonly schemaName: string;
  /** Reads the trigger, gathers the account's context and fills the prompt; `{ skip }` ends the run cleanly. */
  prepare(run: AgentRun): Promise<PrepareResult<S>>;
  /** The model-free strategy: an output of the same schema from the same chunks, labelled as offline. */
  extract(prepared: Prepared<S>): O;
  /** The output as proposals. Targets come from `prepared` (code), never from the output. */
  propose(input: ProposeInput<S, O>): Promise<Proposal[]>;
}

// Definitions differ in state and output types; the registry and runner only need their common shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyAgentDefinition = AgentDefinition<any, any>;
