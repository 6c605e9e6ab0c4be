import { describe, expect, it } from 'vitest';
import { computeCounterDelta } from './compute-counter-delta.js';

const u32 = { widthBits: 32 };
const u64 = { widthBits: 64 };

describe('computeCounterDelta', () => {
  it('returns the plain increase of a counter that went up', () => {
    expect(computeCounterDelta(100, 250, u64)).toEqual({ delta: 150, status: 'ok' });
  });

  it('reports a 32-bit counter reading 4294967295 as saturated, with no delta', () => {
    expect(computeCounterDelta(4294967000, 4294967295, u32)).toEqual({ delta: null, status: 'saturated' });
  });

  it('wraps a 32-bit counter that stepped back from its upper half', () => {
    expect(computeCounterDelta(4294967290, 10, u32)).toEqual({ delta: 16, status: 'wrapped' });
  });

  it('treats a 32-bit counter that stepped back from its lower half as reset and counts from zero', () => {
    expect(computeCounterDelta(1000, 40, u32)).toEqual({ delta: 40, status: 'reset' });
  });

  it('treats a 64-bit counter that went backwards as reset and keeps the value since the reset', () => {
    expect(computeCounterDelta(9_000_000, 1_200, u64, 5_000)).toEqual({ delta: 1_200, status: 'reset' });
  });

  it('gives no delta for a reset whose new value is more than the link could have carried', () => {
    expect(computeCounterDelta(9_000_000, 8_000_000, u64, 5_000)).toEqual({ delta: null, status: 'reset' });
  });

  it('counts a saturated counter that was cleared as a reset', () => {
    expect(computeCounterDelta(4294967295, 7, u32)).toEqual({ delta: 7, status: 'reset' });
  });

  it('calls an increase larger than the plausible maximum implausible instead of reporting it', () => {
    expect(computeCounterDelta(0, 10_000, u64, 5_000)).toEqual({ delta: null, status: 'implausible' });
  });

  it('honours a saturation value other than the top of the width', () => {
    expect(
      computeCounterDelta(0, 4294967295 * 4, { widthBits: 64, saturatedAt: 4294967295 * 4 }).status,
    ).toBe('saturated');
  });

  it('never returns a negative delta', () => {
    for (const [prev, next] of [
      [5, 3],
      [65535, 0],
      [4294967294, 1],
      [2 ** 40, 0],
    ] as const) {
      for (const spec of [u32, u64, { widthBits: 16 }]) {
        const { delta } = computeCounterDelta(prev, next, spec);
        expect(delta === null || delta >= 0).toBe(true);
      }
    }
  });
});
