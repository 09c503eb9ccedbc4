import type { AssociationSet, HubSpotObject } from '../core/objects.ts';
import type { AgentDeps } from './agent-types.ts';
import { accountTarget, agentContext, readTriggerEngagement, recordIdsOf, triggerTargets } from './agent-support.ts';
import type { AgentDefinition } from './definition.ts';
import { draftReplyOffline } from './offline/reply-draft.ts';
import { fenceChunks, referenceChunks, renderFacts, type PromptChunks } from './prompt-context.ts';
import { makeProposal, uniqueTargets, type Target } from './proposals.ts';
import { ReplyDraftOutputSchema, type ReplyDraftOutput } from './schemas.ts';
import { fenceText } from './untrusted.ts';

/**
 * Reply draft: for an incoming e-mail, a reply grounded in the thread and the account's history, proposed as one
 * AI note titled "Suggested reply — draft, not sent" on the sender's contact, associated with the account's record
 * and the e-mail's deals of this account. Never sent: the product has no path that sends e-mail.
 *
 * A reply answers the sender, so it belongs to the sender's account: an e-mail cc'd across companies starts a
 * job per account (handlers.ts), and the jobs of the accounts that were only copied end without a proposal.
 */

const EMAIL_PROPERTIES = ['hs_email_subject', 'hs_email_text', 'hs_email_html', 'hs_email_direction', 'hs_email_headers', 'hs_timestamp', 'hubspot_owner_id'];
export const REPLY_DRAFT_TITLE = 'Suggested reply — draft, not sent';

interface DraftState {
  email: HubSpotObject;
  sender: { name: string | null; email: string | null };
  from: SenderContact;
  subject: string;
  text: string;
  owner: string | null;
  chunks: PromptChunks;
  assoc: AssociationSet;
}

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

export const replyDraftAgent: AgentDefinition<DraftState, ReplyDraftOutput> = {
  name: 'reply_draft',
  triggers: ['emails'],
  onDemand: { kind: 'latest', sourceType: 'emails', inboundOnly: true },
  prompt: 'reply_draft',
  schema: ReplyDraftOutputSchema,
  schemaName: 'reply_draft',

  async prepare({ deps, trigger, now }) {
    const accountId = trigger.accountId;
    const read = await readTriggerEngagement(deps, 'emails', trigger.objectId, accountId, EMAIL_PROPERTIES);
    const email = read.object;
    if (!isIncoming(email)) return { skip: 'not an incoming e-mail' };
    const sender = senderOf(email);
    const history = read.history ?? (await deps.gateway.accountHistories([accountId]))[0];
    const from = await senderContact(deps.gateway, email, sender.email, history?.contacts ?? []);
    if (from.kind === 'other_account') return { skip: `the sender is contact ${from.contactId} of another account; ${accountId} was only copied` };
    const subject = email.properties.hs_email_subject ?? '';
    const text = email.properties.hs_email_text ?? '';
    const context = await agentContext(deps, trigger, accountId, 'reply_draft', {
      queryText: `${subject}\n${text.split(/\n\s*(?:--\s*$|On .{6,120} wrote:)/m)[0] ?? ''}`,
      triggerIds: [`emails:${email.id}`],
      now,
      ...(history ? { history } : {}),
    });
    const assoc = await triggerTargets(deps.gateway, read, context.history);
    const chunks = referenceChunks(context.chunks);
    const owner = context.facts.company?.owner ?? context.facts.contacts[0]?.owner ?? null;
    return {
      context,
      refs: chunks.all,
      recordIds: [`emails:${email.id}`, ...recordIdsOf(context)],
      slots: {
        facts: renderFacts(context.facts),
        // The display name is whatever the sender typed: data, fenced like the e-mail itself.
        sender: fenceText(`${sender.name ?? 'unknown'}${sender.email ? ` <${sender.email}>` : ''}`),
        trigger: fenceChunks(chunks.trigger),
        chunks: fenceChunks(chunks.history),
        rep: owner ?? 'the account owner',
      },
      state: { email, sender, from, subject, text, owner, chunks, assoc },
    };
  },

  extract: ({ state, context }) =>
    draftReplyOffline({
      inbound: { fromName: state.sender.name, subject: state.subject, text: state.text, refs: state.chunks.trigger.map((c) => c.ref) },
      repName: state.owner,
      companyName: context.facts.company?.name ?? null,
      chunks: state.chunks.all,
    }),

  async propose({ output, prepared, base, run, evidence }) {
    const { email, sender, from, subject, assoc, chunks } = prepared.state;
    const own = accountTarget(run.trigger.accountId);
    // The rep sees the draft on the sender's contact; on the account record when the sender is not a known contact.
    const target: Target = from.kind === 'own' ? { objectType: 'contacts', objectId: from.contactId } : own;
    const associations = uniqueTargets([own, ...assoc.deals.map((id) => ({ objectType: 'deals' as const, objectId: id }))]);
    // A draft that asserts nothing beyond acknowledging the e-mail is as good as its grounding in that e-mail.
    const confidence = output.claims.length ? evidence.confidence(output.claims) : 0;
    return [
      makeProposal(base, {
        target,
        associations,
        kind: 'note',
        field: null,
        title: `${REPLY_DRAFT_TITLE}: reply to ${sender.name ?? 'customer'} about ${subject || '(no subject)'}`.slice(0, 250),
        value: `${REPLY_DRAFT_TITLE}.\nSubject: ${output.subject}\n\n${output.body}`,
        confidence,
        evidence: [...new Set([...chunks.trigger.map((c) => c.id), ...evidence.supportingEvidence(output.claims)])],
        rationale: `Draft for incoming e-mail ${email.id}; ${output.claims.filter((c) => evidence.supported(c)).length} of ${output.claims.length} claim(s) supported by the cited text`,
      }),
    ];
  },
};

type SenderContact = { kind: 'own'; contactId: string } | { kind: 'other_account'; contactId: string } | { kind: 'unknown' };

/**
 * Which contact wrote the e-mail: one of this account's contacts (matched by address), a contact of another
 * account that the e-mail is also associated with, or nobody the CRM knows.
 */
async function senderContact(gateway: AgentDeps['gateway'], email: HubSpotObject, address: string | null, accountContacts: HubSpotObject[]): Promise<SenderContact> {
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
