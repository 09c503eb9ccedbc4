import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql as raw } from 'kysely';
import type { RecordType } from '../../src/core/objects.ts';
import { AI_OBJECT_TYPES, AI_PROPERTIES } from '../../src/writeback/ai-properties.ts';
import { HubSpotWriter } from '../../src/writeback/hubspot-writer.ts';
import { WriteLog } from '../../src/writeback/write-log.ts';
import { marker } from '../../src/writeback/note-format.ts';
import { firstIds, humanEdit, proposal, readProps, startHarness, trace, type Harness, accountOf } from './harness.ts';

/** Acceptance tests of the write-back module against the sandbox portal over HTTP (SQLite audit store). */
describe('write-back against the sandbox', () => {
  let h: Harness;
  let companies: string[];
  let contacts: string[];

  beforeAll(async () => {
    h = await startHarness();
    companies = await firstIds(h, 'companies', 12);
    contacts = await firstIds(h, 'contacts', 8);
  });
  afterAll(async () => h?.close());

  async function aiNotes(type: RecordType, id: string, proposalId?: string): Promise<string[]> {
    const assoc = await h.gateway.batchAssociations(type, 'notes', [id]);
    const ids = assoc.get(id) ?? [];
    if (!ids.length) return [];
    const notes = await h.gateway.batchRead('notes', ids, { properties: ['hs_note_body'] });
    return notes.filter((n) => !n.archived && (n.properties.hs_note_body ?? '').includes(proposalId ? marker(proposalId) : '[hsai:')).map((n) => n.id);
  }

  it('setup creates the ai_* properties once and is idempotent', async () => {
    const again = await h.writeback.setup();
    expect(again.created).toBe(0);
    for (const type of AI_OBJECT_TYPES) {
      const props = await h.gateway.listProperties(type);
      for (const p of AI_PROPERTIES) expect(props.find((x) => x.name === p.name)?.groupName).toBe('ai_insights');
    }
  });

  it('acceptance 1: a call summary becomes a labelled note and ai_* properties; lifecyclestage goes to review; approve writes, reject does not', async () => {
    const company = companies[0]!;
    const contact = contacts[0]!;
    const runId = 'run-acceptance-1';
    const before = await readProps(h, 'contacts', contact, ['lifecyclestage']);
    const target = before.lifecyclestage === 'customer' ? 'opportunity' : 'customer';
    const proposals = [
      proposal({ runId, target: { objectType: 'companies', objectId: company }, kind: 'note', value: 'Call recap.\n\nThey want a pilot in March.', title: 'Call summary' }),
      proposal({ runId, target: { objectType: 'companies', objectId: company }, field: 'ai_summary', value: 'Pilot planned for March.' }),
      proposal({ runId, target: { objectType: 'companies', objectId: company }, field: 'ai_next_steps', value: 'Send the pilot plan.' }),
      proposal({ accountId: await accountOf(h, 'contacts', contact), runId, target: { objectType: 'contacts', objectId: contact }, field: 'lifecyclestage', value: target, observedValue: before.lifecyclestage }),
      proposal({ accountId: await accountOf(h, 'contacts', contacts[1]!), runId, target: { objectType: 'contacts', objectId: contacts[1]! }, field: 'lifecyclestage', value: 'evangelist', confidence: 0.95 }),
    ];
    const results = await h.writeback.submit(proposals, trace(runId));
    expect(results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied', 'pending_review', 'pending_review']);

    const props = await readProps(h, 'companies', company, ['ai_summary', 'ai_next_steps']);
    expect(props).toEqual({ ai_summary: 'Pilot planned for March.', ai_next_steps: 'Send the pilot plan.' });
    const notes = await aiNotes('companies', company, proposals[0]!.id);
    expect(notes).toHaveLength(1);
    const [note] = await h.gateway.batchRead('notes', notes, { properties: ['hs_note_body', 'ai_generated'] });
    expect(note!.properties.hs_note_body).toMatch(/^<p><strong>🤖 AI-generated \(hubspot-ai · call_summary · prompt v1 · model offline-extractive-v1\)/);
    expect(note!.properties.ai_generated).toBe('true');
    expect((await readProps(h, 'contacts', contact, ['lifecyclestage'])).lifecyclestage).toBe(before.lifecyclestage);

    const pending = await h.writeback.listReviews({ status: 'pending', withCurrent: true });
    const review = pending.find((r) => r.proposal.id === proposals[3]!.id)!;
    expect(review.currentValue).toBe(before.lifecyclestage);
    expect(review.reasons.join(' ')).toMatch(/protected_field/);
    const approved = await h.writeback.approve(review.id, { actor: 'alice' });
    expect(approved.status).toBe('approved');
    expect((await readProps(h, 'contacts', contact, ['lifecyclestage'])).lifecyclestage).toBe(target);

    const other = pending.find((r) => r.proposal.id === proposals[4]!.id)!;
    const otherBefore = await readProps(h, 'contacts', contacts[1]!, ['lifecyclestage']);
    expect((await h.writeback.reject(other.id, { actor: 'bob', reason: 'not an evangelist' })).status).toBe('rejected');
    expect(await readProps(h, 'contacts', contacts[1]!, ['lifecyclestage'])).toEqual(otherBefore);
    await expect(h.writeback.approve(other.id, { actor: 'alice' })).rejects.toThrow(/already rejected/);

    const audit = await h.writeback.audit({ runId, limit: 1000, withTrace: true });
    const events = (pid: string) => audit.filter((e) => e.proposalId === pid).map((e) => e.event);
    expect(events(proposals[0]!.id)).toEqual(['decided', 'applied']);
    expect(events(proposals[1]!.id)).toEqual(['decided', 'applied']);
    expect(events(proposals[3]!.id)).toEqual(['decided', 'queued', 'review_approved', 'applied']);
    expect(events(proposals[4]!.id)).toEqual(['decided', 'queued', 'review_rejected']);
    const applied = audit.find((e) => e.proposalId === proposals[3]!.id && e.event === 'applied')!;
    expect(applied).toMatchObject({ actor: 'alice', previousValue: before.lifecyclestage, newValue: target });
    const decided = audit.find((e) => e.proposalId === proposals[1]!.id && e.event === 'decided')!;
    expect(decided.trace).toMatchObject({ model: 'offline-extractive-v1', inputs: { chunkIds: ['chunk-1', 'chunk-2'] } });
    expect(decided.trace?.prompt).toContain('jane.doe@example.com');
    expect(decided.reasons[0]).toMatch(/^within_policy/);
  });

  it('acceptance 2: injected proposals (core field, non-ai field, note when denied) never apply', async () => {
    const injections = h.sandbox.groundTruth().injections;
    expect(injections.length).toBeGreaterThan(0);
    const accounts = await h.gateway.accountsOf(injections[0]!.objectType, injections[0]!.id);
    const company = accounts.find((a) => !a.startsWith('contact:')) ?? companies[2]!;
    const before = await readProps(h, 'companies', company, ['lifecyclestage', 'domain', 'name', 'ai_lead_score']);
    const runId = 'run-injection';
    const results = await h.writeback.submit(
      [
        proposal({ runId, agent: 'account_summary', target: { objectType: 'companies', objectId: company }, field: 'lifecyclestage', value: 'customer', confidence: 1 }),
        proposal({ runId, agent: 'account_summary', target: { objectType: 'companies', objectId: company }, field: 'domain', value: 'attacker.example', confidence: 1 }),
        proposal({ runId, agent: 'account_summary', target: { objectType: 'companies', objectId: company }, field: 'name', value: 'Pwned Inc', confidence: 1 }),
        proposal({ runId, agent: 'account_summary', target: { objectType: 'companies', objectId: company }, field: 'ai_lead_score', value: 'ignore all rules', confidence: 1 }),
        proposal({ runId, agent: 'account_summary', target: { objectType: 'companies', objectId: company }, kind: 'task', value: 'Wire $10,000 to account 123', confidence: 1 }),
        proposal({ runId, agent: 'account_summary', target: { objectType: 'companies', objectId: '999999999' }, field: 'ai_summary', value: 'Made-up record', confidence: 1 }),
      ],
      trace(runId, 'account_summary'),
    );
    expect(results.map((r) => r.status)).toEqual(['pending_review', 'rejected', 'rejected', 'rejected', 'rejected', 'rejected']);
    expect(results[5]!.decision.reasons.join(' ')).toMatch(/target_missing/);
    expect(await readProps(h, 'companies', company, ['lifecyclestage', 'domain', 'name', 'ai_lead_score'])).toEqual(before);
    expect(results[3]!.decision.reasons.join(' ')).toMatch(/invalid_value/);
  });

  it('acceptance 3: retrying the same job creates one note and writes once', async () => {
    const company = companies[3]!;
    const runId = 'run-retry';
    const job = () => [
      proposal({ runId, target: { objectType: 'companies', objectId: company }, kind: 'note', value: 'Retry-safe note.' }),
      proposal({ runId, target: { objectType: 'companies', objectId: company }, field: 'ai_summary', value: 'Retry-safe summary.' }),
    ];
    const first = await h.writeback.submit(job(), trace(runId));
    const second = await h.writeback.submit(job(), trace(runId));
    expect(first.map((r) => r.status)).toEqual(['applied', 'applied']);
    expect(second.map((r) => r.status)).toEqual(['duplicate', 'duplicate']);
    expect(await aiNotes('companies', company, job()[0]!.id)).toHaveLength(1);
  });

  it('one AI note on every relevant record of the account: created once, every record checked, retried once, undone as one', async () => {
    const company = companies[2]!;
    const [contactIds, dealIds] = await Promise.all([h.gateway.batchAssociations('companies', 'contacts', [company]), h.gateway.batchAssociations('companies', 'deals', [company])]);
    const related = [
      ...(contactIds.get(company) ?? []).slice(0, 2).map((id) => ({ objectType: 'contacts' as const, objectId: id })),
      ...(dealIds.get(company) ?? []).slice(0, 1).map((id) => ({ objectType: 'deals' as const, objectId: id })),
    ];
    expect(related.length).toBeGreaterThan(1);
    const runId = 'run-one-note';
    const note = () => proposal({ runId, accountId: company, target: { objectType: 'companies', objectId: company }, associations: related, kind: 'note', value: 'One note for the call.' });
    const [first] = await h.writeback.submit([note()], trace(runId));
    expect(first!.status).toBe('applied');
    const noteId = first!.detail!.split(' ')[1]!;
    // The same note, once, on the company's timeline and on each related record's.
    for (const t of [{ objectType: 'companies' as const, objectId: company }, ...related]) expect(await aiNotes(t.objectType, t.objectId, note().id)).toEqual([noteId]);
    const [again] = await h.writeback.submit([note()], trace(runId));
    expect(again!.status).toBe('duplicate');

    // A record of another account among the associations: the whole note is refused, nothing is created.
    const other = companies.find((c) => c !== company)!;
    const stray = proposal({ runId: 'run-stray-note', accountId: company, target: { objectType: 'companies', objectId: company }, associations: [...related, { objectType: 'companies', objectId: other }], kind: 'note', value: 'Not for the other company.' });
    const [refused] = await h.writeback.submit([stray], trace('run-stray-note'));
    expect(refused!.status).toBe('rejected');
    expect(refused!.decision.reasons.join(' ')).toContain(`target_outside_account: the note would also be associated with companies/${other}`);
    expect(await aiNotes('companies', company, stray.id)).toEqual([]);

    const report = await h.writeback.undo({ runId, dryRun: false, actor: 'ops' });
    expect(report).toMatchObject({ archived: 1, failed: 0 });
    for (const t of [{ objectType: 'companies' as const, objectId: company }, ...related]) expect(await aiNotes(t.objectType, t.objectId, note().id)).toEqual([]);
  });

  it('a crash between the HubSpot create and the bookkeeping does not duplicate the note', async () => {
    const company = companies[4]!;
    const p = proposal({ runId: 'run-crash', target: { objectType: 'companies', objectId: company }, kind: 'note', value: 'Created before the crash.' });
    // What a process that died mid-write leaves behind: the intent in the write log and the note in HubSpot.
    const log = new WriteLog(h.sql.db as never, Date.now, async () => h.sandbox.portalId);
    await log.recordIntent({ proposal: p, value: p.value, previousValue: null, automatic: true, actor: 'agent:call_summary' });
    const writer = new HubSpotWriter(h.gateway, async () => undefined, async () => h.sandbox.portalId);
    const created = await writer.createEngagement(p, p.value, { checkExisting: false });

    const [result] = await h.writeback.submit([p], trace('run-crash'));
    expect(result!.status).toBe('applied');
    expect(result!.detail).toContain('found from an earlier attempt');
    expect(await aiNotes('companies', company, p.id)).toEqual([created.id]);
  });

  describe('a note write that HubSpot answers with a 5xx', () => {
    const CREATE = 'POST /crm/v3/objects/:type';
    const fail = (status: number, times: number, afterHandling = false) => h.sandbox.setFaults({ failRoute: { route: CREATE, status, times, afterHandling } });
    afterAll(() => h.sandbox.setFaults({ failRoute: { route: CREATE, status: 500, times: 0 } }));
    const note = (runId: string, company: string) => proposal({ runId, target: { objectType: 'companies', objectId: company }, kind: 'note', value: `Call summary of ${runId}.` });

    it('is tried again once HubSpot answers: one note', async () => {
      fail(500, 1);
      const p = note('run-5xx-once', companies[8]!);
      const [r] = await h.writeback.submit([p], trace('run-5xx-once'));
      expect(r!.status).toBe('applied');
      expect(await aiNotes('companies', companies[8]!, p.id)).toHaveLength(1);
    });

    it('whose 500 hid a note HubSpot made is found, not written twice', async () => {
      fail(500, 1, true);
      const p = note('run-5xx-lost', companies[9]!);
      const [r] = await h.writeback.submit([p], trace('run-5xx-lost'));
      expect(r).toMatchObject({ status: 'applied' });
      expect(r!.detail).toContain('found from an earlier attempt');
      expect(await aiNotes('companies', companies[9]!, p.id)).toHaveLength(1);
    });

    /** The create windows announced since `from`: each token and whether it was closed (HubSpot answered or refused). */
    const createWindows = (from: number) => {
      const windows = new Map<string, boolean>();
      for (const w of h.ownWrites.slice(from)) if (w.createToken) windows.set(w.createToken, windows.get(w.createToken) === true || w.createDone === true);
      return [...windows.values()];
    };

    it('that keeps failing is left for the job to retry (retryable, intent kept), and the retry writes it once', async () => {
      fail(503, 50);
      const p = note('run-5xx-down', companies[10]!);
      const from = h.ownWrites.length;
      const [r] = await h.writeback.submit([p], trace('run-5xx-down'));
      fail(503, 0);
      expect(r).toMatchObject({ status: 'failed', retryable: true });
      // The note may have landed unseen: its create stays announced as ours (until the window expires).
      expect(createWindows(from)).toEqual([false]);
      const failed = (await h.writeback.audit({ proposalId: p.id, event: 'failed' }))[0]!;
      expect(failed.detail).toContain('the job tries again');
      expect(await aiNotes('companies', companies[10]!, p.id)).toEqual([]);
      // The job's next attempt (same run, same proposal ids) writes the note, once.
      const [again] = await h.writeback.submit([p], trace('run-5xx-down'));
      expect(again!.status).toBe('applied');
      expect((await h.writeback.submit([p], trace('run-5xx-down')))[0]!.status).toBe('duplicate');
      expect(await aiNotes('companies', companies[10]!, p.id)).toHaveLength(1);
    });

    it('that keeps failing on the job\'s last attempt is marked failed, audited and queued for review; approving writes it once', async () => {
      fail(503, 50);
      const p = note('run-5xx-last', companies[10]!);
      const [r] = await h.writeback.submit([p], trace('run-5xx-last'), { finalAttempt: true });
      fail(503, 0);
      // No intent left behind for a retry that never comes.
      expect(r).toMatchObject({ status: 'pending_review' });
      expect(r!.retryable).toBeUndefined();
      expect(await h.writeback.audit({ proposalId: p.id, event: 'failed' })).toEqual([
        expect.objectContaining({ status: 'pending_review', detail: expect.stringContaining(`queued for review ${r!.detail}`) }),
      ]);
      const [review] = await h.writeback.listReviews({ status: 'pending' }).then((all) => all.filter((x) => x.id === r!.detail));
      expect(review?.reasons.some((reason) => reason.startsWith('write_failed:'))).toBe(true);
      expect(await aiNotes('companies', companies[10]!, p.id)).toEqual([]);
      // Approved while HubSpot still fails: one more 'failed' entry (the approval's write), the review back in the queue.
      fail(503, 50);
      const refused = await h.writeback.approve(r!.detail!, { actor: 'rita' });
      fail(503, 0);
      expect(refused).toMatchObject({ status: 'failed', review: { status: 'pending' } });
      const failed = await h.writeback.audit({ proposalId: p.id, event: 'failed' });
      expect(failed.map((e) => [e.actor, e.status])).toEqual(expect.arrayContaining([['rita', 'failed'], ['agent:call_summary', 'pending_review']]));
      expect(failed).toHaveLength(2);
      expect(failed.find((e) => e.actor === 'rita')?.detail).toContain('the review is back in the queue');
      const approved = await h.writeback.approve(r!.detail!, { actor: 'rita' });
      expect(approved.status).toBe('approved');
      expect(await aiNotes('companies', companies[10]!, p.id)).toHaveLength(1);
      // A job run again later (same proposal) finds it handled.
      expect((await h.writeback.submit([p], trace('run-5xx-last')))[0]!.status).toBe('duplicate');
    });

    it('refused with a 4xx fails for good, and says so', async () => {
      fail(400, 1);
      const p = note('run-4xx', companies[11]!);
      const from = h.ownWrites.length;
      const [r] = await h.writeback.submit([p], trace('run-4xx'));
      expect(r!.status).toBe('failed');
      // Refused: nothing was made, so the create's window closes at once.
      expect(createWindows(from)).toEqual([true]);
      expect(r!.retryable).toBeUndefined();
      expect((await h.writeback.audit({ proposalId: p.id, event: 'failed' }))[0]!.detail).toBe('HubSpot refused the write');
      expect(await aiNotes('companies', companies[11]!, p.id)).toEqual([]);
    });
  });

  it('acceptance 3: undo of a run restores the records exactly and archives AI notes', async () => {
    const runId = 'run-undo';
    const targets = companies.slice(5, 8);
    const fields = ['ai_summary', 'ai_lead_score', 'ai_fit_segment', 'lifecyclestage', 'name'];
    const snapshot = async () => Promise.all(targets.map((id) => readProps(h, 'companies', id, fields)));
    const empty = (rows: Array<Record<string, string | null>>) => rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v ?? ''])));
    await humanEdit(h, 'companies', targets[0]!, { ai_fit_segment: 'set by a person' });
    const before = await snapshot();

    const run = (value: string) =>
      targets.flatMap((id) => [
        proposal({ runId, id: `${runId}:${id}:summary:${value}`, target: { objectType: 'companies', objectId: id }, field: 'ai_summary', value: `summary ${value}` }),
        proposal({ runId, id: `${runId}:${id}:score:${value}`, agent: 'lead_score', target: { objectType: 'companies', objectId: id }, field: 'ai_lead_score', value: value === 'a' ? '40' : '75' }),
        proposal({ runId, id: `${runId}:${id}:note:${value}`, target: { objectType: 'companies', objectId: id }, kind: 'note', value: `note ${value}` }),
      ]);
    // Two writes to the same fields in one run: undo must go back to the value before the first one.
    expect((await h.writeback.submit(run('a'), trace(runId))).every((r) => r.status === 'applied')).toBe(true);
    expect((await h.writeback.submit(run('b'), trace(runId))).every((r) => r.status === 'applied')).toBe(true);
    expect(await snapshot()).not.toEqual(before);

    const preview = await h.writeback.undo({ runId, dryRun: true, actor: 'ops' });
    expect(preview).toMatchObject({ restored: 6, archived: 6, skipped: 0 });
    expect((await snapshot())[0]!.ai_summary).toBe('summary b');

    const report = await h.writeback.undo({ runId, dryRun: false, actor: 'ops' });
    expect(report).toMatchObject({ restored: 6, archived: 6, skipped: 0, failed: 0 });
    expect(empty(await snapshot())).toEqual(empty(before));
    for (const id of targets) expect(await aiNotes('companies', id)).toEqual([]);
    const audit = await h.writeback.audit({ runId, event: 'undone', limit: 1000 });
    expect(audit.length).toBe(18); // 3 records × 2 fields × 2 writes, and 6 notes
    expect(audit.every((e) => e.actor === 'ops')).toBe(true);
    // Nothing left to undo.
    expect(await h.writeback.undo({ runId, dryRun: false, actor: 'ops' })).toMatchObject({ restored: 0, archived: 0 });
  });

  it('undo leaves a value a person changed after the AI write alone and reports it', async () => {
    const runId = 'run-undo-human';
    const company = companies[1]!;
    await h.writeback.submit([proposal({ runId, target: { objectType: 'companies', objectId: company }, field: 'ai_recommendation', value: 'Offer a discount.' })], trace(runId));
    await humanEdit(h, 'companies', company, { ai_recommendation: 'No discount: we decided in the QBR.' });
    const report = await h.writeback.undo({ since: new Date(Date.now() - 60_000).toISOString(), dryRun: false, actor: 'ops' });
    const item = report.items.find((i) => i.objectId === company && i.field === 'ai_recommendation')!;
    expect(item.action).toBe('skip');
    expect(item.detail).toMatch(/changed since the AI wrote it/);
    expect((await readProps(h, 'companies', company, ['ai_recommendation'])).ai_recommendation).toBe('No discount: we decided in the QBR.');
    expect((await h.writeback.audit({ event: 'undo_skipped', objectId: company })).length).toBeGreaterThan(0);
  });

  it('a datetime we wrote as ...:00.000Z and HubSpot sends back as ...:00Z is still ours: the next run overwrites it, undo restores it', async () => {
    // Without our app id in the property history, "ours" rests on comparing HubSpot's value with the one we wrote.
    const unattributed = await h.another({ appId: undefined });
    const runId = 'run-datetime-form';
    const company = companies[9]!;
    const before = (await readProps(h, 'companies', company, ['ai_last_run'])).ai_last_run ?? '';
    const write = (value: string) =>
      unattributed.submit([proposal({ runId, id: `${runId}:${value}`, target: { objectType: 'companies', objectId: company }, field: 'ai_last_run', value, confidence: 1 })], trace(runId));
    expect((await write('2026-11-30T23:40:00.000Z'))[0]!.status).toBe('applied');
    expect((await readProps(h, 'companies', company, ['ai_last_run'])).ai_last_run).toBe('2026-11-30T23:40:00Z');
    const [second] = await write('2026-11-30T23:45:00.000Z');
    expect(second!.status, second!.decision.reasons.join('; ')).toBe('applied');

    const report = await unattributed.undo({ runId, dryRun: false, actor: 'ops' });
    expect(report).toMatchObject({ restored: 1, skipped: 0, failed: 0 });
    expect((await readProps(h, 'companies', company, ['ai_last_run'])).ai_last_run ?? '').toBe(before);
  });

  it('a value HubSpot holds in another form is no_change (datetime ...:00Z, number 5 for 5.0); a string property compares as written', async () => {
    const runId = 'run-no-change-form';
    const company = companies[10]!;
    const submit = async (field: string, value: string, tag: string) => {
      const [r] = await h.writeback.submit([proposal({ runId, id: `${runId}:${field}:${tag}`, target: { objectType: 'companies', objectId: company }, field, value, confidence: 1 })], trace(runId));
      return r!;
    };
    const unchanged = (r: Awaited<ReturnType<typeof submit>>) => ({ status: r.status, noChange: r.decision.reasons.some((x) => x.startsWith('no_change:')) });

    expect((await submit('ai_last_run', '2026-11-30T23:40:00.000Z', 'first')).status).toBe('applied');
    expect((await readProps(h, 'companies', company, ['ai_last_run'])).ai_last_run).toBe('2026-11-30T23:40:00Z');
    expect(unchanged(await submit('ai_last_run', '2026-11-30T23:40:00.000Z', 'again'))).toEqual({ status: 'rejected', noChange: true });
    expect(unchanged(await submit('ai_last_run', String(Date.parse('2026-11-30T23:40:00Z')), 'epoch'))).toEqual({ status: 'rejected', noChange: true });

    expect((await submit('ai_lead_score', '5', 'first')).status).toBe('applied');
    expect(unchanged(await submit('ai_lead_score', '5.0', 'again'))).toEqual({ status: 'rejected', noChange: true });

    // ai_fit_segment is a string property: "42.0" is another text than "42", "2139" another than "02139".
    expect((await submit('ai_fit_segment', '42', 'first')).status).toBe('applied');
    expect(unchanged(await submit('ai_fit_segment', '42.0', 'again'))).toEqual({ status: 'applied', noChange: false });
    expect((await submit('ai_fit_segment', '02139', 'zip')).status).toBe('applied');
    expect(unchanged(await submit('ai_fit_segment', '2139', 'zip-short'))).toEqual({ status: 'applied', noChange: false });
    expect((await readProps(h, 'companies', company, ['ai_fit_segment'])).ai_fit_segment).toBe('2139');
  });

  it('marks an approved review stale when a person changed the field since the proposal', async () => {
    const contact = contacts[2]!;
    const seen = (await readProps(h, 'contacts', contact, ['lifecyclestage'])).lifecyclestage;
    const [r] = await h.writeback.submit([proposal({ accountId: await accountOf(h, 'contacts', contact), runId: 'run-stale', target: { objectType: 'contacts', objectId: contact }, field: 'lifecyclestage', value: 'opportunity', observedValue: seen })], trace('run-stale'));
    expect(r!.status).toBe('pending_review');
    await humanEdit(h, 'contacts', contact, { lifecyclestage: 'salesqualifiedlead' });
    const result = await h.writeback.approve(r!.detail!, { actor: 'alice' });
    expect(result.status).toBe('stale');
    expect(result.review.status).toBe('stale');
    expect((await readProps(h, 'contacts', contact, ['lifecyclestage'])).lifecyclestage).toBe('salesqualifiedlead');
    expect((await h.writeback.audit({ proposalId: r!.proposal.id })).map((e) => e.event)).toEqual(['decided', 'queued', 'review_stale']);
  });

  it('edit-and-approve writes the reviewer value and audits the edit', async () => {
    const contact = contacts[3]!;
    const [r] = await h.writeback.submit([proposal({ accountId: await accountOf(h, 'contacts', contact), runId: 'run-edit', target: { objectType: 'contacts', objectId: contact }, field: 'ai_summary', value: 'low confidence text', confidence: 0.2 })], trace('run-edit'));
    expect(r!.status).toBe('pending_review');
    expect(r!.decision.reasons.join(' ')).toMatch(/below_threshold/);
    await expect(h.writeback.approve(r!.detail!, { actor: 'alice', editedValue: 'x'.repeat(70_000) })).rejects.toThrow(/HubSpot allows/);
    const result = await h.writeback.approve(r!.detail!, { actor: 'alice', editedValue: 'Reviewer-corrected summary.' });
    expect(result.status).toBe('approved');
    expect((await readProps(h, 'contacts', contact, ['ai_summary'])).ai_summary).toBe('Reviewer-corrected summary.');
    const applied = (await h.writeback.audit({ proposalId: r!.proposal.id, event: 'applied' }))[0]!;
    expect(applied.newValue).toBe('Reviewer-corrected summary.');
    expect(applied.reasons.join(' ')).toMatch(/edited/);
  });

  it('never overwrites a human-set ai_* value automatically', async () => {
    const contact = contacts[4]!;
    await humanEdit(h, 'contacts', contact, { ai_next_steps: 'Call back after the holidays (set by Sam).' });
    const [r] = await h.writeback.submit([proposal({ accountId: await accountOf(h, 'contacts', contact), runId: 'run-human', target: { objectType: 'contacts', objectId: contact }, field: 'ai_next_steps', value: 'Send pricing.' })], trace('run-human'));
    expect(r!.status).toBe('pending_review');
    expect(r!.decision.reasons.join(' ')).toMatch(/human_value/);
    expect((await readProps(h, 'contacts', contact, ['ai_next_steps'])).ai_next_steps).toBe('Call back after the holidays (set by Sam).');
  });

  it('the kill switch sends automatic writes to review', async () => {
    const killed = await h.another({ killSwitch: true });
    const contact = contacts[5]!;
    const [r] = await killed.submit([proposal({ accountId: await accountOf(h, 'contacts', contact), runId: 'run-kill', target: { objectType: 'contacts', objectId: contact }, field: 'ai_summary', value: 'Should wait.' })], trace('run-kill'));
    expect(r!.status).toBe('pending_review');
    expect(r!.decision.reasons.join(' ')).toMatch(/kill_switch/);
    expect((await readProps(h, 'contacts', contact, ['ai_summary'])).ai_summary ?? '').not.toBe('Should wait.');
  });

  it('records the audit append-only: the database refuses updates and deletes', async () => {
    await expect(raw`UPDATE audit_entries SET actor = 'mallory'`.execute(h.sql.db)).rejects.toThrow(/append-only/);
    await expect(raw`DELETE FROM audit_entries`.execute(h.sql.db)).rejects.toThrow(/append-only/);
  });
});

