import type { Tracer } from '@opentelemetry/api';
import type { Clock } from '../../core/clock.js';
import { mapWithConcurrency } from '../../core/concurrency.js';
import type { DcgmTarget } from '../../core/config.js';
import type { Db } from '../../core/db.js';
import { describeError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { withSpan } from '../../core/telemetry.js';
import type { CollectorMetrics } from '../metrics.js';
import { type TargetStatus, upsertTargetStatuses } from '../queries.js';
import { RollupAccumulator } from '../rollup/accumulate.js';
import { EntityIdCache, flushRollups } from '../rollup/write.js';
import { fetchExposition } from './fetch-exposition.js';
import { ingestSamples } from './ingest.js';
import type { NvlinkSink } from './nvlink-sink.js';
import { createLabelCache, formatParseIssue, type LabelCache, parseExposition } from './parse.js';

export interface DcgmCollectorSettings {
  cluster: string;
  targets: DcgmTarget[];
  timeoutSeconds: number;
  maxBodyBytes: number;
  concurrency: number;
}

export interface DcgmCollectorDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  tracer: Tracer;
  metrics: CollectorMetrics;
}

/** What one collector process keeps between ticks. */
export class DcgmCollectorState {
  readonly accumulator = new RollupAccumulator();
  readonly ids = new EntityIdCache();
  readonly labelCaches = new Map<string, LabelCache>();
  readonly health = new Map<string, TargetStatus>();
  /** When set, NVLink readings of every scrape go into these link rollups (written by the caller). */
  constructor(readonly nvlink?: NvlinkSink) {}
}

export interface DcgmTickSummary {
  targets: number;
  targetsUp: number;
  samples: number;
  gpus: number;
  parseIssues: number;
  rollupRows: number;
  writeError: string | undefined;
}

export async function runDcgmScrapeTick(
  deps: DcgmCollectorDeps,
  state: DcgmCollectorState,
  settings: DcgmCollectorSettings,
): Promise<DcgmTickSummary> {
  return withSpan(deps.tracer, 'collector.dcgm_tick', { targets: settings.targets.length }, async () => {
    const results = await mapWithConcurrency(settings.targets, settings.concurrency, (target) =>
      scrapeTarget(deps, state, settings, target),
    );
    const summary: DcgmTickSummary = {
      targets: results.length,
      targetsUp: results.filter((r) => r.up).length,
      samples: results.reduce((n, r) => n + r.samples, 0),
      gpus: results.reduce((n, r) => n + r.gpus, 0),
      parseIssues: results.reduce((n, r) => n + r.issues, 0),
      rollupRows: 0,
      writeError: undefined,
    };
    deps.metrics.targets.set({ source: 'dcgm' }, summary.targets);
    deps.metrics.targetsUp.set({ source: 'dcgm' }, summary.targetsUp);
    deps.metrics.gpusSeen.set({ source: 'dcgm' }, summary.gpus);
    const written = await writeCollected(deps, state, settings.cluster, [...state.health.values()]);
    summary.rollupRows = written.rows;
    summary.writeError = written.error;
    return summary;
  });
}

interface TargetOutcome {
  up: boolean;
  samples: number;
  gpus: number;
  issues: number;
}

