import type { AccountCtx, ContactCtx, DealPlan } from './generate-records.ts';
import { DAY, PORTAL_END, iso, type PortalBuilder } from './portal-builder.ts';
import type { Rng } from './prng.ts';
import type { PhraseBank } from './phrasing/index.ts';
import { buildTranscript } from './text-call.ts';
import { buildEmail, type EmailShape, type Person } from './text-email.ts';
import type { CallTruth, Evidence, GroundTruth, Injection } from './types.ts';
import { FIRST_NAMES, INJECTIONS, LAST_NAMES, NON_ENGLISH, type Industry } from './vocabulary.ts';

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

/**
 * Varied business prose in the account's vocabulary; `sentences` controls the length. With `themes` (the hidden
 * need cluster's sentences of the style's phrase bank), about 45% of the sentences speak of that need instead.
 */
export function prose(rng: Rng, ind: Industry, sentences: number, themes?: readonly string[]): string {
  const templates = [
    () => `We discussed how the ${rng.pick(ind.products)} could help because ${rng.pick(ind.pains)}.`,
    () => `The team mentioned ${rng.pick(ind.terms)} and ${rng.pick(ind.terms)} as the areas with the most friction this quarter.`,
    () => `Their current process around ${rng.pick(ind.terms)} is mostly manual and spread over spreadsheets.`,
    () => `They would like to see a rollout plan that covers ${rng.pick(ind.terms)} first and the ${rng.pick(ind.products)} later.`,
    () => `Reporting on ${rng.pick(ind.terms)} came up again; leadership wants a weekly view.`,
    () => `Adoption risk is moderate: the ${rng.pick(['operations', 'finance', 'IT', 'support'])} team owns the change.`,
    () => `Success would mean that ${rng.pick(ind.pains)} is no longer a topic in the monthly review.`,
  ];
  const theme = () => rng.pick(themes!).replace('{product}', rng.pick(ind.products)).replace('{term}', rng.pick(ind.terms));
  return Array.from({ length: sentences }, () => (themes?.length && rng.chance(0.45) ? theme() : rng.pick(templates)())).join(' ');
}

export class EngagementGenerator {
  constructor(
    private readonly b: PortalBuilder,
    private readonly rng: Rng,
    readonly truth: TruthSink,
    readonly bank: PhraseBank,
  ) {}

  /** Prose in the account's vocabulary that, in part, speaks of its hidden need. */
  private text(ctx: AccountCtx, sentences: number): string {
    return prose(this.rng, ctx.industry, sentences, this.bank.needThemes[ctx.need]);
  }

  account(ctx: AccountCtx): void {
    const { rng } = this;
    const company = ctx.companyId ? [ctx.companyId] : [];
    const span = Math.max(DAY, PORTAL_END - ctx.createdAt - DAY);
    const at = (from = 0.05, to = 1) => ctx.createdAt + Math.floor((from + (to - from) * rng.next()) * span);
    const threads = ctx.companyId ? (ctx.band === 'smb' ? 2 : ctx.band === 'mid-market' ? 3 : 4) : rng.int(1, 2);
    for (let t = 0; t < threads; t++) {
      const contact = rng.pick(ctx.contacts);
      const ids = this.thread(ctx, contact, { companies: company, contacts: [contact.id] }, at(0.02, 1), rng.int(1, 4));
      if (t === threads - 1 && ids.length > 0) this.questionAndAnswer(ctx, contact, company, at);
    }
    const notes = ctx.companyId ? rng.int(1, 3) : 1;
    for (let n = 0; n < notes; n++) this.note(ctx, { companies: company, contacts: [rng.pick(ctx.contacts).id] }, at());
    // The buried fact sits at a random point of the history, in an e-mail or a note, anywhere in its text.
    const fact = this.plantFact(ctx, company, at(0.02, 0.95));
    for (let k = rng.int(1, 3); k > 0; k--) this.task(ctx, { companies: company, contacts: [rng.pick(ctx.contacts).id] }, at());
    if (ctx.companyId) for (let k = rng.int(0, 1); k > 0; k--) this.call(ctx, [rng.pick(ctx.contacts)], company, [], at(), false);
    if (ctx.companyId && rng.chance(0.5)) this.plantRevision(ctx, company, at);
    const callsBefore = this.truth.calls.length;
    for (const d of ctx.deals) this.deal(ctx, d, company);
    if (ctx.whale) this.whale(ctx, company);
    // A call summary should carry the account's buried fact: the agent has to retrieve it from the history.
    const lastCall = this.truth.calls.slice(callsBefore).filter((c) => c.companyId).at(-1);
    if (lastCall) this.evidence(ctx, 'call_summary', fact.query, [fact.source], fact.fact, { trigger: `calls:${lastCall.id}` });
  }

