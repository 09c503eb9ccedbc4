import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hubSpotEventSchema, isWellFormedEvent, MAX_BATCH_EVENTS, parseWebhookBatch, parseWithSchema } from '../../src/webhooks/event-schema.ts';

/**
 * The acknowledgement path checks well-formed deliveries without zod and normalises them in place; everything else
 * goes through the zod schema. These properties hold the two together: on any delivery, the fast path answers
 * exactly what the schema path answers (same events, same error text), and it never accepts an event the schema
 * refuses.
 */

// Values of every JSON kind, biased towards the edges the schema draws (negative, zero, fractional, huge, numeric
// and non-numeric strings, empty strings).
const jsonValue = fc.oneof(
  fc.constantFrom(0, -1, 1, 1.5, 62515, 2 ** 53, -0, 1e300, '', '0', '12', '0012', '-3', 'abc', '0-48', '2-12345', '1-', 'x-1', true, false, null),
  fc.integer({ min: -5, max: 1_000_000 }),
  fc.string({ maxLength: 6 }),
  fc.array(fc.oneof(fc.integer({ min: -2, max: 9 }), fc.constantFrom('7', 'a', '')), { maxLength: 3 }),
  fc.constant({ nested: 1 }),
);

const FIELDS = Object.keys(hubSpotEventSchema.shape);

/** A valid event (as HubSpot sends them) with some fields replaced by arbitrary values, some removed, some extra. */
const event = fc
  .record({
    eventId: fc.oneof(fc.integer({ min: 1, max: 1e9 }), fc.constant('evt-1')),
    portalId: fc.oneof(fc.integer({ min: 1, max: 1e8 }), fc.constant('62515')),
    occurredAt: fc.integer({ min: 0, max: 2e12 }),
    subscriptionType: fc.constantFrom('contact.creation', 'deal.propertyChange', 'object.creation', 'company.merge'),
    objectId: fc.integer({ min: 1, max: 1e9 }),
    propertyValue: fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.boolean(), fc.constant(null)),
  })
  .chain((base) =>
    fc
      .tuple(
        fc.dictionary(fc.constantFrom(...FIELDS), jsonValue, { maxKeys: 3 }),
        fc.subarray(Object.keys(base), { maxLength: 2 }),
        fc.dictionary(fc.constantFrom('extraField', 'eventType', 'portalName'), jsonValue, { maxKeys: 2 }),
      )
      .map(([changed, removed, extra]) => {
        const e: Record<string, unknown> = { ...base, ...changed, ...extra };
        for (const k of removed) delete e[k];
        return e;
      }),
  );

const delivery = fc.oneof(
  { weight: 8, arbitrary: fc.array(event, { minLength: 1, maxLength: 5 }) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>([], {}, 'x', null, 3, [1], [[]], [null]) },
);

/** JSON round trip: the route parses bodies with JSON.parse, so both paths see what it makes. */
const viaJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v)) as unknown;

describe('parseWebhookBatch', () => {
  it('answers exactly what the zod schema path answers, on any delivery', () => {
    fc.assert(
      fc.property(delivery, (body) => {
        const fast = parseWebhookBatch(viaJson(body));
        const reference = parseWithSchema(viaJson(body));
        expect(fast).toEqual(reference);
      }),
      { numRuns: 3000 },
    );
  });

  it('never calls an event well formed that the schema refuses', () => {
    fc.assert(
      fc.property(event, (e) => {
        const parsed = viaJson(e);
        if (isWellFormedEvent(parsed)) expect(hubSpotEventSchema.safeParse(parsed).success).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('normalises a well-formed delivery in place: numeric portal, string property values, the alias renamed', () => {
    const body = viaJson([
      { eventId: 1, portalId: '62515', occurredAt: 5, eventType: 'contact.propertyChange', objectId: 9, propertyValue: 42, extraField: 'kept' },
      { eventId: 2, portalId: 62515, occurredAt: 6, subscriptionType: 'deal.propertyChange', objectId: '10', propertyValue: null },
      { eventId: 3, portalId: 62515, occurredAt: 7, subscriptionType: 'contact.creation', objectId: 11, propertyValue: true },
    ]);
    const parsed = parseWebhookBatch(body);
    expect(parsed).toEqual({
      ok: true,
      events: [
        { eventId: 1, portalId: 62515, occurredAt: 5, subscriptionType: 'contact.propertyChange', objectId: 9, propertyValue: '42', extraField: 'kept' },
        { eventId: 2, portalId: 62515, occurredAt: 6, subscriptionType: 'deal.propertyChange', objectId: '10', propertyValue: '' },
        { eventId: 3, portalId: 62515, occurredAt: 7, subscriptionType: 'contact.creation', objectId: 11, propertyValue: 'true' },
      ],
    });
    expect(parsed.ok && 'eventType' in parsed.events[0]!).toBe(false);
  });

  const bad: Array<[string, unknown, string]> = [
    ['a non-array', { eventId: 1 }, 'invalid webhook batch: the body must be a JSON array of HubSpot events'],
    ['an empty array', [], 'invalid webhook batch: the batch is empty: expected at least one event'],
    [
      'an oversized batch',
      Array.from({ length: MAX_BATCH_EVENTS + 1 }, (_, i) => ({ eventId: i, portalId: 1, occurredAt: 1, subscriptionType: 'contact.creation' })),
      `invalid webhook batch: a batch holds at most ${MAX_BATCH_EVENTS} events`,
    ],
    ['a missing occurredAt', [{ eventId: 1, portalId: 1, subscriptionType: 'contact.creation' }], 'invalid webhook batch: [0].occurredAt: must be a number (milliseconds since the epoch)'],
    ['a text portalId', [{ eventId: 1, portalId: 'acme', occurredAt: 1, subscriptionType: 'contact.creation' }], 'invalid webhook batch: [0].portalId: must be a positive portal id'],
    [
      'a missing subscription type in the second event',
      [
        { eventId: 1, portalId: 1, occurredAt: 1, subscriptionType: 'contact.creation' },
        { eventId: 2, portalId: 1, occurredAt: 1 },
      ],
      'invalid webhook batch: [1].subscriptionType: is required (e.g. "contact.creation")',
    ],
    ['a malformed objectTypeId', [{ eventId: 1, portalId: 1, occurredAt: 1, subscriptionType: 'object.creation', objectTypeId: '0_48' }], 'invalid webhook batch: [0].objectTypeId: must look like "0-1"'],
  ];
  for (const [name, body, message] of bad) {
    it(`refuses ${name} with the schema's message`, () => {
      expect(parseWebhookBatch(viaJson(body))).toEqual({ ok: false, error: message });
    });
  }
});
