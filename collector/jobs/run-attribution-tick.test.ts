import { describe, expect, it } from 'vitest';
import { computeRetryFrom } from './run-attribution-tick.js';

const now = Date.UTC(2026, 11, 2, 12, 0, 0);
const from = now - 6 * 3_600_000;
const minutes = (n: number) => n * 60_000;

describe('computeRetryFrom', () => {
  it('retries the whole look-back on the first pass after a start', () => {
    expect(computeRetryFrom({ nowMs: now, from, firstPass: true, changedStart: null })).toBe(from);
  });

  it('retries only the last 30 minutes when no job changed', () => {
    expect(computeRetryFrom({ nowMs: now, from, firstPass: false, changedStart: null })).toBe(
      now - minutes(30),
    );
  });

  it('reaches back to the start of a job that arrived late, but never past the look-back', () => {
    const lateStart = now - minutes(200);
    expect(computeRetryFrom({ nowMs: now, from, firstPass: false, changedStart: lateStart })).toBe(lateStart);
    expect(computeRetryFrom({ nowMs: now, from, firstPass: false, changedStart: now - minutes(1000) })).toBe(
      from,
    );
    expect(computeRetryFrom({ nowMs: now, from, firstPass: false, changedStart: now - minutes(5) })).toBe(
      now - minutes(30),
    );
  });
});