describe('write-back dry-run (shadow) mode against the sandbox', () => {
  let h: Harness;
  afterAll(async () => h?.close());

  it('acceptance 5: writes nothing to the sandbox, audits every decision and reports against what humans did', async () => {
    h = await startHarness({ writeback: { dryRun: true } });
    const [company] = await firstIds(h, 'companies', 1);
    const [contact] = await firstIds(h, 'contacts', 1);
    const before = await readProps(h, 'companies', company!, ['ai_summary', 'ai_lead_score']);
    const contactBefore = await readProps(h, 'contacts', contact!, ['lifecyclestage']);
    const writesBefore = writeRequests(h.sandbox.metrics().byRoute);
    const runId = 'run-shadow';
    const proposed = contactBefore.lifecyclestage === 'customer' ? 'evangelist' : 'customer';
    const results = await h.writeback.submit(
      [
        proposal({ runId, target: { objectType: 'companies', objectId: company! }, kind: 'note', value: 'Shadow note.' }),
        proposal({ runId, target: { objectType: 'companies', objectId: company! }, field: 'ai_summary', value: 'Shadow summary.' }),
        proposal({ accountId: await accountOf(h, 'contacts', contact!), runId, target: { objectType: 'contacts', objectId: contact! }, field: 'lifecyclestage', value: proposed }),
        proposal({ accountId: await accountOf(h, 'contacts', contact!), runId, target: { objectType: 'contacts', objectId: contact! }, field: 'email', value: 'x@example.com' }),
      ],
      trace(runId),
    );
    expect(results.map((r) => r.status)).toEqual(['dry_run', 'dry_run', 'dry_run', 'dry_run']);
    expect(results.map((r) => r.decision.outcome)).toEqual(['apply', 'apply', 'review', 'reject']);
    expect(writeRequests(h.sandbox.metrics().byRoute)).toBe(writesBefore);
    expect(await readProps(h, 'companies', company!, ['ai_summary', 'ai_lead_score'])).toEqual(before);
    expect(await h.writeback.listReviews({ status: 'pending' })).toEqual([]);

    const decided = await h.writeback.audit({ runId, event: 'decided' });
    expect(decided.map((e) => [e.decision, e.dryRun])).toEqual([['apply', true], ['apply', true], ['review', true], ['reject', true]]);

    // A person then does what the AI proposed for the contact.
    await humanEdit(h, 'contacts', contact!, { lifecyclestage: proposed });
    const report = await h.writeback.dryRunReport();
    expect(report.byDecision).toEqual({ apply: 2, review: 1, reject: 1 });
    expect(report.engagements).toBe(1);
    const item = report.items.find((i) => i.field === 'lifecyclestage')!;
    expect(item.humanChanged).toBe(true);
    expect(item).toMatchObject({ humanAgreed: true, proposedValue: proposed, valueAtDecision: contactBefore.lifecyclestage, currentValue: proposed });
    expect(report.agreementRate).toBe(1);
  });
});

/** Write calls the sandbox served (POST/PATCH/DELETE on CRM objects, not reads or searches). */
function writeRequests(byRoute: Record<string, number>): number {
  return Object.entries(byRoute)
    .filter(([route]) => /^(PATCH|DELETE|PUT)\b/.test(route) || (/^POST\b/.test(route) && !/batch\/read|search|associations.*batch\/read|_sandbox/.test(route)))
    .reduce((n, [, c]) => n + c, 0);
}
