import { randomUUID } from 'node:crypto';
import type { ObjectType, RecordType } from '../core/objects.ts';
import { ASSOCIATION_TYPE_IDS } from '../core/objects.ts';
import type { Proposal } from '../core/proposal.ts';
import { HubSpotTransientError } from '../hubspot/errors.ts';
import type { HubSpotGateway } from '../hubspot/gateway.ts';
import { DEFAULT_BACKOFF, retryDelayMs } from '../hubspot/retry-policy.ts';
import { AI_ENGAGEMENT_PROPERTY } from './ai-properties.ts';
import { hasMarker, noteBody, taskBody } from './note-format.ts';

/**
 * The only code that changes HubSpot. Property writes go through batch updates (≤100 inputs a call, several
 * fields of one record merged into one input); notes and tasks are created with their association to the target
 * and the AI header and marker. Every call goes through the gateway, so its rate limiter and retries apply.
 */

/**
 * A write the product is about to make (the event module's echo suppression). `property` is omitted for an
 * engagement the product created: every event on that record is ours. `objectId` is omitted for a create HubSpot
 * has not answered yet; the id is announced as soon as it is known.
 */
export interface OwnWrite {
  portalId: string;
  objectType: ObjectType;
  objectId?: string;
  property?: string;
  value?: string | null;
  /**
   * The property's HubSpot type (`comparisonType`), so that the echo is recognised in HubSpot's form of the value
   * (`1000.5` for our `1000.50`, a multi-select's options in its order); undefined: recognised only exactly.
   */
  type?: string;
  /** A create in flight: its token; `createDone` when HubSpot answered it (with the id, or a refusal). */
  createToken?: string;
  createDone?: boolean;
}

export interface PropertyWrite {
  objectType: RecordType;
  objectId: string;
  field: string;
  value: string;
}

const BATCH = 100;
/**
 * Tries of one engagement create after HubSpot answered 5xx or timed out. The gateway does not retry a create
 * that HubSpot may have processed; the writer can, because it first looks for the engagement by its marker.
 */
const CREATE_TRIES = 3;

export class HubSpotWriter {
  constructor(
    private readonly gateway: HubSpotGateway,
    private readonly onOwnWrite: (w: OwnWrite) => Promise<void>,
    private readonly portalId: () => Promise<string>,
    /** A property's HubSpot type for the echo hook (never throws; undefined when unknown). */
    private readonly typeOf: (objectType: RecordType, field: string) => Promise<string | undefined> = async () => undefined,
  ) {}

  /** Writes property values, merged per record and batched per type. Returns HubSpot's answer per record key. */
  async writeProperties(writes: PropertyWrite[]): Promise<Map<string, { updatedAt?: string; properties: Record<string, string | null> }>> {
    const portalId = await this.portalId();
    const byType = new Map<RecordType, Map<string, Record<string, string>>>();
    for (const w of writes) {
      const records = byType.get(w.objectType) ?? new Map<string, Record<string, string>>();
      records.set(w.objectId, { ...(records.get(w.objectId) ?? {}), [w.field]: w.value });
      byType.set(w.objectType, records);
    }
    // Announce before writing: the webhook for our own change may arrive before the batch call returns.
    for (const w of writes) {
      await this.onOwnWrite({ portalId, objectType: w.objectType, objectId: w.objectId, property: w.field, value: w.value, type: await this.typeOf(w.objectType, w.field) });
    }
    const answers = new Map<string, { updatedAt?: string; properties: Record<string, string | null> }>();
    for (const [type, records] of byType) {
      const inputs = [...records].map(([id, properties]) => ({ id, properties }));
      for (let i = 0; i < inputs.length; i += BATCH) {
        const result = await this.gateway.batchUpdate(type, inputs.slice(i, i + BATCH));
        for (const r of result) answers.set(`${type}/${r.id}`, { updatedAt: r.updatedAt, properties: r.properties });
      }
    }
    return answers;
  }

