import { sql } from 'drizzle-orm';
import { type Db, queryRows } from '../../core/db.js';
import type { Detection } from './apply-detections.js';
import { mean, sampleSd, testNewValueLower, testWelchLower, zScore } from './drift-statistics.js';
import { DAY, type DriftThresholds, round, sig } from './drift-thresholds.js';

export interface JobRun {
  id: number;
  jobId: string;
  name: string;
  user: string | null;
  gpusAllocated: number;
  team: string | null;
  startedAt: Date;
  endedAt: Date | null;
  minutes: number;
  /** Mean activity over the run's GPU-minutes. */
  efficiency: number;
}

async function loadJobRuns(db: Db, cluster: string, at: Date, t: DriftThresholds): Promise<JobRun[]> {
  const lookFrom = new Date(at.getTime() - t.jobLookbackDays * DAY);
  const historyFrom = new Date(at.getTime() - t.jobHistoryDays * DAY);
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`with recent as (
        select distinct name, "user", gpus_allocated from jobs
        where cluster = ${cluster} and started_at < ${at} and state in ('running', 'completing', 'completed', 'timeout')
          and (ended_at >= ${lookFrom} or ended_at is null)),
      runs as (
        select j.id, j.job_id, j.name, j."user", j.gpus_allocated, j.team, j.started_at, j.ended_at,
          count(*) over (partition by j.name, j."user", j.gpus_allocated) as series_runs
        from jobs j join recent s on s.name = j.name and s."user" is not distinct from j."user"
          and s.gpus_allocated = j.gpus_allocated
        where j.cluster = ${cluster} and j.started_at < ${at} and j.started_at >= ${historyFrom}
          and j.state in ('running', 'completing', 'completed', 'timeout'))
      -- only series with a baseline to test against: most jobs do not recur, and their minutes need not be read
      select runs.*, e.minutes, e.efficiency from runs cross join lateral (
        select count(r.activity_mean)::int as minutes, avg(r.activity_mean)::float8 as efficiency
        from gpu_rollups r where r.job_ref = runs.id and r.bucket < ${at}) e
      where runs.series_runs > ${t.jobBaselineRuns} and e.minutes >= ${t.jobMinMinutes}
      order by runs.name, runs."user", runs.gpus_allocated, runs.started_at, runs.id`,
  );
  return rows.map((r) => ({
    id: Number(r.id),
    jobId: String(r.job_id),
    name: String(r.name),
    user: (r.user as string | null) ?? null,
    gpusAllocated: Number(r.gpus_allocated),
    team: (r.team as string | null) ?? null,
    startedAt: new Date(r.started_at as string),
    endedAt: r.ended_at ? new Date(r.ended_at as string) : null,
    minutes: Number(r.minutes),
    efficiency: Number(r.efficiency),
  }));
}

export interface JobDriftVerdict {
  drifted: boolean;
  values: Record<string, number | string | null>;
  test: 'latest run' | 'last 3 runs' | null;
}

/**
 * The newest run against the runs before it (z-score and the one-sided prediction t-test), and the last three
 * runs against the runs before them (one-sided Welch): a drop by `jobDropShare` or more that either test finds
 * significant. `runs` are one series, oldest first.
 */
export function judgeJobDrift(runs: readonly JobRun[], t: DriftThresholds): JobDriftVerdict | undefined {
  const latest = runs.at(-1);
  if (!latest) return undefined;
  const baseline = runs
    .slice(0, -1)
    .slice(-t.jobMaxBaselineRuns)
    .map((r) => r.efficiency);
  if (baseline.length < t.jobBaselineRuns) return undefined;
  const m = mean(baseline);
  const sd = sampleSd(baseline);
  const single = testNewValueLower(latest.efficiency, baseline, t.jobSdFloor);
  const drop = m > 0 ? (m - latest.efficiency) / m : 0;
  const values: Record<string, number | string | null> = {
    latestEfficiency: round(latest.efficiency),
    baselineMean: round(m),
    baselineSd: round(sd),
    baselineRuns: baseline.length,
    dropShare: round(drop),
    z: round(zScore(latest.efficiency, m, sd, t.jobSdFloor), 2),
    p: sig(single.pLower),
  };
  let test: JobDriftVerdict['test'] =
    drop >= t.jobDropShare && single.pLower < t.pValue ? 'latest run' : null;
  const earlier = runs
    .slice(0, -3)
    .slice(-t.jobMaxBaselineRuns)
    .map((r) => r.efficiency);
  if (runs.length >= 3 && earlier.length >= t.jobBaselineRuns) {
    const last3 = runs.slice(-3).map((r) => r.efficiency);
    const welch = testWelchLower(last3, earlier, t.jobSdFloor);
    const em = mean(earlier);
    const drop3 = em > 0 ? (em - mean(last3)) / em : 0;
    Object.assign(values, {
      last3Mean: round(mean(last3)),
      last3BaselineMean: round(em),
      last3DropShare: round(drop3),
      welchT: round(welch.t, 2),
      welchDf: round(welch.df, 1),
      welchP: sig(welch.pLower),
    });
    if (!test && drop3 >= t.jobDropShare && drop > 0 && welch.pLower < t.pValue) test = 'last 3 runs';
  }
  return { drifted: test !== null, values, test };
}

export async function detectJobDrift(
  db: Db,
  cluster: string,
  at: Date,
  t: DriftThresholds,
): Promise<Detection[]> {
  const lookFrom = at.getTime() - t.jobLookbackDays * DAY;
  const series = new Map<string, JobRun[]>();
  for (const r of await loadJobRuns(db, cluster, at, t)) {
    const key = JSON.stringify([r.name, r.user, r.gpusAllocated]);
    series.set(key, [...(series.get(key) ?? []), r]);
  }
  const detections: Detection[] = [];
  for (const runs of series.values()) {
    const latest = runs.at(-1);
    if (!latest || (latest.endedAt !== null && latest.endedAt.getTime() < lookFrom)) continue;
    const v = judgeJobDrift(runs, t);
    if (!v?.drifted) continue;
    const first = runs[0] as JobRun;
    detections.push({
      kind: 'drift_job_efficiency',
      subject: { type: 'job', id: latest.jobId },
      severity: 'warning',
      title: `Recurring job ${latest.name} (${latest.user ?? 'no user'}, ${latest.gpusAllocated} GPUs) dropped to ${Math.round(latest.efficiency * 100)}% activity from ${Math.round(Number(v.values.baselineMean) * 100)}%`,
      evidence: {
        metric: 'mean activity over the run’s GPU-minutes (gpu_rollups.activity_mean by job_ref)',
        window: { from: first.startedAt.toISOString(), to: at.toISOString() },
        values: { ...v.values, job: latest.jobId, team: latest.team, test: v.test },
        threshold: {
          dropShare: t.jobDropShare,
          pValue: t.pValue,
          baselineRuns: t.jobBaselineRuns,
          sdFloor: t.jobSdFloor,
        },
        method:
          v.test === 'latest run'
            ? 'z-score and one-sided t-test (prediction interval) of the latest run against earlier runs'
            : 'one-sided Welch t-test of the last 3 runs against earlier runs',
        samples: runs.length,
      },
      recommendation: `Compare run ${latest.jobId} with earlier runs of ${latest.name}: a code, data-loader, input or node change made it use its GPUs less.`,
    });
  }
  return detections;
}
