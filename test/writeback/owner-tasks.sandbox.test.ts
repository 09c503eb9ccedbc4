import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubSpotObject } from '../../src/core/objects.ts';
import { accountOf, firstIds, proposal, readProps, startHarness, trace, type Harness } from './harness.ts';

/**
 * Owner notifications against the sandbox: one HubSpot task per record (not per proposal) for the record's owner
 * while suggestions wait, completed by itself when the queue for that record is empty; none in dry-run mode, for
 * records without an owner, or when switched off; a task a person completed is replaced on the next suggestion.
 */
describe('owner tasks for records waiting for review', () => {
  let h: Harness;
  let owned: string[];
  let unowned: string | undefined;

  const tasksOf = async (contactId: string): Promise<HubSpotObject[]> => {
    const ids = (await h.gateway.batchAssociations('contacts', 'tasks', [contactId])).get(contactId) ?? [];
    const tasks = ids.length ? await h.gateway.batchRead('tasks', ids, { properties: ['hs_task_subject', 'hs_task_body', 'hs_task_status', 'hubspot_owner_id'] }) : [];
    // The portal's own tasks on the record are not ours.
    return tasks.filter((t) => t.properties.hs_task_subject?.startsWith('Review AI suggestions'));
  };
  const queue = async (contactId: string, runId: string, fields: string[]) => {
    const accountId = await accountOf(h, 'contacts', contactId);
    return h.writeback.submit(
      fields.map((field) => proposal({ accountId, runId, target: { objectType: 'contacts', objectId: contactId }, field, value: `${field} by ${runId}`, confidence: 0.2 })),
      trace(runId),
    );
  };

  beforeAll(async () => {
    h = await startHarness({ writeback: { hubspotAppUrl: 'https://app.hubspot.com', ownerTasks: { enabled: true, reviewPageUrl: 'https://ai.example.com/review' } } });
    const contacts = await firstIds(h, 'contacts', 40);
    const withOwner: string[] = [];
    for (const id of contacts) {
      const p = await readProps(h, 'contacts', id, ['hubspot_owner_id']);
      if (p.hubspot_owner_id) withOwner.push(id);
      else unowned ??= id;
    }
    owned = withOwner;
    expect(owned.length).toBeGreaterThanOrEqual(3);
  });
  afterAll(async () => h?.close());

  it('creates one task for the owner for several suggestions, and completes it when the last one is decided', async () => {
    const contact = owned[0]!;
    const [a, b, c] = await queue(contact, 'run-owner-1', ['ai_summary', 'ai_next_steps', 'ai_recommendation']);
    expect([a, b, c].map((r) => r!.status)).toEqual(['pending_review', 'pending_review', 'pending_review']);
    const tasks = await tasksOf(contact);
    expect(tasks).toHaveLength(1);
    const owner = (await readProps(h, 'contacts', contact, ['hubspot_owner_id', 'firstname'])).hubspot_owner_id;
    const task = tasks[0]!;
    expect(task.properties).toMatchObject({ hs_task_status: 'NOT_STARTED', hubspot_owner_id: owner });
    expect(task.properties.hs_task_subject).toMatch(/^Review AI suggestions for \S+/);
    expect(task.properties.hs_task_body).toContain(`https://app.hubspot.com/contacts/${await h.gateway.portalId()}/record/0-1/${contact}`);
    expect(task.properties.hs_task_body).toContain('https://ai.example.com/review');

    await h.writeback.approve(a!.detail!, { actor: 'rita' });
    await h.writeback.reject(b!.detail!, { actor: 'rita', reason: 'no' });
    expect((await tasksOf(contact))[0]!.properties.hs_task_status).toBe('NOT_STARTED');
    await h.writeback.reject(c!.detail!, { actor: 'rita', reason: 'no' });
    expect((await tasksOf(contact)).map((t) => t.properties.hs_task_status)).toEqual(['COMPLETED']);
    // A retried job finds its reviews and creates no second task.
    await queue(contact, 'run-owner-1', ['ai_summary']);
    expect(await tasksOf(contact)).toHaveLength(1);
  });

  it('replaces a task a person completed while suggestions still wait', async () => {
    const contact = owned[1]!;
    await queue(contact, 'run-owner-2', ['ai_summary']);
    const [first] = await tasksOf(contact);
    await h.gateway.batchUpdate('tasks', [{ id: first!.id, properties: { hs_task_status: 'COMPLETED' } }]);
    await queue(contact, 'run-owner-2b', ['ai_next_steps']);
    const tasks = await tasksOf(contact);
    expect(tasks).toHaveLength(2);
    expect(tasks.filter((t) => t.properties.hs_task_status === 'NOT_STARTED')).toHaveLength(1);
  });

  it('creates nothing without an owner, in dry-run mode, or when switched off', async () => {
    if (unowned) {
      await queue(unowned, 'run-owner-3', ['ai_summary']);
      expect(await tasksOf(unowned)).toHaveLength(0);
    }
    const shadow = await h.another({ dryRun: true });
    const accountId = await accountOf(h, 'contacts', owned[2]!);
    await shadow.submit([proposal({ accountId, runId: 'run-owner-4', target: { objectType: 'contacts', objectId: owned[2]! }, confidence: 0.2 })], trace('run-owner-4'));
    const off = await h.another({ ownerTasks: { enabled: false } });
    const [r] = await off.submit([proposal({ accountId, runId: 'run-owner-5', target: { objectType: 'contacts', objectId: owned[2]! }, confidence: 0.2 })], trace('run-owner-5'));
    expect(r!.status).toBe('pending_review');
    expect(await tasksOf(owned[2]!)).toHaveLength(0);
  });
});