  private plantFact(ctx: AccountCtx, company: string[], ts: number): { source: string; fact: string; query: string } {
    const { rng } = this;
    const tpl = rng.pick(this.bank.buriedFacts);
    const v = rng.pick(tpl.values);
    const fact = tpl.fact(v);
    const contact = rng.pick(ctx.contacts);
    const links = { companies: company, contacts: [contact.id] };
    const source = rng.chance(0.5)
      ? `emails:${this.thread(ctx, contact, links, ts, rng.int(1, 3), tpl.text(v))[0]}`
      : `notes:${this.note(ctx, links, ts, this.around(ctx, tpl.text(v)))}`;
    const query = keywords(fact);
    this.evidence(ctx, 'account_summary', query, [source], fact);
    return { source, fact, query };
  }

  /** `sentence` with prose before, after or around it: a fact is not always the first line. */
  private around(ctx: AccountCtx, sentence: string): string {
    const { rng } = this;
    const before = rng.chance(0.6) ? `${this.text(ctx, rng.int(1, 3))} ` : '';
    const after = rng.chance(0.6) ? ` ${this.text(ctx, rng.int(1, 3))}` : '';
    return `${before}${sentence}${after}`;
  }

  /** A fact stated, then revised later: the earlier statement is a near-duplicate that is now wrong. */
  private plantRevision(ctx: AccountCtx, company: string[], at: (from?: number, to?: number) => number): void {
    const { rng } = this;
    const tpl = rng.pick(this.bank.revisions);
    const [old, now] = rng.sample(tpl.values, 2) as [string, string];
    const t1 = at(0.05, 0.5);
    const t2 = at(0.55, 0.95);
    const c = rng.pick(ctx.contacts);
    const links = { companies: company, contacts: [c.id] };
    const first = this.note(ctx, links, t1, this.around(ctx, tpl.before(old)));
    const second = this.email(ctx, c, links, t2, 'INCOMING_EMAIL', 'plain', `Update for ${ctx.name}`, [this.around(ctx, tpl.after(now, old))]);
    const fact = tpl.fact(now);
    this.evidence(ctx, 'account_summary', keywords(fact), [`emails:${second}`], fact, { outdatedSourceIds: [`notes:${first}`] });
  }

  private evidence(ctx: AccountCtx, task: Evidence['task'], query: string, sourceIds: string[], fact: string, extra: Pick<Evidence, 'trigger' | 'outdatedSourceIds'> = {}): void {
    this.truth.evidence.push({ accountId: ctx.accountId, task, query, sourceIds, fact, ...extra });
  }

  /** Everything on a deal: its meetings, incoming e-mails and one call, ending at the deal's last activity. */
  private deal(ctx: AccountCtx, d: DealPlan, company: string[]): void {
    const { rng } = this;
    const people = ctx.contacts.filter((c) => d.contactIds.includes(c.id));
    const links = { companies: company, contacts: d.contactIds, deals: [d.id] };
    const when = (i: number, n: number) => d.createdAt + Math.floor(((i + 1) / (n + 1)) * (d.lastActivityAt - d.createdAt));
    for (let i = 0; i < d.features.meetings; i++) this.meeting(ctx, people, links, when(i, d.features.meetings + 1));
    // A confirmed budget is said in one incoming e-mail (or, without one, on the call): text only, no CRM field.
    const budgetIn = d.features.budgetConfirmed === 1 && d.features.inboundEmails > 0 ? rng.int(0, d.features.inboundEmails - 1) : -1;
    const budgetLine = d.features.budgetConfirmed === 1 ? rng.pick(this.bank.budgetConfirmed) : '';
    for (let i = 0; i < d.features.inboundEmails; i++) {
      const c = rng.pick(people);
      const paragraphs = [this.text(ctx, rng.int(2, 4))];
      if (i === budgetIn) paragraphs.splice(rng.int(0, 1), 0, budgetLine);
      const id = this.email(ctx, c, links, when(i, d.features.inboundEmails + 1), 'INCOMING_EMAIL', rng.pick(['plain', 'html'] as const), `Re: ${ctx.name} proposal`, paragraphs);
      if (i === budgetIn) this.evidence(ctx, 'lead_score', keywords(budgetLine), [`emails:${id}`], 'The buyer confirmed the budget.');
    }
    const call = this.call(ctx, people, company, [d.id], d.lastActivityAt, d.features.competitor === 1, undefined, budgetIn < 0 && budgetLine ? [budgetLine] : []);
    if (budgetIn < 0 && budgetLine) this.evidence(ctx, 'lead_score', keywords(budgetLine), [`calls:${call}`], 'The buyer confirmed the budget.');
    if (d.features.competitor === 1) {
      const comp = this.truth.calls[this.truth.calls.length - 1]?.competitors[0] ?? '';
      this.evidence(ctx, 'lead_score', `competitor ${comp} evaluation pricing`, [`calls:${call}`], `The buyer is also talking to ${comp}.`);
    }
  }

