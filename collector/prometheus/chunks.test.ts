import { describe, expect, it } from 'vitest';
import { AppError } from '../../core/errors.js';
import { MAX_POINTS_PER_SERIES, planQueryChunks, stepsForRange } from './chunks.js';

const t0 = Date.UTC(2026, 0, 5, 10, 0, 0);
const minute = 60_000;
const hour = 60 * minute;

describe('stepsForRange', () => {
  it('takes the steps in (from, to]: each carries a sample taken in the step before it', () => {
    expect(stepsForRange(t0, t0 + minute, 15_000)).toEqual({
      startMs: t0 + 15_000,
      endMs: t0 + minute,
      points: 4,
    });
  });

  it('aligns to multiples of the step when the range is not', () => {
    expect(stepsForRange(t0 + 7_000, t0 + 50_000, 15_000)).toEqual({
      startMs: t0 + 15_000,
      endMs: t0 + 45_000,
      points: 3,
    });
  });

  it('returns undefined when no step falls in the range', () => {
    expect(stepsForRange(t0, t0 + 60_000, 120_000)).toBeUndefined();
  });
});

describe('planQueryChunks', () => {
  it('splits a day at a 15-s step into 2-hour chunks in time order, contiguous and without overlap', () => {
    const chunks = planQueryChunks(t0, t0 + 24 * hour, { stepMs: 15_000, maxChunkMs: 2 * hour });
    expect(chunks).toHaveLength(12);
    expect(chunks[0]).toEqual({
      fromMs: t0,
      toMs: t0 + 2 * hour,
      startMs: t0 + 15_000,
      endMs: t0 + 2 * hour,
      points: 480,
    });
    for (let i = 1; i < chunks.length; i++) {
      expect(chunks[i]!.fromMs).toBe(chunks[i - 1]!.toMs);
      expect(chunks[i]!.startMs).toBe(chunks[i - 1]!.endMs + 15_000);
    }
    expect(chunks.at(-1)!.toMs).toBe(t0 + 24 * hour);
  });

  it('keeps every chunk within 11,000 points per series when the time cap would allow more', () => {
    const chunks = planQueryChunks(t0, t0 + 12 * hour, { stepMs: 1_000, maxChunkMs: 24 * hour });
    for (const chunk of chunks) {
      expect(chunk.points).toBeLessThanOrEqual(MAX_POINTS_PER_SERIES);
      // Prometheus' own check: (end - start) / step must not exceed 11,000
      expect((chunk.endMs - chunk.startMs) / 1_000).toBeLessThanOrEqual(11_000);
      expect(chunk.fromMs % minute).toBe(0);
      expect(chunk.toMs % minute).toBe(0);
    }
    // 10,999 s rounds down to 183 whole minutes
    expect(chunks[0]!.toMs - chunks[0]!.fromMs).toBe(183 * minute);
    expect(chunks.at(-1)!.toMs).toBe(t0 + 12 * hour);
  });

  it('ends with a short chunk when the range is not a multiple of the chunk length', () => {
    const chunks = planQueryChunks(t0, t0 + 125 * minute, { stepMs: 15_000, maxChunkMs: 2 * hour });
    expect(chunks.map((c) => (c.toMs - c.fromMs) / minute)).toEqual([120, 5]);
    expect(chunks[1]!.points).toBe(20);
  });

  it('returns no chunk for an empty range', () => {
    expect(planQueryChunks(t0, t0, { stepMs: 15_000, maxChunkMs: 2 * hour })).toEqual([]);
  });

  describe('errors', () => {
    it('rejects a range that is not whole minutes', () => {
      expect(() => planQueryChunks(t0 + 1, t0 + hour, { stepMs: 15_000, maxChunkMs: hour })).toThrow(
        AppError,
      );
    });

    it('rejects a step so short that one minute exceeds the point limit', () => {
      expect(() => planQueryChunks(t0, t0 + hour, { stepMs: 5, maxChunkMs: hour })).toThrow(
        /points per minute/,
      );
    });

    it('rejects a zero step', () => {
      expect(() => planQueryChunks(t0, t0 + hour, { stepMs: 0, maxChunkMs: hour })).toThrow(
        /step must be positive/,
      );
    });
  });
});
