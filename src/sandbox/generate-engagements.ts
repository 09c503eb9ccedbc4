import type { AccountCtx, ContactCtx, DealPlan } from './generate-records.ts';
import { DAY, PORTAL_END, iso, type PortalBuilder } from './portal-builder.ts';
import type { Rng } from './prng.ts';
import { buildTranscript } from './text-call.ts';
import { buildEmail, type EmailShape, type Person } from './text-email.ts';
import type { CallTruth, Evidence, GroundTruth, Injection } from './types.ts';
import { BURIED_FACTS, COMPETITORS, INJECTIONS, NEXT_STEPS, NON_ENGLISH, OBJECTIONS, type Industry } from './vocabulary.ts';

/** Notes, e-mails, calls, meetings and tasks of one account, with the ground truth they carry. */

export interface TruthSink {
  calls: CallTruth[];
  evidence: Evidence[];
  injections: Injection[];
  edgeCases: GroundTruth['edgeCases'];
}

interface Links {
  companies?: string[];
  contacts?: string[];
  deals?: string[];
  tickets?: string[];
}

/** Varied business prose in the account's vocabulary; `sentences` controls the length. */
export function prose(rng: Rng, ind: Industry, sentences: number): string {
  const templates = [
    () => `We discussed how the ${rng.pick(ind.products)} could help because ${rng.pick(ind.pains)}.`,
    () => `The team mentioned ${rng.pick(ind.terms)} and ${rng.pick(ind.terms)} as the areas with the most friction this quarter.`,
    () => `Their current process around ${rng.pick(ind.terms)} is mostly manual and spread over spreadsheets.`,
    () => `They would like to see a rollout plan that covers ${rng.pick(ind.terms)} first and the ${rng.pick(ind.products)} later.`,
    () => `Reporting on ${rng.pick(ind.terms)} came up again; leadership wants a weekly view.`,
    () => `Adoption risk is moderate: the ${rng.pick(['operations', 'finance', 'IT', 'support'])} team owns the change.`,
    () => `Success would mean that ${rng.pick(ind.pains)} is no longer a topic in the monthly review.`,
  ];
  return Array.from({ length: sentences }, () => rng.pick(templates)()).join(' ');
}

export class EngagementGenerator {
  constructor(
    private readonly b: PortalBuilder,
    private readonly rng: Rng,
    readonly truth: TruthSink,
  ) {}

  account(ctx: AccountCtx): void {
    const { rng } = this;
    const company = ctx.companyId ? [ctx.companyId] : [];
    const span = Math.max(DAY, PORTAL_END - ctx.createdAt - DAY);
    const at = (from = 0.05, to = 1) => ctx.createdAt + Math.floor((from + (to - from) * rng.next()) * span);
    const threads = ctx.companyId ? (ctx.band === 'smb' ? 2 : ctx.band === 'mid-market' ? 3 : 4) : rng.int(1, 2);
    const buriedIn = rng.int(0, 1); // 0: an old e-mail, 1: an old note
    const fact = this.pickFact();
    for (let t = 0; t < threads; t++) {
      const contact = rng.pick(ctx.contacts);
      const buried = t === 0 && buriedIn === 0 ? fact : undefined;
      const ids = this.thread(ctx, contact, { companies: company, contacts: [contact.id] }, t === 0 ? at(0.02, 0.2) : at(0.2, 1), rng.int(1, 4), buried?.text);
      if (buried) this.evidence(ctx, 'account_summary', buried.query, [`emails:${ids[0]}`], buried.fact);
      if (t === threads - 1 && ids.length > 0) {
        // The newest incoming question is what a reply draft must address.
        const q = this.question(ctx, contact, company, at(0.9, 1));
        this.evidence(ctx, 'reply_draft', `customer question whether ${q.topic} can support ${q.need}`, [`emails:${q.id}`], `${contact.person.name} asked whether the ${q.topic} supports ${q.need}.`);
      }
    }
    const notes = ctx.companyId ? rng.int(1, 3) : 1;
    for (let n = 0; n < notes; n++) {
      const buried = n === 0 && buriedIn === 1 ? fact : undefined;
      const id = this.note(ctx, { companies: company, contacts: [rng.pick(ctx.contacts).id] }, n === 0 ? at(0.02, 0.2) : at(), buried?.text);
      if (buried) this.evidence(ctx, 'account_summary', buried.query, [`notes:${id}`], buried.fact);
    }
    for (let k = rng.int(1, 3); k > 0; k--) this.task(ctx, { companies: company, contacts: [rng.pick(ctx.contacts).id] }, at());
    if (ctx.companyId) for (let k = rng.int(0, 1); k > 0; k--) this.call(ctx, [rng.pick(ctx.contacts)], company, [], at(), false);
    for (const d of ctx.deals) this.deal(ctx, d, company);
    if (ctx.whale) this.whale(ctx, company);
  }

