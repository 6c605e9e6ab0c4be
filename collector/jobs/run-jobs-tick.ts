import type { Clock } from '../../core/clock.js';
import type { Db } from '../../core/db.js';
import type { Logger } from '../../core/log.js';
import { upsertTargetStatuses } from '../queries.js';
import type { JobMetrics } from './metrics.js';
import { upsertJobs } from './queries.js';
import { formatRecordIssue, type JobRecord, type JobSource, type RecordIssue } from './types.js';

/** What one scheduler read gives: good records, flagged records, and failures that leave it partly blind. */
export interface JobReadResult {
  jobs: JobRecord[];
  issues: RecordIssue[];
  /** Commands or API calls that failed; a read with errors may still have returned some jobs. */
  errors: string[];
}

/** One scheduler connection (a Slurm cluster, a Kubernetes API), behind an interface so tests pass fakes. */
export interface JobReader {
  source: JobSource;
  /** Its row in collector_targets, e.g. `slurm://cluster-a` or the API server URL. */
  target: string;
  read(now: Date): Promise<JobReadResult>;
}

export interface JobsTickDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  metrics: JobMetrics;
}

interface ReaderHealth {
  lastSuccessAt: Date | null;
  consecutiveFailures: number;
}

/** Health per reader across ticks; the store keeps the last success through failures too. */
export class JobReadersState {
  readonly health = new Map<string, ReaderHealth>();
}

const MAX_LOGGED_ISSUES = 5;

/**
 * Reads every scheduler and upserts what it returned. A failing reader is recorded as a target error and
 * never stops the others; records already stored are never removed by a failed or partial read.
 */
export async function runJobsTick(deps: JobsTickDeps, state: JobReadersState, readers: readonly JobReader[]) {
  const summary = { jobs: 0, issues: 0, failedReaders: 0 };
  for (const reader of readers) {
    const now = new Date(deps.clock.now());
    const started = performance.now();
    let result: JobReadResult;
    try {
      result = await reader.read(now);
    } catch (error) {
      result = { jobs: [], issues: [], errors: [error instanceof Error ? error.message : String(error)] };
    }
    if (result.jobs.length > 0) await upsertJobs(deps.db, result.jobs, now);
    reportIssues(deps, reader, result.issues);
    deps.metrics.jobsRead.inc({ source: reader.source }, result.jobs.length);
    if (result.errors.length > 0) {
      deps.metrics.readFailures.inc({ source: reader.source });
      deps.log.warn({ target: reader.target, errors: result.errors }, 'job read failed');
      summary.failedReaders++;
    }
    await recordHealth(deps, state, reader, result, now, (performance.now() - started) / 1000);
    summary.jobs += result.jobs.length;
    summary.issues += result.issues.length;
  }
  return summary;
}

function reportIssues(deps: JobsTickDeps, reader: JobReader, issues: RecordIssue[]) {
  if (issues.length === 0) return;
  deps.metrics.recordIssues.inc({ source: reader.source }, issues.length);
  deps.log.warn(
    {
      target: reader.target,
      issues: issues.length,
      first: issues.slice(0, MAX_LOGGED_ISSUES).map(formatRecordIssue),
    },
    'job records flagged',
  );
}

async function recordHealth(
  deps: JobsTickDeps,
  state: JobReadersState,
  reader: JobReader,
  result: JobReadResult,
  now: Date,
  durationSeconds: number,
) {
  const up = result.errors.length === 0;
  const prev = state.health.get(reader.target) ?? { lastSuccessAt: null, consecutiveFailures: 0 };
  const health = up
    ? { lastSuccessAt: now, consecutiveFailures: 0 }
    : { lastSuccessAt: prev.lastSuccessAt, consecutiveFailures: prev.consecutiveFailures + 1 };
  state.health.set(reader.target, health);
  await upsertTargetStatuses(deps.db, [
    {
      kind: reader.source,
      url: reader.target,
      node: null,
      up,
      lastAttemptAt: now,
      lastSuccessAt: health.lastSuccessAt,
      lastError: up ? null : result.errors.join('; ').slice(0, 2000),
      lastDurationSeconds: durationSeconds,
      lastSampleCount: result.jobs.length,
      lastIssueCount: result.issues.length,
      consecutiveFailures: health.consecutiveFailures,
    },
  ]);
}
