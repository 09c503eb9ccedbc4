/**
 * HubSpot property values in one comparable form. HubSpot does not hand back the text we wrote: it stores a
 * datetime as an instant and sends it as epoch milliseconds or ISO without a zero fraction
 * (`2026-11-30T23:40:00.000Z` comes back as `...:00Z`), a number without our formatting (`1.50` as `1.5`), a boolean
 * in lower case, and an empty value as '' or null. Every "is this still the value we wrote?" check (echo
 * suppression, undo, who set a field, recovering a landed write, the decision's `no_change`) compares values in
 * this form, so our own value is recognised however HubSpot spells it, while a person's different value stays
 * different.
 *
 * The property's HubSpot type decides the form where it is known: a `string` (or phone number, enumeration) is
 * kept as written, so a ZIP code, phone number or id with leading zeros ("02139") never equals "2139", nor
 * "5.0" equals "5" in a text field. Without a type the value is read by its shape, and a number with a leading
 * zero is taken as text for the same reason.
 */

/** HubSpot's property types (the Properties API's `type`); anything else is compared by shape. */
export type PropertyType = 'bool' | 'date' | 'datetime' | 'enumeration' | 'number' | 'phone_number' | 'string';

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
/** A number as a number property would hold it: no leading zero before other digits ("02139" is text). */
const PLAIN_DECIMAL = /^[+-]?((0|[1-9]\d*)(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const EPOCH_MS = /^-?\d{1,16}$/;

/** The value reduced to one form: an instant or a number as `#<number>`, a boolean in lower case, else as is. */
export function canonicalValue(value: string | null | undefined, type?: PropertyType | string): string {
  const text = (value ?? '').trim();
  switch (type) {
    case 'string':
    case 'phone_number':
    case 'enumeration':
      return value ?? '';
    case 'number':
      return asNumber(text, DECIMAL) ?? value ?? '';
    case 'date':
    case 'datetime':
      return (EPOCH_MS.test(text) ? asNumber(text, DECIMAL) : asInstant(text)) ?? value ?? '';
    case 'bool':
      return asBoolean(text) ?? value ?? '';
    default:
      return asInstant(text) ?? asNumber(text, PLAIN_DECIMAL) ?? asBoolean(text) ?? value ?? '';
  }
}

/**
 * Whether two property values are the same once both are in HubSpot's form ('' and null both mean empty);
 * `type` is the property's HubSpot type where known.
 */
export function samePropertyValue(a: string | null | undefined, b: string | null | undefined, type?: PropertyType | string): boolean {
  return canonicalValue(a, type) === canonicalValue(b, type);
}

function asInstant(text: string): string | undefined {
  if (!ISO_DATE_TIME.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? `#${ms}` : undefined;
}

function asNumber(text: string, shape: RegExp): string | undefined {
  if (!shape.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? `#${n}` : undefined;
}

function asBoolean(text: string): string | undefined {
  const lower = text.toLowerCase();
  return lower === 'true' || lower === 'false' ? lower : undefined;
}
