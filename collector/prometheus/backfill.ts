import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import { withSpan } from '../../core/telemetry.js';
import { writeCollected } from '../dcgm/run-dcgm-scrape-tick.js';
import { BUCKET_MS, RollupAccumulator } from '../rollup/accumulate.js';
import { EntityIdCache } from '../rollup/write.js';
import { ceilToMinute, floorToMinute, planQueryChunks } from './chunks.js';
import { collectChunks, createRangeProgress } from './collect-range.js';
import { createLabelInterner } from './ingest-series.js';
import {
  createCollectContext,
  describeFailure,
  displayUrl,
  type PrometheusSourceDeps,
  type PrometheusSourceSettings,
} from './run-prometheus-tick.js';
import { defaultMaxChunkSeconds } from './settings.js';

export interface BackfillSummary {
  /** The whole minutes filled, [fromMs, toMs): the request widened to minutes, capped at now - lag. */
  fromMs: number;
  toMs: number;
  chunks: number;
  chunksPlanned: number;
  requests: number;
  series: number;
  samples: number;
  rowsWritten: number;
  gpus: number;
  skippedSeries: number;
  warnings: string[];
  durationSeconds: number;
}

/** A backfill that stopped part-way; `summary` says how far it got (every chunk before it is stored). */
export class BackfillError extends AppError {
  readonly summary: BackfillSummary;
  constructor(message: string, summary: BackfillSummary) {
    super('UNAVAILABLE', message);
    this.name = 'BackfillError';
    this.summary = summary;
  }
}

const closeGraceMs = 5_000;

/**
 * Builds minute rollups for a past range from the TSDB. Each run uses a fresh accumulator and
 * writes each chunk as it completes; running it again over the same range computes the same rows
 * and the rollup upsert rewrites them unchanged. The first minute has no energy delta (there is
 * no earlier sample to subtract), in every run alike.
 */
export async function runBackfill(
  deps: PrometheusSourceDeps,
  settings: PrometheusSourceSettings,
  fromMs: number,
  toMs: number,
): Promise<BackfillSummary> {
  const prom = settings.prometheus;
  const from = floorToMinute(fromMs);
  const to = Math.min(ceilToMinute(toMs), floorToMinute(deps.clock.now() - prom.lagSeconds * 1000));
  const maxChunkMs = (prom.maxChunkSeconds ?? defaultMaxChunkSeconds) * 1000;
  const accumulator = new RollupAccumulator({ maxBufferedMinutes: Math.ceil(maxChunkMs / BUCKET_MS) + 10 });
  const state = { accumulator, ids: new EntityIdCache() };
  const context = createCollectContext(deps, prom, accumulator, createLabelInterner());
  const chunks = to > from ? planQueryChunks(from, to, { stepMs: context.stepMs, maxChunkMs }) : [];
  const started = performance.now();
  let rowsWritten = 0;
  let writeError: string | undefined;
  const progress = createRangeProgress();

  await withSpan(deps.tracer, 'collector.prometheus_backfill', { fromMs: from, toMs: to }, () =>
    collectChunks(context, chunks, progress, async (chunk) => {
      // Flushed "at" the chunk's end: its minutes are complete and leave memory once written.
      const clock: Clock = { now: () => chunk.toMs + closeGraceMs };
      const written = await writeCollected({ ...deps, clock }, state, settings.cluster, []);
      rowsWritten += written.rows;
      writeError = written.error;
      deps.log.info(
        {
          chunk: new Date(chunk.fromMs).toISOString(),
          done: progress.chunks + 1,
          of: chunks.length,
          rows: written.rows,
        },
        'backfill chunk stored',
      );
      return written.error === undefined;
    }),
  );

  const summary: BackfillSummary = {
    fromMs: from,
    toMs: Math.max(from, to),
    chunks: progress.chunks,
    chunksPlanned: chunks.length,
    requests: progress.requests,
    series: progress.series,
    samples: progress.samples,
    rowsWritten,
    gpus: progress.gpuKeys.size,
    skippedSeries: progress.skippedSeries,
    warnings: progress.warnings,
    durationSeconds: (performance.now() - started) / 1000,
  };
  if (progress.warnings.length > 0) {
    deps.log.warn(
      { source: displayUrl(prom.url), warnings: progress.warnings },
      'prometheus answered with warnings',
    );
  }
  const problem = describeFailure(progress) ?? (writeError && `database write failed: ${writeError}`);
  if (problem) {
    const until =
      progress.completedUntilMs === undefined
        ? 'nothing'
        : `up to ${new Date(progress.completedUntilMs).toISOString()}`;
    throw new BackfillError(
      `backfill stopped after ${progress.chunks} of ${chunks.length} chunks (${until} stored): ${problem}`,
      summary,
    );
  }
  return summary;
}
