import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordType } from '../../src/core/objects.ts';
import type { HubSpotGateway } from '../../src/hubspot/gateway.ts';
import type { AuditEntry } from '../../src/writeback/audit-store.ts';
import { tempDir } from '../support/tmp.ts';
import { companyWithOpenDeal, startE2eStack, type E2eStack } from './e2e-stack.ts';

/**
 * Issue 12, acceptance 1: a call shared by two accounts (company A's call, A's deal, and a partner's contact who
 * belongs to company B) and an e-mail from B cc'd to a contact of A. Through webhooks and the on-demand API,
 * every write, note, task and property lands on a record of the job's own account (checked against HubSpot's
 * associations), and neither account's text reaches the other's prompts.
 */

// Facts only one account's history holds, planted as people's notes.
const A_FACT = 'KESTREL-7741: the board approved a budget of 4.3M for the rollout';
const B_FACT = 'OSPREY-3319: their legal team requires on-premise hosting in Zurich';

describe('writes and context stay inside the job\'s account', () => {
  let s: E2eStack;
  let gw: HubSpotGateway;
  const tmp = tempDir('hsai-isolation-');

  beforeAll(async () => {
    // Tasks wait for review, so the reply draft's target is visible in the queue.
    const policyFile = path.join(tmp.dir, 'policy.yaml');
    fs.writeFileSync(policyFile, 'tasks:\n  mode: review\n');
    s = await startE2eStack({ companies: 15, env: { POLICY_FILE: policyFile } });
    gw = await s.container.gateway();
  }, 300_000); // a ceiling for start-up (sandbox, setup, backfill): over 120 s on a 2-core machine at load 25
  afterAll(async () => {
    await s?.close();
    tmp.cleanup();
  });

  it('a shared call and a cc\'d e-mail: one job per account, each writing only to its own records', async () => {
    const truth = s.sandbox.groundTruth();
    const a = companyWithOpenDeal(truth, truth.whaleAccountIds);
    const contactsOf = await gw.batchAssociations('companies', 'contacts', truth.companies.map((c) => c.id));
    const b = truth.companies.find((c) => c.id !== a && !truth.whaleAccountIds.includes(c.id) && (contactsOf.get(c.id) ?? []).length > 0)!.id;
    const aContacts = contactsOf.get(a) ?? [];
    const bContacts = contactsOf.get(b) ?? [];
    const partner = bContacts.find((c) => !aContacts.includes(c))!;
    const copied = aContacts.find((c) => !bContacts.includes(c))!;
    const aDeals = (await gw.batchAssociations('companies', 'deals', [a])).get(a) ?? [];
    expect(partner && copied && aDeals.length > 0).toBeTruthy();

    await s.simulate('note', { companyId: a, text: `${A_FACT}.` });
    await s.simulate('note', { companyId: b, text: `${B_FACT}.` });
    await s.settle();
    const since = new Date().toISOString();

    const call = await s.simulate('call', { companyId: a, contactIds: [partner] });
    const email = await s.simulate('email', {
      companyId: b,
      direction: 'INCOMING_EMAIL',
      subject: 'Renewal terms',
      text: 'Could you confirm the renewal terms and the hosting plan before Friday?',
      ccContactIds: [copied],
    });
    const callId = call.ids.calls![0]!;
    const emailId = email.ids.emails![0]!;
    expect((await gw.accountsOf('calls', callId)).sort()).toEqual([a, b].sort());
    expect((await gw.accountsOf('emails', emailId)).sort()).toEqual([a, b].sort());
    await s.settle();

    // On demand for B: its latest call is the shared one.
    const manual = await s.app.inject({ method: 'POST', url: `/v1/accounts/${b}/generate/call_summary`, headers: s.auth('reviewer'), payload: { dryRun: false } });
    expect(manual.statusCode, manual.body).toBe(200);
    const manualBody = manual.json<{ results: Array<{ target: { objectType: RecordType; objectId: string }; status: string }> }>();
    expect(manualBody.results.length).toBeGreaterThan(0);
    await s.settle();

    const wb = await s.container.writeback();
    const audit = await wb.audit({ since, limit: 5000, withTrace: true });
    const decided = audit.filter((e) => e.event === 'decided');
    const by = (account: string, agent?: string) => decided.filter((e) => e.accountId === account && (!agent || e.agent === agent));

    // One call summary per account for the shared call (webhooks), one reply draft, for the sender's account only.
    expect(by(a, 'call_summary').length).toBeGreaterThan(0);
    expect(by(b, 'call_summary').length).toBeGreaterThan(0);
    const drafts = decided.filter((e) => e.agent === 'reply_draft');
    expect(drafts.length).toBeGreaterThan(0);
    for (const d of drafts) {
      expect(d.accountId).toBe(b);
      expect(`${d.objectType}:${d.objectId}`).toMatch(/^contacts:/);
      expect(bContacts).toContain(d.objectId);
    }

    // The cases of the report: A's job never targets B's partner contact; B's never targets A's deal.
    expect(by(a).map((e) => `${e.objectType}:${e.objectId}`)).not.toContain(`contacts:${partner}`);
    expect(by(b).filter((e) => e.objectType === 'deals').map((e) => e.objectId).filter((d) => d !== null && aDeals.includes(d))).toEqual([]);
    expect(by(b).filter((e) => e.objectType === 'contacts').map((e) => e.objectId)).not.toContain(copied);

    // Every proposal decided names an account, and nothing was rejected for landing outside it: agents chose
    // in-account targets themselves.
    expect(decided.every((e) => e.accountId !== null)).toBe(true);
    expect(decided.filter((e) => e.reasons.some((r) => r.startsWith('target_outside_account')))).toEqual([]);

    // HubSpot agrees: each write that landed or waits is on a record of its job's account...
    const landed = audit.filter((e) => e.event === 'applied' || e.event === 'queued');
    expect(landed.length).toBeGreaterThan(0);
    for (const e of landed) {
      const owners = await gw.accountsOf(e.objectType as RecordType, e.objectId!);
      expect(owners, `${e.agent} ${e.kind} ${e.objectType}:${e.objectId} for ${e.accountId}`).toContain(e.accountId);
    }
    // ...and every AI note is associated only with records of that account.
    for (const e of audit.filter((x) => x.event === 'applied' && x.kind === 'note')) {
      const noteId = (e.outcome as { createdId: string }).createdId;
      const assoc = (await gw.engagementAssociations('notes', [noteId])).get(noteId)!;
      for (const type of ['companies', 'contacts', 'deals', 'tickets'] as const) {
        for (const id of assoc[type]) expect(await gw.accountsOf(type, id), `note ${noteId} → ${type}:${id}`).toContain(e.accountId!);
      }
    }

    // Context never crosses: the other account's planted fact is in none of an account's prompts, while its
    // own fact does reach it (so the check is not vacuous).
    const prompts = (account: string) => uniqueTraces(by(account)).map((t) => t.prompt);
    expect(prompts(a).length).toBeGreaterThan(0);
    expect(prompts(b).length).toBeGreaterThan(0);
    for (const p of prompts(a)) expect(p).not.toContain('OSPREY-3319');
    for (const p of prompts(b)) expect(p).not.toContain('KESTREL-7741');
    const own = await s.app.inject({ method: 'POST', url: `/v1/accounts/${a}/generate/account_summary`, headers: s.auth('reviewer'), payload: { dryRun: true } });
    expect(own.statusCode, own.body).toBe(200);
    const ownAudit = await wb.audit({ accountId: a, agent: 'account_summary', withTrace: true, since, limit: 1000 });
    expect(uniqueTraces(ownAudit).some((t) => t.prompt.includes('KESTREL-7741'))).toBe(true);
    expect((await s.jobStats()).total.dead).toBe(0);
  }, 180_000);
});

function uniqueTraces(entries: AuditEntry[]): Array<{ id: string; prompt: string }> {
  const out = new Map<string, { id: string; prompt: string }>();
  for (const e of entries) if (e.trace) out.set(e.trace.id, { id: e.trace.id, prompt: e.trace.prompt });
  return [...out.values()];
}
