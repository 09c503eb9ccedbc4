import type { AccountHistory, HubSpotObject } from '../core/objects.ts';

/**
 * Firmographics of an account, read from HubSpot's standard company properties (`industry`, `numberofemployees`,
 * `annualrevenue`, `lifecyclestage`, `country`). A contact without a company uses the contact's own.
 */
export interface Firmographics {
  name: string;
  /** HubSpot's industry value as stored (e.g. `FINANCIAL_SERVICES`). */
  industry: string | null;
  sizeBand: SizeBand | null;
  lifecycle: string | null;
  country: string | null;
  isCustomer: boolean;
}

export const SIZE_BANDS = ['smb', 'mid-market', 'enterprise'] as const;
export type SizeBand = (typeof SIZE_BANDS)[number];

/**
 * Employees: ≤ 50 smb, ≤ 500 mid-market, above enterprise (the usual sales segmentation). Without a head count,
 * annual revenue: < $10M smb, < $100M mid-market, above enterprise.
 */
export function sizeBandOf(employees: number | null, annualRevenue: number | null): SizeBand | null {
  if (employees !== null && employees > 0) return employees <= 50 ? 'smb' : employees <= 500 ? 'mid-market' : 'enterprise';
  if (annualRevenue !== null && annualRevenue > 0) return annualRevenue < 10_000_000 ? 'smb' : annualRevenue < 100_000_000 ? 'mid-market' : 'enterprise';
  return null;
}

const CUSTOMER_STAGES = new Set(['customer', 'evangelist']);

export function firmographicsOf(history: AccountHistory): Firmographics {
  const record: HubSpotObject | undefined = history.company ?? history.contacts[0];
  const p = record?.properties ?? {};
  const lifecycle = clean(p.lifecyclestage);
  const wonDeal = history.deals.some((d) => d.properties.hs_is_closed_won === 'true' || d.properties.dealstage === 'closedwon');
  return {
    name: accountName(history),
    industry: clean(p.industry),
    sizeBand: sizeBandOf(num(p.numberofemployees), num(p.annualrevenue)),
    lifecycle,
    country: clean(p.country),
    isCustomer: wonDeal || (lifecycle !== null && CUSTOMER_STAGES.has(lifecycle.toLowerCase())),
  };
}

/** Filter values are compared case- and space-insensitively: `Financial Services` matches `financial services`. */
export function filterKey(v: string | null | undefined): string {
  return (v ?? '').trim().toLowerCase();
}

/** `FINANCIAL_SERVICES` → `financial services`: embedders (semantic or lexical) read words, not enum keys. */
export function humanize(value: string): string {
  return value.replace(/[_-]+/g, ' ').trim().toLowerCase();
}

function accountName(h: AccountHistory): string {
  const c = h.company?.properties;
  if (c) return clean(c.name) ?? clean(c.domain) ?? h.accountId;
  const p = h.contacts[0]?.properties ?? {};
  const person = [clean(p.firstname), clean(p.lastname)].filter(Boolean).join(' ');
  return person || clean(p.email) || h.accountId;
}

function clean(v: string | null | undefined): string | null {
  const s = v?.trim();
  return s ? s : null;
}

function num(v: string | null | undefined): number | null {
  if (v === null || v === undefined || v.trim() === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}
