/**
 * HubSpot property values in one comparable form. HubSpot does not hand back the text we wrote: it stores a
 * datetime as an instant and sends it as epoch milliseconds or ISO without a zero fraction
 * (`2026-11-30T23:40:00.000Z` comes back as `...:00Z`), a number without our formatting (`1.50` as `1.5`), a boolean
 * in lower case, and an empty value as '' or null. Every "is this still the value we wrote?" check (echo
 * suppression, undo, who set a field, recovering a landed write) compares values in this form, so our own value
 * is recognised however HubSpot spells it, while a person's different value stays different.
 */

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The value reduced to one form: an instant or a number as `#<number>`, a boolean in lower case, else as is. */
export function canonicalValue(value: string | null | undefined): string {
  const text = (value ?? '').trim();
  if (ISO_DATE_TIME.test(text)) {
    const ms = Date.parse(text);
    if (Number.isFinite(ms)) return `#${ms}`;
  }
  if (DECIMAL.test(text)) {
    const n = Number(text);
    if (Number.isFinite(n)) return `#${n}`;
  }
  const lower = text.toLowerCase();
  if (lower === 'true' || lower === 'false') return lower;
  return value ?? '';
}

/** Whether two property values are the same once both are in HubSpot's form ('' and null both mean empty). */
export function samePropertyValue(a: string | null | undefined, b: string | null | undefined): boolean {
  return canonicalValue(a) === canonicalValue(b);
}
