import { retrievalModeFor } from '../config/retrieval-mode.ts';
import { parseAccountId, type AccountHistory, type AssociationSet, type EngagementType, type HubSpotObject, type ObjectType } from '../core/objects.ts';
import { AppError } from '../errors.ts';
import type { HubSpotGateway } from '../hubspot/gateway.ts';
import { HISTORY_PROPERTIES } from '../hubspot/properties.ts';
import type { Embedder } from '../text/embedder.ts';
import type { RetrievalMode } from '../retrieval/hybrid-search.ts';
import { buildContext, type AgentContext } from '../retrieval/context-builder.ts';
import type { AgentName } from '../core/proposal.ts';
import type { AgentDeps, AgentTrigger } from './agent-types.ts';
import type { Target } from './proposals.ts';
import { TASK_DEAL_FACETS } from './deal-facets.ts';
import { taskQuery, TASK_FACETS } from './prompt-context.ts';

/** Reads and lookups the agents share. */

export class TriggerNotFoundError extends AppError {
  constructor(type: ObjectType, id: string) {
    super('TRIGGER_NOT_FOUND', `${type} ${id} no longer exists (deleted or merged before the job ran)`);
  }
}

export async function readTrigger(gateway: HubSpotGateway, type: ObjectType, id: string, properties: string[]): Promise<HubSpotObject> {
  const [obj] = await gateway.batchRead(type, [id], { properties });
  if (!obj) throw new TriggerNotFoundError(type, id);
  return obj;
}

/** The engagement that triggered a run, read once (readTriggerEngagement). */
export interface TriggerEngagement {
  type: EngagementType;
  object: HubSpotObject;
  /** All its associations, when the indexed snapshot held it (else engagementTargets reads them). */
  associations?: AssociationSet;
  /** The account's indexed snapshot, when there is one: the context is built from it. */
  history?: AccountHistory;
}

/**
 * The trigger engagement read once. A webhook run reads the account's indexed snapshot (`deps.readHistory`),
 * which holds the engagement exactly as its ingest indexed it, with its properties and associations: no HubSpot
 * request at all. Without a snapshot, or when it does not hold the engagement (an API run on an account indexed
 * before the engagement existed), the engagement is read from HubSpot (and its associations later, by
 * `triggerTargets`).
 */
export async function readTriggerEngagement(
  deps: Pick<AgentDeps, 'gateway' | 'readHistory'>,
  type: EngagementType,
  id: string,
  accountId: string,
  properties: readonly string[],
): Promise<TriggerEngagement> {
  const history = deps.readHistory ? await deps.readHistory(accountId) : undefined;
  const held = history?.engagements.find((e) => e.type === type && e.object.id === id);
  if (history && held && properties.every((p) => HISTORY_PROPERTIES[type].includes(p))) {
    return { type, object: held.object, associations: held.associations, history };
  }
  return { type, object: await readTrigger(deps.gateway, type, id, [...properties]), ...(history ? { history } : {}) };
}

/** The trigger engagement's associations with this account's records: from the snapshot, or read from HubSpot. */
export async function triggerTargets(gateway: HubSpotGateway, t: TriggerEngagement, history: AccountHistory): Promise<AssociationSet> {
  const own = accountRecords(history);
  return t.associations ? ownAssociations(t.associations, own) : engagementTargets(gateway, t.type, t.object.id, own);
}

/** The account's own record: the company, or the contact of a contact-only account. */
export function accountTarget(accountId: string): Target {
  const { type, id } = parseAccountId(accountId);
  return { objectType: type, objectId: id };
}

/** Current values of the fields an agent proposes, so the write-back can check nothing changed meanwhile. */
export async function currentValues(gateway: HubSpotGateway, target: Target, fields: string[]): Promise<Record<string, string | null>> {
  const [obj] = await gateway.batchRead(target.objectType, [target.objectId], { properties: fields });
  return valuesOf(obj, fields);
}

/** These fields of a record already read (null when unset or when there is no record). */
export function valuesOf(obj: HubSpotObject | undefined, fields: readonly string[]): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const f of fields) out[f] = obj?.properties[f] ?? null;
  return out;
}

/** The account's own records, from its history: the only records an agent of this account may target. */
export interface AccountRecords {
  companies: ReadonlySet<string>;
  contacts: ReadonlySet<string>;
  deals: ReadonlySet<string>;
  tickets: ReadonlySet<string>;
}

export function accountRecords(history: AccountHistory): AccountRecords {
  return {
    companies: new Set(history.company ? [history.company.id] : []),
    contacts: new Set(history.contacts.map((c) => c.id)),
    deals: new Set(history.deals.map((d) => d.id)),
    tickets: new Set(history.tickets.map((t) => t.id)),
  };
}

/**
 * The engagement's associations that belong to this account. A call with a partner's contact, or an e-mail cc'd
 * across companies, is associated with records of several accounts; each account's job sees only its own.
 * (The write-back checks every target against HubSpot's associations again when it decides.)
 */
export async function engagementTargets(gateway: HubSpotGateway, type: ObjectType, id: string, own: AccountRecords): Promise<AssociationSet> {
  return ownAssociations((await gateway.engagementAssociations(type, [id])).get(id), own);
}

function ownAssociations(all: Partial<AssociationSet> | undefined, own: AccountRecords): AssociationSet {
  const keep = (ids: string[] | undefined, mine: ReadonlySet<string>) => (ids ?? []).filter((x) => mine.has(x));
  return {
    companies: keep(all?.companies, own.companies),
    contacts: keep(all?.contacts, own.contacts),
    deals: keep(all?.deals, own.deals),
    tickets: keep(all?.tickets, own.tickets),
  };
}

export function recordIdsOf(context: AgentContext): string[] {
  const h = context.history;
  return [
    ...(h.company ? [`companies:${h.company.id}`] : []),
    ...h.contacts.map((c) => `contacts:${c.id}`),
    ...h.deals.map((d) => `deals:${d.id}`),
  ];
}

/**
 * Retrieval mode when the caller does not pin one (RETRIEVAL_MODE=auto): the mode measured best for the embedder
 * kind on the development seeds (the table and its figures: src/config/retrieval-mode.ts).
 */
export function defaultRetrievalMode(embedder: Embedder): RetrievalMode {
  return retrievalModeFor(embedder.provider);
}

/**
 * The context every agent starts from: the account's facts, timeline and the chunks retrieved for the task
 * (the trigger's own chunks first), within the token budget.
 */
export async function agentContext(
  deps: AgentDeps,
  trigger: AgentTrigger,
  accountId: string,
  task: AgentName,
  opts: { queryText?: string; triggerIds?: string[]; now?: Date; history?: AccountHistory } = {},
): Promise<AgentContext> {
  const history = opts.history ?? (deps.readHistory ? await deps.readHistory(accountId) : undefined);
  return buildContext({
    ...(history ? { history } : {}),
    store: deps.store,
    embedder: deps.embedder,
    gateway: deps.gateway,
    portalId: trigger.portalId,
    accountId,
    task,
    facets: TASK_DEAL_FACETS[task] ?? TASK_FACETS[task] ?? [],
    query: taskQuery(task, opts.queryText),
    tokenBudget: deps.tokenBudget ?? 6000,
    ...(deps.lookups ? { lookups: deps.lookups } : {}),
    mode: deps.retrievalMode ?? defaultRetrievalMode(deps.embedder),
    ...(opts.triggerIds ? { triggerIds: opts.triggerIds } : {}),
    ...(opts.now ? { now: opts.now } : {}),
  });
}
