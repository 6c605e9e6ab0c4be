import { mapWithConcurrency } from '../../core/concurrency.js';
import type { Logger } from '../../core/log.js';
import { type Tracer, withSpan } from '../../core/telemetry.js';
import { lookupField } from '../dcgm/fields.js';
import type { CollectorMetrics } from '../metrics.js';
import type { RollupAccumulator } from '../rollup/accumulate.js';
import type { QueryChunk } from './chunks.js';
import type { PrometheusClient, QueryFailure } from './fetch-query-range.js';
import { ingestSeries, type LabelInterner } from './ingest-series.js';
import type { FieldQuery } from './promql.js';

export interface CollectContext {
  client: PrometheusClient;
  accumulator: RollupAccumulator;
  labels: LabelInterner;
  queries: readonly FieldQuery[];
  stepMs: number;
  concurrency: number;
  log: Logger;
  tracer: Tracer;
  metrics: CollectorMetrics;
}

export interface RangeProgress {
  /** Chunks whose every field query succeeded. */
  chunks: number;
  requests: number;
  series: number;
  samples: number;
  skippedSeries: number;
  gpuKeys: Set<string>;
  /** Distinct server warnings, at most 20. */
  warnings: string[];
  /** End of the last complete chunk: every minute before it is in the accumulator. */
  completedUntilMs: number | undefined;
  failure: (QueryFailure & { query: string; chunkFromMs: number }) | undefined;
}

const maxWarnings = 20;

export function createRangeProgress(): RangeProgress {
  return {
    chunks: 0,
    requests: 0,
    series: 0,
    samples: 0,
    skippedSeries: 0,
    gpuKeys: new Set(),
    warnings: [],
    completedUntilMs: undefined,
    failure: undefined,
  };
}

/**
 * Queries every field for each chunk in time order and feeds the answers into the accumulator.
 * Stops at the first chunk with a failed query (after the client's one retry); what that chunk's
 * other fields brought stays in the accumulator and the accumulator's per-field timestamp check
 * keeps the re-run of the chunk from counting it twice. `afterChunk` (storing the chunk) may stop
 * the run by returning false; the chunk then does not count as complete.
 */
export async function collectChunks(
  ctx: CollectContext,
  chunks: readonly QueryChunk[],
  progress: RangeProgress,
  afterChunk?: (chunk: QueryChunk) => Promise<boolean>,
): Promise<RangeProgress> {
  for (const chunk of chunks) {
    await collectChunk(ctx, chunk, progress);
    if (progress.failure) break;
    if (afterChunk && !(await afterChunk(chunk))) break;
    progress.chunks++;
    progress.completedUntilMs = chunk.toMs;
  }
  return progress;
}

async function collectChunk(ctx: CollectContext, chunk: QueryChunk, progress: RangeProgress): Promise<void> {
  await mapWithConcurrency(ctx.queries, ctx.concurrency, async (fieldQuery) => {
    if (progress.failure) return;
    const started = performance.now();
    progress.requests++;
    const answer = await withSpan(ctx.tracer, 'collector.prometheus_query', { field: fieldQuery.field }, () =>
      ctx.client.queryRange({
        query: fieldQuery.query,
        startMs: chunk.startMs,
        endMs: chunk.endMs,
        stepMs: ctx.stepMs,
      }),
    );
    ctx.metrics.scrapeDuration.observe({ source: 'prometheus' }, (performance.now() - started) / 1000);
    if (!answer.ok) {
      ctx.metrics.scrapeErrors.inc({ source: 'prometheus', reason: answer.error.kind });
      progress.failure ??= { ...answer.error, query: fieldQuery.query, chunkFromMs: chunk.fromMs };
      return;
    }
    const ingested = ingestSeries(ctx.accumulator, answer.value.series, {
      fallbackField: lookupField(fieldQuery.names[0]!),
      labels: ctx.labels,
    });
    ctx.metrics.samplesParsed.inc({ source: 'prometheus' }, ingested.points);
    progress.series += ingested.series;
    progress.samples += ingested.points;
    progress.skippedSeries += ingested.skippedSeries;
    for (const key of ingested.gpuKeys) progress.gpuKeys.add(key);
    for (const warning of answer.value.warnings) {
      if (progress.warnings.length < maxWarnings && !progress.warnings.includes(warning)) {
        progress.warnings.push(warning);
      }
    }
  });
}
