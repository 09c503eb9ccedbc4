import type { HubSpotObject } from '../core/objects.ts';
import type { AgentDeps, AgentResult, AgentTrigger } from './agent-types.ts';
import { accountTarget, citations, groundedConfidence, readTrigger, recordIdsOf, skippedTrace, agentContext } from './agent-support.ts';
import type { OfflineReplyDraftInput } from './offline/types.ts';
import { fenceChunks, referenceChunks, renderFacts } from './prompt-context.ts';
import { fenceText } from './untrusted.ts';
import { loadPrompt } from './prompts.ts';
import { makeProposal, type ProposalBase, type Target } from './proposals.ts';
import { runModel } from './run-model.ts';
import { ReplyDraftOutputSchema, type ReplyDraftOutput } from './schemas.ts';

/**
 * Reply draft: for an incoming e-mail, a reply grounded in the thread and the account's history, proposed as a
 * task for the rep (the draft in the body). Never sent: the product has no path that sends e-mail.
 *
 * A reply answers the sender, so it belongs to the sender's account: an e-mail cc'd across companies starts a
 * job per account (handlers.ts), and the jobs of the accounts that were only copied end without a proposal.
 */

const EMAIL_PROPERTIES = ['hs_email_subject', 'hs_email_text', 'hs_email_html', 'hs_email_direction', 'hs_email_headers', 'hs_timestamp', 'hubspot_owner_id'];

export function isIncoming(email: HubSpotObject): boolean {
  return email.properties.hs_email_direction === 'INCOMING_EMAIL';
}

/** HubSpot's `hs_email_headers` JSON: `{ from: { email, firstName, lastName }, to: [...] }`. */
export function senderOf(email: HubSpotObject): { name: string | null; email: string | null } {
  try {
    const h = JSON.parse(email.properties.hs_email_headers ?? '{}') as { from?: { email?: string; firstName?: string; lastName?: string } };
    const name = [h.from?.firstName, h.from?.lastName].filter(Boolean).join(' ');
    return { name: name || null, email: h.from?.email ?? null };
  } catch {
    return { name: null, email: null };
  }
}

export async function runReplyDraft(deps: AgentDeps, trigger: AgentTrigger): Promise<AgentResult & { output: ReplyDraftOutput | null }> {
  const email = await readTrigger(deps.gateway, 'emails', trigger.objectId, EMAIL_PROPERTIES);
  const accountId = trigger.accountId;
  if (!isIncoming(email)) return { proposals: [], trace: skippedTrace(deps, 'reply_draft', trigger, 'not an incoming e-mail'), output: null };
  const sender = senderOf(email);
  const history = deps.readHistory ? await deps.readHistory(accountId) : (await deps.gateway.accountHistories([accountId]))[0];
  const from = await senderContact(deps.gateway, email, sender.email, history?.contacts ?? []);
  if (from.kind === 'other_account') {
    return { proposals: [], trace: skippedTrace(deps, 'reply_draft', trigger, `the sender is contact ${from.contactId} of another account; ${accountId} was only copied`), output: null };
  }
  const subject = email.properties.hs_email_subject ?? '';
  const text = email.properties.hs_email_text ?? '';
  const now = deps.now?.() ?? new Date();
  const context = await agentContext(deps, trigger, accountId, 'reply_draft', {
    queryText: `${subject}\n${text.split(/\n\s*(?:--\s*$|On .{6,120} wrote:)/m)[0] ?? ''}`,
    triggerIds: [`emails:${email.id}`],
    now,
    ...(history ? { history } : {}),
  });
  const refs = referenceChunks(context.chunks);
  const owner = context.facts.company?.owner ?? context.facts.contacts[0]?.owner ?? null;
  const prompt = loadPrompt('reply_draft');
  const offline: OfflineReplyDraftInput = {
    inbound: { fromName: sender.name, subject, text, refs: refs.trigger.map((c) => c.ref) },
    repName: owner,
    companyName: context.facts.company?.name ?? null,
    chunks: refs.all,
  };
  const { result, trace } = await runModel({
    provider: deps.provider,
    agent: 'reply_draft',
    runId: trigger.runId,
    prompt,
    ...(trigger.signal ? { signal: trigger.signal } : {}),
    slots: {
      facts: renderFacts(context.facts),
      // The display name is whatever the sender typed: data, fenced like the e-mail itself.
      sender: fenceText(`${sender.name ?? 'unknown'}${sender.email ? ` <${sender.email}>` : ''}`),
      trigger: refs.trigger.length ? fenceChunks(refs.trigger) : fenceChunks([]),
      chunks: fenceChunks(refs.history),
      rep: owner ?? 'the account owner',
    },
    schema: ReplyDraftOutputSchema,
    schemaName: 'reply_draft',
    offlineContext: offline,
    context,
    recordIds: [`emails:${email.id}`, ...recordIdsOf(context)],
  });
  const output: ReplyDraftOutput = { ...result.output, claims: result.output.claims.map((c) => ({ ...c, evidence: citations(c.evidence, refs.all) })) };
  const evidence = [...new Set([...refs.trigger.map((c) => c.id), ...output.claims.flatMap((c) => c.evidence)])];

  // The rep sees the task on the sender's contact; the account record when the sender is not a known contact.
  const target: Target = from.kind === 'own' ? { objectType: 'contacts', objectId: from.contactId } : accountTarget(accountId);
  const base: ProposalBase = {
    portalId: trigger.portalId,
    accountId,
    runId: trigger.runId,
    agent: 'reply_draft',
    promptVersion: prompt.id,
    model: result.model,
    createdAt: now.toISOString(),
  };
  const proposals = [
    makeProposal(base, {
      target,
      kind: 'task',
      field: null,
      title: `Reply to ${sender.name ?? 'customer'}: ${subject || '(no subject)'}`.slice(0, 250),
      value: `Suggested reply (draft, not sent). Subject: ${output.subject}\n\n${output.body}`,
      confidence: groundedConfidence(output.claims, result.provider === 'offline' ? 0.7 : 0.9),
      evidence,
      rationale: `Draft for incoming e-mail ${email.id}; ${output.claims.length} cited claim(s)`,
    }),
  ];
  return { proposals, trace, output };
}

type SenderContact = { kind: 'own'; contactId: string } | { kind: 'other_account'; contactId: string } | { kind: 'unknown' };

/**
 * Which contact wrote the e-mail: one of this account's contacts (matched by address), a contact of another
 * account that the e-mail is also associated with, or nobody the CRM knows.
 */
async function senderContact(
  gateway: AgentDeps['gateway'],
  email: HubSpotObject,
  address: string | null,
  accountContacts: HubSpotObject[],
): Promise<SenderContact> {
  if (!address) return { kind: 'unknown' };
  const same = (c: HubSpotObject) => (c.properties.email ?? '').trim().toLowerCase() === address.trim().toLowerCase();
  const own = accountContacts.find(same);
  if (own) return { kind: 'own', contactId: own.id };
  const mine = new Set(accountContacts.map((c) => c.id));
  const others = ((await gateway.engagementAssociations('emails', [email.id])).get(email.id)?.contacts ?? []).filter((id) => !mine.has(id));
  if (others.length === 0) return { kind: 'unknown' };
  const other = (await gateway.batchRead('contacts', others, { properties: ['email'] })).find(same);
  return other ? { kind: 'other_account', contactId: other.id } : { kind: 'unknown' };
}
