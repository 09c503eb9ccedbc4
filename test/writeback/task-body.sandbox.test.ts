import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/writeback/policy.ts';
import { accountOf, firstIds, proposal, startHarness, trace, type Harness } from './harness.ts';

/**
 * Issue 12, item 4: task bodies are escaped like note bodies. A reply draft quoting an e-mail's markup, approved
 * by a reviewer, reaches HubSpot as text: no tag of the draft survives into the task body.
 */
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ writeback: { policy: parsePolicy({ tasks: { mode: 'review', confidenceThreshold: 0.5 } }) } });
}, 180_000);
afterAll(async () => h?.close());

describe('AI tasks in HubSpot', () => {
  it('an approved task with markup in its text is written escaped, with the AI header and marker', async () => {
    const contact = (await firstIds(h, 'contacts', 1))[0]!;
    const hostile = 'Hi Sam,\n\n<img src=x onerror="alert(1)"> <script>steal()</script> & thanks.';
    const [r] = await h.writeback.submit(
      [proposal({ accountId: await accountOf(h, 'contacts', contact), runId: 'run-task', agent: 'reply_draft', kind: 'task', title: 'Reply to Sam', value: hostile, target: { objectType: 'contacts', objectId: contact } })],
      trace('run-task', 'reply_draft'),
    );
    expect(r!.status).toBe('pending_review');
    const approved = await h.writeback.approve(r!.detail!, { actor: 'alice' });
    expect(approved.status).toBe('approved');

    const applied = (await h.writeback.audit({ proposalId: r!.proposal.id, event: 'applied' }))[0]!;
    const taskId = (applied.outcome as { createdId: string }).createdId;
    const [task] = await h.gateway.batchRead('tasks', [taskId], { properties: ['hs_task_body', 'hs_task_subject'] });
    const body = task!.properties.hs_task_body!;
    expect(body).not.toMatch(/<img|<script/i);
    expect(body).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;');
    expect(body).toContain('&amp; thanks.');
    expect(body).toMatch(/AI-generated[\s\S]*\[hsai:[^\]]+\]/);
    expect(applied.newValue).toBe(hostile);
  });
});
