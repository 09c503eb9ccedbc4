import type { PropertyDef } from './property-catalog.ts';
import { asText } from './text-value.ts';

/**
 * Property values as HubSpot checks and stores them. A write with a value its property's type refuses fails the
 * whole request with 400 VALIDATION_ERROR, each bad value listed as `{isValid:false, message, error, name}`
 * (enumeration: `INVALID_OPTION`; numbers: `INVALID_DOUBLE`; datetimes: `INVALID_LONG`, as HubSpot stores them
 * as epoch milliseconds; dates: `INVALID_DATE`; booleans: `INVALID_BOOLEAN`; leading or trailing whitespace on
 * a non-string value: `LEADING_TRAILING_WHITESPACE`). Accepted values are stored normalised: datetimes as ISO 8601
 * UTC (`2026-01-05T09:30:00Z` read back whether written as ISO or as epoch ms), dates as `YYYY-MM-DD`, booleans
 * as `true`/`false`, numbers as the number they hold (`1000.50` read back as `1000.5`, `5.0` as `5`), a
 * multi-select's options in the property's option order (`b;a` read back as `a;b`). An empty value clears the
 * property.
 */

export type ValueCheck = { ok: true; value: string } | { ok: false; error: string; message: string };

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const EPOCH_MS = /^-?\d{1,16}$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

export function checkValue(def: PropertyDef, raw: unknown): ValueCheck {
  const text = asText(raw);
  if (text === '' || def.type === 'string' || def.type === 'phone_number') return { ok: true, value: text };
  if (text !== text.trim()) {
    return { ok: false, error: 'LEADING_TRAILING_WHITESPACE', message: `"${text}" includes leading or trailing whitespace.` };
  }
  switch (def.type) {
    case 'number':
      return NUMBER.test(text) && Number.isFinite(Number(text)) ? { ok: true, value: String(Number(text)) } : { ok: false, error: 'INVALID_DOUBLE', message: `${text} was not a valid number.` };
    case 'bool': {
      const b = text.toLowerCase();
      return b === 'true' || b === 'false' ? { ok: true, value: b } : { ok: false, error: 'INVALID_BOOLEAN', message: `${text} was not a valid boolean; use true or false.` };
    }
    case 'datetime': {
      const ms = toEpochMs(text);
      return ms === undefined ? { ok: false, error: 'INVALID_LONG', message: `${text} was not a valid long (epoch milliseconds) or ISO 8601 date-time.` } : { ok: true, value: isoInstant(ms) };
    }
    case 'date': {
      const ms = toEpochMs(text);
      if (ms === undefined) return { ok: false, error: 'INVALID_DATE', message: `${text} was not a valid date (YYYY-MM-DD, or midnight UTC in epoch milliseconds).` };
      if (new Date(ms).getUTCHours() !== 0 || ms % 86_400_000 !== 0) {
        return { ok: false, error: 'INVALID_DATE', message: `${text} is not at midnight UTC; a date property takes a day, not a time.` };
      }
      return { ok: true, value: new Date(ms).toISOString().slice(0, 10) };
    }
    case 'enumeration': {
      const allowed = def.options.filter((o) => !o.hidden).map((o) => o.value);
      // Checkbox properties hold several options separated by semicolons.
      const values = def.fieldType === 'checkbox' ? text.split(';') : [text];
      const bad = values.filter((v) => !allowed.includes(v));
      if (def.externalOptions) return { ok: true, value: text };
      if (bad.length === 0) return { ok: true, value: [...new Set(values)].sort((a, b) => allowed.indexOf(a) - allowed.indexOf(b)).join(';') };
      return { ok: false, error: 'INVALID_OPTION', message: `${bad.join(';')} was not one of the allowed options: [${allowed.join(', ')}]` };
    }
    default:
      return { ok: true, value: text };
  }
}

function toEpochMs(text: string): number | undefined {
  if (EPOCH_MS.test(text)) return Number(text);
  if (ISO_DATE.test(text) || ISO_DATETIME.test(text)) {
    const ms = Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/** HubSpot's rendering of an instant: second precision unless there are milliseconds. */
export function isoInstant(ms: number): string {
  const s = new Date(ms).toISOString();
  return s.endsWith('.000Z') ? `${s.slice(0, -5)}Z` : s;
}

/** A stored value as HubSpot returns it (seeded data and old state files may hold epoch ms). */
export function readValue(def: PropertyDef | undefined, value: string | null): string | null {
  if (value === null || !def) return value;
  if (def.type === 'datetime' && EPOCH_MS.test(value)) return isoInstant(Number(value));
  if (def.type === 'date' && EPOCH_MS.test(value)) return new Date(Number(value)).toISOString().slice(0, 10);
  return value;
}
