import type { Score } from './model.ts';

/**
 * A score's top drivers in words: each feature's contribution to the logit (weight × standardized value, from
 * `scoreObservation`), signed, with a name a rep can read. They go into the written score's companion note and
 * into every review item derived from the score, so a person sees why the number is what it is.
 *
 * A contribution is relative to the average training deal: "Meetings: 0 −0.40" means having no meetings pulls
 * this score below an average deal's. One-hot levels at 0 read as "not X" for the same reason.
 */

export interface Driver {
  /** The model's column name (`meetings`, `industry=RETAIL`). */
  feature: string;
  /** The column name in words, with this record's value (`Meetings held: 3`). */
  label: string;
  value: number;
  /** Signed contribution to the log-odds of winning: positive raises the score, negative lowers it. */
  contribution: number;
}

export const TOP_DRIVERS = 5;

const NUMERIC_LABEL: Record<string, string> = {
  meetings: 'Meetings held',
  inboundEmails: 'E-mails from the buyer',
  outboundEmails: 'E-mails to the buyer',
  calls: 'Calls',
  notes: 'Notes logged',
  staleMonths: 'Months since the last activity',
};

/** `COMPUTER_SOFTWARE` → `Computer software`; other spellings are kept as they are. */
function humanize(v: string): string {
  if (!/^[A-Z0-9_]+$/.test(v)) return v;
  const words = v.toLowerCase().replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

/** A model column and this record's value as a reader would say it. Unknown columns keep their name. */
export function driverLabel(feature: string, value: number): string {
  const eq = feature.indexOf('=');
  if (eq > 0) {
    const group = feature.slice(0, eq);
    const level = humanize(feature.slice(eq + 1));
    const name = group === 'industry' ? 'Industry' : group === 'size' ? 'Company size' : humanize(group);
    return value ? `${name}: ${level}` : `${name} is not ${level}`;
  }
  if (feature === 'seniorBuyer') return value ? 'A senior buyer is involved' : 'No senior buyer involved';
  if (feature === 'competitorMentioned') return value ? 'A competitor was named' : 'No competitor named';
  const name = NUMERIC_LABEL[feature];
  return name ? `${name}: ${formatNumber(value)}` : `${feature}: ${formatNumber(value)}`;
}

/** The `n` largest contributions by magnitude (the score's are already sorted so), in words. */
export function topDrivers(score: Score, n = TOP_DRIVERS): Driver[] {
  return [...score.contributions]
    .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution))
    .slice(0, n)
    .map((c) => ({ feature: c.feature, label: driverLabel(c.feature, c.value), value: c.value, contribution: round(c.contribution) }));
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

export function signed(v: number): string {
  // A real minus sign: a hyphen before a number reads as a dash in HubSpot's note font.
  return `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(2)}`;
}

/** One line: `Meetings held: 3 (+0.41)`. */
export function driversInline(drivers: readonly Driver[]): string {
  return drivers.map((d) => `${d.label} (${signed(d.contribution)})`).join('; ');
}

/** The companion note's list: one driver a line, with whether it raises or lowers the score. */
export function driversList(drivers: readonly Driver[]): string {
  return drivers.map((d) => `${signed(d.contribution)}  ${d.label} — ${d.contribution >= 0 ? 'raises' : 'lowers'} the score`).join('\n');
}
