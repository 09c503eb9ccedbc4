import {
  ENGAGEMENT_SOURCE,
  parseAccountId,
  RECORD_TYPES,
  type AccountHistory,
  type Engagement,
  type HubSpotObject,
  type ObjectType,
  type SourceType,
} from '../core/objects.ts';
import { isProductEngagement } from '../core/product-output.ts';
import { normalizeEmail } from './normalize/email.ts';
import { richTextToPlain } from './normalize/html.ts';
import { companyName, companyText, contactName, contactText, dealName, dealText } from './normalize/record-text.ts';
import { toIso } from './normalize/timestamps.ts';
import { parseTranscript, type Turn } from './normalize/transcript.ts';
import { collapseWhitespace } from './normalize/whitespace.ts';

export type { Turn } from './normalize/transcript.ts';

/**
 * One indexable source (an engagement, a ticket, or a record's own properties) as normalized plain text. The
 * chunker turns it into chunks; `body === ''` means "nothing to index" (the caller still learns the source
 * exists, so stale chunks of a now-empty source can be removed).
 */
export interface SourceDocument {
  accountId: string;
  accountName: string;
  sourceType: SourceType;
  objectType: ObjectType;
  objectId: string;
  /** `${objectType}:${objectId}` */
  sourceId: string;
  occurredAt: string;
  direction: 'inbound' | 'outbound' | null;
  title: string;
  participants: string[];
  body: string;
  /** Speaker turns of a call or meeting transcript; when set, `body` is their rendering. */
  turns?: Turn[];
  /** Other objects the source is associated with, `${objectType}:${id}`. */
  relatedIds: string[];
}

export function isEmptyDocument(doc: SourceDocument): boolean {
  return doc.body.trim() === '';
}

interface Context {
  accountId: string;
  accountName: string;
  contactsById: Map<string, HubSpotObject>;
  /** `<objectType>:<id>` of the account's own records: a shared engagement shows only these as related. */
  ownRecords: Set<string>;
}

const EPOCH = new Date(0).toISOString();

/**
 * Every source of an account: one `record` document each for the company, its contacts and deals, then every
 * ticket and engagement. Documents with nothing to index are returned with `body: ''` (see `isEmptyDocument`).
 */
export function documentsFromHistory(history: AccountHistory, opts: { accountName?: string } = {}): SourceDocument[] {
  const ctx: Context = {
    accountId: history.accountId,
    accountName: opts.accountName ?? defaultAccountName(history),
    contactsById: new Map(history.contacts.map((c) => [c.id, c])),
    ownRecords: new Set([
      ...(history.company ? [`companies:${history.company.id}`] : []),
      ...history.contacts.map((c) => `contacts:${c.id}`),
      ...history.deals.map((d) => `deals:${d.id}`),
      ...history.tickets.map((t) => `tickets:${t.id}`),
    ]),
  };
  const docs: SourceDocument[] = [];
  if (history.company) docs.push(recordDocument(ctx, 'companies', history.company, companyName(history.company), companyText(history.company), []));
  for (const contact of history.contacts) {
    const name = contactName(contact);
    docs.push(recordDocument(ctx, 'contacts', contact, name, contactText(contact), [name]));
  }
  for (const deal of history.deals) docs.push(recordDocument(ctx, 'deals', deal, dealName(deal), dealText(deal), []));
  for (const ticket of history.tickets) docs.push(ticketDocument(ctx, ticket));
  for (const engagement of history.engagements) docs.push(engagementDocument(ctx, engagement));
  return docs;
}

function defaultAccountName(history: AccountHistory): string {
  if (history.company) return companyName(history.company);
  const { type, id } = parseAccountId(history.accountId);
  const contact = type === 'contacts' ? history.contacts.find((c) => c.id === id) : undefined;
  return contact ? contactName(contact) : history.accountId;
}

function base(ctx: Context, objectType: ObjectType, obj: HubSpotObject, sourceType: SourceType) {
  return {
    accountId: ctx.accountId,
    accountName: ctx.accountName,
    sourceType,
    objectType,
    objectId: obj.id,
    sourceId: `${objectType}:${obj.id}`,
  };
}