  /**
   * Creates the AI note or task for a proposal, associated with its target and its `associations`, unless one
   * carrying its marker is already associated with the target (a previous attempt that crashed after HubSpot's
   * answer). Returns the engagement id.
   */
  async createEngagement(p: Proposal, text: string, opts: { checkExisting: boolean }): Promise<{ id: string; reused: boolean; properties: Record<string, string | null> }> {
    const kind = p.kind === 'note' ? 'notes' : 'tasks';
    const target = p.target.objectType;
    if (opts.checkExisting) {
      const existing = await this.findByMarker(kind, target, p.target.objectId, p.id);
      if (existing) return { id: existing, reused: true, properties: {} };
    }
    const now = new Date().toISOString();
    const properties: Record<string, string> =
      kind === 'notes'
        ? { hs_note_body: noteBody(p, text), hs_timestamp: now }
        : {
            hs_task_subject: `🤖 ${p.title ?? 'AI suggested follow-up'}`,
            hs_task_body: taskBody(p, text),
            hs_task_status: 'NOT_STARTED',
            hs_timestamp: now,
          };
    if (await this.hasAiFlag(kind)) properties[AI_ENGAGEMENT_PROPERTY.name] = 'true';
    // One engagement on every relevant record (the decision checked each belongs to the account), not a copy per record.
    const associations = [p.target, ...(p.associations ?? [])].map((t) => ({
      toObjectType: t.objectType,
      toObjectId: t.objectId,
      associationTypeId: ASSOCIATION_TYPE_IDS[kind][t.objectType],
    }));
    // Announced before the create: HubSpot may deliver the new record's webhook before it answers with the id.
    const portalId = await this.portalId();
    const createToken = randomUUID();
    await this.onOwnWrite({ portalId, objectType: kind, createToken });
    for (let attempt = 0; ; attempt++) {
      try {
        const created = await this.gateway.create(kind, properties, associations);
        await this.onOwnWrite({ portalId, objectType: kind, objectId: created.id, createToken, createDone: true });
        return { id: created.id, reused: false, properties: created.properties };
      } catch (err) {
        // A 5xx or a timeout may hide a create that HubSpot made: look for it before trying again, so a retried
        // write never leaves a second note. Other errors (4xx: the request itself is wrong) are the caller's.
        if (!(err instanceof HubSpotTransientError)) await this.onOwnWrite({ portalId, objectType: kind, createToken, createDone: true });
        // The last transient failure keeps the window open (until it expires): the note may still have landed.
        if (!(err instanceof HubSpotTransientError) || attempt + 1 >= CREATE_TRIES) throw err;
        const landed = await this.findByMarker(kind, target, p.target.objectId, p.id);
        if (landed) {
          await this.onOwnWrite({ portalId, objectType: kind, objectId: landed, createToken, createDone: true });
          return { id: landed, reused: true, properties: {} };
        }
        await new Promise((r) => setTimeout(r, retryDelayMs(err, attempt, 10_000, DEFAULT_BACKOFF)));
      }
    }
  }

  private readonly aiFlag = new Map<'notes' | 'tasks', Promise<boolean>>();

  /** After `setup` created properties. */
  forgetSchema(): void {
    this.aiFlag.clear();
  }

  /** Whether setup could create `ai_generated` on this engagement type (checked once per process). */
  private hasAiFlag(kind: 'notes' | 'tasks'): Promise<boolean> {
    let known = this.aiFlag.get(kind);
    if (!known) {
      known = this.gateway.listProperties(kind).then((props) => props.some((p) => p.name === AI_ENGAGEMENT_PROPERTY.name));
      void known.catch(() => this.aiFlag.delete(kind));
      this.aiFlag.set(kind, known);
    }
    return known;
  }

  async findByMarker(kind: 'notes' | 'tasks', target: RecordType, targetId: string, proposalId: string): Promise<string | undefined> {
    const assoc = await this.gateway.batchAssociations(target, kind, [targetId]);
    const ids = assoc.get(targetId) ?? [];
    if (ids.length === 0) return undefined;
    const bodyProp = kind === 'notes' ? 'hs_note_body' : 'hs_task_body';
    const records = await this.gateway.batchRead(kind, ids, { properties: [bodyProp] });
    return records.find((r) => !r.archived && hasMarker(r.properties[bodyProp], proposalId))?.id;
  }

  /** A task for a person (owner notifications), associated with a record; announced as our own write. */
  async createTask(properties: Record<string, string>, target: { objectType: RecordType; objectId: string }): Promise<string> {
    // Marked like every engagement the product writes, so the indexer never takes it for the account's history.
    if (await this.hasAiFlag('tasks')) properties = { ...properties, [AI_ENGAGEMENT_PROPERTY.name]: 'true' };
    const portalId = await this.portalId();
    const createToken = randomUUID();
    await this.onOwnWrite({ portalId, objectType: 'tasks', createToken });
    const created = await this.gateway
      .create('tasks', properties, [{ toObjectType: target.objectType, toObjectId: target.objectId, associationTypeId: ASSOCIATION_TYPE_IDS.tasks[target.objectType] }])
      .catch(async (err: unknown) => {
        // Refused (4xx): nothing was made, the window closes; a 5xx or timeout may hide a task, so it stays open.
        if (!(err instanceof HubSpotTransientError)) await this.onOwnWrite({ portalId, objectType: 'tasks', createToken, createDone: true });
        throw err;
      });
    await this.onOwnWrite({ portalId, objectType: 'tasks', objectId: created.id, createToken, createDone: true });
    return created.id;
  }

  /** Updates tasks we created; returns the ids HubSpot still has. */
  async updateTasks(updates: Array<{ id: string; properties: Record<string, string> }>): Promise<Set<string>> {
    const portalId = await this.portalId();
    for (const u of updates) await this.onOwnWrite({ portalId, objectType: 'tasks', objectId: u.id });
    const answered = await this.gateway.batchUpdate('tasks', updates);
    return new Set(answered.map((t) => t.id));
  }

  async archive(kind: 'notes' | 'tasks', id: string): Promise<void> {
    await this.onOwnWrite({ portalId: await this.portalId(), objectType: kind, objectId: id });
    await this.gateway.archive(kind, id);
  }
}