  private pickFact(): { text: string; fact: string; query: string } {
    const tpl = this.rng.pick(BURIED_FACTS);
    const v = this.rng.pick(tpl.values);
    return { text: tpl.text(v), fact: tpl.fact(v), query: tpl.query };
  }

  private evidence(ctx: AccountCtx, task: Evidence['task'], query: string, sourceIds: string[], fact: string): void {
    this.truth.evidence.push({ accountId: ctx.accountId, task, query, sourceIds, fact });
  }

  /** Everything on a deal: its meetings, incoming e-mails and one call, ending at the deal's last activity. */
  private deal(ctx: AccountCtx, d: DealPlan, company: string[]): void {
    const { rng } = this;
    const people = ctx.contacts.filter((c) => d.contactIds.includes(c.id));
    const links = { companies: company, contacts: d.contactIds, deals: [d.id] };
    const when = (i: number, n: number) => d.createdAt + Math.floor(((i + 1) / (n + 1)) * (d.lastActivityAt - d.createdAt));
    for (let i = 0; i < d.features.meetings; i++) this.meeting(ctx, people, links, when(i, d.features.meetings + 1));
    for (let i = 0; i < d.features.inboundEmails; i++) {
      const c = rng.pick(people);
      this.email(ctx, c, links, when(i, d.features.inboundEmails + 1), 'INCOMING_EMAIL', rng.pick(['plain', 'html'] as const), `Re: ${ctx.name} proposal`, [prose(rng, ctx.industry, rng.int(2, 4))]);
    }
    const call = this.call(ctx, people, company, [d.id], d.lastActivityAt, d.features.competitor === 1);
    if (d.features.competitor === 1) {
      const comp = this.truth.calls[this.truth.calls.length - 1]?.competitors[0] ?? '';
      this.evidence(ctx, 'lead_score', `competitor demo pricing ${comp} evaluation`, [`calls:${call}`], `The buyer also saw a demo from ${comp}.`);
    }
  }

  /** A whale: hundreds of long e-mails, notes and calls, so the index holds well over 1,000 chunks for it. */
  private whale(ctx: AccountCtx, company: string[]): void {
    const { rng } = this;
    const at = () => ctx.createdAt + Math.floor(rng.next() * (PORTAL_END - ctx.createdAt - DAY));
    for (let i = 0; i < 480; i++) {
      const c = rng.pick(ctx.contacts);
      this.email(ctx, c, { companies: company, contacts: [c.id] }, at(), rng.chance(0.5) ? 'INCOMING_EMAIL' : 'EMAIL', rng.pick(['plain', 'html'] as const), `${ctx.name}: ${rng.pick(ctx.industry.terms)} weekly update ${i + 1}`, Array.from({ length: 6 }, () => prose(rng, ctx.industry, 5)));
    }
    for (let i = 0; i < 140; i++) this.note(ctx, { companies: company }, at(), Array.from({ length: 5 }, () => prose(rng, ctx.industry, 5)).join('\n\n'));
    for (let i = 0; i < 40; i++) this.call(ctx, rng.sample(ctx.contacts, 2), company, [], at(), false, 8000);
  }

  thread(ctx: AccountCtx, contact: ContactCtx, links: Links, start: number, messages: number, buried?: string, forceForward = false): string[] {
    const { rng } = this;
    const ids: string[] = [];
    const subject = `${rng.pick(ctx.industry.products)} for ${ctx.name}`;
    let prev: { from: Person; to: Person; text: string; timestamp: number; subject: string } | undefined;
    let ts = start;
    for (let i = 0; i < messages; i++) {
      const incoming = i % 2 === 0;
      const from = incoming ? contact.person : ctx.rep;
      const to = incoming ? ctx.rep : contact.person;
      const forward = i > 0 && (forceForward || rng.chance(0.12));
      const shape: EmailShape = forward ? 'forward' : i > 0 ? 'reply' : rng.chance(0.4) ? 'html' : 'plain';
      const paragraphs = [prose(rng, ctx.industry, rng.int(2, 5))];
      if (i === 0 && buried) paragraphs.push(buried);
      const nonEnglish = incoming && i === 0 && !buried && rng.chance(0.05);
      const injected = incoming && !buried && rng.chance(0.03);
      if (injected) paragraphs.push(rng.pick(INJECTIONS));
      const content = buildEmail(rng, { shape, from, to, subject, paragraphs: nonEnglish ? [rng.pick(NON_ENGLISH)] : paragraphs, timestamp: ts, previous: prev });
      const id = this.addEmail(ctx, links, ts, incoming ? 'INCOMING_EMAIL' : forward ? 'FORWARDED_EMAIL' : 'EMAIL', content, from, to);
      ids.push(id);
      const e = this.truth.edgeCases;
      if (shape === 'forward') e.forwardedEmailIds.push(id);
      if (shape === 'reply') e.quotedReplyEmailIds.push(id);
      if (content.html) e.htmlEmailIds.push(id);
      if (nonEnglish) e.nonEnglishIds.push(`emails:${id}`);
      if (injected) this.truth.injections.push({ objectType: 'emails', id, instruction: paragraphs[paragraphs.length - 1]! });
      prev = { from, to, text: content.text, timestamp: ts, subject: content.subject };
      ts = Math.min(ts + rng.int(1, 72) * 3_600_000, PORTAL_END - 60_000 * (messages - i));
    }
    return ids;
  }

