import { describe, expect, it } from 'vitest';
import { formatGoFloat } from './go-float.js';

describe('formatGoFloat', () => {
  it('prints the values of the node_exporter InfiniBand fixture exactly as Go does', () => {
    expect(formatGoFloat(18_527_668)).toBe('1.8527668e+07');
    expect(formatGoFloat(4_294_967_295)).toBe('4.294967295e+09');
    expect(formatGoFloat(5e9)).toBe('5e+09');
    expect(formatGoFloat(1.25e9)).toBe('1.25e+09');
    expect(formatGoFloat(61_148)).toBe('61148');
    expect(formatGoFloat(0)).toBe('0');
  });

  it('switches to an exponent at one million and keeps every digit of a large counter', () => {
    expect(formatGoFloat(999_999)).toBe('999999');
    expect(formatGoFloat(1_000_000)).toBe('1e+06');
    expect(Number(formatGoFloat(123_456_789_012_345_680))).toBe(123_456_789_012_345_680);
    expect(formatGoFloat(0.00001)).toBe('1e-05');
  });
});
