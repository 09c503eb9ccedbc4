import { describe, expect, it } from 'vitest';
import { canonicalValue, samePropertyValue } from '../../src/core/property-value.ts';

describe('samePropertyValue', () => {
  it('reads a value in HubSpot\'s form for its type', () => {
    expect(samePropertyValue('2026-11-30T23:40:00.000Z', '2026-11-30T23:40:00Z', 'datetime')).toBe(true);
    expect(samePropertyValue(String(Date.parse('2026-11-30T23:40:00Z')), '2026-11-30T23:40:00Z', 'datetime')).toBe(true);
    expect(samePropertyValue('2026-11-30', String(Date.parse('2026-11-30T00:00:00Z')), 'date')).toBe(true);
    expect(samePropertyValue('5.0', '5', 'number')).toBe(true);
    expect(samePropertyValue('1.50', '1.5', 'number')).toBe(true);
    expect(samePropertyValue('1000.50', '1000.5', 'number')).toBe(true);
    expect(samePropertyValue('007', '7', 'number')).toBe(true);
    expect(samePropertyValue('TRUE', 'true', 'bool')).toBe(true);
    expect(samePropertyValue('', null, 'number')).toBe(true);
    expect(samePropertyValue('5', '6', 'number')).toBe(false);
  });

  it('compares a string or phone number as written but for trailing whitespace HubSpot trims: a leading zero is part of the value', () => {
    for (const type of ['string', 'phone_number']) {
      expect(samePropertyValue('02139', '2139', type)).toBe(false);
      expect(samePropertyValue('5.0', '5', type)).toBe(false);
      expect(samePropertyValue('02139', '02139', type)).toBe(true);
      expect(samePropertyValue('Renewal at risk.  \n', 'Renewal at risk.', type)).toBe(true);
      expect(samePropertyValue(' Renewal', 'Renewal', type)).toBe(false);
      expect(samePropertyValue('', null, type)).toBe(true);
    }
    expect(samePropertyValue('2026-11-30T23:40:00.000Z', '2026-11-30T23:40:00Z', 'string')).toBe(false);
  });

  it("compares an enumeration's options as a set: a multi-select comes back in HubSpot's order", () => {
    expect(samePropertyValue('crm;billing;api', 'api;billing;crm', 'enumeration')).toBe(true);
    expect(samePropertyValue('crm;billing', 'crm;billing;crm', 'enumeration')).toBe(true);
    expect(samePropertyValue('high', 'high', 'enumeration')).toBe(true);
    expect(samePropertyValue('crm;billing', 'crm', 'enumeration')).toBe(false);
    expect(samePropertyValue('02139', '2139', 'enumeration')).toBe(false);
    expect(samePropertyValue('', null, 'enumeration')).toBe(true);
  });

  it('keeps genuinely different values different', () => {
    expect(samePropertyValue('5', '50', 'number')).toBe(false);
    expect(samePropertyValue('5', '0.5', 'number')).toBe(false);
    expect(samePropertyValue('2026-05-17T09:30:00Z', '2026-05-17T09:30:01Z', 'datetime')).toBe(false);
    expect(samePropertyValue(String(Date.parse('2026-05-17T09:30:00Z')), '2026-05-17T09:30:01Z', 'datetime')).toBe(false);
    expect(samePropertyValue('2026-05-17', '2026-05-18', 'date')).toBe(false);
    expect(samePropertyValue('true', 'false', 'bool')).toBe(false);
    expect(samePropertyValue('low', 'high', 'enumeration')).toBe(false);
    // A value that does not fit its type is compared as written, never taken for an empty or other value.
    expect(samePropertyValue('n/a', '', 'number')).toBe(false);
  });

  it('reads a date-time without an offset as UTC, whatever the machine\'s zone', () => {
    expect(samePropertyValue('2026-05-17T09:30:00', '2026-05-17T09:30:00Z', 'datetime')).toBe(true);
    expect(samePropertyValue('2026-05-17T11:30:00+02:00', '2026-05-17T09:30:00Z', 'datetime')).toBe(true);
  });

  it('without a type compares exactly (only empty and null are the same): a shape does not say the type', () => {
    expect(samePropertyValue('02139', '2139', undefined)).toBe(false);
    expect(samePropertyValue('5.0', '5', undefined)).toBe(false);
    expect(samePropertyValue('2026-11-30T23:40:00.000Z', '2026-11-30T23:40:00Z', undefined)).toBe(false);
    expect(samePropertyValue('a;b', 'b;a', undefined)).toBe(false);
    expect(samePropertyValue('same', 'same', undefined)).toBe(true);
    expect(samePropertyValue('', null, undefined)).toBe(true);
    expect(samePropertyValue('x', 'x', 'unknown_type')).toBe(true);
    expect(samePropertyValue('5.0', '5', 'unknown_type')).toBe(false);
    expect(canonicalValue('02139')).toBe('02139');
  });
});
