import type { AccountHistory, Engagement } from '../../src/core/objects.ts';

/**
 * A small synthetic portal for retrieval tests: companies in segments (industry × size band) whose histories mix
 * segment-specific pains, generic sales talk and off-segment noise, so profiles are similar but not identical.
 * Deterministic (seeded PRNG), independent of the sandbox generator.
 */
const INDUSTRIES = {
  FINANCIAL_SERVICES: ['ledger reconciliation', 'PCI compliance', 'fraud alerts', 'payment latency', 'audit trail'],
  HOSPITAL_HEALTH_CARE: ['patient intake', 'HIPAA consent', 'clinic scheduling', 'EHR integration', 'nurse rostering'],
  RETAIL: ['stock-outs', 'cart abandonment', 'store inventory', 'loyalty program', 'seasonal promotions'],
  MACHINERY: ['production line downtime', 'spare parts', 'maintenance schedule', 'supplier quality', 'plant safety'],
} as const;
const BANDS = { smb: [12, 45], 'mid-market': [60, 480], enterprise: [900, 9000] } as const;
const BAND_TALK = {
  smb: ['tight budget', 'quick setup', 'monthly plan', 'founder approval'],
  'mid-market': ['team rollout', 'annual contract', 'department budget', 'onboarding workshop'],
  enterprise: ['security review', 'procurement process', 'SSO requirement', 'global rollout'],
} as const;
const GENERIC = ['follow up next week', 'demo went well', 'sent the proposal', 'pricing question', 'renewal date', 'champion left'];

export interface SyntheticCompany {
  id: string;
  segment: string;
  history: AccountHistory;
}

export function syntheticPortal(portalId: string, perSegment = 12, seed = 7): SyntheticCompany[] {
  let state = seed >>> 0;
  const rnd = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const industries = Object.keys(INDUSTRIES) as Array<keyof typeof INDUSTRIES>;
  const bands = Object.keys(BANDS) as Array<keyof typeof BANDS>;
  const out: SyntheticCompany[] = [];
  let id = 1000;
  for (const industry of industries) {
    for (const band of bands) {
      for (let i = 0; i < perSegment; i++) {
        const companyId = String(id++);
        const [lo, hi] = BANDS[band];
        const engagements: Engagement[] = [];
        const n = 3 + Math.floor(rnd() * 6);
        for (let e = 0; e < n; e++) {
          const noise = pick(INDUSTRIES[pick(industries)]); // off-segment mentions happen
          const body = `${pick(INDUSTRIES[industry])} and ${pick(INDUSTRIES[industry])}. ${pick(BAND_TALK[band])}. ${pick(GENERIC)}. Also ${noise}.`;
          engagements.push({
            type: 'notes',
            object: { id: `${companyId}${e}`, properties: { hs_note_body: body, hs_timestamp: '2025-01-01T00:00:00Z' } },
            associations: { companies: [companyId], contacts: [], deals: [], tickets: [] },
          });
        }
        out.push({
          id: companyId,
          segment: `${industry}/${band}`,
          history: {
            portalId,
            accountId: companyId,
            company: {
              id: companyId,
              properties: {
                name: `Company ${companyId}`,
                industry,
                numberofemployees: String(Math.floor(lo + rnd() * (hi - lo))),
                lifecyclestage: pick(['lead', 'opportunity', 'customer']),
                country: pick(['US', 'DE', 'FR']),
              },
            },
            contacts: [],
            deals: [],
            tickets: [],
            engagements,
          },
        });
      }
    }
  }
  return out;
}
