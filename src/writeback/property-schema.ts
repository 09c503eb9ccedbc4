import type { RecordType } from '../core/objects.ts';
import { errorMessage } from '../errors.ts';
import type { HubSpotGateway, PropertySummary } from '../hubspot/gateway.ts';
import type { Logger } from '../logging.ts';
import { AI_PROPERTIES } from './ai-properties.ts';

/**
 * The portal's own property definitions, checked before anything is proposed for review or written: HubSpot
 * refuses a whole batch update (400) when one value does not fit its property, so a value the portal cannot hold
 * must be rejected at decision time, with a reason a person can read, not discovered as a failed write after a
 * reviewer approved it. Lifecycle stages and lead statuses are edited per portal, so the options are read from
 * the portal, never assumed. Definitions are cached per type for `ttlMs` and re-read after `setup`.
 */
export class PropertySchema {
  private readonly cache = new Map<RecordType, { at: number; defs: Promise<Map<string, PropertySummary>> }>();

  constructor(
    private readonly gateway: HubSpotGateway,
    private readonly now: () => number = Date.now,
    private readonly ttlMs = 10 * 60_000,
  ) {}

  /** Why `value` cannot be written to `type.field` in this portal, or undefined when it can. */
  async invalidReason(type: RecordType, field: string, value: string): Promise<string | undefined> {
    const def = (await this.definitions(type)).get(field);
    if (!def) return `the portal has no ${type} property "${field}"`;
    return checkDefinedValue(def, value);
  }

  /** The HubSpot type of `type.field` in this portal (`string`, `number`, `datetime`, ...), undefined when it has none. */
  async typeOf(type: RecordType, field: string): Promise<string | undefined> {
    return (await this.definitions(type)).get(field)?.type;
  }

  forget(): void {
    this.cache.clear();
  }

  private definitions(type: RecordType): Promise<Map<string, PropertySummary>> {
    const hit = this.cache.get(type);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.defs;
    const defs = this.gateway.listProperties(type).then((list) => new Map(list.map((d) => [d.name, d])));
    defs.catch(() => this.cache.delete(type)); // a failed read is retried next time, not cached
    this.cache.set(type, { at: this.now(), defs });
    return defs;
  }
}

/**
 * The field's HubSpot type, which decides how its values compare (core/property-value.ts: `1000.50` is `1000.5` in
 * a number, not in a string; a multi-select's options in any order are one value). From the portal's definitions;
 * when they are unreadable or lack the field, from our own `ai_*` definitions; else undefined (values are then
 * compared exactly). Never throws: an unreadable definition must not stop a decision, an undo or a sweep.
 */
export async function comparisonType(schema: PropertySchema, objectType: RecordType, field: string, logger?: Logger): Promise<string | undefined> {
  const own = AI_PROPERTIES.find((d) => d.name === field)?.type;
  return schema.typeOf(objectType, field).then(
    (type) => type ?? own,
    (err: unknown) => {
      logger?.warn({ err: errorMessage(err), objectType, field }, 'property definitions unreadable; values compared by our own definition or exactly');
      return own;
    },
  );
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const EPOCH_MS = /^-?\d{1,16}$/;
const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/;

/** HubSpot's rules for a value of a typed property ('' clears any property). */
export function checkDefinedValue(def: Pick<PropertySummary, 'name' | 'type' | 'fieldType' | 'options'>, value: string): string | undefined {
  if (value === '' || def.type === 'string' || def.type === 'phone_number') return undefined;
  if (value !== value.trim()) return `${def.name} does not take leading or trailing spaces`;
  switch (def.type) {
    case 'number':
      return NUMBER.test(value) ? undefined : `"${value}" is not a number`;
    case 'bool':
      return value === 'true' || value === 'false' ? undefined : `"${value}" is not true or false`;
    case 'date':
    case 'datetime':
      return EPOCH_MS.test(value) || (ISO.test(value) && !Number.isNaN(Date.parse(value))) ? undefined : `"${value}" is not an ISO 8601 date or epoch milliseconds`;
    case 'enumeration': {
      const allowed = (def.options ?? []).map((o) => o.value);
      // Options that live outside the definition (pipelines' stages, owners) are not listed: HubSpot decides.
      if (allowed.length === 0) return undefined;
      const values = def.fieldType === 'checkbox' ? value.split(';') : [value];
      const bad = values.filter((v) => !allowed.includes(v));
      return bad.length === 0 ? undefined : `"${bad.join(';')}" is not one of this portal's options for ${def.name} (${allowed.join(', ')})`;
    }
    default:
      return undefined;
  }
}
