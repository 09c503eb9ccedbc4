import { LABEL_NOISE, NEED_FIT, pRecordedWin, pWin } from './lead-model.ts';
import { NEED_CLUSTERS, type NeedCluster } from './phrasing/types.ts';
import { DAY, PORTAL_END, PORTAL_START, iso, type PortalBuilder } from './portal-builder.ts';
import type { Rng } from './prng.ts';
import type { Person } from './text-email.ts';
import type { CompanyTruth, DealFeatures, Owner, SeedObject, SizeBand } from './types.ts';
import { CITIES, FIRST_NAMES, INDUSTRIES, LAST_NAMES, NAME_SUFFIXES, ROLES, SIZE_BANDS, segmentFit, type Industry } from './vocabulary.ts';

/** Companies, contacts, deals and tickets, plus the per-account context the engagement generator needs. */

export interface ContactCtx {
  id: string;
  person: Person;
  champion: boolean;
  obj?: SeedObject;
}

export interface DealPlan {
  id: string;
  features: DealFeatures;
  pWin: number;
  pRecordedWin: number;
  flipped: boolean;
  outcome: 'won' | 'lost' | 'open';
  stage: string;
  createdAt: number;
  lastActivityAt: number;
  contactIds: string[];
}

export interface AccountCtx {
  accountId: string;
  companyId: string | null;
  name: string;
  industry: Industry;
  band: SizeBand;
  city: string;
  country: string;
  createdAt: number;
  owner: Owner;
  rep: Person;
  contacts: ContactCtx[];
  deals: DealPlan[];
  ticketIds: string[];
  whale: boolean;
  /** Hidden: never written to a CRM field; shapes the history's wording and deal outcomes. */
  need: NeedCluster;
  truth?: CompanyTruth;
}

export const DEAL_STAGES = [
  { id: 'appointmentscheduled', label: 'Appointment Scheduled', probability: '0.2' },
  { id: 'qualifiedtobuy', label: 'Qualified To Buy', probability: '0.4' },
  { id: 'presentationscheduled', label: 'Presentation Scheduled', probability: '0.6' },
  { id: 'decisionmakerboughtin', label: 'Decision Maker Bought-In', probability: '0.8' },
  { id: 'contractsent', label: 'Contract Sent', probability: '0.9' },
  { id: 'closedwon', label: 'Closed Won', probability: '1.0' },
  { id: 'closedlost', label: 'Closed Lost', probability: '0.0' },
] as const;

export const TICKET_STAGES = [
  { id: '1', label: 'New' },
  { id: '2', label: 'Waiting on contact' },
  { id: '3', label: 'Waiting on us' },
  { id: '4', label: 'Closed' },
] as const;

export function makeOwners(): Owner[] {
  return Array.from({ length: 8 }, (_, i) => {
    const firstName = FIRST_NAMES[(i * 7) % FIRST_NAMES.length]!;
    const lastName = LAST_NAMES[(i * 3 + 5) % LAST_NAMES.length]!;
    return { id: String(50_001 + i), userId: 70_001 + i, firstName, lastName, email: `${ascii(firstName)}.${ascii(lastName)}@sandbox-vendor.example`.toLowerCase() };
  });
}

export function ownerPerson(o: Owner): Person {
  return { name: `${o.firstName} ${o.lastName}`, email: o.email, title: 'Account Executive', company: 'Sandbox Vendor' };
}

function ascii(s: string): string {
  return s.normalize('NFD').replace(/[^A-Za-z]/g, '');
}

function makePerson(rng: Rng, company: string, domain: string): { person: Person; firstName: string; lastName: string; champion: boolean } {
  const firstName = rng.pick(FIRST_NAMES);
  const lastName = rng.pick(LAST_NAMES);
  const role = rng.pick(ROLES);
  const email = `${ascii(firstName)}.${ascii(lastName)}${rng.int(1, 99)}@${domain}`.toLowerCase();
  return { person: { name: `${firstName} ${lastName}`, email, title: role.title, company }, firstName, lastName, champion: role.champion };
}

/** The account's contacts; a contact gets `lifecyclestage` from the account. */
function addContact(b: PortalBuilder, rng: Rng, ctx: { name: string; domain: string; createdAt: number; owner: Owner }, lifecycle: string): ContactCtx {
  const p = makePerson(rng, ctx.name, ctx.domain);
  const createdAt = ctx.createdAt + rng.int(0, 60) * DAY;
  const obj = b.add(
    'contacts',
    {
      firstname: p.firstName,
      lastname: p.lastName,
      email: p.person.email,
      jobtitle: p.person.title,
      phone: `+1 555 ${String(rng.int(100, 999))} ${String(rng.int(1000, 9999))}`,
      company: ctx.name,
      lifecyclestage: lifecycle,
      hs_lead_status: rng.pick(['NEW', 'OPEN', 'IN_PROGRESS', 'CONNECTED']),
      hubspot_owner_id: ctx.owner.id,
    },
    createdAt,
  );
  return { id: obj.id, person: p.person, champion: p.champion, obj };
}

