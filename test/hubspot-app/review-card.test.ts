import type { FastifyInstance } from 'fastify';
import { Alert, Button, Input, Text, TextArea, Tile } from '@hubspot/ui-extensions';
import { createRenderer } from '@hubspot/ui-extensions/testing';
import { createElement } from 'react';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReviewPanel, type Fetcher } from '../../hubspot/src/app/cards/ReviewPanel.tsx';
import { ActionWaiters } from '../../src/actions/waiters.ts';
import { buildApp } from '../../src/api/app.ts';
import { hubspotRoutes } from '../../src/api/routes/hubspot.ts';
import { createQueue } from '../../src/queue/create-queue.ts';
import type { JobQueue } from '../../src/queue/queue.ts';
import { hubspotFetch } from '../support/hubspot-fetch.ts';
import { tempDir } from '../support/tmp.ts';
import { accountOf, firstIds, proposal, readProps, startHarness, trace, type Harness } from '../writeback/harness.ts';

/**
 * The app card rendered with HubSpot's UI-extensions testing utilities, talking to the real service over HTTP
 * through an emulation of `hubspot.fetch` (HubSpot's signed proxy): it lists the record's pending suggestions,
 * approves, edits and rejects them, and the audit log names the HubSpot user who acted. Forged requests and
 * requests for another portal are refused.
 */

const SECRET = 'card-client-secret-1234';
const USER = { id: 4711, email: 'dana.reyes@example.com' };