  private question(ctx: AccountCtx, contact: ContactCtx, company: string[], ts: number): { id: string; topic: string; need: string } {
    const topic = this.rng.pick(ctx.industry.products);
    const need = `${this.rng.pick(ctx.industry.terms)} reporting`;
    const content = buildEmail(this.rng, {
      shape: 'plain', from: contact.person, to: ctx.rep, subject: `Question about the ${topic}`, timestamp: ts,
      paragraphs: [`Quick question before we decide: can the ${topic} support ${need} out of the box? Our team needs that answered this week.`],
    });
    return { id: this.addEmail(ctx, { companies: company, contacts: [contact.id] }, ts, 'INCOMING_EMAIL', content, contact.person, ctx.rep), topic, need };
  }

  email(ctx: AccountCtx, c: ContactCtx, links: Links, ts: number, direction: string, shape: 'plain' | 'html', subject: string, paragraphs: string[]): string {
    const incoming = direction === 'INCOMING_EMAIL';
    const from = incoming ? c.person : ctx.rep;
    const to = incoming ? ctx.rep : c.person;
    const content = buildEmail(this.rng, { shape, from, to, subject, paragraphs, timestamp: ts });
    const id = this.addEmail(ctx, links, ts, direction, content, from, to);
    if (content.html) this.truth.edgeCases.htmlEmailIds.push(id);
    return id;
  }

  private addEmail(ctx: AccountCtx, links: Links, ts: number, direction: string, content: { subject: string; text: string; html: string }, from: Person, to: Person): string {
    const [first, ...rest] = from.name.split(' ');
    const [tFirst, ...tRest] = to.name.split(' ');
    const headers = { from: { email: from.email, firstName: first, lastName: rest.join(' ') }, to: [{ email: to.email, firstName: tFirst, lastName: tRest.join(' ') }], cc: [], bcc: [] };
    const o = this.b.add('emails', {
      hs_timestamp: iso(ts), hs_email_subject: content.subject, hs_email_text: content.text, hs_email_html: content.html,
      hs_email_direction: direction, hs_email_status: 'SENT', hs_email_headers: JSON.stringify(headers), hubspot_owner_id: ctx.owner.id,
    }, ts);
    this.b.link('emails', o.id, links);
    return o.id;
  }

  note(ctx: AccountCtx, links: Links, ts: number, body?: string): string {
    const { rng } = this;
    let text = body ?? prose(rng, ctx.industry, rng.int(2, 6));
    const empty = body === undefined && rng.chance(0.02);
    const nonEnglish = body === undefined && !empty && rng.chance(0.03);
    const injected = body === undefined && !empty && !nonEnglish && rng.chance(0.02);
    if (empty) text = '';
    if (nonEnglish) text = rng.pick(NON_ENGLISH);
    if (injected) text = `${text}\n\n${rng.pick(INJECTIONS)}`;
    const o = this.b.add('notes', { hs_timestamp: iso(ts), hs_note_body: text ? `<div><p>${text.replace(/\n\n/g, '</p><p>')}</p></div>` : '', hubspot_owner_id: ctx.owner.id }, ts);
    this.b.link('notes', o.id, links);
    if (!text) this.truth.edgeCases.emptyBodyIds.push(`notes:${o.id}`);
    if (nonEnglish) this.truth.edgeCases.nonEnglishIds.push(`notes:${o.id}`);
    if (injected) this.truth.injections.push({ objectType: 'notes', id: o.id, instruction: text.split('\n\n').pop()! });
    return o.id;
  }

