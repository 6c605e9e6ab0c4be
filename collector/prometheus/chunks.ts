import { AppError } from '../../core/errors.js';
import { BUCKET_MS } from '../rollup/accumulate.js';

/** Prometheus refuses a range query with more than this many steps per series (`exceeded maximum resolution`). */
export const MAX_POINTS_PER_SERIES = 11_000;

/**
 * One query_range request. It covers the minutes [fromMs, toMs); its evaluation steps are
 * startMs, startMs + step, ..., endMs, all multiples of the step.
 */
export interface QueryChunk {
  fromMs: number;
  toMs: number;
  startMs: number;
  endMs: number;
  points: number;
}

export function floorToMinute(ms: number): number {
  return Math.floor(ms / BUCKET_MS) * BUCKET_MS;
}

export function ceilToMinute(ms: number): number {
  return Math.ceil(ms / BUCKET_MS) * BUCKET_MS;
}

/**
 * The steps that stand for the samples of [fromMs, toMs). A step at t carries the newest sample in
 * (t - lookback, t]; with a scrape interval no longer than the step that sample was taken in
 * (t - step, t], so the steps in (fromMs, toMs] are the ones whose samples belong to the range.
 * Returns undefined when no step falls in it.
 */
export function stepsForRange(
  fromMs: number,
  toMs: number,
  stepMs: number,
): { startMs: number; endMs: number; points: number } | undefined {
  const startMs = (Math.floor(fromMs / stepMs) + 1) * stepMs;
  const endMs = Math.floor(toMs / stepMs) * stepMs;
  if (endMs < startMs) return undefined;
  return { startMs, endMs, points: Math.round((endMs - startMs) / stepMs) + 1 };
}

/**
 * Splits [fromMs, toMs) (minute-aligned) into whole-minute chunks of at most `maxChunkMs` and at most
 * 11,000 steps per series, in time order, so every minute bucket is filled by one request and
 * counter deltas run on from one chunk to the next.
 */
export function planQueryChunks(
  fromMs: number,
  toMs: number,
  options: { stepMs: number; maxChunkMs: number; maxPointsPerSeries?: number },
): QueryChunk[] {
  const { stepMs } = options;
  if (!(stepMs > 0) || !Number.isFinite(stepMs))
    throw new AppError('VALIDATION', `step must be positive, got ${stepMs} ms`);
  if (fromMs % BUCKET_MS !== 0 || toMs % BUCKET_MS !== 0) {
    throw new AppError('VALIDATION', `query range ${fromMs}..${toMs} is not aligned to whole minutes`);
  }
  const maxPoints = options.maxPointsPerSeries ?? MAX_POINTS_PER_SERIES;
  // A chunk of n minutes holds at most n * 60 / step + 1 steps.
  const byPoints = floorToMinute((maxPoints - 1) * stepMs);
  const chunkMs = Math.min(floorToMinute(options.maxChunkMs), byPoints);
  if (chunkMs < BUCKET_MS) {
    throw new AppError(
      'VALIDATION',
      `a ${stepMs} ms step needs more than ${maxPoints} points per minute; use a longer step or chunk`,
    );
  }
  const chunks: QueryChunk[] = [];
  for (let from = fromMs; from < toMs; from += chunkMs) {
    const to = Math.min(toMs, from + chunkMs);
    const steps = stepsForRange(from, to, stepMs);
    if (steps) chunks.push({ fromMs: from, toMs: to, ...steps });
  }
  return chunks;
}
