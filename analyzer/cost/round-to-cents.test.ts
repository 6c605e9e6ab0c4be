import { describe, expect, it } from 'vitest';
import { parseDecimal } from '../../core/decimal.js';
import { apportionCents, formatCents, roundHalfAway } from './round-to-cents.js';

const d = (v: string) => parseDecimal(v) ?? 0n;

describe('apportionCents', () => {
  it('makes rounded lines add up to the rounded total (three thirds of a dollar)', () => {
    const third = d('1') / 3n;
    const parts = [third, third, d('1') - 2n * third];
    const naive = parts.map(roundHalfAway).reduce((s, p) => s + p, 0n);
    expect(naive).toBe(99n);
    const { parts: cents, total } = apportionCents(parts);
    expect(total).toBe(100n);
    expect(cents.reduce((s, p) => s + p, 0n)).toBe(100n);
    expect(cents.sort()).toEqual([33n, 33n, 34n]);
  });

  it('adds up with thousands of tiny lines and with credits', () => {
    const parts = Array.from({ length: 5000 }, (_, i) => (i % 7 === 0 ? -d('0.004') : d('0.0049')));
    const { parts: cents, total } = apportionCents(parts);
    expect(cents.reduce((s, p) => s + p, 0n)).toBe(total);
    expect(total).toBe(roundHalfAway(parts.reduce((s, p) => s + p, 0n)));
  });

  it('meets a total fixed from elsewhere', () => {
    const { parts } = apportionCents([d('0.005'), d('0.005')], 2n);
    expect(parts.reduce((s, p) => s + p, 0n)).toBe(2n);
  });

  it('formats cents', () => {
    expect(formatCents(123456n)).toBe('1234.56');
    expect(formatCents(5n)).toBe('0.05');
    expect(formatCents(-5n)).toBe('-0.05');
    expect(formatCents(0n)).toBe('0.00');
  });
});
