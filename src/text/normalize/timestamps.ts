/**
 * HubSpot returns datetimes as ISO strings in v3 but as epoch milliseconds in older properties and in webhooks;
 * dates (`closedate`) sometimes as `YYYY-MM-DD`. Everything we store is ISO 8601 UTC.
 */
export function toIso(value: string | number | null | undefined): string | null {
  if (value === null || value === undefined || value === '') return null;
  const asNumber = typeof value === 'number' ? value : /^\d{10,14}$/.test(value.trim()) ? Number(value) : NaN;
  const date = Number.isFinite(asNumber) ? new Date(asNumber) : new Date(String(value));
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** `2025-06-03` from an ISO timestamp (chunk headers show the day, not the instant). */
export function isoDay(iso: string): string {
  return iso.slice(0, 10);
}
