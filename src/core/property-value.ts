/**
 * HubSpot property values in one comparable form, by the property's HubSpot type. HubSpot does not hand back the
 * text we wrote: it stores a datetime as an instant and sends it as epoch milliseconds or ISO without a zero
 * fraction (`2026-11-30T23:40:00.000Z` comes back as `...:00Z` or `1796082000000`), a date as `YYYY-MM-DD` or
 * midnight UTC in epoch milliseconds, a number without our formatting (`1000.50` as `1000.5`, `5.0` as `5`), a
 * boolean in lower case, a multi-select's options `;`-joined in its own order, a string without trailing
 * whitespace, and an empty value as '' or null. Every "is this still the value we wrote?" check (echo suppression,
 * undo, who set a field, recovering a landed write, approval's changed-since check, the decision's `no_change`)
 * compares values in this form, so our own value is recognised however HubSpot spells it, while a person's
 * different value stays different (`5` is not `50`, two instants a second apart are two values).
 *
 * Without a known type the values are compared exactly (only '' and null are the same): a value's shape does not
 * say its type ("02139" is a ZIP code in a text field, "5.0" a version), and taking a person's different value for
 * ours would suppress their change.
 */

/** HubSpot's property types (the Properties API's `type`); anything else is compared exactly. */
export type PropertyType = 'bool' | 'date' | 'datetime' | 'enumeration' | 'number' | 'phone_number' | 'string';

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const EPOCH_MS = /^-?\d{1,16}$/;

/**
 * The value reduced to one form for its type: an instant or a number as `#<number>`, a boolean in lower case, an
 * enumeration's options sorted (a single option stays as it is), a string without trailing whitespace; a value
 * that does not fit its type, and any value of an unknown type, as written.
 */
export function canonicalValue(value: string | null | undefined, type?: PropertyType | string): string {
  const written = value ?? '';
  const text = written.trim();
  switch (type) {
    case 'string':
    case 'phone_number':
      return written.trimEnd();
    case 'enumeration':
      // Option values never hold `;`: it separates the options of a multi-select.
      return [...new Set(text.split(';').map((o) => o.trim()).filter((o) => o !== ''))].sort().join(';');
    case 'number':
      return asNumber(text) ?? written;
    case 'date':
    case 'datetime':
      return (EPOCH_MS.test(text) ? asNumber(text) : asInstant(text)) ?? written;
    case 'bool':
      return asBoolean(text) ?? written;
    default:
      return written;
  }
}

/**
 * Whether two values of a property are the same once both are in HubSpot's form for its `type` ('' and null
 * both mean empty); exact when the type is unknown.
 */
export function samePropertyValue(a: string | null | undefined, b: string | null | undefined, type: PropertyType | string | undefined): boolean {
  return canonicalValue(a, type) === canonicalValue(b, type);
}

function asInstant(text: string): string | undefined {
  if (!ISO_DATE_TIME.test(text)) return undefined;
  // A date-time without an offset is read as UTC, so that the comparison does not depend on the machine's zone.
  const ms = Date.parse(/T[^Z+-]*$/.test(text) ? `${text}Z` : text);
  return Number.isFinite(ms) ? `#${ms}` : undefined;
}

function asNumber(text: string): string | undefined {
  if (!DECIMAL.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? `#${n}` : undefined;
}

function asBoolean(text: string): string | undefined {
  const lower = text.toLowerCase();
  return lower === 'true' || lower === 'false' ? lower : undefined;
}
