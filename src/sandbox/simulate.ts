import type { ObjectType } from './object-types.ts';
import { humanActor, type SandboxContext } from './context.ts';
import { EngagementGenerator, emptyTruthSink, prose } from './generate-engagements.ts';
import { DEAL_STAGES, ownerPerson, type AccountCtx } from './generate-records.ts';
import { notFound, validationError } from './hubspot-errors.ts';
import { phraseBank } from './phrasing/index.ts';
import { PortalBuilder } from './portal-builder.ts';
import type { Rng } from './prng.ts';
import type { CallTruth } from './types.ts';
import { FIRST_NAMES, INDUSTRIES, LAST_NAMES, ROLES } from './vocabulary.ts';

/**
 * Simulated human activity: what sales reps and customers do in the CRM while the product runs. Each item is
 * made with the generator's own builders (so it reads like the seeded history), written through the store as a
 * CRM_UI change (so it fires webhooks like a person's edit), and returned with its ground truth.
 */

export interface SimulationResult {
  accountId: string;
  ids: Partial<Record<ObjectType, string[]>>;
  truth?: unknown;
}

export class Simulator {
  readonly simulatedCalls: CallTruth[] = [];

  constructor(private readonly ctx: SandboxContext) {}

  private get store() {
    return this.ctx.store;
  }

  /** The account as the generator models it, rebuilt from the live store. */
  private account(rng: Rng, companyId?: string): AccountCtx {
    const { store } = this;
    let id = companyId;
    if (id === undefined) {
      const live = store.order.companies.filter((c) => store.get('companies', c));
      if (live.length === 0) throw validationError('The portal has no companies to simulate activity on.');
      id = rng.pick(live);
    }
    const company = store.get('companies', id);
    if (!company) throw notFound(`Company ${id} does not exist.`);
    const p = company.properties;
    const owner = store.owners.find((o) => o.id === p.hubspot_owner_id) ?? store.owners[0]!;
    const contacts = store.associated('companies', id, 'contacts').map((cid) => {
      const c = store.get('contacts', cid)!.properties;
      const title = c.jobtitle ?? '';
      return { id: cid, champion: ROLES.some((r) => r.title === title && r.champion), person: { name: `${c.firstname ?? ''} ${c.lastname ?? ''}`.trim(), email: c.email ?? '', title, company: p.name ?? '' } };
    });
    if (contacts.length === 0) throw validationError(`Company ${id} has no contacts to simulate activity with.`);
    return {
      accountId: id, companyId: id, name: p.name ?? '', industry: INDUSTRIES.find((i) => i.hubspotValue === p.industry) ?? INDUSTRIES[0]!,
      band: 'mid-market', city: p.city ?? '', country: p.country ?? '', createdAt: company.createdAt, owner, rep: ownerPerson(owner),
      contacts, deals: [], ticketIds: [], whale: false, need: 'integration',
    };
  }

  /** Runs one generator step in a scratch builder, then writes its objects through the store as a person. */
  private commit(acc: AccountCtx, build: (gen: EngagementGenerator, now: number) => void): { ids: Partial<Record<ObjectType, string[]>>; remap: Map<string, string>; sink: ReturnType<typeof emptyTruthSink> } {
    const b = new PortalBuilder();
    const sink = emptyTruthSink();
    const rng = this.ctx.simRng();
    build(new EngagementGenerator(b, rng, sink, phraseBank(this.ctx.truth().style)), this.store.now());
    const actor = humanActor(acc.owner.userId);
    // Keyed by type and id: the scratch builder numbers from FIRST_ID too, so its ids collide with live records
    // (a scratch note 100001 is not the live company 100001 it is associated with).
    const remap = new Map<string, string>();
    const ids: Partial<Record<ObjectType, string[]>> = {};
    for (const [type, list] of Object.entries(b.objects) as Array<[ObjectType, typeof b.objects.notes]>) {
      for (const seed of list) {
        const { hs_object_id: _id, createdate: _c, hs_lastmodifieddate: _m, ...props } = seed.properties;
        const o = this.store.create(type, props, actor);
        remap.set(`${type}:${seed.id}`, o.id);
        (ids[type] ??= []).push(o.id);
      }
    }
    for (const [a, aId, t, tId] of b.associations) this.store.associate(a, remap.get(`${a}:${aId}`) ?? aId, t, remap.get(`${t}:${tId}`) ?? tId, actor);
    return { ids, remap, sink };
  }

