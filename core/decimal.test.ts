import { describe, expect, it } from 'vitest';
import { formatDecimal, parseDecimal } from './decimal.js';

const roundTrip = (text: string) => {
  const d = parseDecimal(text);
  return d === undefined ? undefined : formatDecimal(d);
};

describe('parseDecimal', () => {
  it('reads plain decimals exactly, with signs and up to 10 places', () => {
    expect(roundTrip('1.14000000000')).toBe('1.1400000000');
    expect(roundTrip('-0.0001234')).toBe('-0.0001234000');
    expect(roundTrip('+42')).toBe('42.0000000000');
    expect(roundTrip('.5')).toBe('0.5000000000');
    expect(roundTrip('7.')).toBe('7.0000000000');
    expect(roundTrip('-0')).toBe('0.0000000000');
  });

  it('reads the exponent notation CUR writes', () => {
    expect(roundTrip('1.25E-6')).toBe('0.0000012500');
    expect(roundTrip('8.9E-9')).toBe('0.0000000089');
    expect(roundTrip('1.0161E-6')).toBe('0.0000010161');
    expect(roundTrip('2.5e3')).toBe('2500.0000000000');
  });

  it('rounds digits past the 10th half away from zero, as PostgreSQL stores numeric(24,10)', () => {
    expect(roundTrip('0.00107392473')).toBe('0.0010739247');
    expect(roundTrip('0.00000000005')).toBe('0.0000000001');
    expect(roundTrip('-0.00000000005')).toBe('-0.0000000001');
    expect(roundTrip('0.00000000004')).toBe('0.0000000000');
    expect(roundTrip('1E-20')).toBe('0.0000000000');
  });

  it('reads PostgreSQL numeric(24,10) text as the scaled value, negative, zero and 14 integer digits included', () => {
    expect(parseDecimal('1234.5678901234')).toBe(12_345_678_901_234n);
    expect(parseDecimal('-0.0000000001')).toBe(-1n);
    expect(parseDecimal('-0.0000000000')).toBe(0n);
    expect(parseDecimal('99999999999999.9999999999')).toBe(10n ** 24n - 1n);
    // 15 integer digits is past numeric(24,10): refused on the general path
    expect(parseDecimal('100000000000000.0000000000')).toBeUndefined();
  });

  it('adds exactly where floats would not', () => {
    const a = parseDecimal('0.1') ?? 0n;
    const b = parseDecimal('0.2') ?? 0n;
    expect(formatDecimal(a + b)).toBe('0.3000000000');
  });

  describe('errors', () => {
    it.each(['', ' ', 'abc', '1,5', '1.2.3', '--1', 'NaN', 'Infinity', '0x10', '1e', '.', '1 000'])(
      'rejects %j as not a number',
      (text) => {
        expect(parseDecimal(text)).toBeUndefined();
      },
    );

    it('rejects a value too large for numeric(24,10)', () => {
      expect(parseDecimal('99999999999999.9999999999')).toBeDefined();
      expect(parseDecimal('100000000000000')).toBeUndefined();
      expect(parseDecimal('1E99')).toBeUndefined();
    });
  });
});