function occurredAt(obj: HubSpotObject, ...properties: string[]): string {
  for (const p of [...properties, 'hs_timestamp', 'createdate', 'hs_createdate']) {
    const iso = toIso(obj.properties[p]);
    if (iso) return iso;
  }
  return toIso(obj.createdAt) ?? toIso(obj.updatedAt) ?? EPOCH;
}

function recordDocument(ctx: Context, objectType: ObjectType, obj: HubSpotObject, title: string, body: string, participants: string[]): SourceDocument {
  // The creation date, not the last-modified one: it keeps the header (and so the content hash) stable when
  // unrelated properties change.
  return { ...base(ctx, objectType, obj, 'record'), occurredAt: occurredAt(obj), direction: null, title, participants, body, relatedIds: [] };
}

function ticketDocument(ctx: Context, ticket: HubSpotObject): SourceDocument {
  const p = ticket.properties;
  const content = richTextToPlain(p.content);
  const meta = [p.hs_ticket_priority && `Priority: ${p.hs_ticket_priority}`, p.hs_pipeline_stage && `Stage: ${p.hs_pipeline_stage}`].filter(Boolean);
  return {
    ...base(ctx, 'tickets', ticket, 'ticket'),
    occurredAt: occurredAt(ticket),
    direction: null,
    title: p.subject?.trim() || `Ticket ${ticket.id}`,
    participants: [],
    body: content === '' ? '' : [...meta, content].join('\n'),
    relatedIds: [],
  };
}

function engagementDocument(ctx: Context, engagement: Engagement): SourceDocument {
  const { object: obj, type } = engagement;
  const p = obj.properties;
  const associated = engagement.associations.contacts.map((id) => ctx.contactsById.get(id)).filter((c): c is HubSpotObject => c !== undefined);
  const common = {
    // The product's own notes and tasks are indexed apart: never evidence for the next generation.
    ...base(ctx, type, obj, isProductEngagement(engagement) ? 'ai_output' : ENGAGEMENT_SOURCE[type]),
    relatedIds: relatedIds(engagement, ctx.ownRecords),
  };
  switch (type) {
    case 'emails': {
      const { body } = normalizeEmail({ html: p.hs_email_html, text: p.hs_email_text });
      return {
        ...common,
        occurredAt: occurredAt(obj),
        direction: p.hs_email_direction === 'INCOMING_EMAIL' ? 'inbound' : p.hs_email_direction ? 'outbound' : null,
        title: p.hs_email_subject?.trim() || '(no subject)',
        participants: unique([...emailPeople(p), ...associated.map(contactName)]),
        body,
      };
    }
    case 'calls':
    case 'meetings': {
      const isCall = type === 'calls';
      const text = richTextToPlain(isCall ? (p.hs_call_transcript ?? p.hs_call_body) : p.hs_meeting_body);
      const transcript = text ? parseTranscript(text) : null;
      const internal = isCall ? '' : richTextToPlain(p.hs_internal_meeting_notes);
      const outcome = !isCall && p.hs_meeting_outcome ? `Outcome: ${p.hs_meeting_outcome}` : '';
      const speakers = transcript?.turns.map((t) => t.speaker) ?? [];
      const body = transcript ? renderTranscript(transcript.preamble, transcript.turns) : text;
      return {
        ...common,
        occurredAt: isCall ? occurredAt(obj) : occurredAt(obj, 'hs_meeting_start_time'),
        direction: isCall ? callDirection(p.hs_call_direction) : null,
        title: (isCall ? p.hs_call_title : p.hs_meeting_title)?.trim() || (isCall ? 'Call' : 'Meeting'),
        participants: unique([...associated.map(contactName), ...speakers]),
        body: [body, internal && `Internal notes:\n${internal}`, body || internal ? outcome : ''].filter(Boolean).join('\n\n'),
        ...(transcript ? { turns: transcript.turns } : {}),
      };
    }
    case 'notes': {
      const body = richTextToPlain(p.hs_note_body);
      return { ...common, occurredAt: occurredAt(obj), direction: null, title: firstLine(body) || 'Note', participants: unique(associated.map(contactName)), body };
    }
    case 'tasks': {
      const body = richTextToPlain(p.hs_task_body);
      const subject = p.hs_task_subject?.trim() ?? '';
      const status = p.hs_task_status ? `Status: ${p.hs_task_status}` : '';
      // A task is often only its subject ("Send the security questionnaire"): that is content worth indexing.
      const content = body || subject;
      return {
        ...common,
        occurredAt: occurredAt(obj),
        direction: null,
        title: subject || 'Task',
        participants: unique(associated.map(contactName)),
        body: content === '' ? '' : [status, content].filter(Boolean).join('\n'),
      };
    }
  }
}