export function makeCompanyAccount(b: PortalBuilder, rng: Rng, owners: Owner[], index: number, whale: boolean): AccountCtx {
  const industry = INDUSTRIES[index % INDUSTRIES.length]!;
  const bandSpec = whale ? SIZE_BANDS[2]! : rng.weighted(SIZE_BANDS.map((s) => [s, s.weight] as const));
  const employees = rng.int(bandSpec.min, bandSpec.max);
  // The index suffix keeps names unique at any size; the parts keep them readable.
  const name = `${rng.pick(industry.nameParts)}${rng.pick(['ly', 'ify', 'wise', 'point', 'bridge', 'scale'])} ${rng.pick(NAME_SUFFIXES)} ${index + 1}`;
  const domain = `${name.toLowerCase().replace(/[^a-z0-9]+/g, '')}.example.com`;
  const [city, country] = rng.pick(CITIES);
  const createdAt = PORTAL_START + rng.int(0, 400) * DAY + rng.int(0, DAY - 1);
  const owner = rng.pick(owners);
  const contactCount = whale ? 12 : bandSpec.band === 'smb' ? rng.int(2, 3) : bandSpec.band === 'mid-market' ? rng.int(3, 5) : rng.int(4, 7);
  const dealCount = whale ? 6 : rng.weighted([[0, 2], [1, 5], [2, 3], [3, 1]] as const);
  const fit = segmentFit(industry.key, bandSpec.band);
  // Independent of industry and size: firmographics say nothing about it.
  const need = rng.pick(NEED_CLUSTERS);

  const company = b.add('companies', {}, createdAt);
  const ctx: AccountCtx = {
    accountId: company.id, companyId: company.id, name, industry, band: bandSpec.band, city, country, createdAt, owner,
    rep: ownerPerson(owner), contacts: [], deals: [], ticketIds: [], whale, need,
  };
  for (let i = 0; i < contactCount; i++) ctx.contacts.push(addContact(b, rng, { name, domain, createdAt, owner }, 'lead'));
  for (const c of ctx.contacts) b.associate('contacts', c.id, 'companies', company.id);
  for (let i = 0; i < dealCount; i++) ctx.deals.push(makeDeal(b, rng, ctx, fit, i));

  const won = ctx.deals.some((d) => d.outcome === 'won');
  const open = ctx.deals.some((d) => d.outcome === 'open');
  const lifecycle = won ? 'customer' : open ? 'opportunity' : rng.pick(['lead', 'marketingqualifiedlead', 'salesqualifiedlead']);
  const path = ['lead', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer'];
  const steps = path.slice(0, Math.max(1, path.indexOf(lifecycle) + 1));
  const lifecycleHistory = steps.map((value, i) => ({ value, timestamp: createdAt + i * 20 * DAY }));
  const updatedAt = lifecycleHistory[lifecycleHistory.length - 1]!.timestamp;
  Object.assign(company.properties, {
    name,
    domain,
    industry: industry.hubspotValue,
    numberofemployees: String(employees),
    annualrevenue: String(employees * rng.int(80, 250) * 1000),
    city,
    country,
    lifecyclestage: lifecycle,
    hubspot_owner_id: owner.id,
    description: `${name} is a ${bandSpec.band} ${industry.key} company based in ${city}. Interested in our ${rng.pick(industry.products)}.`,
    hs_lastmodifieddate: iso(updatedAt),
  });
  company.updatedAt = updatedAt;
  company.history = { lifecyclestage: lifecycleHistory };
  for (const c of ctx.contacts) if (c.obj) c.obj.properties.lifecyclestage = lifecycle;
  ctx.truth = { id: company.id, name, industry: industry.key, sizeBand: bandSpec.band, segment: `${industry.key}/${bandSpec.band}`, lifecycle, isCustomer: won, needCluster: need };

  const ticketCount = whale ? 8 : won ? rng.int(1, 3) : rng.weighted([[0, 3], [1, 1]] as const);
  for (let i = 0; i < ticketCount; i++) ctx.ticketIds.push(makeTicket(b, rng, ctx));
  return ctx;
}

/** A contact with no company: an account of its own (`contact:<id>`). */
export function makeContactAccount(b: PortalBuilder, rng: Rng, owners: Owner[]): AccountCtx {
  const industry = rng.pick(INDUSTRIES);
  const owner = rng.pick(owners);
  const createdAt = PORTAL_START + rng.int(0, 600) * DAY;
  const domain = rng.pick(['gmail.example', 'outlook.example', 'proton.example']);
  const c = addContact(b, rng, { name: 'Independent', domain, createdAt, owner }, rng.pick(['subscriber', 'lead', 'marketingqualifiedlead']));
  const ctx: AccountCtx = {
    accountId: `contact:${c.id}`, companyId: null, name: c.person.name, industry, band: 'smb', city: '', country: '', createdAt, owner,
    rep: ownerPerson(owner), contacts: [c], deals: [], ticketIds: [], whale: false, need: rng.pick(NEED_CLUSTERS),
  };
  if (rng.chance(0.3)) ctx.deals.push(makeDeal(b, rng, ctx, 0.2, 0));
  return ctx;
}

function makeDeal(b: PortalBuilder, rng: Rng, ctx: AccountCtx, fit: number, n: number): DealPlan {
  const championContacts = ctx.contacts.filter((c) => c.champion);
  const champion = championContacts.length > 0 && rng.chance(0.6) ? 1 : 0;
  const onDeal = champion ? [rng.pick(championContacts)] : rng.sample(ctx.contacts.filter((c) => !c.champion), 1);
  if (onDeal.length === 0 && ctx.contacts[0]) onDeal.push(ctx.contacts[0]);
  const createdAt = Math.min(PORTAL_END - 100 * DAY, ctx.createdAt + rng.int(10, 200) * DAY);
  const open = rng.chance(0.25);
  const closeRef = open ? PORTAL_END : Math.min(PORTAL_END - DAY, createdAt + rng.int(30, 120) * DAY);
  const lastActivityAt = createdAt + Math.floor((0.25 + 0.75 * rng.next()) * (closeRef - createdAt));
  const features: DealFeatures = {
    fit: Math.round(fit * 100) / 100,
    champion,
    meetings: rng.weighted([[0, 3], [1, 4], [2, 3], [3, 2], [4, 1]] as const),
    inboundEmails: rng.int(0, 6),
    staleMonths: Math.round(((closeRef - lastActivityAt) / (30 * DAY)) * 100) / 100,
    competitor: rng.chance(0.3) ? 1 : 0,
    needFit: NEED_FIT[ctx.need],
    budgetConfirmed: rng.chance(0.3) ? 1 : 0,
  };
  const p = pWin(features);
  const won = rng.next() < p;
  // Label noise: the CRM records some outcomes wrongly, and nothing in the portal says which.
  const flipped = !open && rng.chance(LABEL_NOISE);
  const outcome = open ? 'open' : won !== flipped ? 'won' : 'lost';
  const stage = outcome === 'won' ? 'closedwon' : outcome === 'lost' ? 'closedlost' : rng.pick(DEAL_STAGES.slice(0, 5)).id;
  const stageIdx = DEAL_STAGES.findIndex((s) => s.id === stage);
  const openPath = outcome === 'open' ? DEAL_STAGES.slice(0, stageIdx + 1) : DEAL_STAGES.slice(0, rng.int(1, 4));
  const history = [...openPath.map((s) => s.id), ...(outcome === 'open' ? [] : [stage])].map((value, i, all) => ({
    value,
    timestamp: createdAt + Math.floor(((closeRef - createdAt) * i) / Math.max(1, all.length)),
  }));
  const amount = rng.int(5, 150) * (ctx.band === 'enterprise' ? 2000 : ctx.band === 'mid-market' ? 600 : 200);
  const deal = b.add(
    'deals',
    {
      dealname: `${ctx.name} – ${rng.pick(ctx.industry.products)}${n > 0 ? ` (${n + 1})` : ''}`,
      amount: String(amount),
      dealstage: stage,
      pipeline: 'default',
      closedate: iso(open ? PORTAL_END + rng.int(20, 120) * DAY : closeRef),
      dealtype: n === 0 ? 'newbusiness' : 'existingbusiness',
      hubspot_owner_id: ctx.owner.id,
      hs_is_closed_won: String(outcome === 'won'),
    },
    createdAt,
    { updatedAt: history[history.length - 1]!.timestamp, history: { dealstage: history } },
  );
  if (ctx.companyId) b.associate('deals', deal.id, 'companies', ctx.companyId);
  for (const c of onDeal) b.associate('deals', deal.id, 'contacts', c.id);
  return { id: deal.id, features, pWin: Math.round(p * 10000) / 10000, pRecordedWin: Math.round(pRecordedWin(p) * 10000) / 10000, flipped, outcome, stage, createdAt, lastActivityAt, contactIds: onDeal.map((c) => c.id) };
}

function makeTicket(b: PortalBuilder, rng: Rng, ctx: AccountCtx): string {
  const pain = rng.pick(ctx.industry.pains);
  const contact = rng.pick(ctx.contacts);
  const createdAt = ctx.createdAt + rng.int(30, 500) * DAY;
  const t = b.add(
    'tickets',
    {
      subject: `Issue: ${pain}`,
      content: `${contact.person.name} reports that ${pain}. They use the ${rng.pick(ctx.industry.products)} and need help with ${rng.pick(ctx.industry.terms)}.`,
      hs_pipeline: '0',
      hs_pipeline_stage: rng.pick(TICKET_STAGES).id,
      hs_ticket_priority: rng.pick(['LOW', 'MEDIUM', 'HIGH']),
      hubspot_owner_id: ctx.owner.id,
    },
    Math.min(createdAt, PORTAL_END - DAY),
  );
  if (ctx.companyId) b.associate('tickets', t.id, 'companies', ctx.companyId);
  b.associate('tickets', t.id, 'contacts', contact.id);
  return t.id;
}