  private openDeal(companyId: string): string | undefined {
    return this.store.associated('companies', companyId, 'deals').find((d) => !String(this.store.get('deals', d)?.properties.dealstage).startsWith('closed'));
  }

  /**
   * Live contacts (of any company) to associate with a new engagement besides the account's own: a partner's
   * contact on a call, another company's contact cc'd on an e-mail. Checked before anything is written.
   */
  private extraContacts(ids: string[] | undefined): string[] {
    for (const id of ids ?? []) if (!this.store.get('contacts', id)) throw notFound(`Contact ${id} does not exist.`);
    return ids ?? [];
  }

  private associateExtra(acc: AccountCtx, type: ObjectType, id: string | undefined, contactIds: string[]): void {
    if (!id) return;
    for (const c of contactIds) this.store.associate(type, id, 'contacts', c, humanActor(acc.owner.userId));
  }

  call(body: { companyId?: string; competitor?: boolean; contactIds?: string[] }): SimulationResult {
    const rng = this.ctx.simRng();
    const acc = this.account(rng, body.companyId);
    const extra = this.extraContacts(body.contactIds);
    const deal = this.openDeal(acc.companyId!);
    const people = rng.sample(acc.contacts, 2);
    const { ids, remap, sink } = this.commit(acc, (gen, now) => gen.call(acc, people, [acc.companyId!], deal ? [deal] : [], now, body.competitor ?? rng.chance(0.4)));
    this.associateExtra(acc, 'calls', ids.calls?.[0], extra);
    const t = sink.calls[0]!;
    const truth: CallTruth = { ...t, id: remap.get(`calls:${t.id}`) ?? t.id };
    this.simulatedCalls.push(truth);
    return { accountId: acc.accountId, ids, truth };
  }

  email(body: { companyId?: string; direction?: string; subject?: string; text?: string; ccContactIds?: string[] }): SimulationResult {
    const rng = this.ctx.simRng();
    const acc = this.account(rng, body.companyId);
    const cc = this.extraContacts(body.ccContactIds);
    const direction = body.direction ?? 'INCOMING_EMAIL';
    if (!['INCOMING_EMAIL', 'EMAIL', 'FORWARDED_EMAIL'].includes(direction)) throw validationError(`direction must be INCOMING_EMAIL, EMAIL or FORWARDED_EMAIL`);
    const c = rng.pick(acc.contacts);
    const paragraphs = [body.text ?? `${prose(rng, acc.industry, 3)} Could you send an updated proposal this week?`];
    const subject = body.subject ?? `Following up on the ${rng.pick(acc.industry.products)}`;
    const { ids } = this.commit(acc, (gen, now) => gen.email(acc, c, { companies: [acc.companyId!], contacts: [c.id] }, now, direction, 'html', subject, paragraphs));
    this.associateExtra(acc, 'emails', ids.emails?.[0], cc);
    return { accountId: acc.accountId, ids, truth: { direction, subject, contactId: c.id, asks: 'an updated proposal this week' } };
  }

  meeting(body: { companyId?: string }): SimulationResult {
    const rng = this.ctx.simRng();
    const acc = this.account(rng, body.companyId);
    const people = rng.sample(acc.contacts, 2);
    const { ids } = this.commit(acc, (gen, now) => gen.meeting(acc, people, { companies: [acc.companyId!], contacts: people.map((p) => p.id) }, now));
    return { accountId: acc.accountId, ids, truth: { attendees: people.map((p) => p.id) } };
  }

