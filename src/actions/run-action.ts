import { runAgentForAccount, NothingToRunOnError, type RunAgentDeps } from '../agents/run-agent.ts';
import { AgentError } from '../agents/errors.ts';
import { AppError, errorMessage } from '../errors.ts';
import { HubSpotError } from '../hubspot/errors.ts';
import { silentLogger, type Logger } from '../logging.ts';
import { isUnchanged } from '../writeback/decide.ts';
import type { ActionExecutePayload } from '../queue/jobs.ts';
import type { JobContext, JobHandler } from '../queue/queue.ts';
import { ACTIONS, type ActionKey, type ActionStatus } from './definitions.ts';
import type { ActionWaiters } from './waiters.ts';

/**
 * Runs a workflow action: the action's agent on the enrolled record's account, its proposals through the
 * write-back module (policy, review, audit as always; the workflow is the audited actor), then output fields
 * for the workflow. The outputs go to the HTTP request if it is still waiting in this process, otherwise to
 * HubSpot's callback API, which resumes the blocked workflow. A failure that retrying cannot fix completes the
 * execution with FAIL_CONTINUE, so no workflow waits for an answer that will never come.
 */

type AgentRun = Awaited<ReturnType<typeof runAgentForAccount>>;

export interface ActionHandlerDeps extends Omit<RunAgentDeps, 'scorer' | 'logger'> {
  scorer: () => RunAgentDeps['scorer'] | Promise<RunAgentDeps['scorer']>;
  waiters: ActionWaiters;
  /** Public base URL of this service, for `ai_review_url`. */
  publicUrl?: string;
  dryRun: boolean;
  logger?: Logger;
}

const MAIN_FIELD: Record<ActionKey, string[]> = {
  'score-lead': ['ai_lead_score', 'ai_recommendation'],
  'summarize-call': ['ai_summary', 'ai_next_steps'],
  'draft-reply': [],
  'enrich-company': ['ai_summary'],
};
const BOOKKEEPING = new Set(['ai_last_run', 'ai_model']);
const MAX_OUTPUT = 2_000;

export function createActionHandler(deps: ActionHandlerDeps): JobHandler<ActionExecutePayload> {
  const logger = deps.logger ?? silentLogger;
  return async (job: JobContext<ActionExecutePayload>) => {
    const p = job.payload;
    const log = logger.child({ jobId: job.id, action: p.action, callbackId: p.callbackId, objectType: p.objectType, objectId: p.objectId });
    let outputs: Record<string, string>;
    try {
      outputs = await execute(deps, p);
    } catch (err) {
      const retryable = err instanceof AgentError || err instanceof HubSpotError ? err.retryable : !(err instanceof AppError);
      if (retryable && job.attempt < job.maxAttempts) throw err;
      log.error({ err: errorMessage(err) }, 'workflow action failed');
      outputs = { hs_execution_state: 'FAIL_CONTINUE', ai_status: 'failed', ai_error: errorMessage(err).slice(0, 500) };
    }
    if (deps.waiters.deliver(p.callbackId, outputs)) {
      log.info({ state: outputs.hs_execution_state, status: outputs.ai_status }, 'workflow action answered in the request');
      return;
    }
    await deps.gateway.completeActionCallbacks([{ callbackId: p.callbackId, outputFields: outputs }]);
    log.info({ state: outputs.hs_execution_state, status: outputs.ai_status }, 'workflow action completed through the callback API');
  };
}

async function execute(deps: ActionHandlerDeps, p: ActionExecutePayload): Promise<Record<string, string>> {
  const def = ACTIONS[p.action];
  // The account is decided once, from HubSpot's associations: a record of several companies has no single account
  // to work for, and guessing one would write one company's history onto the other. A person decides: enrol the
  // company instead (the workflow can branch on ai_status = failed).
  const accounts = p.objectType === 'companies' ? [p.objectId] : await deps.gateway.accountsOf(p.objectType, p.objectId);
  if (accounts.length === 0) return { hs_execution_state: 'FAIL_CONTINUE', ai_status: 'failed', ai_error: `${p.objectType} ${p.objectId} does not exist or belongs to no account` };
  if (accounts.length > 1) {
    const named = accounts.slice(0, 5).join(', ') + (accounts.length > 5 ? ', …' : '');
    return {
      hs_execution_state: 'FAIL_CONTINUE',
      ai_status: 'failed',
      ai_error: `${p.objectType} ${p.objectId} belongs to ${accounts.length} companies (${named}); enrol the company whose account this is for`,
    };
  }
  const accountId = accounts[0]!;
  let run: AgentRun;
  try {
    run = await runAgentForAccount(
      { ...deps, scorer: (await deps.scorer()) ?? null, logger: deps.logger },
      { portalId: p.portalId, accountId, agent: def.agent, dryRun: deps.dryRun, actor: `workflow:${p.workflowId ?? 'unknown'}`, runId: `action-${p.callbackId}` },
    );
  } catch (err) {
    // No call or e-mail to work on: the action ran and found nothing to do; the workflow can branch on that.
    if (err instanceof NothingToRunOnError) return { hs_execution_state: 'SUCCESS', ai_status: 'nothing_to_change', ai_error: err.message };
    throw err;
  }
  return outputsOf(p.action, run, deps.publicUrl);
}

export function outputsOf(action: ActionKey, run: AgentRun, publicUrl?: string): Record<string, string> {
  const results = run.results.filter((r) => !(r.field && BOOKKEEPING.has(r.field)));
  const byField = (field: string) => results.find((r) => r.field === field);
  const main = MAIN_FIELD[action].map(byField).find((r) => r !== undefined) ?? results[0];
  const status = overallStatus(results);
  const out: Record<string, string> = {
    hs_execution_state: 'SUCCESS',
    ai_status: status,
    ai_confidence: main ? main.confidence.toFixed(2) : '',
    ai_review_url: status === 'waiting_for_review' && publicUrl ? `${publicUrl.replace(/\/+$/, '')}/review` : '',
  };
  const value = (field: string) => (byField(field)?.value ?? '').slice(0, MAX_OUTPUT);
  switch (action) {
    case 'score-lead':
      out.ai_score = value('ai_lead_score');
      // The recommendation's first line is the route (route_to_sdr | nurture | disqualify): easy to branch on.
      out.ai_recommendation = value('ai_recommendation').split('\n')[0] ?? '';
      break;
    case 'summarize-call':
      out.ai_summary = value('ai_summary') || (results.find((r) => r.kind === 'note')?.value ?? '').slice(0, MAX_OUTPUT);
      out.ai_next_steps = value('ai_next_steps');
      break;
    case 'draft-reply':
      out.ai_draft = (results.find((r) => r.kind === 'note')?.value ?? '').slice(0, MAX_OUTPUT);
      break;
    case 'enrich-company':
      out.ai_summary = value('ai_summary');
      break;
  }
  return out;
}

function overallStatus(results: AgentRun['results']): ActionStatus {
  if (results.length === 0) return 'nothing_to_change';
  const statuses = new Set(results.map((r) => r.status));
  if (statuses.has('applied') || statuses.has('duplicate')) return 'written';
  if (statuses.has('pending_review')) return 'waiting_for_review';
  if (statuses.has('dry_run')) return 'dry_run';
  if (statuses.has('failed')) return 'failed';
  // The write-back's own test: a rejection also refused for another reason (an invalid value) is a refusal.
  const noChange = results.every((r) => isUnchanged(r.decision, r.reasons));
  return noChange ? 'nothing_to_change' : 'refused';
}
