import fc from 'fast-check';
import { v5 as uuidv5 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { compareIdsNumeric } from '../../src/hubspot/account-histories.ts';
import { CHUNK_ID_NAMESPACE, chunkId } from '../../src/text/chunk-id.ts';

/**
 * The backfill's main-thread hot paths computed more cheaply must give exactly what the library calls they replace
 * gave: a chunk id that changed would orphan every stored point, an order that changed would change every history.
 */
/** A call's value, or the class of the error it threw. */
function outcome(f: () => string): { value: string } | { threw: string } {
  try {
    return { value: f() };
  } catch (err) {
    return { threw: (err as Error).constructor.name };
  }
}

describe('chunk ids', () => {
  it('equal uuid v5 of the same name for any portal, account, source and index', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), fc.nat(), (portal, account, source, index) => {
        expect(outcome(() => chunkId(portal, account, source, index))).toEqual(outcome(() => uuidv5(`${portal}:${account}:${source}:${index}`, CHUNK_ID_NAMESPACE)));
      }),
      { numRuns: 2000 },
    );
  });

  it('equal uuid v5 for the ids HubSpot portals have', () => {
    expect(chunkId('123', 'companies:456', '789', 0)).toBe(uuidv5('123:companies:456:789:0', CHUNK_ID_NAMESPACE));
    expect(chunkId('123', 'contact:42', 'engagement-9', 17)).toBe(uuidv5('123:contact:42:engagement-9:17', CHUNK_ID_NAMESPACE));
  });

  it('refuse a name that is not well-formed UTF-16 as uuid does', () => {
    expect(() => chunkId('1', 'companies:2', 'bad\uD800', 0)).toThrow(URIError);
  });
});

describe('numeric id order', () => {
  const ids = fc.oneof(fc.bigInt({ min: 0n, max: 10n ** 20n }).map(String), fc.string(), fc.stringMatching(/^[a-z]{0,3}[0-9]{0,6}$/));
  it("is localeCompare(b, 'en', { numeric: true }) for any two ids", () => {
    fc.assert(
      fc.property(ids, ids, (a, b) => {
        expect(Math.sign(compareIdsNumeric(a, b))).toBe(Math.sign(a.localeCompare(b, 'en', { numeric: true })));
      }),
      { numRuns: 5000 },
    );
  });
});
