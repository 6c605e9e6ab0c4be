import type { Clock } from '../../core/clock.js';
import type { Db } from '../../core/db.js';
import { type Logger, redactUrl } from '../../core/log.js';
import { type Tracer, withSpan } from '../../core/telemetry.js';
import { writeCollected } from '../dcgm/run-dcgm-scrape-tick.js';
import type { CollectorMetrics } from '../metrics.js';
import type { TargetStatus } from '../queries.js';
import { RollupAccumulator } from '../rollup/accumulate.js';
import { EntityIdCache } from '../rollup/write.js';
import { floorToMinute, planQueryChunks } from './chunks.js';
import {
  type CollectContext,
  collectChunks,
  createRangeProgress,
  type RangeProgress,
} from './collect-range.js';
import { createPrometheusClient, type PrometheusClient } from './fetch-query-range.js';
import { createLabelInterner, type LabelInterner } from './ingest-series.js';
import { buildFieldQueries } from './promql.js';
import {
  defaultConcurrency,
  defaultMaxBodyBytes,
  defaultMaxChunkSeconds,
  defaultMaxChunksPerTick,
  type PrometheusSettings,
} from './settings.js';

export interface PrometheusSourceDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  tracer: Tracer;
  metrics: CollectorMetrics;
  /** Defaults to an HTTP client built from the settings. */
  client?: PrometheusClient;
}

export interface PrometheusSourceSettings {
  cluster: string;
  prometheus: PrometheusSettings;
}

/** What live mode keeps between ticks. */
export class PrometheusCollectorState {
  readonly accumulator = new RollupAccumulator();
  readonly ids = new EntityIdCache();
  readonly labels: LabelInterner = createLabelInterner();
  /** Every minute before this is ingested; the next tick queries from here. */
  cursorMs: number | undefined;
  health: TargetStatus | undefined;
}

export interface PrometheusTickSummary {
  /** The minutes this tick asked for, [fromMs, toMs); equal when there was nothing new. */
  fromMs: number;
  toMs: number;
  chunks: number;
  requests: number;
  series: number;
  samples: number;
  gpus: number;
  skippedSeries: number;
  warnings: string[];
  cursorMs: number | undefined;
  queryError: string | undefined;
  rollupRows: number;
  writeError: string | undefined;
}

/**
 * The accumulator closes a minute by its own clock, which for a TSDB source must be the data's: a
 * flush runs "at" the end of what was ingested plus the accumulator's 5-s grace, so complete
 * minutes are written and released, and a minute a failed chunk left half-filled stays open.
 */
const closeGraceMs = 5_000;

/** Builds the context shared by live mode and backfill. */
export function createCollectContext(
  deps: PrometheusSourceDeps,
  settings: PrometheusSettings,
  accumulator: RollupAccumulator,
  labels: LabelInterner,
): CollectContext {
  const client =
    deps.client ??
    createPrometheusClient({
      url: settings.url,
      timeoutMs: settings.timeoutSeconds * 1000,
      maxBodyBytes: settings.maxBodyBytes ?? defaultMaxBodyBytes,
      headers: settings.headers,
      method: settings.method ?? 'auto',
    });
  return {
    client,
    accumulator,
    labels,
    queries: buildFieldQueries(settings.selector),
    stepMs: Math.max(1, Math.round(settings.stepSeconds * 1000)),
    concurrency: settings.concurrency ?? defaultConcurrency,
    log: deps.log,
    tracer: deps.tracer,
    metrics: deps.metrics,
  };
}

/** The URL as configured, with a password in it masked. */
export function displayUrl(url: string): string {
  return /\/\/[^/]*@/.test(url) ? redactUrl(url) : url;
}

export function describeFailure(progress: RangeProgress): string | undefined {
  const failure = progress.failure;
  return failure && `${failure.kind}: ${failure.message}`;
}

/**
 * One live-mode run: queries the whole minutes from the cursor up to `now - lagSeconds`, feeds
 * them into the accumulator and writes the rollups after each chunk (a catch-up after an outage
 * never holds hours of buckets in memory). A failed query, or a failed write, leaves the cursor at
 * the start of that chunk, so the next tick asks again; nothing is counted twice.
 */