describe('app card (UI extension) against the service', () => {
  let h: Harness;
  let app: FastifyInstance;
  let queue: JobQueue;
  let base: string;
  let tmp: ReturnType<typeof tempDir>;
  let fetcher: Fetcher;
  let contact: string;
  const ids: string[] = [];

  beforeAll(async () => {
    h = await startHarness();
    tmp = tempDir('hsai-card-');
    queue = await createQueue({ dataDir: tmp.dir, defaultMaxAttempts: 3 });
    app = await buildApp({
      tokens: [],
      routes: [{ name: 'hubspot', plugin: hubspotRoutes, opts: { queue, writeback: h.writeback, waiters: new ActionWaiters(), clientSecret: SECRET, acceptV2ForActions: false, actionWaitMs: 0, maxBodyBytes: 1_048_576 } }],
    });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    fetcher = hubspotFetch({ clientSecret: SECRET, portalId: await h.gateway.portalId(), user: USER });

    [contact] = (await firstIds(h, 'contacts', 1)) as [string];
    const seen = (await readProps(h, 'contacts', contact, ['lifecyclestage'])).lifecyclestage ?? null;
    const accountId = await accountOf(h, 'contacts', contact);
    const results = await h.writeback.submit(
      [
        proposal({ accountId, runId: 'run-card', agent: 'lead_score', target: { objectType: 'contacts', objectId: contact }, field: 'lifecyclestage', value: seen === 'customer' ? 'evangelist' : 'customer', observedValue: seen, rationale: 'Signed the order form.' }),
        proposal({ accountId, runId: 'run-card', agent: 'call_summary', target: { objectType: 'contacts', objectId: contact }, field: 'ai_summary', value: 'Renewal at risk.', confidence: 0.2 }),
        proposal({ accountId, runId: 'run-card', agent: 'call_summary', target: { objectType: 'contacts', objectId: contact }, field: 'ai_next_steps', value: 'Send the onboarding plan.', confidence: 0.2 }),
      ],
      trace('run-card'),
    );
    expect(results.map((r) => r.status)).toEqual(['pending_review', 'pending_review', 'pending_review']);
    ids.push(...results.map((r) => r.detail!));
  });

  afterAll(async () => {
    await app?.close();
    await queue?.close();
    await h?.close();
    tmp?.cleanup();
  });

  const renderCard = (f: Fetcher = fetcher) => {
    const renderer = createRenderer('crm.record.tab');
    renderer.render(createElement(ReviewPanel, { context: { crm: { objectId: Number(contact), objectTypeId: '0-1' } }, fetcher: f, serviceUrl: base }));
    return renderer;
  };

  it("lists the record's pending suggestions with current and suggested values and reasons in plain words", async () => {
    const r = renderCard();
    const findAll: typeof r.findAll = (c, m) => r.findAll(c, m);
    const waitFor = (check: () => void) => r.waitFor(check);
    const getRootNode = () => r.getRootNode();
    await waitFor(() => expect(findAll(Tile)).toHaveLength(3));
    const text = getRootNode().toString();
    expect(text).toContain('3 AI suggestions waiting for a person');
    expect(text).toContain('Lifecycle stage');
    expect(text).toContain('A person must approve every change to this core field.');
    expect(text).toContain('The AI is not confident enough to make this change on its own.');
    expect(text).toContain('AI next steps');
    // Free text's confidence is the share backed by sources, not a probability: never "% sure".
    expect(text).toContain('20% backed by sources');
    expect(text).not.toMatch(/\d+% sure/);
  });

  it('approves one (written to HubSpot, audited as the HubSpot user), edits another, rejects the third', async () => {
    const r = renderCard();
    const findAll: typeof r.findAll = (c, m) => r.findAll(c, m);
    const waitFor = (check: () => void) => r.waitFor(check);
    await waitFor(() => expect(findAll(Tile)).toHaveLength(3));
    const tileOf = (label: string) => findAll(Tile).find((t) => t.toString().includes(label))!;

    const lifecycle = tileOf('Lifecycle stage');
    const proposed = /"(customer|evangelist)"/.exec(lifecycle.find(Text, (t) => t.toString().includes('Suggested')).toString())?.[1];
    lifecycle.find(Button, (b) => b.text === 'Approve').trigger('onClick');
    await waitFor(() => expect(tileOf('Lifecycle stage').find(Alert).text).toContain('Approved and written to HubSpot'));
    expect((await readProps(h, 'contacts', contact, ['lifecyclestage'])).lifecyclestage).toBe(proposed);

    tileOf('AI summary').find(Button, (b) => b.text === 'Edit & approve').trigger('onClick');
    await waitFor(() => expect(tileOf('AI summary').maybeFind(TextArea)).not.toBeNull());
    tileOf('AI summary').find(TextArea).trigger('onChange', 'Renewal at risk: champion left.' as never);
    await waitFor(() => expect(tileOf('AI summary').find(Button, (b) => b.text === 'Approve my edit').props.disabled).toBe(false));
    tileOf('AI summary').find(Button, (b) => b.text === 'Approve my edit').trigger('onClick');
    await waitFor(() => expect(tileOf('AI summary').find(Alert).text).toContain('Approved'));
    expect((await readProps(h, 'contacts', contact, ['ai_summary'])).ai_summary).toBe('Renewal at risk: champion left.');

    const before = (await readProps(h, 'contacts', contact, ['ai_next_steps'])).ai_next_steps;
    expect(tileOf('AI next steps').find(Button, (b) => b.text === 'Reject').props.disabled).toBe(true);
    tileOf('AI next steps').find(Input).trigger('onChange', 'Wrong customer' as never);
    await waitFor(() => expect(tileOf('AI next steps').find(Button, (b) => b.text === 'Reject').props.disabled).toBe(false));
    tileOf('AI next steps').find(Button, (b) => b.text === 'Reject').trigger('onClick');
    await waitFor(() => expect(tileOf('AI next steps').find(Alert).text).toContain('Rejected'));
    expect((await readProps(h, 'contacts', contact, ['ai_next_steps'])).ai_next_steps).toBe(before);

    const audit = await h.writeback.audit({ runId: 'run-card', limit: 100 });
    const actor = `hubspot-user:${USER.id} (${USER.email})`;
    expect(audit.filter((e) => e.event === 'review_approved').map((e) => e.actor)).toEqual([actor, actor]);
    expect(audit.find((e) => e.event === 'review_rejected')).toMatchObject({ actor, reasons: expect.arrayContaining(['reason: Wrong customer']) });
  });

  it('shows an empty state once nothing is waiting', async () => {
    const r = renderCard();
    await r.waitFor(() => expect(r.getRootNode().toString()).toContain('Nothing to review'));
  });

  it('refuses a forged signature, an unsigned call and another portal; the card says so and nothing changes', async () => {
    const forged = hubspotFetch({ clientSecret: 'not-the-secret', portalId: await h.gateway.portalId(), user: USER }) as unknown as Fetcher;
    const r = renderCard(forged);
    await r.waitFor(() => expect(r.find(Alert).text).toContain('HubSpot signature rejected: signature mismatch'));

    const unsigned = await fetch(`${base}/hubspot/card/reviews?objectType=contacts&objectId=${contact}&userId=1&portalId=${await h.gateway.portalId()}`);
    expect(unsigned.status).toBe(401);
    expect(((await unsigned.json()) as { error: { code: string } }).error.code).toBe('INVALID_SIGNATURE');

    const otherPortal = hubspotFetch({ clientSecret: SECRET, portalId: '999', user: USER });
    const res = await otherPortal(`${base}/hubspot/card/reviews/${ids[0]}/reject`, { method: 'POST', body: { reason: 'x' } });
    expect(res.status).toBe(403);

    // A replayed request (timestamp over five minutes old) is refused too.
    const stale = hubspotFetch({ clientSecret: SECRET, portalId: await h.gateway.portalId(), user: USER, now: () => Date.now() - 6 * 60_000 });
    expect((await stale(`${base}/hubspot/card/reviews?objectType=contacts&objectId=${contact}`)).status).toBe(401);
  });
});