  note(body: { companyId?: string; text?: string }): SimulationResult {
    const rng = this.ctx.simRng();
    const acc = this.account(rng, body.companyId);
    const text = body.text ?? prose(rng, acc.industry, 4);
    const { ids } = this.commit(acc, (gen, now) => gen.note(acc, { companies: [acc.companyId!] }, now, text));
    return { accountId: acc.accountId, ids, truth: { text } };
  }

  /** A new lead: with a company when `companyId` is given, else a contact that is an account of its own. */
  contact(body: { companyId?: string; email?: string }): SimulationResult {
    const rng = this.ctx.simRng();
    const first = rng.pick(FIRST_NAMES);
    const last = rng.pick(LAST_NAMES);
    const role = rng.pick(ROLES);
    const company = body.companyId ? this.store.get('companies', body.companyId) : undefined;
    if (body.companyId && !company) throw notFound(`Company ${body.companyId} does not exist.`);
    const domain = company?.properties.domain ?? 'inbound-leads.example';
    const owner = rng.pick(this.store.owners);
    const actor = humanActor(owner.userId);
    const o = this.store.create('contacts', {
      firstname: first, lastname: last, jobtitle: role.title, lifecyclestage: 'lead', hs_lead_status: 'NEW', hubspot_owner_id: owner.id,
      email: body.email ?? `${first}.${last}.${this.store.nextId}@${domain}`.normalize('NFD').replace(/[^\w@.-]/g, '').toLowerCase(),
      ...(company ? { company: company.properties.name ?? '' } : {}),
    }, actor);
    if (company) this.store.associate('contacts', o.id, 'companies', company.id, actor);
    return { accountId: company ? company.id : `contact:${o.id}`, ids: { contacts: [o.id] }, truth: { jobtitle: role.title, champion: role.champion } };
  }

  dealStage(body: { dealId?: string; stage?: string; companyId?: string }): SimulationResult {
    const rng = this.ctx.simRng();
    let dealId = body.dealId;
    if (!dealId) {
      const candidates = body.companyId ? this.store.associated('companies', body.companyId, 'deals') : this.store.order.deals;
      const open = candidates.filter((d) => !String(this.store.get('deals', d)?.properties.dealstage ?? 'closed').startsWith('closed'));
      if (open.length === 0) throw validationError('No open deal to move.');
      dealId = rng.pick(open);
    }
    const deal = this.store.get('deals', dealId);
    if (!deal) throw notFound(`Deal ${dealId} does not exist.`);
    const from = deal.properties.dealstage ?? '';
    const idx = DEAL_STAGES.findIndex((s) => s.id === from);
    const to = body.stage ?? DEAL_STAGES[Math.min(idx + 1, 5)]!.id;
    if (!DEAL_STAGES.some((s) => s.id === to)) throw validationError(`Unknown deal stage ${to}.`);
    const owner = this.store.owners.find((o) => o.id === deal.properties.hubspot_owner_id) ?? this.store.owners[0]!;
    this.store.update('deals', dealId, { dealstage: to }, humanActor(owner.userId));
    const companyId = this.store.associated('deals', dealId, 'companies')[0];
    return { accountId: companyId ?? '', ids: { deals: [dealId] }, truth: { from, to } };
  }

  humanEdit(body: { objectType?: string; objectId?: string; properties?: Record<string, unknown>; userId?: number }, type: ObjectType): SimulationResult {
    const actor = humanActor(body.userId ?? this.store.owners[0]!.userId);
    const o = this.store.update(type, String(body.objectId), body.properties ?? {}, actor);
    if (!o) throw notFound(`${type} ${body.objectId} does not exist.`);
    return { accountId: '', ids: { [type]: [o.id] }, truth: { properties: body.properties } };
  }
}
