import { describe, expect, it } from 'vitest';
import { canonicalValue, samePropertyValue } from '../../src/core/property-value.ts';

describe('samePropertyValue', () => {
  it('reads a value in HubSpot\'s form for its type', () => {
    expect(samePropertyValue('2026-11-30T23:40:00.000Z', '2026-11-30T23:40:00Z', 'datetime')).toBe(true);
    expect(samePropertyValue(String(Date.parse('2026-11-30T23:40:00Z')), '2026-11-30T23:40:00Z', 'datetime')).toBe(true);
    expect(samePropertyValue('2026-11-30', String(Date.parse('2026-11-30T00:00:00Z')), 'date')).toBe(true);
    expect(samePropertyValue('5.0', '5', 'number')).toBe(true);
    expect(samePropertyValue('1.50', '1.5', 'number')).toBe(true);
    expect(samePropertyValue('TRUE', 'true', 'bool')).toBe(true);
    expect(samePropertyValue('', null, 'number')).toBe(true);
    expect(samePropertyValue('5', '6', 'number')).toBe(false);
  });

  it('compares a string, phone number or enumeration as written: a leading zero is part of the value', () => {
    for (const type of ['string', 'phone_number', 'enumeration']) {
      expect(samePropertyValue('02139', '2139', type)).toBe(false);
      expect(samePropertyValue('5.0', '5', type)).toBe(false);
      expect(samePropertyValue('02139', '02139', type)).toBe(true);
      expect(samePropertyValue('', null, type)).toBe(true);
    }
    expect(samePropertyValue('2026-11-30T23:40:00.000Z', '2026-11-30T23:40:00Z', 'string')).toBe(false);
  });

  it('without a type reads the shape, and takes a number with a leading zero as text', () => {
    expect(samePropertyValue('02139', '2139')).toBe(false);
    expect(samePropertyValue('007', '7')).toBe(false);
    expect(canonicalValue('02139')).toBe('02139');
    expect(samePropertyValue('0.50', '0.5')).toBe(true);
    expect(samePropertyValue('5.0', '5')).toBe(true);
    expect(samePropertyValue('2026-11-30T23:40:00.000Z', '2026-11-30T23:40:00Z')).toBe(true);
    expect(samePropertyValue('False', 'false')).toBe(true);
  });
});