export async function runPrometheusTick(
  deps: PrometheusSourceDeps,
  state: PrometheusCollectorState,
  settings: PrometheusSourceSettings,
  context: CollectContext = createCollectContext(deps, settings.prometheus, state.accumulator, state.labels),
): Promise<PrometheusTickSummary> {
  const prom = settings.prometheus;
  const attemptAt = deps.clock.now();
  const toMs = floorToMinute(attemptAt - prom.lagSeconds * 1000);
  state.cursorMs ??= floorToMinute(toMs - prom.intervalSeconds * 2000);
  const fromMs = Math.min(state.cursorMs, toMs);
  return withSpan(deps.tracer, 'collector.prometheus_tick', { fromMs, toMs }, async () => {
    const chunks = planQueryChunks(fromMs, toMs, {
      stepMs: context.stepMs,
      maxChunkMs: (prom.maxChunkSeconds ?? defaultMaxChunkSeconds) * 1000,
    }).slice(0, prom.maxChunksPerTick ?? defaultMaxChunksPerTick);
    const written = { rows: 0, error: undefined as string | undefined };
    const flushAt = async (horizonMs: number, statuses: TargetStatus[]) => {
      const clock: Clock = { now: () => horizonMs + closeGraceMs };
      const result = await writeCollected({ ...deps, clock }, state, settings.cluster, statuses);
      written.rows += result.rows;
      written.error ??= result.error;
      return result.error === undefined;
    };
    const started = performance.now();
    const progress = await collectChunks(context, chunks, createRangeProgress(), (chunk) =>
      flushAt(chunk.toMs, []),
    );
    if (progress.completedUntilMs !== undefined) state.cursorMs = progress.completedUntilMs;
    if (chunks.length > 0)
      recordHealth(deps, state, prom.url, progress, attemptAt, performance.now() - started);
    if (progress.warnings.length > 0) {
      deps.log.warn(
        { source: displayUrl(prom.url), warnings: progress.warnings },
        'prometheus answered with warnings',
      );
    }
    // What a failed chunk brought stays open (after the cursor) and is completed by the retry.
    await flushAt(state.cursorMs ?? fromMs, state.health ? [state.health] : []);
    return {
      fromMs,
      toMs,
      chunks: progress.chunks,
      requests: progress.requests,
      series: progress.series,
      samples: progress.samples,
      gpus: progress.gpuKeys.size,
      skippedSeries: progress.skippedSeries,
      warnings: progress.warnings,
      cursorMs: state.cursorMs,
      queryError: describeFailure(progress),
      rollupRows: written.rows,
      writeError: written.error,
    };
  });
}

function recordHealth(
  deps: PrometheusSourceDeps,
  state: PrometheusCollectorState,
  url: string,
  progress: RangeProgress,
  attemptAtMs: number,
  durationMs: number,
): void {
  const up = progress.failure === undefined;
  const failures = up ? 0 : (state.health?.consecutiveFailures ?? 0) + 1;
  const error = describeFailure(progress);
  if (error && (failures === 1 || failures % 20 === 0)) {
    deps.log.warn({ source: displayUrl(url), failures, query: progress.failure?.query }, error);
  }
  deps.metrics.targets.set({ source: 'prometheus' }, 1);
  deps.metrics.targetsUp.set({ source: 'prometheus' }, up ? 1 : 0);
  if (up) deps.metrics.gpusSeen.set({ source: 'prometheus' }, progress.gpuKeys.size);
  const attemptAt = new Date(attemptAtMs);
  state.health = {
    kind: 'prometheus',
    url: displayUrl(url),
    node: null,
    up,
    lastAttemptAt: attemptAt,
    lastSuccessAt: up ? attemptAt : (state.health?.lastSuccessAt ?? null),
    lastError: error ?? (progress.warnings.length > 0 ? `warning: ${progress.warnings[0]}` : null),
    lastDurationSeconds: durationMs / 1000,
    lastSampleCount: progress.samples,
    lastIssueCount: progress.warnings.length + progress.skippedSeries,
    consecutiveFailures: failures,
  };
}

/** Live mode for `gpuscope serve`: one state, one client, a tick per interval. */
export function createPrometheusCollector(
  deps: PrometheusSourceDeps,
  settings: PrometheusSourceSettings,
): { state: PrometheusCollectorState; runTick(): Promise<PrometheusTickSummary> } {
  const state = new PrometheusCollectorState();
  const context = createCollectContext(deps, settings.prometheus, state.accumulator, state.labels);
  return { state, runTick: () => runPrometheusTick(deps, state, settings, context) };
}