async function scrapeTarget(
  deps: DcgmCollectorDeps,
  state: DcgmCollectorState,
  settings: DcgmCollectorSettings,
  target: DcgmTarget,
): Promise<TargetOutcome> {
  const started = performance.now();
  const attemptAt = new Date(deps.clock.now());
  const fetched = await fetchExposition(target.url, {
    timeoutMs: settings.timeoutSeconds * 1000,
    maxBodyBytes: settings.maxBodyBytes,
  });
  const previous = state.health.get(target.url);
  const base = {
    kind: 'dcgm' as const,
    url: target.url,
    node: target.node ?? null,
    lastAttemptAt: attemptAt,
  };
  if (!fetched.ok) {
    const seconds = (performance.now() - started) / 1000;
    deps.metrics.scrapeErrors.inc({ source: 'dcgm', reason: fetched.error.kind });
    deps.metrics.scrapeDuration.observe({ source: 'dcgm' }, seconds);
    const failures = (previous?.consecutiveFailures ?? 0) + 1;
    if (failures === 1 || failures % 20 === 0) {
      deps.log.warn({ target: target.url, reason: fetched.error.kind, failures }, fetched.error.message);
    }
    state.health.set(target.url, {
      ...base,
      up: false,
      lastSuccessAt: previous?.lastSuccessAt ?? null,
      lastError: fetched.error.message,
      lastDurationSeconds: seconds,
      lastSampleCount: null,
      lastIssueCount: null,
      consecutiveFailures: failures,
    });
    return { up: false, samples: 0, gpus: 0, issues: 0 };
  }
  let labelCache = state.labelCaches.get(target.url);
  if (!labelCache) {
    labelCache = createLabelCache(20_000);
    state.labelCaches.set(target.url, labelCache);
  }
  const parsed = parseExposition(fetched.value.text, { source: target.url, labelCache });
  const scrapedAtMs = deps.clock.now();
  const ingested = ingestSamples(state.accumulator, parsed.samples, {
    node: target.node,
    fallbackNode: new URL(target.url).hostname,
    scrapedAtMs,
  });
  state.nvlink?.observe(target, parsed.samples, scrapedAtMs);
  const issueCount = parsed.issues.length + parsed.suppressedIssues;
  if (issueCount > 0) {
    deps.metrics.parseIssues.inc({ source: 'dcgm' }, issueCount);
    deps.log.warn(
      { target: target.url, issues: issueCount, first: formatParseIssue(target.url, parsed.issues[0]!) },
      'malformed exposition lines skipped',
    );
  }
  const seconds = (performance.now() - started) / 1000;
  deps.metrics.samplesParsed.inc({ source: 'dcgm' }, parsed.samples.length);
  deps.metrics.scrapeDuration.observe({ source: 'dcgm' }, seconds);
  state.health.set(target.url, {
    ...base,
    up: true,
    lastSuccessAt: attemptAt,
    lastError: issueCount > 0 ? formatParseIssue(target.url, parsed.issues[0]!) : null,
    lastDurationSeconds: seconds,
    lastSampleCount: parsed.samples.length,
    lastIssueCount: issueCount,
    consecutiveFailures: 0,
  });
  return { up: true, samples: parsed.samples.length, gpus: ingested.gpus, issues: issueCount };
}

/**
 * Writes rollups and target health. A database that is away is survived: the rows stay buffered
 * in the accumulator and go out with the next successful flush.
 */
export async function writeCollected(
  deps: Pick<DcgmCollectorDeps, 'db' | 'clock' | 'log' | 'tracer' | 'metrics'>,
  state: Pick<DcgmCollectorState, 'accumulator' | 'ids'>,
  cluster: string,
  statuses: TargetStatus[],
): Promise<{ rows: number; error: string | undefined }> {
  const nowMs = deps.clock.now();
  try {
    const result = await withSpan(deps.tracer, 'store.write_rollups', {}, () =>
      flushRollups(deps.db, cluster, state.accumulator, state.ids, nowMs, { includeOpen: true }),
    );
    deps.metrics.rowsWritten.inc({ table: 'gpu_rollups' }, result.rollupRows);
    if (statuses.length > 0) await upsertTargetStatuses(deps.db, statuses);
    return { rows: result.rollupRows, error: undefined };
  } catch (error) {
    deps.metrics.writeFailures.inc();
    const message = describeError(error);
    deps.log.error(
      { err: message, buffered: state.accumulator.bufferedBuckets() },
      'rollup write failed; will retry',
    );
    return { rows: 0, error: message };
  } finally {
    const dropped = state.accumulator.evictStale(nowMs);
    if (dropped > 0) deps.metrics.droppedBuckets.inc(dropped);
    state.accumulator.forgetIdleGpus(nowMs, 3_600_000);
    deps.metrics.bufferedBuckets.set(state.accumulator.bufferedBuckets());
    deps.metrics.blankValues.set(state.accumulator.blankValues);
  }
}