/** The text a transcript document embeds: one line per turn, the way transcripts are usually written. */
export function renderTurn(turn: Turn): string {
  const label = turn.affiliation ? `${turn.speaker} (${turn.affiliation})` : turn.speaker;
  return `${turn.at ? `[${turn.at}] ` : ''}${label}: ${turn.text}`;
}

function renderTranscript(preamble: string, turns: Turn[]): string {
  return [preamble, turns.map(renderTurn).join('\n')].filter(Boolean).join('\n\n');
}

/** The records of this account the engagement is associated with; another account's records stay out of its view. */
function relatedIds(engagement: Engagement, ownRecords: Set<string>): string[] {
  const out: string[] = [];
  for (const type of RECORD_TYPES) for (const id of engagement.associations[type] ?? []) if (ownRecords.has(`${type}:${id}`)) out.push(`${type}:${id}`);
  return unique(out);
}

function callDirection(v: string | null | undefined): 'inbound' | 'outbound' | null {
  if (v === 'INBOUND') return 'inbound';
  if (v === 'OUTBOUND') return 'outbound';
  return null;
}

interface EmailHeaders {
  from?: { email?: string; firstName?: string; lastName?: string };
  to?: Array<{ email?: string; firstName?: string; lastName?: string }>;
  cc?: Array<{ email?: string; firstName?: string; lastName?: string }>;
}

function emailPeople(p: Record<string, string | null>): string[] {
  // `hs_email_headers` (JSON) is what HubSpot fills for logged and synced e-mails; the flat from/to properties
  // are the fallback.
  const headers = parseHeaders(p.hs_email_headers);
  if (headers) {
    const name = (x?: { email?: string; firstName?: string; lastName?: string }) => [x?.firstName, x?.lastName].filter(Boolean).join(' ').trim() || x?.email || '';
    const people = [name(headers.from), ...(headers.to ?? []).map(name), ...(headers.cc ?? []).map(name)].filter((s) => s !== '');
    if (people.length > 0) return people;
  }
  const from = [p.hs_email_from_firstname, p.hs_email_from_lastname].filter(Boolean).join(' ').trim() || p.hs_email_from_email || '';
  const toEmails = (p.hs_email_to_email ?? '').split(/[;,]/);
  const toFirst = (p.hs_email_to_firstname ?? '').split(';');
  const toLast = (p.hs_email_to_lastname ?? '').split(';');
  const to = toEmails.map((email, i) => [toFirst[i], toLast[i]].filter(Boolean).join(' ').trim() || email.trim());
  return [from, ...to].filter((s) => s !== '');
}

function parseHeaders(raw: string | null | undefined): EmailHeaders | null {
  if (!raw) return null;
  try {
    const parsed: unknown = JSON.parse(raw);
    return parsed && typeof parsed === 'object' ? parsed : null;
  } catch {
    return null;
  }
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}

function unique(values: string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const v of values.map((s) => collapseWhitespace(s))) {
    const key = v.toLowerCase();
    if (v === '' || seen.has(key)) continue;
    seen.add(key);
    out.push(v);
  }
  return out;
}