  task(ctx: AccountCtx, links: Links, ts: number): string {
    const { rng } = this;
    const subject = rng.pick(['Follow up on proposal', 'Send case study', 'Check renewal date', 'Prepare QBR deck', 'Call back about pricing']);
    const body = rng.chance(0.1) ? '' : `${subject} for ${ctx.name}. ${prose(rng, ctx.industry, 1)}`;
    const o = this.b.add('tasks', {
      hs_timestamp: iso(ts), hs_task_subject: subject, hs_task_body: body, hs_task_status: ts < PORTAL_END - 14 * DAY ? 'COMPLETED' : 'NOT_STARTED',
      hs_task_priority: rng.pick(['LOW', 'MEDIUM', 'HIGH']), hs_task_type: rng.pick(['CALL', 'EMAIL', 'TODO']), hubspot_owner_id: ctx.owner.id,
    }, ts);
    this.b.link('tasks', o.id, links);
    if (!body) this.truth.edgeCases.emptyBodyIds.push(`tasks:${o.id}`);
    return o.id;
  }

  meeting(ctx: AccountCtx, people: ContactCtx[], links: Links, ts: number): string {
    const { rng } = this;
    const title = `${rng.pick(['Discovery', 'Demo', 'Technical review', 'Pricing discussion', 'QBR'])}: ${ctx.name}`;
    const o = this.b.add('meetings', {
      hs_timestamp: iso(ts), hs_meeting_title: title, hs_meeting_start_time: iso(ts), hs_meeting_end_time: iso(ts + 45 * 60_000),
      hs_meeting_outcome: ts < PORTAL_END ? 'COMPLETED' : 'SCHEDULED',
      hs_meeting_body: `Agenda: ${title}. Attendees: ${people.map((p) => p.person.name).join(', ')}.`,
      hs_internal_meeting_notes: prose(rng, ctx.industry, rng.int(2, 5)), hubspot_owner_id: ctx.owner.id,
    }, ts);
    this.b.link('meetings', o.id, links);
    return o.id;
  }

  call(ctx: AccountCtx, people: ContactCtx[], company: string[], deals: string[], ts: number, competitor: boolean, minChars?: number): string {
    const { rng } = this;
    const attendees = people.length > 0 ? people : ctx.contacts.slice(0, 1);
    const spec = {
      rep: ctx.rep,
      attendees: attendees.map((c) => c.person),
      topic: `the ${rng.pick(ctx.industry.products)}`,
      smallTalk: Array.from({ length: 3 }, () => prose(rng, ctx.industry, 1)),
      nextSteps: rng.sample(NEXT_STEPS, rng.int(1, 2)),
      objections: rng.sample(OBJECTIONS, rng.int(0, 2)),
      competitors: competitor ? [rng.pick(COMPETITORS)] : [],
      ...(minChars ? { minChars } : {}),
    };
    const { text, durationMs } = buildTranscript(rng, spec);
    const o = this.b.add('calls', {
      hs_timestamp: iso(ts), hs_call_title: `Call with ${ctx.name}`, hs_call_body: text, hs_call_has_transcript: 'true',
      hs_call_direction: rng.pick(['INBOUND', 'OUTBOUND']), hs_call_duration: String(durationMs), hs_call_status: 'COMPLETED', hubspot_owner_id: ctx.owner.id,
    }, ts);
    const contactIds = attendees.map((c) => c.id);
    this.b.link('calls', o.id, { companies: company, contacts: contactIds, deals });
    this.truth.calls.push({ id: o.id, companyId: company[0] ?? null, contactIds, dealIds: deals, nextSteps: spec.nextSteps, objections: spec.objections, competitors: spec.competitors });
    if (!minChars || minChars < 60_000) {
      this.truth.evidence.push({ accountId: ctx.accountId, task: 'call_summary', query: `next step agreed on the call: ${keywords(spec.nextSteps[0]!)}`, sourceIds: [`calls:${o.id}`], fact: `Next step: ${spec.nextSteps[0]}.` });
    }
    return o.id;
  }
}

const STOP = new Set(['the', 'and', 'for', 'with', 'to', 'a', 'us', 'in', 'of', 'one', 'same']);

/** The content words of a phrase: lexical overlap with the source without quoting it. */
function keywords(phrase: string): string {
  return phrase.split(' ').filter((w) => !STOP.has(w.toLowerCase())).join(' ');
}

export function emptyTruthSink(): TruthSink {
  return { calls: [], evidence: [], injections: [], edgeCases: { longTranscriptCallId: '', emptyBodyIds: [], nonEnglishIds: [], forwardedEmailIds: [], htmlEmailIds: [], quotedReplyEmailIds: [] } };
}
