import type { HubSpotObject } from '../../core/objects.ts';
import { richTextToPlain } from './html.ts';
import { isoDay, toIso } from './timestamps.ts';

/**
 * CRM records (company, contact, deal) rendered as readable "Label: value" lines, so that firmographics and
 * deal state are searchable next to the history and a retrieved chunk explains itself. Internal ids HubSpot uses
 * for the default pipeline stages are shown with their labels; custom stage ids are shown as they are.
 */
type Field = [label: string, property: string, format?: (v: string) => string];

const STAGE_LABELS: Record<string, string> = {
  appointmentscheduled: 'Appointment scheduled',
  qualifiedtobuy: 'Qualified to buy',
  presentationscheduled: 'Presentation scheduled',
  decisionmakerboughtin: 'Decision maker bought-in',
  contractsent: 'Contract sent',
  closedwon: 'Closed won',
  closedlost: 'Closed lost',
};

const LIFECYCLE_LABELS: Record<string, string> = {
  subscriber: 'Subscriber',
  lead: 'Lead',
  marketingqualifiedlead: 'Marketing qualified lead',
  salesqualifiedlead: 'Sales qualified lead',
  opportunity: 'Opportunity',
  customer: 'Customer',
  evangelist: 'Evangelist',
  other: 'Other',
};

const humanize = (v: string) => v.replace(/_/g, ' ').toLowerCase().replace(/^\w/, (c) => c.toUpperCase());
const lifecycle = (v: string) => LIFECYCLE_LABELS[v] ?? v;
const stage = (v: string) => STAGE_LABELS[v] ?? v;
const day = (v: string) => {
  const iso = toIso(v);
  return iso ? isoDay(iso) : v;
};
// `toLocaleString(locale, options)` builds this formatter on every call; one instance formats the same.
const NUMBER_FORMAT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
const number = (v: string) => {
  const n = Number(v);
  return Number.isFinite(n) ? NUMBER_FORMAT.format(n) : v;
};

const COMPANY: Field[] = [
  ['Domain', 'domain'],
  ['Industry', 'industry', humanize],
  ['Employees', 'numberofemployees', number],
  ['Annual revenue', 'annualrevenue', number],
  ['Lifecycle stage', 'lifecyclestage', lifecycle],
  ['Lead status', 'hs_lead_status', humanize],
  ['Type', 'type', humanize],
  ['City', 'city'],
  ['State', 'state'],
  ['Country', 'country'],
  ['Founded', 'founded_year'],
  ['Customer since', 'first_deal_created_date', day],
];

const CONTACT: Field[] = [
  ['Job title', 'jobtitle'],
  ['Email', 'email'],
  ['Company', 'company'],
  ['Lifecycle stage', 'lifecyclestage', lifecycle],
  ['Lead status', 'hs_lead_status', humanize],
  ['City', 'city'],
  ['Country', 'country'],
];

const DEAL: Field[] = [
  ['Stage', 'dealstage', stage],
  ['Pipeline', 'pipeline'],
  ['Amount', 'amount', number],
  ['Currency', 'deal_currency_code'],
  ['Close date', 'closedate', day],
  ['Type', 'dealtype', humanize],
  ['Priority', 'hs_priority', humanize],
  ['Forecast category', 'hs_forecast_category', humanize],
];

export function contactName(contact: HubSpotObject): string {
  const p = contact.properties;
  const name = [p.firstname, p.lastname].filter((s) => s && s.trim() !== '').join(' ').trim();
  return name || p.email || `Contact ${contact.id}`;
}

export function companyName(company: HubSpotObject): string {
  return company.properties.name?.trim() || company.properties.domain?.trim() || `Company ${company.id}`;
}

export function dealName(deal: HubSpotObject): string {
  return deal.properties.dealname?.trim() || `Deal ${deal.id}`;
}

export function companyText(company: HubSpotObject): string {
  return render(`Company: ${companyName(company)}`, company, COMPANY, 'description');
}

export function contactText(contact: HubSpotObject): string {
  return render(`Contact: ${contactName(contact)}`, contact, CONTACT);
}

export function dealText(deal: HubSpotObject): string {
  return render(`Deal: ${dealName(deal)}`, deal, DEAL, 'description');
}

function render(first: string, obj: HubSpotObject, fields: Field[], descriptionProperty?: string): string {
  const lines = [first];
  for (const [label, property, format] of fields) {
    const raw = obj.properties[property];
    if (raw === null || raw === undefined || raw.trim() === '') continue;
    lines.push(`${label}: ${format ? format(raw.trim()) : raw.trim()}`);
  }
  const description = descriptionProperty ? richTextToPlain(obj.properties[descriptionProperty]) : '';
  if (description) lines.push('', description);
  return lines.join('\n');
}