  /** A whale: hundreds of long e-mails, notes and calls, so the index holds well over 1,000 chunks for it. */
  private whale(ctx: AccountCtx, company: string[]): void {
    const { rng } = this;
    const at = () => ctx.createdAt + Math.floor(rng.next() * (PORTAL_END - ctx.createdAt - DAY));
    for (let i = 0; i < 480; i++) {
      const c = rng.pick(ctx.contacts);
      this.email(ctx, c, { companies: company, contacts: [c.id] }, at(), rng.chance(0.5) ? 'INCOMING_EMAIL' : 'EMAIL', rng.pick(['plain', 'html'] as const), `${ctx.name}: ${rng.pick(ctx.industry.terms)} weekly update ${i + 1}`, Array.from({ length: 6 }, () => this.text(ctx, 5)));
    }
    for (let i = 0; i < 140; i++) this.note(ctx, { companies: company }, at(), Array.from({ length: 5 }, () => this.text(ctx, 5)).join('\n\n'));
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
      const paragraphs = [this.text(ctx, rng.int(2, 5))];
      if (i === 0 && buried) paragraphs.splice(rng.int(0, 1), 0, buried);
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

  /**
   * The newest incoming question is what a reply draft must address; its answer was written down earlier (a
   * note from a technical review), at a random point of the history: that note is what the draft must retrieve.
   */
  private questionAndAnswer(ctx: AccountCtx, contact: ContactCtx, company: string[], at: (from?: number, to?: number) => number): void {
    const { rng } = this;
    const topic = rng.pick(ctx.industry.products);
    const need = `${rng.pick(ctx.industry.terms)} reporting`;
    const tpl = rng.pick(this.bank.answers);
    const answer = this.note(ctx, { companies: company, contacts: [contact.id] }, at(0.05, 0.85), this.around(ctx, tpl.answer(topic, need)));
    const ts = at(0.9, 1);
    const content = buildEmail(rng, { shape: 'plain', from: contact.person, to: ctx.rep, subject: `Question about the ${topic}`, timestamp: ts, paragraphs: [tpl.question(topic, need)] });
    const id = this.addEmail(ctx, { companies: company, contacts: [contact.id] }, ts, 'INCOMING_EMAIL', content, contact.person, ctx.rep);
    this.evidence(ctx, 'reply_draft', `${topic} ${need}`, [`notes:${answer}`], `The ${topic} supports ${need}.`, { trigger: `emails:${id}` });
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
    let text = body ?? this.text(ctx, rng.int(2, 6));
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
    const body = rng.chance(0.1) ? '' : `${subject} for ${ctx.name}. ${this.text(ctx, 1)}`;
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
      hs_internal_meeting_notes: this.text(ctx, rng.int(2, 5)), hubspot_owner_id: ctx.owner.id,
    }, ts);
    this.b.link('meetings', o.id, links);
    return o.id;
  }

  call(ctx: AccountCtx, people: ContactCtx[], company: string[], deals: string[], ts: number, competitor: boolean, minChars?: number, buyerLines: string[] = []): string {
    const { rng, bank } = this;
    const attendees = people.length > 0 ? people : ctx.contacts.slice(0, 1);
    const { text, durationMs, labels } = buildTranscript(rng, {
      rep: ctx.rep,
      attendees: attendees.map((c) => c.person),
      colleague: `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`,
      topic: `the ${rng.pick(ctx.industry.products)}`,
      smallTalk: Array.from({ length: 3 }, () => prose(rng, ctx.industry, 1)),
      buyerLines,
      bank,
      actions: rng.int(1, bank.style === 'test' ? 3 : 2),
      objections: rng.int(0, 2),
      distractors: rng.weighted([[0, 2], [1, 2], [2, 1]] as const),
      competitor: competitor ? rng.pick(bank.competitorNames) : null,
      ...(minChars ? { minChars } : {}),
    });
    const o = this.b.add('calls', {
      hs_timestamp: iso(ts), hs_call_title: `Call with ${ctx.name}`, hs_call_body: text, hs_call_has_transcript: 'true',
      hs_call_direction: rng.pick(['INBOUND', 'OUTBOUND']), hs_call_duration: String(durationMs), hs_call_status: 'COMPLETED', hubspot_owner_id: ctx.owner.id,
    }, ts);
    const contactIds = attendees.map((c) => c.id);
    this.b.link('calls', o.id, { companies: company, contacts: contactIds, deals });
    this.truth.calls.push({
      id: o.id, companyId: company[0] ?? null, contactIds, dealIds: deals,
      nextSteps: labels.nextSteps.map((l) => l.gist), objections: labels.objections.map((l) => l.gist), competitors: labels.competitors, labels,
    });
    return o.id;
  }
}

const STOP = new Set(['the', 'and', 'for', 'with', 'to', 'a', 'us', 'in', 'of', 'one', 'same', 'is', 'on', 'by', 'has']);

/** The content words of a phrase: lexical overlap with the source without quoting it. */
function keywords(phrase: string): string {
  return phrase.replace(/[.,:;]/g, '').split(' ').filter((w) => !STOP.has(w.toLowerCase())).join(' ');
}

export function emptyTruthSink(): TruthSink {
  return { calls: [], evidence: [], injections: [], edgeCases: { longTranscriptCallId: '', emptyBodyIds: [], nonEnglishIds: [], forwardedEmailIds: [], htmlEmailIds: [], quotedReplyEmailIds: [] } };
}
